"""Session limits: idle timeout, absolute lifetime, and ending a person's sessions.

Every session remembers, from sign-in, when it started, when it was last used and the person's
`session_epoch`. Raising the epoch ends every session that started before, on any session
backend and without finding the sessions: the middleware signs out a session whose epoch is
behind on its next request. (A password change ends other sessions through Django's own
session hash; a deactivated account is refused by the authentication backend.)
"""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.db.models import F

from lms.models import User

SIGNED_IN_AT = "lms_signed_in_at"
LAST_SEEN = "lms_last_seen"
EPOCH = "lms_session_epoch"
# Writing the session on every request would cost a database write per page; a minute's
# precision is plenty for a 30-minute idle limit.
LAST_SEEN_PRECISION_SECONDS = 60


def session_start(sender, request, user, **kwargs):
    """On every sign-in (user_logged_in): stamp the new session."""
    now = int(time.time())
    request.session[SIGNED_IN_AT] = now
    request.session[LAST_SEEN] = now
    request.session[EPOCH] = user.session_epoch


def user_sessions_end(*, user: User) -> None:
    """End every session of this person, wherever they are signed in."""
    User.objects.filter(pk=user.pk).update(session_epoch=F("session_epoch") + 1)
    user.refresh_from_db(fields=["session_epoch"])


def other_sessions_end(*, request) -> None:
    """End every session of the signed-in person except this one."""
    user_sessions_end(user=request.user)
    request.session[EPOCH] = request.user.session_epoch


def _why_ended(session, user, now: int) -> str | None:
    if session.get(EPOCH) != user.session_epoch:
        return "You have been signed out. Sign in again to carry on."
    if now - session.get(SIGNED_IN_AT, 0) > settings.SESSION_MAX_HOURS * 3600:
        return (
            f"You have been signed out because you signed in more than "
            f"{settings.SESSION_MAX_HOURS} hours ago. Sign in again to carry on."
        )
    if now - session.get(LAST_SEEN, 0) > settings.SESSION_IDLE_MINUTES * 60:
        return (
            f"You have been signed out because you had not used Peer Pathways for "
            f"{settings.SESSION_IDLE_MINUTES} minutes. Sign in again to carry on."
        )
    return None


class SessionLimitsMiddleware:
    """Signs out a session that is idle too long, too old, or ended elsewhere, and says why.
    The request then goes on as someone signed out, so private pages ask them to sign in.
    Must sit after AuthenticationMiddleware and MessageMiddleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            self._check(request, user)
        return self.get_response(request)

    def _check(self, request, user) -> None:
        now = int(time.time())
        reason = _why_ended(request.session, user, now)
        if reason:
            logout(request)
            messages.info(request, reason)
        elif now - request.session.get(LAST_SEEN, 0) >= LAST_SEEN_PRECISION_SECONDS:
            request.session[LAST_SEEN] = now
