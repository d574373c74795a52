"""Spreadsheets of an organisation's records, made in the background ("report exports").

A staff page that offers an XLSX asks for one with `report_export_request`; the person is sent
to a page that shows its progress, then a download link. The work runs in a django-q2 task
(`lms.tasks.build_report_export`, ids only) that writes the workbook in openpyxl's write-only
mode into private storage, so no request ever builds a large file.

The kernel does not know what a report holds. Each app says, through the Wagtail hook
`report_exports`, which kinds it offers: `fn() -> dict[str, ReportKind]`, where a kind's `build`
turns the filters (plain JSON values, as the page had them) and the organisation into a
`Report`. Courses registers "learner_records", pathways "readiness".
"""

import hashlib
import json
import secrets
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.files import File
from django.db import IntegrityError, transaction
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from wagtail import hooks

from lms.models import STAFF_ROLES, Membership, Organisation, ReportExport, User
from lms.queue import enqueue
from lms.selectors import user_roles_in
from lms.services import audit_record
from lms.spreadsheets import xlsx_write

PROGRESS_EVERY_ROWS = 1000
GIVEN_UP_AFTER = timedelta(hours=1)  # far longer than any export takes to build


@dataclass(frozen=True)
class Report:
    """What a kind's `build` answers: the file's name (without ".xlsx"), its sheets as
    (title, headings, rows) with rows read lazily, and how many rows there will be if known
    (for the progress bar)."""

    filename: str
    sheets: Iterable
    rows_total: int | None = None


@dataclass(frozen=True)
class ReportKind:
    """One kind of report an app offers: its title for people, how to build it, and the page
    it was asked for from (for the link back)."""

    title: str
    build: Callable[[dict, Organisation], Report]
    page_url: Callable[[Organisation, dict], str]


def report_kinds() -> dict[str, ReportKind]:
    """Every kind registered through the `report_exports` hook."""
    kinds: dict[str, ReportKind] = {}
    for hook in hooks.get_hooks("report_exports"):
        kinds.update(hook())
    return kinds


def report_kind(kind: str) -> ReportKind:
    try:
        return report_kinds()[kind]
    except KeyError:
        raise ValueError(f"No report export of kind {kind!r} is registered.") from None


