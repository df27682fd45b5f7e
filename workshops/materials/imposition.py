"""Print-shop files from a document's PDF: A5 booklet on A4, two pages per side, N copies.

Every layout is for double-sided printing (flip on the short edge for the landscape
ones). The counts a facilitator sees before downloading come from `sheet_counts`,
the same arithmetic the files are made with.
"""

import io
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pypdf import PageObject, PdfReader, PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, FloatObject, NameObject, StreamObject

SHOPS = ("plain", "booklet", "two_up")
MAX_COPIES = 200


@dataclass(frozen=True)
class Counts:
    """Pages and sheets of one print-shop file."""

    pages: int  # pages of the printed file (sides of paper with print)
    sheets: int  # sheets of paper, printed on both sides


def sheet_counts(pages: int, shop: str, copies: int = 1) -> Counts:
    """Return the page and sheet count of a file with `copies` copies of a `pages`-page document."""
    if shop in ("booklet", "two_up"):
        sides = 2 * math.ceil(pages / 4)  # four pages per sheet: two on each side
    else:
        sides = pages + (pages % 2 if copies > 1 else 0)  # copies start on a fresh sheet
    return Counts(sides * copies, math.ceil(sides / 2) * copies)


def _booklet_order(pages: int) -> list[int | None]:
    """Return the page numbers (0-based; None for a blank) in the order the folded sheets need."""
    total = 4 * math.ceil(pages / 4)
    order: list[int] = []
    for sheet in range(total // 4):
        front = (total - 1 - 2 * sheet, 2 * sheet)
        back = (2 * sheet + 1, total - 2 - 2 * sheet)
        order.extend(front + back)
    return [number if number < pages else None for number in order]


def _as_form(writer: PdfWriter, page: PageObject) -> Any:
    """Return a reference to a page copied into the writer as a form XObject (placed, never re-parsed)."""
    form = StreamObject()
    contents = page.get_contents()
    form.set_data(contents.get_data() if contents is not None else b"")
    form.update(
        {
            NameObject("/Type"): NameObject("/XObject"),
            NameObject("/Subtype"): NameObject("/Form"),
            NameObject("/BBox"): ArrayObject(FloatObject(v) for v in page.mediabox),
            NameObject("/Resources"): page["/Resources"].clone(writer),
        }
    )
    return writer._add_object(form)


def _two_per_side(reader: PdfReader, order: list[int | None]) -> PdfWriter:
    """Return a writer with the pages placed two per landscape side, in the given order.

    Each page becomes a form XObject drawn scaled: pypdf's merge_transformed_page
    rewrites every operator of a page, which took seconds for a 16-page guide.
    """
    first = reader.pages[0]
    width, height = float(first.mediabox.width), float(first.mediabox.height)
    scale = min((height / 2) / width, width / height)
    writer = PdfWriter()
    forms: dict[int, Any] = {}
    for index in range(0, len(order), 2):
        sheet = writer.add_blank_page(width=height, height=width)
        names, drawing = DictionaryObject(), []
        for slot, number in enumerate(order[index : index + 2]):
            if number is None:
                continue
            if number not in forms:
                forms[number] = _as_form(writer, reader.pages[number])
            names[NameObject(f"/P{slot}")] = forms[number]
            x = slot * height / 2 + (height / 2 - width * scale) / 2
            y = (width - height * scale) / 2
            drawing.append(f"q {scale:.5f} 0 0 {scale:.5f} {x:.3f} {y:.3f} cm /P{slot} Do Q")
        sheet[NameObject("/Resources")] = DictionaryObject({NameObject("/XObject"): names})
        content = StreamObject()
        content.set_data("\n".join(drawing).encode())
        sheet[NameObject("/Contents")] = writer._add_object(content)
    return writer


def impose(data: bytes, shop: str, copies: int = 1) -> bytes:
    """Return the print-shop file of a PDF: imposed as `shop` says, `copies` times over."""
    reader = PdfReader(io.BytesIO(data))
    pages = len(reader.pages)
    if shop == "booklet":
        single = _two_per_side(reader, _booklet_order(pages))
    elif shop == "two_up":
        order: list[int | None] = list(range(pages))
        order += [None] * (-len(order) % 4)  # a whole number of sheets, so copies stay apart
        single = _two_per_side(reader, order)
    else:
        single = PdfWriter(clone_from=reader)
        if copies > 1 and pages % 2:
            single.add_blank_page()  # each copy starts on the front of a sheet
    if copies > 1:
        sides = list(single.pages)
        for _copy in range(copies - 1):
            for page in sides:
                single.add_page(page)
    out = io.BytesIO()
    single.write(out)
    return out.getvalue()


def page_count(path: Path) -> int:
    """Return the number of pages of a PDF file."""
    return len(PdfReader(path).pages)
