"""Background tasks for the kernel. Queue them with `lms.queue.enqueue`."""

from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from lms.emails import absolute_url, send_templated_email
from lms.erasure import erasures_due_run, person_erase
from lms.models import DataExport, Invitation, User
from lms.retention import retention_apply
from lms.services import data_export_build, invitation_token


def send_invitation_email(invitation_id: int) -> None:
    """Email the current invitation link, once per link (a retried task sends nothing more)."""
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update(of=("self",))
            .select_related("organisation", "invited_by")
            .filter(pk=invitation_id, accepted_at__isnull=True)
            .first()
        )
        if invitation is None or invitation.sent_nonce == invitation.nonce:
            return
        token = invitation_token(invitation=invitation)
        send_templated_email(
            template="invitation",
            to=[invitation.email],
            context={
                "invitation": invitation,
                "accept_url": absolute_url(reverse("lms:invitation-accept", args=[token])),
            },
        )
        invitation.sent_nonce = invitation.nonce
        invitation.save(update_fields=["sent_nonce"])


def send_password_reset_email(user_id: int) -> None:
    """Email a password reset link to an active account."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or not user.has_usable_password():
        return
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    send_templated_email(
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


def send_data_export_email(export_id: int) -> None:
    """Email the person a link to their account page, once: no personal content."""
    with transaction.atomic():
        export = (
            DataExport.objects.select_for_update(of=("self",))
            .select_related("user")
            .filter(pk=export_id, status=DataExport.READY, emailed_at__isnull=True)
            .first()
        )
        if export is None or not export.user.is_active:
            return
        send_templated_email(
            template="data_export_ready",
            to=[export.user.email],
            context={
                "export": export,
                "account_url": absolute_url(reverse("lms:account")) + "#your-data",
            },
        )
        export.emailed_at = timezone.now()
        export.save(update_fields=["emailed_at"])


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
