"""Side effects that happen once: idempotency keys checked in the database (`SideEffect`).

A background task may run twice: the broker hands it out again when a worker dies, and the
outbox relay (lms.queue) hands over again a task that did not finish. So every effect a task has
on the world outside the database (an email) is named by a key, and

1. the key is claimed by inserting its row in a short transaction of its own, which commits
   before anything leaves the building (a second claim hits the unique key and does nothing);
2. the network I/O happens with no transaction open and no row lock held;
3. the key is marked done.

If the I/O raises, the key is released so that a retry may try again (the server refused, so
nothing went). If the worker is killed between 1 and 3, the key stays claimed: whether the email
left is unknown, and it is never sent again (at most once for I/O whose outcome is unknown).
`stale_claims` lists such keys for the nightly check (`lms.tasks.report_background_work`).

Writes to the database need no key of their own when they are claimed by a conditional update
in the same transaction (for example `status=pending` → `ready`): the row's own state is then
the key.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import get_connection
from django.db import IntegrityError, transaction
from django.utils import timezone

from lms.models import SideEffect

log = logging.getLogger(__name__)


def claim(key: str) -> bool:
    """Claim `key`; True if this caller now owns the effect, False if it was claimed before."""
    try:
        # Its own transaction when the task runs (autocommit), so the claim is committed and
        # visible to every other worker before the effect starts.
        with transaction.atomic():
            SideEffect.objects.create(key=key)
    except IntegrityError:
        return False
    return True


def mark_done(key: str) -> None:
    SideEffect.objects.filter(key=key).update(status=SideEffect.DONE, done_at=timezone.now())


def release(key: str) -> None:
    SideEffect.objects.filter(key=key, status=SideEffect.CLAIMED).delete()


def is_done(key: str) -> bool:
    return SideEffect.objects.filter(key=key, status=SideEffect.DONE).exists()


def send_once(key: str, message) -> bool:
    """Send one EmailMessage at most once for `key`. True when it has gone (now or before)."""
    if SideEffect.objects.filter(key=key).exists():
        return is_done(key)
    connection = get_connection()
    # Connect (and sign in to the mail server) before claiming: a failure here sends nothing
    # and leaves the key free for the retry.
    connection.open()
    try:
        if not claim(key):
            return is_done(key)
        try:
            connection.send_messages([message])
        except TimeoutError:
            # The server may or may not have taken it: keep the claim (never twice).
            log.error("Sending %s timed out; it may or may not have gone. Not retried.", key)
            raise
        except Exception:
            release(key)
            raise
        mark_done(key)
        return True
    finally:
        connection.close()


def stale_claims(now=None):
    """Keys claimed but not done for longer than a task may run: their outcome is unknown."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.TASK_STALE_CLAIM_SECONDS)
    return SideEffect.objects.filter(status=SideEffect.CLAIMED, claimed_at__lt=cutoff).order_by(
        "claimed_at"
    )
