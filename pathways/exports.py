"""CSV and XLSX exports of the readiness page. The CSV is the people table as filtered on
screen, streamed from the request; the XLSX adds a sheet for each summary on the page and is a
report export made in the background (lms.report_exports, registered in
pathways/wagtail_hooks.py)."""

from urllib.parse import urlencode

from django.urls import reverse
from django.utils import timezone

from lms.report_exports import Report, ReportKind
from lms.spreadsheets import csv_streaming_response
from pathways.selectors import readiness_for_organisation

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


def people_rows(readiness):
    """One tuple per person of an evaluated readiness, in PEOPLE_HEADINGS order."""
    for person in readiness.people:
        met = sum(1 for r in person.next_requirements if r.status.met)
        yield (
            person.user.display_name,
            person.user.email,
            ", ".join(sorted(person.roles)),
            person.membership.pathway.name if person.membership else "",
            person.stage.title if person.stage else "Not on a pathway yet",
            person.next_stage.title if person.next_stage else "",
            f"{met} of {len(person.next_requirements)}" if person.next_stage else "",
            "Yes" if person.ready else "No",
            "Paused" if person.paused else "",
            "; ".join(
                r.status.next_step
                for r in person.next_requirements
                if not r.status.met and r.status.next_step
            ),
        )


def filters_for_export(cleaned: dict) -> dict:
    """The page's filters as plain JSON values, for the background job."""
    return {
        "stage": getattr(cleaned.get("stage"), "pk", None),
        "pathway": getattr(cleaned.get("pathway"), "pk", None),
        "role": cleaned.get("role") or "",
    }


def _readiness(organisation, filters: dict, now=None):
    return readiness_for_organisation(
        organisation=organisation,
        stage_id=filters.get("stage"),
        pathway_id=filters.get("pathway"),
        role=filters.get("role") or None,
        now=now,
    )


def people_rows_for(organisation, filters: dict, *, now=None):
    """The people table's rows (tuples in PEOPLE_HEADINGS order) for `filters` (as made by
    `filters_for_export`), read lazily: the work starts when the first row is asked for.

    The one place both exports get their people from. Today it evaluates readiness in full;
    once kept readiness rows exist, this body becomes
    `yield from readiness_export_rows(organisation=organisation, stage_id=filters.get("stage"),
    role=filters.get("role") or None, pathway_id=filters.get("pathway"), now=now)`."""
    yield from people_rows(_readiness(organisation, filters, now))


def _summary_sheets(readiness):
    yield "Headcount by stage", ["Stage", "People"], readiness.headcount
    yield (
        "Ready to progress",
        ["Name", "From", "To"],
        [[p.user.display_name, p.stage.title, p.next_stage.title] for p in readiness.ready],
    )
    yield (
        "Gaps",
        ["Working towards", "Requirement", "Not met", "Of"],
        [[g.stage.title, g.description, g.not_met, g.of] for g in readiness.gaps],
    )
    yield (
        "Expiring",
        ["Name", "Requirement", "Expires", "Within days"],
        [
            [
                e.person.user.display_name,
                e.description,
                timezone.localtime(e.expires_at).date().isoformat(),
                e.within_days,
            ]
            for e in readiness.expiring
        ],
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
    """The XLSX, built in the background: a sheet for each summary, then the people."""
    readiness = _readiness(organisation, filters)
    summaries = list(_summary_sheets(readiness))
    total = sum(len(rows) for _, _, rows in summaries) + len(readiness.people)
    sheets = [*summaries, ("People", PEOPLE_HEADINGS, people_rows_for(organisation, filters))]
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
