"""CSV and XLSX exports of the readiness page. The CSV is the people table as filtered on
screen; the XLSX adds a sheet for each summary on the page."""

import csv

from django.http import HttpResponse
from django.utils import timezone
from openpyxl import Workbook

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


def _safe(row):
    """Stop a spreadsheet treating a cell that starts with = + - or @ as a formula."""
    return [
        f"'{cell}" if isinstance(cell, str) and cell and cell[0] in "=+-@" else cell for cell in row
    ]


def people_rows(readiness):
    for person in readiness.people:
        met = sum(1 for r in person.next_requirements if r.status.met)
        yield _safe(
            [
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
        )


def _sheets(readiness):
    yield "Headcount by stage", ["Stage", "People"], [_safe(row) for row in readiness.headcount]
    yield (
        "Ready to progress",
        ["Name", "From", "To"],
        [_safe([p.user.display_name, p.stage.title, p.next_stage.title]) for p in readiness.ready],
    )
    yield (
        "Gaps",
        ["Working towards", "Requirement", "Not met", "Of"],
        [_safe([g.stage.title, g.description, g.not_met, g.of]) for g in readiness.gaps],
    )
    yield (
        "Expiring",
        ["Name", "Requirement", "Expires", "Within days"],
        [
            _safe(
                [
                    e.person.user.display_name,
                    e.description,
                    timezone.localtime(e.expires_at).date().isoformat(),
                    e.within_days,
                ]
            )
            for e in readiness.expiring
        ],
    )
    yield "People", PEOPLE_HEADINGS, list(people_rows(readiness))


def readiness_response(readiness, export_format: str) -> HttpResponse:
    stamp = timezone.localdate().isoformat()
    filename = f"readiness-{readiness.organisation.slug}-{stamp}.{export_format}"
    if export_format == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        writer = csv.writer(response)
        writer.writerow(PEOPLE_HEADINGS)
        writer.writerows(people_rows(readiness))
    else:
        workbook = Workbook(write_only=True)
        for title, headings, rows in _sheets(readiness):
            sheet = workbook.create_sheet(title)
            sheet.append(headings)
            for row in rows:
                sheet.append(list(row))
        response = HttpResponse(
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        workbook.save(response)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
