"""Removing records that are past their retention period (docs/privacy.md, "How long records
are kept").

`retention_apply` runs every day (`lms.tasks.apply_retention`, scheduled by
lms/migrations/0012_retention_schedule.py). The kernel knows only its own records; each app adds
its rules through the Wagtail hook `retention_sweep`: `fn(now) -> dict[str, int]`, a plain
description of a kind of record ("closed concerns") and how many were removed. Each rule removes
only what is past its period, so a second run removes nothing more.

A new kind of record that expires (an app's stored exports, for example) plugs in the same way:
register a `retention_sweep` hook in that app's wagtail_hooks.py.
"""

import logging
from datetime import datetime, timedelta
from importlib import import_module

from django.conf import settings
from django.utils import timezone
from django_q.models import Task
from wagtail import hooks

from lms.models import DataExport, Invitation, OutboxTask, SideEffect
from lms.report_exports import report_export_files_remove_expired
from lms.submissions import submission_claims_remove_old

logger = logging.getLogger(__name__)


def retention_apply(*, now: datetime | None = None) -> dict[str, int]:
    """Run every app's retention rules; log and return how many of each kind were removed."""
    now = now or timezone.now()
    removed: dict[str, int] = {}
    for sweep in hooks.get_hooks("retention_sweep"):
        for kind, count in sweep(now).items():
            removed[kind] = removed.get(kind, 0) + count
    # Counts and the kinds' fixed names only: never a name, an email or anyone's words.
    summary = ", ".join(f"{count} {kind}" for kind, count in removed.items()) or "nothing"
    logger.info("retention: removed %s", summary)
    return removed


def kernel_retention_sweep(now: datetime) -> dict[str, int]:
    """The kernel's own rules: old invitations, old task results, expired sessions."""
    return {
        "expired invitations": invitations_remove_expired(now=now),
        "background task results": task_results_remove_old(now=now),
        "expired sign-in sessions": sessions_remove_expired(now=now),
        "expired data export files": data_export_files_remove_expired(now=now),
        "expired report export files": report_export_files_remove_expired(now=now),
        "used form submission tokens": submission_claims_remove_old(now=now),
    }


def data_export_files_remove_expired(*, now: datetime) -> int:
    """ "Download my data" zips past their download period: the file goes (it holds everything
    about a person); the row stays as the record that it was made."""
    removed = 0
    for export in DataExport.objects.filter(expires_at__lt=now).exclude(file=""):
        export.file.delete(save=False)
        DataExport.objects.filter(pk=export.pk).update(file="")
        removed += 1
    return removed


def invitations_remove_expired(*, now: datetime) -> int:
    """Invitations nobody accepted, once they expired more than the retention period ago.
    (Withdrawn ones are deleted when withdrawn; accepted ones are the record of who joined.)"""
    cutoff = now - timedelta(days=settings.INVITATION_RETENTION_DAYS)
    removed, _ = Invitation.objects.filter(accepted_at__isnull=True, expires_at__lt=cutoff).delete()
    return removed


def task_results_remove_old(*, now: datetime) -> int:
    """django-q2's record of finished tasks (successes and failures): ids, kept a short while to
    find faults."""
    cutoff = now - timedelta(days=settings.TASK_RESULT_RETENTION_DAYS)
    removed, _ = Task.objects.filter(stopped__lt=cutoff).delete()
    # With them, the outbox rows of tasks done and the keys of effects done that long ago (a
    # key still claimed stays, for the nightly report).
    outbox, _ = OutboxTask.objects.filter(status=OutboxTask.DONE, done_at__lt=cutoff).delete()
    keys, _ = SideEffect.objects.filter(status=SideEffect.DONE, done_at__lt=cutoff).delete()
    return removed + outbox + keys


def sessions_remove_expired(*, now: datetime) -> int:
    """What `manage.py clearsessions` does, counted for database sessions."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    if hasattr(store, "get_model_class"):
        removed, _ = store.get_model_class().objects.filter(expire_date__lt=now).delete()
        return removed
    # Cache and cookie sessions expire by themselves; this is a no-op for them.
    store.clear_expired()
    return 0
