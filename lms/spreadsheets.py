"""CSV and XLSX downloads. Every export in the project goes through these, so each one is
protected against formula injection the same way.

A CSV is streamed as it is written (`csv_streaming_response`), so a request never holds the
whole file; an XLSX is written in openpyxl's write-only mode (`xlsx_write`), which keeps only
the row being written in memory, by a background job (lms.report_exports)."""

import csv
from collections.abc import Callable, Iterable

from django.http import HttpResponse, StreamingHttpResponse
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


# Rows per piece of a streamed CSV: big enough that the server is not asked to send thousands of
# tiny writes, small enough that a piece is a few tens of kilobytes.
CSV_ROWS_PER_CHUNK = 200


class _Echo:
    """A file-like object whose `write` hands the text back, so csv.writer makes lines to yield."""

    def write(self, value: str) -> str:
        return value


def csv_chunks(headings: list[str], rows: Iterable) -> Iterable[str]:
    """The CSV text, a few hundred rows at a time, every cell made safe by `safe_cell`."""
    writer = csv.writer(_Echo())
    chunk = [writer.writerow(headings)]
    for row in rows:
        chunk.append(writer.writerow(safe_row(row)))
        if len(chunk) >= CSV_ROWS_PER_CHUNK:
            yield "".join(chunk)
            chunk = []
    if chunk:
        yield "".join(chunk)


def csv_streaming_response(
    *, filename: str, headings: list[str], rows: Iterable
) -> StreamingHttpResponse:
    """A CSV download written while it is sent: `rows` (an iterator, ideally over
    `.values_list(...).iterator()`) is read only as the client takes the file, so memory stays
    flat however many rows there are."""
    response = StreamingHttpResponse(
        csv_chunks(headings, rows), content_type="text/csv; charset=utf-8"
    )
    return _attachment(response, filename)


def xlsx_write(
    out, sheets: Iterable, *, progress: Callable[[int], None] | None = None, every: int = 1000
) -> int:
    """Write `sheets` (title, headings, rows) into `out` as an XLSX in write-only mode, which
    spills each sheet to a temporary file as it goes. `progress(rows written so far)` is called
    every `every` rows and at the end. Returns the number of rows written."""
    workbook = Workbook(write_only=True)
    written = 0
    for title, headings, rows in sheets:
        sheet = workbook.create_sheet(title)
        sheet.append(headings)
        for row in rows:
            sheet.append(_xlsx_row(sheet, row))
            written += 1
            if progress is not None and written % every == 0:
                progress(written)
    workbook.save(out)
    if progress is not None:
        progress(written)
    return written


def xlsx_response(*, filename: str, sheets) -> HttpResponse:
    """A small XLSX made in the request (`sheets` yields (title, headings, rows)). Exports of an
    organisation's records go through a background job instead (lms.report_exports)."""
    response = HttpResponse(content_type=XLSX_TYPE)
    xlsx_write(response, sheets)
    return _attachment(response, filename)
