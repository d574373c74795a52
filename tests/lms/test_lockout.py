"""Brute-force protection: signing in is paused per account and per address, everywhere one
can sign in; org admins unlock; password resets, invitations and page passwords are limited."""

import re
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib import admin
from django.contrib.auth import SESSION_KEY
from django.urls import reverse
from django.utils import timezone
from wagtail.models import Page, PageViewRestriction

from lms.models import AuditEvent, Invitation, Role, User
from lms.services import invitation_token
from lms.signin import client_ip
from tests.factories import TEST_PASSWORD, InvitationFactory

pytestmark = pytest.mark.django_db

PAUSED = "Too many attempts. For your safety, signing in is paused for 30 minutes."
ERROR_SUMMARY_RE = re.compile(r'<div class="error-summary".*?</div>', re.DOTALL)
ELSEWHERE = "10.9.9.9"  # a second network address, so per-address counts do not mix


def _sign_in(client, email, password=TEST_PASSWORD, **extra):
    return client.post(reverse("lms:login"), {"username": email, "password": password}, **extra)


def _fail(client, email, times=10, **extra):
    for _ in range(times):
        _sign_in(client, email, "wrong-password", **extra)


def _signed_in(client) -> bool:
    return SESSION_KEY in client.session


# --- Pausing -------------------------------------------------------------------------------


def test_ten_wrong_passwords_then_the_right_one_is_refused_with_the_reason(client, personas):
    _fail(client, personas.peer.email)

    response = _sign_in(client, personas.peer.email)

    assert response.status_code == 429
    html = response.content.decode()
    assert PAUSED in html
    assert "ask your organisation&#x27;s admin to unlock it" in html
    assert 'class="error-summary"' in html
    assert f'value="{personas.peer.email}"' in html  # what they typed is kept
    assert not _signed_in(client)


def test_nine_wrong_passwords_then_the_right_one_signs_in(client, personas):
    _fail(client, personas.peer.email, times=9)

    response = _sign_in(client, personas.peer.email)

    assert response.status_code == 302
    assert _signed_in(client)


def test_the_account_stays_paused_from_another_address_in_any_letter_case(client, personas):
    _fail(client, personas.peer.email)

    response = _sign_in(client, "PEER@Example.org", REMOTE_ADDR=ELSEWHERE)

    assert response.status_code == 429
    assert not _signed_in(client)


def test_the_address_is_paused_for_every_account(client, personas):
    _fail(client, "someone@example.org", times=5)
    _fail(client, "another@example.org", times=5)

    response = _sign_in(client, personas.mentor.email)

    assert response.status_code == 429
    assert _sign_in(client, personas.mentor.email, REMOTE_ADDR=ELSEWHERE).status_code == 302


def _error_summary(response) -> str:
    return ERROR_SUMMARY_RE.search(response.content.decode()).group(0)


def test_the_message_is_the_same_for_an_address_without_an_account(client, personas):
    _fail(client, personas.peer.email)
    known = _sign_in(client, personas.peer.email)
    _fail(client, "nobody@example.org", REMOTE_ADDR=ELSEWHERE)

    unknown = _sign_in(client, "nobody@example.org", REMOTE_ADDR=ELSEWHERE)

    assert known.status_code == unknown.status_code == 429
    assert PAUSED in _error_summary(unknown)
    assert _error_summary(known) == _error_summary(unknown)


def test_signing_in_works_again_after_the_cool_off(client, personas):
    _fail(client, personas.peer.email)
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=31))

    response = _sign_in(client, personas.peer.email)

    assert response.status_code == 302
    assert _signed_in(client)


def test_a_forged_forwarded_for_header_does_not_escape_the_address_count(client, personas):
    for number in range(10):
        _sign_in(client, "x@example.org", "wrong", HTTP_X_FORWARDED_FOR=f"1.2.3.{number}")

    assert _sign_in(client, personas.mentor.email).status_code == 429


