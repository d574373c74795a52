"""Views for signing in safely: the one way in, pausing guessing at page passwords, unlocking
someone, and signing out everywhere. Thin: access helper -> service -> redirect."""

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_POST
from wagtail import views as wagtail_views
from wagtail.documents.views import serve as wagtail_document_views

from lms.access import get_member, get_organisation_for_role
from lms.models import Role
from lms.services import audit_record
from lms.sessions import other_sessions_end
from lms.signin import account_unlock, client_ip
from lms.throttle import throttle_hit


def sign_in_here(request):
    """Wagtail's own sign-in forms (/admin/login/, /_util/login/) send people to ours, so every
    sign-in goes through the same protections."""
    url = reverse("lms:login")
    next_url = request.GET.get("next")
    return redirect(f"{url}?{urlencode({'next': next_url})}" if next_url else url)


def _page_password_allowed(request, restriction_id) -> bool:
    # Per address and restriction: guessing at one shared password is paused, other people's
    # pages are not.
    if request.method != "POST":
        return True
    return throttle_hit(
        scope="page_password",
        value=f"{client_ip(request)}|{restriction_id}",
        limit=settings.PAGE_PASSWORD_ATTEMPTS_PER_IP_PER_HOUR,
        window=timedelta(hours=1),
    )


def _too_many_password_tries(request):
    return render(request, "lms/too_many_attempts.html", status=429)


def page_password(request, page_view_restriction_id, page_id):
    """Wagtail's page password form, with guessing paused after a few tries an hour."""
    if not _page_password_allowed(request, f"page-{page_view_restriction_id}"):
        return _too_many_password_tries(request)
    return wagtail_views.authenticate_with_password(request, page_view_restriction_id, page_id)


def document_password(request, restriction_id):
    """Wagtail's document collection password form, paused the same way."""
    if not _page_password_allowed(request, f"collection-{restriction_id}"):
        return _too_many_password_tries(request)
    return wagtail_document_views.authenticate_with_password(request, restriction_id)


@login_required
@require_POST
def account_unlock_view(request, slug, user_id):
    """An organisation admin (or a superuser) lets someone in their organisation sign in again."""
    organisation = get_organisation_for_role(user=request.user, slug=slug, roles={Role.ORG_ADMIN})
    person = get_member(organisation=organisation, user_id=user_id)
    account_unlock(user=person, by=request.user, organisation=organisation, reason="admin")
    messages.success(request, f"{person} can sign in again.")
    return redirect(reverse("lms:members", args=[organisation.slug]) + f"#member-{person.pk}")


@login_required
@require_POST
def sign_out_everywhere(request):
    """End every other session of the signed-in person; this one stays."""
    other_sessions_end(request=request)
    audit_record(
        actor=request.user, action="lms.account.signed_out_everywhere", subject_user=request.user
    )
    messages.success(
        request, "You have been signed out on every other device and browser. This one stays."
    )
    return redirect(f"{reverse('lms:account')}#sessions")
