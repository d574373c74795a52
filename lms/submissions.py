"""A form that creates something or sends an email is applied once, however often it arrives.

The form's page carries a one-time token (`{% submission_field %}`, a hidden field). The view,
wrapped in `@once_per_submission`, claims the token in the database in the same transaction as
its work: the first submission does the work and remembers where it led; a repeat of the same
form (a double click, a reload that posts again, the back button and submit, or twenty at once)
finds the token taken and is sent to that same page with a plain message, doing nothing. A
submission that did not go through (the form was shown again with its errors) gives its token
back, so the corrected form can be sent. A fresh page carries a fresh token, so deciding again
on purpose always works. The token is unique in the table, so two at the same moment are
settled by the database, on SQLite and PostgreSQL alike.

A POST without a token (an older page, or a script) is applied as before; the services' own
checks still hold.
"""

import re
import secrets
from datetime import datetime, timedelta
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.db import IntegrityError, transaction
from django.shortcuts import redirect
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme

from lms.models import SubmissionClaim

FIELD = "submission"
ALREADY_DONE = "That was already sent, so nothing has changed. Here is where it led."
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


def submission_token() -> str:
    return secrets.token_urlsafe(24)


def submission_field_html() -> str:
    return format_html('<input type="hidden" name="{}" value="{}">', FIELD, submission_token())


def _token(request) -> str:
    token = request.POST.get(FIELD, "") if request.method == "POST" else ""
    return token if _TOKEN.match(token) else ""


def once_per_submission(view):
    """Apply a POST carrying a submission token once (see the module's docstring). The view
    answers a done submission with a redirect; any other answer, or a redirect that carries an
    error message (the work was refused), gives the token back, so the corrected form can be
    sent and is never told "already sent"."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        token = _token(request)
        if not token:
            return view(request, *args, **kwargs)
        user = request.user if request.user.is_authenticated else None
        with transaction.atomic():
            try:
                with transaction.atomic():
                    claim = SubmissionClaim.objects.create(token=token, user=user)
            except IntegrityError:
                return _repeat(request, token, user)
            errors_before = _error_messages(request)
            response = view(request, *args, **kwargs)
            refused = _error_messages(request) > errors_before
            if response.status_code in (301, 302, 303) and not refused:
                claim.result_url = response["Location"][:2000]
                claim.save(update_fields=["result_url"])
            else:
                claim.delete()
            return response

    return wrapper


def _error_messages(request) -> int:
    """How many error messages this request has queued for the next page."""
    queued = getattr(getattr(request, "_messages", None), "_queued_messages", [])
    return sum(1 for message in queued if message.level >= messages.ERROR)


def _repeat(request, token: str, user):
    claim = SubmissionClaim.objects.filter(token=token).first()
    target = claim.result_url if claim is not None else ""
    if claim is None or claim.user_id != getattr(user, "pk", None):
        target = ""
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = ""
    messages.info(request, ALREADY_DONE)
    return redirect(target or "/")


def submission_claims_remove_old(*, now: datetime) -> int:
    """Tokens older than a day: a page left open longer posts as a new submission."""
    cutoff = now - timedelta(hours=settings.SUBMISSION_TOKEN_HOURS)
    removed, _ = SubmissionClaim.objects.filter(created_at__lt=cutoff).delete()
    return removed
