"""The pages of a report export: its progress, then its download (lms.report_exports).

Both are for the person who asked only, and only while they hold a staff role in the
organisation today: anyone else, another organisation, or the same person after their role
ended gets a 404."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render

from lms.access import get_organisation_for_role
from lms.report_exports import (
    get_report_export_for_requester,
    report_export_downloaded,
    report_export_request,
    report_kind,
)
from lms.spreadsheets import XLSX_TYPE
from lms.uploads import private_file_response

# How often the progress page asks again while the file is being made (no script needed).
REFRESH_SECONDS = 3


def report_export_start(request, organisation, kind: str, filters: dict):
    """For an app's page that offers a spreadsheet: ask for it to be made in the background and
    send the person to its progress page (asking again while it is being made leads to the
    same one). The caller has checked the person's staff role in `organisation`."""
    export, _ = report_export_request(
        user=request.user, organisation=organisation, kind=kind, filters=filters
    )
    return redirect("lms:report-export", slug=organisation.slug, pk=export.pk)


def spreadsheet_asked(request) -> bool:
    """Whether the person asked for the page's spreadsheet: a POST from the page's button
    (`includes/spreadsheet_request.html`), which carries the page's filters. Only a POST: it
    starts a job, so a GET (a prefetch, an old bookmark with `?export=xlsx`) shows the page."""
    return request.method == "POST" and request.POST.get("export") == "xlsx"


def filter_pairs(query) -> list[tuple[str, str]]:
    """The page's filters (a QueryDict without its page and export) as the (name, value) pairs
    the spreadsheet button posts back."""
    return [(name, value) for name, values in query.lists() for value in values]


def _export_for(request, slug, pk):
    organisation = get_organisation_for_role(user=request.user, slug=slug)
    return get_report_export_for_requester(user=request.user, organisation=organisation, pk=pk)


@login_required
def report_export_status(request, slug, pk):
    export = _export_for(request, slug, pk)
    kind = report_kind(export.kind)
    response = render(
        request,
        "lms/report_export.html",
        {
            "export": export,
            "organisation": export.organisation,
            "title": kind.title,
            "back_url": kind.page_url(export.organisation, export.filters),
        },
    )
    if export.status in export.IN_PROGRESS:
        # The browser asks again by itself (the HTTP form of <meta http-equiv="refresh">), so
        # the progress moves on with no script; it stops once the file is ready or failed.
        response["Refresh"] = str(REFRESH_SECONDS)
    return response


@login_required
def report_export_download(request, slug, pk):
    export = _export_for(request, slug, pk)
    if export.status != export.READY:
        raise Http404("This download is not ready.")
    if not export.can_download:
        kind = report_kind(export.kind)
        return render(
            request,
            "lms/report_export_expired.html",
            {
                "export": export,
                "title": kind.title,
                "back_url": kind.page_url(export.organisation, export.filters),
            },
            status=410,
        )
    report_export_downloaded(export=export)
    return private_file_response(export.file, filename=export.filename, content_type=XLSX_TYPE)
