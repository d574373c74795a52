"""The audit log in the product: an organisation's admins read their organisation's events;
superusers read any organisation's, and every event at once (including those that belong to no
organisation). Anyone else gets a 404. Reading and downloading the log are audited too.

There is no view that changes or deletes an event: the log is append-only all the way down.
"""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from lms.access import get_organisation_for_role
from lms.audit import (
    EVENTS_PER_PAGE,
    audit_csv_response,
    audit_events,
    kind_choices,
    log_entries,
    people_in_log,
)
from lms.forms import AuditLogFilterForm
from lms.models import Role
from lms.policy import record_organisation_read


@login_required
@require_GET
def audit_log(request, slug):
    organisation = get_organisation_for_role(user=request.user, slug=slug, roles={Role.ORG_ADMIN})
    return _audit_log_page(request, organisation=organisation)


@login_required
@require_GET
def audit_log_all(request):
    if not request.user.is_superuser:
        raise Http404("No such page.")
    return _audit_log_page(request, organisation=None)


def _audit_log_page(request, *, organisation):
    form = AuditLogFilterForm(
        request.GET or None, people=people_in_log(organisation=organisation), kinds=kind_choices()
    )
    if form.is_bound and not form.is_valid():
        # Nothing is read until the filters make sense, so nothing is audited either.
        return _render(request, organisation, form, page=None, query="")
    filters = form.cleaned_data if form.is_bound else {}
    export = request.GET.get("export") == "csv"
    _record_reading(request, organisation, filters, export=export)
    events = audit_events(
        organisation=organisation,
        person=filters.get("person"),
        kind=filters.get("kind") or "",
        date_from=filters.get("date_from"),
        date_to=filters.get("date_to"),
    )
    if export:
        return audit_csv_response(events=events, filename=_filename(organisation))
    page = Paginator(events, EVENTS_PER_PAGE).get_page(request.GET.get("page"))
    page.object_list = log_entries(page.object_list)
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("export", None)
    return _render(request, organisation, form, page=page, query=query.urlencode())


def _render(request, organisation, form, *, page, query):
    return render(
        request,
        "lms/audit_log.html",
        {"organisation": organisation, "form": form, "page": page, "query": query},
    )


def _record_reading(request, organisation, filters, *, export: bool) -> None:
    person = filters.get("person")
    record_organisation_read(
        viewer=request.user,
        action="audit.log.exported" if export else "audit.log.read",
        organisation=organisation,
        detail={
            "person": person.pk if person else None,
            "kind": filters.get("kind") or "",
            "from": filters["date_from"].isoformat() if filters.get("date_from") else "",
            "to": filters["date_to"].isoformat() if filters.get("date_to") else "",
        },
    )


def _filename(organisation) -> str:
    where = organisation.slug if organisation else "all-organisations"
    return f"audit-log-{where}-{timezone.localdate():%Y-%m-%d}.csv"
