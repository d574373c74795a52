"""Background tasks for the kernel. Queue them with `lms.queue.enqueue`."""

from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from lms.emails import absolute_url, send_templated_email
from lms.models import Invitation, User
from lms.retention import retention_apply
from lms.services import invitation_token


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


def apply_retention() -> None:
    """Remove what is past its retention period (daily schedule; safe to run twice)."""
    retention_apply()
