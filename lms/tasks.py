"""Background tasks for the kernel. Queue them with `lms.queue.enqueue`."""

import logging
import os
import socket
import uuid

from django.contrib.auth.tokens import default_token_generator
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from lms.effects import stale_claims
from lms.emails import absolute_url, send_email_once
from lms.erasure import erasures_due_run, person_erase
from lms.models import DataExport, Invitation, OutboxTask, SideEffect, User
from lms.queue import relay, run_scope
from lms.report_exports import report_export_build
from lms.retention import retention_apply
from lms.services import data_export_build, invitation_token

log = logging.getLogger(__name__)
PROBE_KEY_PREFIX = "probe:"


def send_invitation_email(invitation_id: int) -> None:
    """Email the current invitation link, once per link (a retried task sends nothing more).

    No row is locked while the mail server is talked to: the link is claimed by its key
    (invitation and nonce) first, so a withdraw or a resend never waits for the email."""
    invitation = (
        Invitation.objects.select_related("organisation", "invited_by")
        .filter(pk=invitation_id, accepted_at__isnull=True)
        .first()
    )
    if invitation is None or invitation.sent_nonce == invitation.nonce:
        return
    token = invitation_token(invitation=invitation)
    sent = send_email_once(
        f"email:invitation:{invitation.pk}:{invitation.nonce}",
        template="invitation",
        to=[invitation.email],
        context={
            "invitation": invitation,
            "accept_url": absolute_url(reverse("lms:invitation-accept", args=[token])),
        },
    )
    if sent:
        # Only if the link is still the one just sent (a resend may have rotated it).
        Invitation.objects.filter(pk=invitation.pk, nonce=invitation.nonce).update(
            sent_nonce=invitation.nonce
        )


def send_password_reset_email(user_id: int) -> None:
    """Email a password reset link to an active account, once for each time it was asked for
    (the key is the queued task's)."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or not user.has_usable_password():
        return
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    send_email_once(
        f"email:password_reset:{user.pk}:{run_scope()}",
        template="password_reset",
        to=[user.email],
        context={
            "user": user,
            "reset_url": absolute_url(reverse("lms:password-reset-confirm", args=[uid, token])),
        },
    )


def build_data_export(export_id: int) -> None:
    """Make a person's "Download my data" zip, then tell them it is ready (each once)."""
    data_export_build(export_id=export_id)
    send_data_export_email(export_id)


def build_report_export(export_id: int) -> None:
    """Make the spreadsheet a member of staff asked for; their page shows progress, then the
    link (safe to run twice: the file is claimed by a conditional update)."""
    report_export_build(export_id=export_id)


def send_data_export_email(export_id: int) -> None:
    """Email the person a link to their account page, once: no personal content."""
    export = (
        DataExport.objects.select_related("user")
        .filter(pk=export_id, status=DataExport.READY, emailed_at__isnull=True)
        .first()
    )
    if export is None or not export.user.is_active:
        return
    sent = send_email_once(
        f"email:data_export_ready:{export.pk}",
        template="data_export_ready",
        to=[export.user.email],
        context={
            "export": export,
            "account_url": absolute_url(reverse("lms:account")) + "#your-data",
        },
    )
    if sent:
        DataExport.objects.filter(pk=export.pk, emailed_at__isnull=True).update(
            emailed_at=timezone.now()
        )


def erase_person(erasure_id: int) -> None:
    """Carry out one due erasure (nothing happens if it was cancelled, is not yet due or is
    done already)."""
    person_erase(erasure_id=erasure_id)


def erase_due_people() -> None:
    """Scheduled hourly: queue every erasure whose grace period is over."""
    erasures_due_run()


def apply_retention() -> None:
    """Remove what is past its retention period (daily schedule; safe to run twice)."""
    retention_apply()


def relay_background_tasks() -> dict[str, int]:
    """Every minute (django-q2 schedule): hand over queued tasks the broker does not have."""
    return relay()


def report_background_work() -> dict[str, int]:
    """Nightly: say in the log what did not go as it should. A stale claim is an effect (an
    email) whose worker stopped in the middle: it may or may not have happened, and it is not
    tried again; a task given up failed TASK_MAX_HANDOVERS times."""
    claims = list(stale_claims()[:100])
    for claim in claims:
        log.warning(
            "Side effect %s was claimed at %s and never finished: it may or may not have "
            "happened, and it will not be tried again.",
            claim.key,
            claim.claimed_at.isoformat(),
        )
    given_up = OutboxTask.objects.filter(status=OutboxTask.FAILED).count()
    if given_up:
        log.error("%s background tasks were given up (status 'failed' in the outbox).", given_up)
    waiting = OutboxTask.objects.filter(status=OutboxTask.PENDING).count()
    return {"stale_claims": len(claims), "given_up": given_up, "waiting": waiting}


def record_probe(label: str) -> None:
    """A harmless task for checking a deployment: each run writes one row naming the node
    (NODE_NAME, else the host name) and process that ran it. `make two-nodes` queues many and
    counts the rows, to see that every task ran exactly once and that every cluster took some."""
    node = os.environ.get("NODE_NAME") or socket.gethostname()
    SideEffect.objects.create(
        key=f"{PROBE_KEY_PREFIX}{label}:{node}:{os.getpid()}:{uuid.uuid4().hex[:8]}",
        status=SideEffect.DONE,
        done_at=timezone.now(),
    )
