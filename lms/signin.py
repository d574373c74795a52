"""Sign-in protection with django-axes: who is counted, what they are told when signing in is
paused, and how an organisation admin lets someone back in. Settings: AXES_* in lms.settings."""

from datetime import timedelta

from axes.models import AccessAttempt
from axes.utils import reset as axes_reset
from django.conf import settings
from django.db.models import Sum
from django.shortcuts import render
from django.utils import timezone

from lms.forms import LoginForm
from lms.models import Organisation, User
from lms.services import audit_record
from lms.throttle import throttle_hit


def attempted_email(request, credentials=None) -> str:
    """The address someone tried, as accounts store it, so "A@x.org" and "a@x.org" are counted
    together whether or not an account exists."""
    raw = (credentials or {}).get("username") or request.POST.get("username") or ""
    return raw.strip().lower()


def client_ip(request) -> str:
    """The client's address: behind TRUSTED_PROXY_COUNT proxies, the entry that many places from
    the right of X-Forwarded-For (the part a client cannot forge); otherwise the connection's."""
    remote = request.META.get("REMOTE_ADDR", "")
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [part for part in forwarded if part]
    return forwarded[-count] if len(forwarded) >= count else remote


def lockout_message() -> str:
    return (
        "Too many attempts. For your safety, signing in is paused for "
        f"{settings.SIGNIN_COOLOFF_MINUTES} minutes. You can reset your password, or ask your "
        "organisation's admin to unlock it."
    )


def lockout_response(request, original_response=None, credentials=None):
    """Our sign-in page with the reason, whichever address was tried: the same words for an
    account that exists and one that does not. The typed email is kept."""
    form = LoginForm(request, initial={"username": request.POST.get("username", "")})
    context = {"form": form, "lockout_message": lockout_message(), "next": _next(request)}
    return render(request, "registration/login.html", context, status=429)


def _next(request) -> str:
    return request.POST.get("next") or request.GET.get("next") or ""


def locked_out_emails(*, emails) -> set[str]:
    """Which of these addresses have signing in paused now."""
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    rows = (
        AccessAttempt.objects.filter(username__in=list(emails), attempt_time__gte=since)
        .values("username")
        .annotate(failures=Sum("failures_since_start"))
        .filter(failures__gte=settings.SIGNIN_FAILURE_LIMIT)
    )
    return {row["username"] for row in rows}


def account_unlock(
    *, user: User, by: User | None, organisation: Organisation | None = None, reason: str
) -> int:
    """Forget a person's failed sign-ins so they can sign in again; returns how many records
    were removed. Failures counted against a network address are left to expire."""
    removed = axes_reset(username=user.email)
    audit_record(
        actor=by,
        action="lms.account.unlocked",
        subject_user=user,
        organisation=organisation,
        detail={"reason": reason},
    )
    return removed


def password_reset_allowed(request, email: str) -> bool:
    """At most a few reset emails an hour to one address, and from one network address."""
    hour = timedelta(hours=1)
    return throttle_hit(
        scope="password_reset_ip",
        value=client_ip(request),
        limit=settings.PASSWORD_RESET_PER_IP_PER_HOUR,
        window=hour,
    ) and throttle_hit(
        scope="password_reset_email",
        value=email,
        limit=settings.PASSWORD_RESET_PER_ADDRESS_PER_HOUR,
        window=hour,
    )


def password_reset_account_allowed(user) -> bool:
    """One reset email per account in a few minutes: the form sent again (or twenty times)
    sends nothing more, whichever spelling of the address it used."""
    return throttle_hit(
        scope="password_reset_account",
        value=str(user.pk),
        limit=1,
        window=timedelta(minutes=settings.PASSWORD_RESET_ACCOUNT_GAP_MINUTES),
    )


def invitation_attempt_allowed(request, invitation) -> bool:
    """A few sign-up attempts an hour for one invitation from one network address. (Per
    invitation too, so a team joining from one office is not held up by each other.)"""
    return throttle_hit(
        scope="invitation_accept",
        value=f"{client_ip(request)}|{invitation.pk}",
        limit=settings.INVITATION_ATTEMPTS_PER_HOUR,
        window=timedelta(hours=1),
    )
