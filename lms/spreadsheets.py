"""CSV and XLSX downloads. Every export in the project goes through these, so each one is
protected against formula injection the same way."""

import csv

from django.http import HttpResponse
from openpyxl import Workbook

from lms.uploads import mark_private_download

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def safe_row(row) -> list:
    """Stop a spreadsheet treating a cell that starts with = + - or @ as a formula."""
    return [
        f"'{cell}" if isinstance(cell, str) and cell and cell[0] in "=+-@" else cell for cell in row
    ]


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
            sheet.append(safe_row(row))
    response = HttpResponse(content_type=XLSX_TYPE)
    workbook.save(response)
    return _attachment(response, filename)
