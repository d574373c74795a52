"""CSV and XLSX exports of exactly the learner records a coordinator has on screen.

Both read plain values (`.values_list(...).iterator()`), never an enrolment or a Wagtail page
object per row, and the refresher dates through one clock for the whole organisation, so
the cost per row is a tuple. The CSV streams from the request; the XLSX is a report export made
in the background (lms.report_exports), registered in courses/wagtail_hooks.py."""

from urllib.parse import urlencode

from django.urls import reverse
from django.utils import timezone

from courses.models import CoursePage
from courses.selectors import learner_records, organisation_clock, refresher_date
from lms.report_exports import Report, ReportKind
from lms.spreadsheets import csv_streaming_response

FORMATS = {"csv", "xlsx"}
KIND = "learner_records"
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
# What each row is read as; no model instance is built.
COLUMNS = (
    "user_id",
    "user__display_name",
    "user__email",
    "course__title",
    "modules_done",
    "completed_at",
    "enrolled_at",
    "last_completed_at",
    "refresher_due_at",
    "certificate_code",
)
# Rows fetched from the database at a time: memory stays at one chunk however many there are.
CHUNK_SIZE = 2000


def _date(value) -> str:
    return timezone.localtime(value).date().isoformat() if value else ""


def learner_record_rows(records, clock):
    """One tuple per record, in HEADINGS order. Refresher dates are the clock's (moved by any
    pause), as on the page; an overdue one is marked in the status."""
    values = records.values_list(*COLUMNS).iterator(chunk_size=CHUNK_SIZE)
    for uid, name, email, course, done, completed, enrolled, last, stored_due, code in values:
        due = refresher_date(clock, uid, last, stored_due)
        status = "In progress"
        if completed:
            status = "Completed"
            if due is not None and due <= clock.now:
                status = f"Completed, refresher overdue since {_date(due)}"
        yield (
            name,
            email,
            course,
            done,
            status,
            _date(enrolled),
            _date(last),
            _date(due),
            code or "",
        )


def _filename(organisation) -> str:
    return f"learner-records-{organisation.slug}-{timezone.localdate().isoformat()}"


def learner_records_csv(records, organisation):
    """The records as a CSV written while it is sent (one query for the pauses, one for rows)."""
    return csv_streaming_response(
        filename=f"{_filename(organisation)}.csv",
        headings=HEADINGS,
        rows=learner_record_rows(records, organisation_clock(organisation)),
    )


def filters_for_export(cleaned: dict) -> dict:
    """The page's filters as plain JSON values, for the background job."""
    course = cleaned.get("course")
    return {"course": course.pk if course else None, "status": cleaned.get("status") or ""}


def _records_for(organisation, filters: dict):
    course = None
    if filters.get("course"):
        course = CoursePage.objects.filter(pk=filters["course"]).first()
    records = learner_records(
        organisation=organisation, course=course, status=filters.get("status") or ""
    )
    if filters.get("course") and course is None:
        return records.none()  # the course asked for has gone: no rows, never every course
    return records


def learner_records_report(filters: dict, organisation) -> Report:
    """The XLSX's one sheet, built in the background from the same rows as the CSV."""
    records = _records_for(organisation, filters)
    rows = learner_record_rows(records, organisation_clock(organisation))
    return Report(
        filename=_filename(organisation),
        sheets=[("Learner records", HEADINGS, rows)],
        rows_total=records.count(),
    )


def learner_records_page_url(organisation, filters: dict) -> str:
    url = reverse("courses:learner-records", args=[organisation.slug])
    query = {key: value for key, value in filters.items() if value}
    return f"{url}?{urlencode(query)}" if query else url


REPORT_KINDS = {
    KIND: ReportKind(
        title="Learning records",
        build=learner_records_report,
        page_url=learner_records_page_url,
    )
}
