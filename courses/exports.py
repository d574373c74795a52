"""CSV and XLSX exports of exactly the learner records a coordinator has on screen."""

from django.utils import timezone

from courses.selectors import organisation_clock, refresher_date
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


def _rows(records, clock):
    """Refresher dates are the clock's (moved by any pause), as on the page; an overdue one is
    marked in the status."""
    for record in records:
        due = refresher_date(
            clock, record.user_id, record.last_completed_at, record.refresher_due_at
        )
        status = "In progress"
        if record.completed_at:
            status = "Completed"
            if due is not None and due <= clock.now:
                status = f"Completed, refresher overdue since {_date(due)}"
        yield [
            record.user.display_name,
            record.user.email,
            record.course.title,
            record.modules_done,
            status,
            _date(record.enrolled_at),
            _date(record.last_completed_at),
            _date(due),
            record.certificate_code or "",
        ]


def learner_records_response(records, export_format: str, organisation):
    filename = f"learner-records-{organisation.slug}-{timezone.localdate().isoformat()}"
    clock = organisation_clock(organisation)
    rows = _rows(records, clock)
    if export_format == "csv":
        return csv_response(filename=f"{filename}.csv", headings=HEADINGS, rows=rows)
    return xlsx_response(filename=f"{filename}.xlsx", sheets=[("Learner records", HEADINGS, rows)])
