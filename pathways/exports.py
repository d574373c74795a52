"""CSV and XLSX exports of the readiness page. The CSV is the people table as filtered on
screen; the XLSX adds a sheet for each summary on the page."""

from django.utils import timezone

from lms.spreadsheets import csv_response, xlsx_response

FORMATS = {"csv", "xlsx"}
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
    for person in readiness.people:
        met = sum(1 for r in person.next_requirements if r.status.met)
        yield [
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
        ]


def _sheets(readiness):
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
    yield "People", PEOPLE_HEADINGS, people_rows(readiness)


def readiness_response(readiness, export_format: str):
    filename = f"readiness-{readiness.organisation.slug}-{timezone.localdate().isoformat()}"
    if export_format == "csv":
        return csv_response(
            filename=f"{filename}.csv", headings=PEOPLE_HEADINGS, rows=people_rows(readiness)
        )
    return xlsx_response(filename=f"{filename}.xlsx", sheets=_sheets(readiness))
