"""What PDF tagging costs: the whole book's HTML rendered to PDF, tagged and not, alternately.

    python bench/pdf_tagging.py [rounds]

Alternating the two in one process makes a busy machine's noise fall on both alike.
"""

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from workshops import create_app  # noqa: E402
from workshops.core.pdf import html_to_pdf  # noqa: E402
from workshops.materials import services  # noqa: E402


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    instance = tempfile.mkdtemp(prefix="bench-")
    app = create_app({"INSTANCE_PATH": instance, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance}/b.sqlite"})
    pages = {}
    for tagged in (False, True):
        app.config["PDF_TAGGED"] = tagged
        with app.test_request_context("/"):
            document = services.build(services.Options("book", None, "side", "agr", "es"))
            pages[tagged] = services.render_html(document, services.print_context(document), for_pdf=True)
    html_to_pdf("<p>warm-up</p>", "warm-up")
    times = {False: [], True: []}
    for _round in range(rounds):
        for tagged in (False, True):
            begin = time.perf_counter()
            html_to_pdf(pages[tagged], "book", tagged)
            times[tagged].append(time.perf_counter() - begin)
    for tagged in (False, True):
        print(
            f"book HTML to PDF, {'tagged' if tagged else 'untagged'}: best {min(times[tagged]):.1f} s "
            f"of {', '.join(f'{t:.1f}' for t in times[tagged])} (budget for the cold book 12 s)"
        )
    print(f"tagging adds {100 * (min(times[True]) / min(times[False]) - 1):.0f} %")


if __name__ == "__main__":
    main()
