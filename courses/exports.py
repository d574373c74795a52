"""CSV and XLSX exports of exactly the learner records a coordinator has on screen."""

from django.utils import timezone

from lms.spreadsheets import csv_response, xlsx_response

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


def learner_records_response(records, export_format: str, organisation):
    filename = f"learner-records-{organisation.slug}-{timezone.localdate().isoformat()}"
    if export_format == "csv":
        return csv_response(filename=f"{filename}.csv", headings=HEADINGS, rows=_rows(records))
    return xlsx_response(
        filename=f"{filename}.xlsx", sheets=[("Learner records", HEADINGS, _rows(records))]
    )
