"""Cells for files people open in a spreadsheet: CSV and XLSX."""

import csv
import io
from datetime import date

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter


def safe_cell(value):
    """Keep spreadsheets from running a cell as a formula (CSV injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def csv_line(values):
    """Return one CSV line (numbers stay numbers, text is made safe)."""
    buffer = io.StringIO()
    csv.writer(buffer).writerow(["" if value is None else safe_cell(value) for value in values])
    return buffer.getvalue()


def csv_chunks(header, rows, batch=2000):
    """Yield a CSV file in pieces of about batch rows: memory stays flat however many rows come."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")  # the BOM lets Excel read UTF-8
    writer.writerow(header)
    for count, values in enumerate(rows, start=1):
        writer.writerow([safe_cell(value) if isinstance(value, str) else value for value in values])
        if count % batch == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def xlsx_bytes(sheets):
    """Return an XLSX workbook with one sheet per (title, header, rows); numbers stay numbers.

    Rows may be any iterable and are written as they come: a write-only workbook keeps
    no cell objects, so a sheet of everyone behind a report (40,000 rows) costs a few
    MB rather than the 130 MB a normal workbook holds until it is saved.
    """
    book = Workbook(write_only=True)
    used = set()
    for title, header, rows in sheets:
        sheet = book.create_sheet(_sheet_name(title, used))
        # In a write-only sheet, panes and widths are set before the first row.
        sheet.freeze_panes = "A2"
        for index, label in enumerate(header, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = max(10, min(40, len(str(label)) + 2))
        bold = Font(bold=True)
        sheet.append([_bold_cell(sheet, str(label), bold) for label in header])
        for row in rows:
            sheet.append([safe_cell(value) if not isinstance(value, date) else value for value in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _sheet_name(title, used):
    """Return a sheet title: at most 31 characters, unique (case aside), without []:*?/\\."""
    name = "".join(ch for ch in str(title) if ch not in "[]:*?/\\")[:31] or "Hoja"
    base, number = name, 2
    while name.casefold() in used:
        suffix = f" {number}"
        name, number = base[: 31 - len(suffix)] + suffix, number + 1
    used.add(name.casefold())
    return name


def _bold_cell(sheet, value, font):
    """Return a header cell for a write-only sheet."""
    cell = WriteOnlyCell(sheet, value=safe_cell(value))
    cell.font = font
    return cell
