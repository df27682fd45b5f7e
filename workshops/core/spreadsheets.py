"""Cells for files people open in a spreadsheet: CSV and XLSX."""

import csv
import io
from datetime import date

from openpyxl import Workbook
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
    """Return an XLSX workbook with one sheet per (title, header, rows); numbers stay numbers."""
    book = Workbook()
    book.remove(book.active)
    used = set()
    for title, header, rows in sheets:
        # Sheet titles: at most 31 characters, unique, without []:*?/\
        name = "".join(ch for ch in str(title) if ch not in "[]:*?/\\")[:31] or "Hoja"
        base, number = name, 2
        while name.casefold() in used:
            suffix = f" {number}"
            name, number = base[: 31 - len(suffix)] + suffix, number + 1
        used.add(name.casefold())
        sheet = book.create_sheet(name)
        sheet.append([str(label) for label in header])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append([safe_cell(value) if not isinstance(value, date) else value for value in row])
        for index, label in enumerate(header, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = max(10, min(40, len(str(label)) + 2))
        sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
