"""Where the whole book's cold build goes, and what splitting it across processes would gain.

    python bench/book_phases.py

Prints, for the book in side-by-side layout with every Awajún text filled in (as
bench/materials.py does), the pages, the CPU seconds of WeasyPrint's layout and
of writing the PDF (tagged and untagged), and the CPU seconds pypdf takes to
join the book rendered as two halves, the least that a two-process build would
add. CPU seconds, not wall time, so that other work on the machine does not
count; with two cores, a build split in two takes at least half the layout and
writing, plus the join, plus starting a process (importing WeasyPrint).
"""

import io
import logging
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from materials import translate_everything  # noqa: E402  (bench/materials.py)

from workshops import create_app  # noqa: E402
from workshops.core.pdf import PACKAGE_DIR, _mark_languages  # noqa: E402
from workshops.materials import services  # noqa: E402


def book_html(app, tagged):
    """Return the book's HTML as the PDF build renders it."""
    app.config["PDF_TAGGED"] = tagged
    with app.test_request_context("/"):
        document = services.build(services.Options("book", None, "side", "agr", "es"))
        return services.render_html(document, services.print_context(document), for_pdf=True)


def halves(html):
    """Split the book's HTML in two at the module nearest its middle, each a whole document."""
    head, rest = html.split("<main>", 1)
    body, tail = rest.split("</main>", 1)
    middle = body.find('<article class="module"', len(body) // 2)
    return [head + "<main>" + part + "</main>" + tail for part in (body[:middle], body[middle:])]


def phases(html, tagged):
    """Return (pages, layout CPU s, writing CPU s, PDF bytes) of one render."""
    from weasyprint import HTML

    begin = time.process_time()
    document = HTML(string=html, base_url=str(PACKAGE_DIR)).render(pdf_tags=tagged)
    laid_out = time.process_time()
    pdf = document.write_pdf(pdf_tags=tagged)
    return len(document.pages), laid_out - begin, time.process_time() - laid_out, pdf


def join_seconds(pdfs):
    """Return the CPU seconds pypdf takes to join PDFs into one file."""
    from pypdf import PdfReader, PdfWriter

    begin = time.process_time()
    writer = PdfWriter()
    for pdf in pdfs:
        writer.append(PdfReader(io.BytesIO(pdf)))
    writer.write(io.BytesIO())
    return time.process_time() - begin


def main():
    # Each half's contents page points at modules of the other half: WeasyPrint logs each such link.
    logging.getLogger("weasyprint").setLevel(logging.CRITICAL)
    instance = tempfile.mkdtemp(prefix="bench-")
    app = create_app({"INSTANCE_PATH": instance, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance}/b.sqlite"})
    translate_everything(app)
    _mark_languages()
    phases("<p>warm-up</p>", False)
    for tagged in (False, True):
        html = book_html(app, tagged)
        pages, layout, writing, _pdf = phases(html, tagged)
        label = "tagged" if tagged else "untagged"
        print(
            f"book, {label}: {pages} pages; layout {layout:.1f} s CPU, writing {writing:.1f} s CPU,"
            f" {pages / (layout + writing):.1f} pages a CPU second"
        )
        parts = [phases(half, tagged) for half in halves(html)]
        slowest = max(part[1] + part[2] for part in parts)
        join = join_seconds([part[3] for part in parts])
        print(
            f"  in two halves: slower half {slowest:.1f} s CPU + join {join:.1f} s CPU"
            f" = {slowest + join:.1f} s at best on two cores (budget 12 s),"
            " before starting the processes; the joined file has no structure tree,"
            " and its page numbers and contents links would need redoing"
        )


if __name__ == "__main__":
    main()