def test_behind_a_trusted_proxy_the_address_it_saw_is_used(rf, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    request = rf.post(
        "/", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7", REMOTE_ADDR="10.0.0.1"
    )  # the client forged 6.6.6.6; our proxy appended what it saw

    assert client_ip(request) == "203.0.113.7"
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(request) == "10.0.0.1"


# --- One way in ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/admin/login/", "/_util/login/"])
def test_wagtails_sign_in_forms_send_people_to_ours(client, personas, path):
    response = client.post(
        f"{path}?next=/admin/", {"username": personas.editor.email, "password": TEST_PASSWORD}
    )

    assert response.status_code == 302
    assert response.url == "/accounts/login/?next=%2Fadmin%2F"
    assert not _signed_in(client)


def test_the_admin_sign_in_after_ten_failures_is_refused(client, personas):
    personas.editor.is_staff = True
    personas.editor.save()
    _fail(client, personas.editor.email)

    response = client.post(
        "/admin/login/", {"username": personas.editor.email, "password": TEST_PASSWORD}
    )
    assert not _signed_in(client)
    assert client.get(response.url).status_code == 200  # our page, which will refuse
    assert _sign_in(client, personas.editor.email).status_code == 429


def _password_restricted_page():
    page = Page.objects.get(depth=2)
    return page, PageViewRestriction.objects.create(
        page=page, restriction_type=PageViewRestriction.PASSWORD, password="shared-secret"
    )


def test_guessing_a_page_password_is_paused(client, personas, settings):
    page, restriction = _password_restricted_page()
    url = f"/_util/authenticate_with_password/{restriction.pk}/{page.pk}/"
    for _ in range(settings.PAGE_PASSWORD_ATTEMPTS_PER_IP_PER_HOUR):
        assert client.post(url, {"password": "guess", "return_url": "/"}).status_code == 200

    response = client.post(url, {"password": "shared-secret", "return_url": "/"})

    assert response.status_code == 429
    assert "Too many attempts" in response.content.decode()
    fresh = client.post(
        url, {"password": "shared-secret", "return_url": "/"}, REMOTE_ADDR=ELSEWHERE
    )
    assert fresh.status_code == 302


def _page_privacy_choices():
    from wagtail.admin.forms.pages import PageViewRestrictionForm

    form = PageViewRestrictionForm(private_page_options=["password", "login", "groups"])
    return [value for value, _ in form.fields["restriction_type"].choices]


def test_editors_cannot_make_new_shared_page_passwords(settings):
    assert PageViewRestriction.PASSWORD not in _page_privacy_choices()
    settings.WAGTAIL_PRIVATE_PAGE_OPTIONS = {}  # Wagtail's default offers it
    assert PageViewRestriction.PASSWORD in _page_privacy_choices()


def test_axes_records_are_in_no_admin():
    assert AccessAttempt not in admin.site._registry


# --- Unlocking -----------------------------------------------------------------------------


def _unlock(client, organisation, person):
    return client.post(reverse("lms:account-unlock", args=[organisation.slug, person.pk]))


def test_org_admin_sees_the_pause_and_unlocks_and_it_is_audited(client, personas):
    _fail(client, personas.peer.email, REMOTE_ADDR=ELSEWHERE)
    client.force_login(personas.org_admin)
    people = client.get(reverse("lms:members", args=[personas.home.slug])).content.decode()
    assert "Signing in is paused after too many attempts." in people

    response = _unlock(client, personas.home, personas.peer)

    assert response.status_code == 302
    event = AuditEvent.objects.get(action="lms.account.unlocked")
    assert (event.actor, event.subject_user, event.organisation) == (
        personas.org_admin,
        personas.peer,
        personas.home,
    )
    assert personas.peer.email not in str(event.detail)
    client.logout()
    assert _sign_in(client, personas.peer.email).status_code == 302


def test_superuser_may_unlock(client, personas):
    _fail(client, personas.peer.email)
    client.force_login(User.objects.create_superuser("root@example.org", TEST_PASSWORD))

    assert _unlock(client, personas.home, personas.peer).status_code == 302
    assert not AccessAttempt.objects.filter(username=personas.peer.email).exists()


@pytest.mark.parametrize("who", ["coordinator", "peer", "other_org_admin"])
def test_others_cannot_unlock(client, personas, who):
    _fail(client, personas.mentor.email)
    client.force_login(getattr(personas, who))

    assert _unlock(client, personas.home, personas.mentor).status_code == 404
    assert _unlock(client, personas.other, personas.mentor).status_code == 404
    assert AccessAttempt.objects.filter(username=personas.mentor.email).exists()
    assert not AuditEvent.objects.filter(action="lms.account.unlocked").exists()


def test_coordinator_sees_no_unlock_button(client, personas):
    _fail(client, personas.peer.email, REMOTE_ADDR=ELSEWHERE)
    client.force_login(personas.coordinator)

    html = client.get(reverse("lms:members", args=[personas.home.slug])).content.decode()

    assert "Signing in is paused" in html
    assert "Let them sign in again" not in html


def test_unlocking_needs_a_post_and_a_signed_in_person(client, personas):
    url = reverse("lms:account-unlock", args=[personas.home.slug, personas.peer.pk])
    assert client.post(url).status_code == 302
    assert reverse("lms:login") in client.post(url).url
    client.force_login(personas.org_admin)
    assert client.get(url).status_code == 405


# --- Password reset and invitations --------------------------------------------------------


def _reset(client, email, capture, **extra):
    with capture(execute=True):
        return client.post(reverse("lms:password-reset"), {"email": email}, **extra)


def test_a_fourth_reset_in_an_hour_sends_nothing_and_looks_the_same(
    client, personas, mailoutbox, django_capture_on_commit_callbacks, settings
):
    # The hourly limit alone: as if each request came after the few minutes one account waits
    # between reset emails (tests/lms/test_repeated_submissions.py tests that wait).
    settings.PASSWORD_RESET_ACCOUNT_GAP_MINUTES = 0
    answers = [
        _reset(client, personas.peer.email, django_capture_on_commit_callbacks) for _ in range(4)
    ]

    assert len(mailoutbox) == 3
    assert {answer.url for answer in answers} == {reverse("lms:password-reset-done")}
    assert client.get(answers[3].url).content == client.get(answers[0].url).content


def test_resets_from_one_address_are_limited_across_accounts(
    client, personas, mailoutbox, django_capture_on_commit_callbacks, settings
):
    settings.PASSWORD_RESET_PER_IP_PER_HOUR = 2
    for email in ("someone@example.org", personas.peer.email, personas.mentor.email):
        _reset(client, email, django_capture_on_commit_callbacks)

    assert [message.to for message in mailoutbox] == [[personas.peer.email]]


def test_a_password_reset_lifts_the_pause(
    client, personas, mailoutbox, django_capture_on_commit_callbacks
):
    _fail(client, personas.peer.email, REMOTE_ADDR=ELSEWHERE)
    _reset(client, personas.peer.email, django_capture_on_commit_callbacks)
    link = next(word for word in mailoutbox[0].body.split() if "/password-reset/" in word)
    form_url = client.get(link.split("testserver")[-1]).url
    new = "kettle-harbour-lantern-91"
    client.post(form_url, {"new_password1": new, "new_password2": new})

    assert _sign_in(client, personas.peer.email, new).status_code == 302


def test_invitation_sign_up_is_limited_and_keeps_what_was_typed(client, personas, settings):
    settings.INVITATION_ATTEMPTS_PER_HOUR = 2
    invitation = InvitationFactory(
        organisation=personas.home, role=Role.PEER, invited_by=personas.coordinator
    )
    url = reverse("lms:invitation-accept", args=[invitation_token(invitation=invitation)])
    for _ in range(2):
        client.post(url, {"display_name": "Robin", "password1": "a", "password2": "b"})

    good = "kettle-harbour-lantern-91"
    response = client.post(url, {"display_name": "Robin", "password1": good, "password2": good})

    assert response.status_code == 200
    html = response.content.decode()
    assert "Too many attempts. For your safety, please wait an hour" in html
    assert 'value="Robin"' in html
    assert not Invitation.objects.get(pk=invitation.pk).is_accepted
    assert not User.objects.filter(email=invitation.email).exists()
