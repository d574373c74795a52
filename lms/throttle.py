"""Rate limits for forms that do not sign anyone in (password reset, invitation sign-up, page
passwords). Counted in the database, so a limit holds across processes and machines, on SQLite
and PostgreSQL alike; django-axes does the same job for signing in."""

import hashlib
from datetime import timedelta

from django.db import connection, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from lms.models import ThrottleHit


def _hashed(value: str) -> str:
    # Keyed, so the stored value cannot be turned back into an email address by guessing.
    return salted_hmac("lms.throttle", value.strip().lower(), algorithm="sha256").hexdigest()


def _take_turns(scope: str, key: str) -> None:
    """Requests counting the same thing at the same moment count one after another, so twenty
    at once cannot all see the count below the limit. PostgreSQL: a lock on the (scope, key)
    pair until the transaction ends; SQLite's IMMEDIATE transactions already let one writer in
    at a time."""
    if connection.vendor == "postgresql":
        digest = hashlib.sha256(f"{scope}|{key}".encode()).digest()
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s)", [int.from_bytes(digest[:8], "big", signed=True)]
            )


@transaction.atomic
def throttle_hit(*, scope: str, value: str, limit: int, window: timedelta) -> bool:
    """Count one request for `value` in `scope`; False when `limit` were already counted within
    `window` (the refused request is not counted, so the wait never grows)."""
    key = _hashed(value)
    _take_turns(scope, key)
    since = timezone.now() - window
    # Rows older than the window are never needed again, whoever they were for.
    ThrottleHit.objects.filter(scope=scope, created_at__lt=since).delete()
    if ThrottleHit.objects.filter(scope=scope, key=key).count() >= limit:
        return False
    ThrottleHit.objects.create(scope=scope, key=key)
    return True


def throttle_clear(*, scope: str, value: str) -> None:
    """Forget the requests counted for `value` in `scope`."""
    ThrottleHit.objects.filter(scope=scope, key=_hashed(value)).delete()
