"""CSV and XLSX exports of exactly the learner records a coordinator has on screen."""

import csv

from django.http import HttpResponse
from django.utils import timezone
from openpyxl import Workbook

FORMATS = {"csv", "xlsx"}
HEADINGS = [
    "Name",
    "Email",
    "Course",
    "Modules done",
    "Status",
    "Enrolled",
    "Last completed",
    "Refresher due",
    "Certificate code",
]


def _date(value) -> str:
    return timezone.localtime(value).date().isoformat() if value else ""


def _rows(records):
    for record in records:
        yield [
            record.user.display_name,
            record.user.email,
            record.course.title,
            record.modules_done,
            "Completed" if record.completed_at else "In progress",
            _date(record.enrolled_at),
            _date(record.last_completed_at),
            _date(record.refresher_due_at),
            record.certificate_code or "",
        ]


def learner_records_response(records, export_format: str, organisation) -> HttpResponse:
    stamp = timezone.localdate().isoformat()
    filename = f"learner-records-{organisation.slug}-{stamp}.{export_format}"
    if export_format == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        writer = csv.writer(response)
        writer.writerow(HEADINGS)
        writer.writerows(_safe(row) for row in _rows(records))
    else:
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("Learner records")
        sheet.append(HEADINGS)
        for row in _rows(records):
            sheet.append(_safe(row))
        response = HttpResponse(
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        workbook.save(response)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _safe(row):
    """Stop a spreadsheet treating a cell that starts with = + - or @ as a formula."""
    return [
        f"'{cell}" if isinstance(cell, str) and cell and cell[0] in "=+-@" else cell for cell in row
    ]