def filters_key(kind: str, filters: dict) -> str:
    """The same kind and filters, in whatever order they came, give the same key."""
    text = json.dumps([kind, filters], sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


# --- Writes -------------------------------------------------------------------------------------


def report_export_request(
    *, user: User, organisation: Organisation, kind: str, filters: dict
) -> tuple[ReportExport, bool]:
    """Ask for a report; it is built in the background. While the same person's report of the
    same kind and filters is waiting or being made, asking again answers with that one."""
    report_kind(kind)  # an unknown kind fails here, in the request, not later in a worker
    key = filters_key(kind, filters)
    mine = ReportExport.objects.filter(
        requested_by=user, organisation=organisation, filters_key=key
    )
    # One whose task was given up would otherwise answer every later click with its progress
    # page for good: after an hour it counts as not made, and a new one is started.
    mine.filter(
        status__in=ReportExport.IN_PROGRESS, created_at__lt=timezone.now() - GIVEN_UP_AFTER
    ).update(status=ReportExport.FAILED, finished_at=timezone.now())
    existing = mine.filter(status__in=ReportExport.IN_PROGRESS).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            export = ReportExport.objects.create(
                requested_by=user,
                organisation=organisation,
                kind=kind,
                filters=filters,
                filters_key=key,
            )
            enqueue("lms.tasks.build_report_export", export.pk)
    except IntegrityError:
        # A concurrent click made it first; that one stands.
        return mine.get(status__in=ReportExport.IN_PROGRESS), False
    return export, True


def report_export_build(*, export_id: int) -> ReportExport | None:
    """Make the file for a report that is waiting (or whose earlier run stopped part way).

    The workbook is written outside any transaction into a temporary file, then saved to
    private storage and claimed by a conditional update, so two runs of the task leave one
    file. A person who no longer holds a staff role gets no file made."""
    export = ReportExport.objects.select_related("organisation", "requested_by").get(pk=export_id)
    if export.status not in ReportExport.IN_PROGRESS:
        return export
    if not _still_staff(export.requested_by, export.organisation):
        _mark_failed(export)
        return ReportExport.objects.get(pk=export.pk)
    ReportExport.objects.filter(pk=export.pk, status__in=ReportExport.IN_PROGRESS).update(
        status=ReportExport.RUNNING, rows_done=0
    )
    try:
        path, filename = _write_file(export)
    except Exception:
        # The person sees "could not be made" and may ask again; the error still reaches the
        # outbox row and django-q2's record of failed tasks.
        _mark_failed(export)
        raise
    now = timezone.now()
    claimed = ReportExport.objects.filter(pk=export.pk, status=ReportExport.RUNNING).update(
        status=ReportExport.READY,
        file=path,
        filename=filename,
        finished_at=now,
        expires_at=now + timedelta(hours=settings.REPORT_EXPORT_VALID_HOURS),
    )
    if not claimed:
        _storage().delete(path)  # another run finished first; its file stands
    return ReportExport.objects.get(pk=export.pk)


def _write_file(export: ReportExport) -> tuple[str, str]:
    report = report_kind(export.kind).build(export.filters, export.organisation)
    rows = ReportExport.objects.filter(pk=export.pk, status=ReportExport.RUNNING)
    rows.update(rows_total=report.rows_total)

    def progress(done: int) -> None:
        rows.update(rows_done=done)

    with tempfile.TemporaryFile() as out:
        xlsx_write(out, report.sheets, progress=progress, every=PROGRESS_EVERY_ROWS)
        out.seek(0)
        path = _storage().save(f"report-exports/{secrets.token_urlsafe(24)}.xlsx", File(out))
    return path, f"{report.filename}.xlsx"


def _mark_failed(export: ReportExport) -> None:
    ReportExport.objects.filter(pk=export.pk, status__in=ReportExport.IN_PROGRESS).update(
        status=ReportExport.FAILED, finished_at=timezone.now()
    )


def _storage():
    return ReportExport._meta.get_field("file").storage


def report_export_downloaded(*, export: ReportExport) -> ReportExport:
    """Record a download of the file (each one is audited)."""
    export.downloaded_at = timezone.now()
    ReportExport.objects.filter(pk=export.pk).update(downloaded_at=export.downloaded_at)
    audit_record(
        actor=export.requested_by,
        action="lms.report_export.downloaded",
        subject=export,
        organisation=export.organisation,
        detail={"kind": export.kind, "filters": export.filters},
    )
    return export


def report_export_files_remove_expired(*, now) -> int:
    """Files past their download period go (they list people); the row stays as the record
    that the report was made."""
    removed = 0
    for export in ReportExport.objects.filter(expires_at__lt=now).exclude(file=""):
        export.file.delete(save=False)
        ReportExport.objects.filter(pk=export.pk).update(file="")
        removed += 1
    return removed


def report_export_files_remove_listing(person: User) -> None:
    """The `data_erase` part for report exports: spreadsheets made for any organisation the
    person belongs or belonged to may list them, so their files go now rather than at expiry
    (the rows stay, marked expired)."""
    organisations = Membership.objects.filter(user=person).values("organisation_id")
    now = timezone.now()
    # One still being made would save its file, with the person's name, after this: marked
    # failed, its run cannot claim the file (report_export_build) and deletes it.
    ReportExport.objects.filter(
        organisation_id__in=organisations, status__in=ReportExport.IN_PROGRESS
    ).update(status=ReportExport.FAILED, finished_at=now)
    listing = ReportExport.objects.filter(organisation_id__in=organisations).exclude(file="")
    for export in listing:
        export.file.delete(save=False)
        ReportExport.objects.filter(pk=export.pk).update(file="", expires_at=now)


# --- Reads --------------------------------------------------------------------------------------


def _still_staff(user: User, organisation: Organisation) -> bool:
    return user.is_superuser or bool(
        user_roles_in(user=user, organisation=organisation) & STAFF_ROLES
    )


def get_report_export_for_requester(
    *, user: User, organisation: Organisation, pk: int
) -> ReportExport:
    """A report the person asked for in this organisation. Anyone else's, another
    organisation's, or one whose kind is no longer offered is a 404 (the caller has already
    checked that the person holds a staff role there today)."""
    export = get_object_or_404(
        ReportExport.objects.select_related("organisation", "requested_by"),
        pk=pk,
        requested_by=user,
        organisation=organisation,
    )
    if export.kind not in report_kinds():
        raise Http404("No such report.")
    return export
