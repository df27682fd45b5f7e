"""What PDF tagging costs: the 12 facilitator guides rendered to PDF, tagged and not, alternately.

    python bench/pdf_tagging.py [rounds]

The guides (side by side, Awajún first) are the longest tagged documents: the
whole book is never tagged (materials/render.py says why; bench/book_parts.py
times it). Alternating the two in one process makes a busy machine's noise fall
on both alike. Prints the best total of each and what tagging adds.
"""

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select  # noqa: E402

from workshops import create_app  # noqa: E402
from workshops.core.pdf import html_to_pdf  # noqa: E402
from workshops.curriculum.models import Module  # noqa: E402
from workshops.extensions import db  # noqa: E402
from workshops.materials import services  # noqa: E402


def guides_html(app, tagged):
    """Return the HTML of every module's guide as its PDF renders it."""
    app.config["PDF_TAGGED"] = tagged
    with app.test_request_context("/"):
        slugs = db.session.scalars(select(Module.slug).order_by(Module.number)).all()
        pages = []
        for slug in slugs:
            document = services.build(services.Options("guide", slug, "side", "agr", "es"))
            pages.append(services.render_html(document, services.print_context(document), for_pdf=True))
        return pages


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    instance = tempfile.mkdtemp(prefix="bench-")
    app = create_app({"INSTANCE_PATH": instance, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance}/b.sqlite"})
    pages = {tagged: guides_html(app, tagged) for tagged in (False, True)}
    html_to_pdf("<p>warm-up</p>", "warm-up")
    times = {False: [], True: []}
    for _round in range(rounds):
        for tagged in (False, True):
            begin = time.perf_counter()
            for html in pages[tagged]:
                html_to_pdf(html, "guide", tagged)
            times[tagged].append(time.perf_counter() - begin)
    for tagged in (False, True):
        print(
            f"12 guides to PDF, {'tagged' if tagged else 'untagged'}: best {min(times[tagged]):.1f} s "
            f"of {', '.join(f'{t:.1f}' for t in times[tagged])}"
        )
    print(f"tagging adds {100 * (min(times[True]) / min(times[False]) - 1):.0f} %")


if __name__ == "__main__":
    main()
