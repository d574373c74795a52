"""No task holds a row lock while it talks to the mail server: withdrawing an invitation while
its email is being sent goes through at once (issue 11: a withdraw waited 58 s, then 500).

PostgreSQL only: the other connection must be able to wait on a row lock (with a short
lock_timeout, so that a lock held across the send fails the test instead of hanging it)."""

import threading

import pytest
from django.core.mail.backends.locmem import EmailBackend
from django.db import connection, connections

from lms.models import AuditEvent, Invitation
from lms.services import invitation_withdraw
from lms.tasks import send_invitation_email
from tests.factories import InvitationFactory

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks are PostgreSQL's (SQLite locks all)"
    ),
]

WHILE_SENDING = {}


class WithdrawWhileSending(EmailBackend):
    """A mail server that takes its time: while "sending", someone withdraws the invitation
    from another connection, with a 2-second lock timeout."""

    def send_messages(self, messages):
        def withdraw():
            try:
                with connections["default"].cursor() as cursor:
                    cursor.execute("SET lock_timeout = '2s'")
                invitation_withdraw(
                    invitation=Invitation.objects.get(pk=WHILE_SENDING["invitation"]),
                    by=WHILE_SENDING["by"],
                )
                WHILE_SENDING["withdrawn"] = True
            except Exception as error:
                WHILE_SENDING["error"] = error
            finally:
                connections.close_all()

        other = threading.Thread(target=withdraw)
        other.start()
        other.join(timeout=20)
        assert not other.is_alive(), "the withdraw is still waiting"
        return super().send_messages(messages)


def test_an_invitation_can_be_withdrawn_while_its_email_is_being_sent(
    personas, settings, mailoutbox
):
    settings.EMAIL_BACKEND = f"{__name__}.WithdrawWhileSending"
    invitation = InvitationFactory(organisation=personas.home, invited_by=personas.coordinator)
    WHILE_SENDING.clear()
    WHILE_SENDING.update(invitation=invitation.pk, by=personas.coordinator)

    send_invitation_email(invitation.pk)

    assert WHILE_SENDING.get("error") is None, WHILE_SENDING.get("error")
    assert WHILE_SENDING.get("withdrawn") is True
    assert not Invitation.objects.filter(pk=invitation.pk).exists()
    assert AuditEvent.objects.filter(action="invitation.withdrawn").count() == 1
    assert len(mailoutbox) == 1  # it was already on its way; the link no longer works
