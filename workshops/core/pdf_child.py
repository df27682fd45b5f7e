"""A child process of core/pdf.py `parts_to_pdf`: lay out one part of a long document.

    python -I pdf_child.py --part|--front SOURCE.html TARGET.pdf BASE_URL

Run by its path, without the workshops package: this file imports only the
standard library and WeasyPrint, so that a child starts in half a second rather
than the second and more that importing the application takes.

A part child lays its HTML out, and when its pages are laid out (before
WeasyPrint draws the margin boxes, where the page numbers go) it sends the parent
one line of JSON: its page count and the page of each element marked data-anchor.
The parent answers the part's first page number and the document's total, and
the child writes its PDF. The front child (cover and contents) lays its HTML out
once with "000" for each page reference, to count its pages, sends that, and
from the parent's answer (the page of every anchor) writes the numbers in, lays
it out again and writes it, then sends the links of its contents page.
"""

import json
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

# A page reference of the front matter: <span ... data-page-of="ID" ...></span>.
PAGE_REFERENCE = re.compile(r"""(<span[^>]* data-page-of=["']([^"']+)["'][^>]*>)[^<]*(</span>)""")
Settle = Callable[[int, dict], tuple[int, int]]


def number_pages(settle: Settle) -> None:
    """Make WeasyPrint number pages from the (offset, total) that `settle` answers, asked once per layout.

    WeasyPrint draws the margin boxes after laying out every page, page by page,
    each with the counters of its page: wrapping that step is the one place where a
    part's page count is final and its page numbers are still to be drawn. The
    anchors are read from the strings WeasyPrint has collected by then (print.css
    gives each [data-anchor] the string "anchor").
    """
    from weasyprint import layout

    make = getattr(layout.make_margin_boxes, "unnumbered", layout.make_margin_boxes)

    def numbered(context: Any, page: Any, state: Any) -> Any:
        numbering = getattr(context, "part_numbering", None)
        if numbering is None:
            anchors = context.string_set.get("anchor", {})
            first_pages: dict[str, int] = {}
            for number in sorted(anchors):
                for anchor in anchors[number]:
                    first_pages.setdefault(anchor, number)
            numbering = context.part_numbering = settle(state[1]["pages"][0], first_pages)
        offset, total = numbering
        page_counter = state[1]["page"]
        counters = dict(state[1], page=[*page_counter[:-1], page_counter[-1] + offset], pages=[total])
        return make(context, page, (state[0], counters, *state[2:]))

    numbered.unnumbered = make  # type: ignore[attr-defined]
    layout.make_margin_boxes = numbered


def say(message: dict) -> None:
    """Send the parent one line of JSON."""
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def hear() -> dict:
    """Return the parent's next line of JSON."""
    line = sys.stdin.readline()
    if not line:
        raise SystemExit("the parent process went away")
    answer: dict = json.loads(line)
    return answer


def settle_with_parent(pages: int, anchors: dict) -> tuple[int, int]:
    """Tell the parent this part's page count and anchors; return its (page offset, total pages)."""
    say({"pages": pages, "anchors": anchors})
    answer = hear()
    return answer["offset"], answer["total"]


def render(html: str, base_url: str) -> Any:
    """Return the laid out WeasyPrint document of an HTML page, untagged."""
    from weasyprint import HTML

    return HTML(string=html, base_url=base_url).render()


def part_main(source: Path, target: Path, base_url: str) -> None:
    """Lay out a part, number its pages as the parent answers, and write it."""
    number_pages(settle_with_parent)
    render(source.read_text(encoding="utf-8"), base_url).write_pdf(target)


def front_main(source: Path, target: Path, base_url: str) -> None:
    """Lay out the front matter to count its pages, then again with the page references filled in."""
    html = source.read_text(encoding="utf-8")
    counted: dict[str, int] = {}
    answer: dict = {}

    def count(pages: int, anchors: dict) -> tuple[int, int]:
        counted["pages"] = pages
        return 0, pages

    number_pages(count)
    render(PAGE_REFERENCE.sub(r"\g<1>000\g<3>", html), base_url)
    say({"pages": counted["pages"], "anchors": {}})
    answer.update(hear())
    pages_of = answer["pages_of"]
    number_pages(lambda pages, anchors: (0, answer["total"]))
    document = render(PAGE_REFERENCE.sub(lambda m: f"{m[1]}{pages_of.get(m[2], '')}{m[3]}", html), base_url)
    if len(document.pages) != counted["pages"]:
        print(
            f"the front matter grew from {counted['pages']} to {len(document.pages)} pages", file=sys.stderr
        )
    links = [
        [index, anchor, list(rectangle)]
        for index, page in enumerate(document.pages)
        for kind, anchor, rectangle, _box in page.links
        if kind == "internal"
    ]
    document.write_pdf(target)
    say({"links": links})


def main(argv: list[str]) -> None:
    """Run as a --part or the --front, then end at once: nothing is left to clean up but memory."""
    role, source, target, base_url = argv
    (front_main if role == "--front" else part_main)(Path(source), Path(target), base_url)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)  # tearing down a heap of laid out pages takes half a second, for nothing


if __name__ == "__main__":
    main(sys.argv[1:])
