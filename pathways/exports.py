"""CSV and XLSX exports of the readiness page. The CSV is the people table as filtered on
screen, streamed from the request; the XLSX adds a sheet for each summary on the page and is a
report export made in the background (lms.report_exports, registered in
pathways/wagtail_hooks.py)."""

from urllib.parse import urlencode

from django.urls import reverse
from django.utils import timezone

from lms.report_exports import Report, ReportKind
from lms.spreadsheets import csv_streaming_response
from pathways.readiness_selectors import kept_readiness, readiness_export_rows

FORMATS = {"csv", "xlsx"}
KIND = "readiness"
PEOPLE_HEADINGS = [
    "Name",
    "Email",
    "Roles",
    "Pathway",
    "Stage",
    "Working towards",
    "Requirements met",
    "Ready to progress",
    "Paused",
    "Next steps",
]


def filters_for_export(cleaned: dict) -> dict:
    """The page's filters as plain JSON values, for the background job."""
    return {
        "stage": getattr(cleaned.get("stage"), "pk", None),
        "pathway": getattr(cleaned.get("pathway"), "pk", None),
        "role": cleaned.get("role") or "",
    }


def _figures(organisation, filters: dict, now=None):
    return kept_readiness(
        organisation=organisation,
        stage_id=filters.get("stage"),
        pathway_id=filters.get("pathway"),
        role=filters.get("role") or None,
        now=now,
    )


def people_rows_for(organisation, filters: dict, *, now=None):
    """The people table's rows (tuples in PEOPLE_HEADINGS order) for `filters` (as made by
    `filters_for_export`), streamed from the kept readiness rows: the one place both exports
    get their people from."""
    return readiness_export_rows(
        organisation=organisation,
        stage_id=filters.get("stage"),
        role=filters.get("role") or None,
        pathway_id=filters.get("pathway"),
        now=now,
    )


def _date(value) -> str:
    return timezone.localtime(value).date().isoformat()


def _summary_sheets(figures):
    """The page's summaries in full (the page shows the first of each list), read lazily."""
    yield "Headcount by stage", ["Stage", "People"], figures.headcount
    yield (
        "Ready to progress",
        ["Name", "From", "To"],
        (
            [p.user.display_name, p.stage.title if p.stage else "", p.next_stage.title]
            for p in figures.ready_listed()
        ),
    )
    yield (
        "Gaps",
        ["Working towards", "Requirement", "Not met", "Of"],
        [[g.stage.title, g.description, g.not_met, g.of] for g in figures.gaps],
    )
    yield (
        "Expiring",
        ["Name", "Requirement", "Expires", "Within days"],
        (
            [e.user.display_name, e.description, _date(e.expires_at), e.within_days]
            for e in figures.expiring_listed()
        ),
    )


def _filename(organisation) -> str:
    return f"readiness-{organisation.slug}-{timezone.localdate().isoformat()}"


def readiness_csv(organisation, filters: dict):
    """The people table as a CSV written while it is sent."""
    return csv_streaming_response(
        filename=f"{_filename(organisation)}.csv",
        headings=PEOPLE_HEADINGS,
        rows=people_rows_for(organisation, filters),
    )


def readiness_report(filters: dict, organisation) -> Report:
    """The XLSX, built in the background from the kept rows: a sheet for each summary, then
    the people."""
    figures = _figures(organisation, filters)
    total = (
        len(figures.headcount)
        + figures.ready_count
        + len(figures.gaps)
        + figures.expiring_count
        + figures.people_count
    )
    sheets = [
        *_summary_sheets(figures),
        ("People", PEOPLE_HEADINGS, people_rows_for(organisation, filters)),
    ]
    return Report(filename=_filename(organisation), sheets=sheets, rows_total=total)


def readiness_page_url(organisation, filters: dict) -> str:
    url = reverse("pathways:readiness", args=[organisation.slug])
    query = {key: value for key, value in filters.items() if value}
    return f"{url}?{urlencode(query)}" if query else url


REPORT_KINDS = {
    KIND: ReportKind(
        title="Workforce readiness", build=readiness_report, page_url=readiness_page_url
    )
}
