"""The sign-in between the password and the code. The person is not signed in yet: the session
holds only who passed the password, where they were going, when, and how many wrong codes they
have tried. Nothing secret is kept."""

import time
from dataclasses import dataclass

from django.conf import settings
from django.shortcuts import resolve_url

from lms.bad_input import safe_next_url
from lms.models import User

SESSION_KEY = "two_factor_pending"


@dataclass(frozen=True)
class PendingSignIn:
    user: User
    backend: str
    next_url: str
    attempts: int


def pending_start(request, *, user: User, next_url: str) -> None:
    request.session[SESSION_KEY] = {
        "user_id": user.pk,
        "backend": user.backend,
        "next": next_url,
        "started": int(time.time()),
        "attempts": 0,
    }


def pending_clear(request) -> None:
    request.session.pop(SESSION_KEY, None)


def pending_get(request) -> PendingSignIn | None:
    """The sign-in waiting for its code, or None when there is none or it took too long."""
    state = request.session.get(SESSION_KEY)
    if not state:
        return None
    if time.time() - state["started"] > settings.TWO_FACTOR_CODE_STEP_SECONDS:
        pending_clear(request)
        return None
    user = User.objects.filter(pk=state["user_id"], is_active=True).first()
    if user is None:
        pending_clear(request)
        return None
    return PendingSignIn(
        user=user, backend=state["backend"], next_url=state["next"], attempts=state["attempts"]
    )


def pending_count_wrong_code(request) -> int:
    """Count a wrong code; returns how many tries are left (0: ask for the password again)."""
    state = request.session[SESSION_KEY]
    state["attempts"] += 1
    request.session[SESSION_KEY] = state
    left = settings.TWO_FACTOR_MAX_ATTEMPTS - state["attempts"]
    if left <= 0:
        pending_clear(request)
    return max(left, 0)


def safe_next(request, url: str) -> str:
    """`url` if it stays on this site, otherwise the usual landing page."""
    return safe_next_url(request, url) or resolve_url(settings.LOGIN_REDIRECT_URL)
