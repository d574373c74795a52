"""CSV and XLSX downloads. Every export in the project goes through these, so each one is
protected against formula injection the same way."""

import csv

from django.http import HttpResponse
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from lms.uploads import mark_private_download

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# A cell starting with one of these is read as a formula by Excel, LibreOffice or Google Sheets
# (OWASP "CSV injection"): = + - @, and TAB and CR, which some of them skip before looking.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def formula_like(cell) -> bool:
    return isinstance(cell, str) and cell.startswith(FORMULA_STARTS)


def safe_cell(cell):
    """For CSV, which has no types: an apostrophe before a cell a spreadsheet would run as a
    formula, so it shows as text. Numbers (a real -1) are left alone."""
    return f"'{cell}" if formula_like(cell) else cell


def safe_row(row) -> list:
    """Every cell of a CSV row made safe by `safe_cell`."""
    return [safe_cell(cell) for cell in row]


def unsafe_cell(cell: str) -> str:
    """Undo `safe_cell` on a cell read back from a CSV this project wrote."""
    if cell.startswith("'") and formula_like(cell[1:]):
        return cell[1:]
    return cell


def _xlsx_row(sheet, row) -> list:
    """XLSX has types: a formula-like text is stored as a text cell (never a formula) and marked
    with Excel's quote prefix, so it stays text when edited, and the reader sees no apostrophe."""
    cells = []
    for value in row:
        if formula_like(value):
            cell = WriteOnlyCell(sheet, value=value)
            cell.data_type = "s"
            cell.quotePrefix = True
            cells.append(cell)
        else:
            cells.append(value)
    return cells


def _attachment(response: HttpResponse, filename: str) -> HttpResponse:
    # An export lists people: a download that no browser or cache keeps.
    return mark_private_download(response, filename)


def csv_response(*, filename: str, headings: list[str], rows) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    writer = csv.writer(response)
    writer.writerow(headings)
    writer.writerows(safe_row(row) for row in rows)
    return _attachment(response, filename)


def xlsx_response(*, filename: str, sheets) -> HttpResponse:
    """`sheets` yields (title, headings, rows)."""
    workbook = Workbook(write_only=True)
    for title, headings, rows in sheets:
        sheet = workbook.create_sheet(title)
        sheet.append(headings)
        for row in rows:
            sheet.append(_xlsx_row(sheet, row))
    response = HttpResponse(content_type=XLSX_TYPE)
    workbook.save(response)
    return _attachment(response, filename)
