"""The whole book's cold build, laid out in one part and in parts at once, alternately.

    python bench/book_parts.py [--runs 3]

Builds the book (side by side, every Awajún text filled in as bench/materials.py
does) the way the print worker does (materials/render.py), with BOOK_PROCESSES=1
(the modules in one child process, the cover and contents in another) and with
the default (one part per core, four at most), alternating so that other work on
the machine weighs on both alike. Prints each run, the medians and their ratio.
Wall-clock seconds: the budget is 12 s for the cold book on a two-core machine.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from materials import translate_everything  # noqa: E402  (bench/materials.py)

from workshops import create_app  # noqa: E402
from workshops.materials import render, services  # noqa: E402


def build(app, processes):
    """Return (seconds, pages) of one cold build of the book."""
    from pypdf import PdfReader

    app.config["BOOK_PROCESSES"] = processes
    with app.test_request_context("/"):
        begin = time.perf_counter()
        pdf = render.pdf_bytes(services.Options("book", None, "side", "agr", "es"))
        elapsed = time.perf_counter() - begin
    path = Path(app.instance_path) / "book.pdf"
    path.write_bytes(pdf)
    return elapsed, len(PdfReader(path).pages)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    runs = parser.parse_args().runs
    instance = tempfile.mkdtemp(prefix="bench-")
    app = create_app({"INSTANCE_PATH": instance, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance}/b.sqlite"})
    translate_everything(app)
    with app.app_context():
        parts = render.book_processes()
    print(f"{os.cpu_count()} cores; the default lays the modules out in {parts} parts")
    times = {1: [], parts: []}
    for run in range(runs):
        for processes in (1, parts):
            seconds, pages = build(app, processes)
            times[processes].append(seconds)
            print(f"run {run + 1}, {processes} part(s): {seconds:.2f} s, {pages} pages")
    one, many = statistics.median(times[1]), statistics.median(times[parts])
    print(
        f"median: one part {one:.2f} s, {parts} parts {many:.2f} s (budget 12 s); "
        f"{one / many:.2f} times as fast"
    )


if __name__ == "__main__":
    main()
