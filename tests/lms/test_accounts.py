"""Signing in and out, resetting a password, and a person's own details."""

import re
from urllib.parse import urlparse

import pytest
from django.contrib.auth import SESSION_KEY
from django.urls import reverse

from lms.models import Role
from tests.factories import TEST_PASSWORD, MembershipFactory, OrganisationFactory

pytestmark = pytest.mark.django_db

GENERIC_LOGIN_ERROR = "Enter a correct email address and password."
NEW_PASSWORD = "kettle-harbour-lantern-91"
ERROR_SUMMARY_RE = re.compile(r'<div class="error-summary".*?</div>', re.DOTALL)


def _sign_in(client, email, password=TEST_PASSWORD, **extra):
    return client.post(reverse("lms:login"), {"username": email, "password": password, **extra})


def _signed_in_user_id(client):
    return client.session.get(SESSION_KEY)


# --- Signing in --------------------------------------------------------------------------------


def test_right_password_signs_in_and_goes_to_the_dashboard(client, personas):
    response = _sign_in(client, personas.mentor.email)

    assert response.status_code == 302
    assert response.url == "/"
    assert int(_signed_in_user_id(client)) == personas.mentor.pk


def test_dashboard_shows_organisation_and_role_labels(client, personas):
    _sign_in(client, personas.mentor.email)

    html = client.get("/").content.decode()

    assert "Hello, Mo Mentor" in html
    assert "Your organisations and roles" in html
    assert "<strong>Home Org</strong>: Mentor" in html
    assert "Other Org" not in html


def test_dashboard_lists_every_role_in_every_organisation(client, personas):
    MembershipFactory(user=personas.mentor, organisation=personas.home, role=Role.PEER)
    MembershipFactory(
        user=personas.mentor,
        organisation=OrganisationFactory(name="Third Org"),
        role=Role.ORG_ADMIN,
    )
    _sign_in(client, personas.mentor.email)

    html = client.get("/").content.decode()

    assert "<strong>Home Org</strong>: Peer, Mentor" in html
    assert "<strong>Third Org</strong>: Organisation admin" in html


def test_dashboard_links_staff_to_their_people(client, personas):
    _sign_in(client, personas.coordinator.email)

    html = client.get("/").content.decode()

    assert "<strong>Home Org</strong>: Coordinator" in html
    assert f'href="{reverse("lms:members", args=["home-org"])}"' in html
    assert "People at Home Org" in html


def test_dashboard_for_someone_with_no_organisation_says_so(client, personas):
    _sign_in(client, personas.editor.email)

    html = client.get("/").content.decode()

    assert "You are not a member of any organisation yet." in html


def test_navigation_offers_staff_their_people_page(client, personas):
    client.force_login(personas.coordinator)

    html = client.get(reverse("lms:account")).content.decode()

    assert "People at Home Org" in html
    assert ">Admin</a>" not in html


def test_navigation_offers_peers_no_people_page(client, personas):
    client.force_login(personas.peer)

    html = client.get(reverse("lms:account")).content.decode()

    assert "People at" not in html
    assert ">Admin</a>" not in html
    assert "Your account" in html


def test_navigation_offers_editors_the_content_admin(client, personas):
    client.force_login(personas.editor)

    html = client.get(reverse("lms:account")).content.decode()

    assert f'href="{reverse("wagtailadmin_home")}"' in html
    assert ">Admin</a>" in html


def test_visitor_sees_the_welcome_not_a_dashboard(client, personas):
    html = client.get("/").content.decode()

    assert "Sign in" in html
    assert "Your organisations and roles" not in html


def test_sign_in_ignores_the_case_of_the_email(client, personas):
    response = _sign_in(client, "PEER@Example.ORG")

    assert response.status_code == 302
    assert int(_signed_in_user_id(client)) == personas.peer.pk


def test_sign_in_goes_to_a_safe_next_page(client, personas):
    response = _sign_in(client, personas.peer.email, next=reverse("lms:account"))

    assert response.url == reverse("lms:account")


def test_sign_in_ignores_a_next_page_on_another_site(client, personas):
    response = _sign_in(client, personas.peer.email, next="https://evil.example/")

    assert response.url == "/"


def test_wrong_password_gives_the_generic_error_and_keeps_the_email(client, personas):
    response = _sign_in(client, personas.peer.email, password="not-the-password")

    assert response.status_code == 200
    html = response.content.decode()
    assert "There is a problem" in html
    assert GENERIC_LOGIN_ERROR in html
    assert 'value="peer@example.org"' in html
    assert _signed_in_user_id(client) is None


def test_unknown_email_gives_the_generic_error_and_keeps_the_email(client, personas):
    response = _sign_in(client, "nobody@example.org")

    assert response.status_code == 200
    html = response.content.decode()
    assert GENERIC_LOGIN_ERROR in html
    assert 'value="nobody@example.org"' in html
    assert _signed_in_user_id(client) is None


def test_unknown_email_and_wrong_password_give_the_same_error_summary(client, personas):
    wrong_password = _sign_in(client, personas.peer.email, password="not-the-password")
    unknown_email = _sign_in(client, "nobody@example.org", password="not-the-password")

    first = ERROR_SUMMARY_RE.search(wrong_password.content.decode())
    second = ERROR_SUMMARY_RE.search(unknown_email.content.decode())
    assert first and second
    assert first.group(0) == second.group(0)


def test_deactivated_account_gets_the_same_generic_error(client, personas):
    personas.peer.is_active = False
    personas.peer.save(update_fields=["is_active"])

    response = _sign_in(client, personas.peer.email)

    assert GENERIC_LOGIN_ERROR in response.content.decode()
    assert _signed_in_user_id(client) is None


# --- Signing out -------------------------------------------------------------------------------


def test_sign_out_by_get_is_refused(client, personas):
    client.force_login(personas.peer)

    response = client.get(reverse("lms:logout"))

    assert response.status_code == 405
    assert int(_signed_in_user_id(client)) == personas.peer.pk


def test_sign_out_by_post_signs_out(client, personas):
    client.force_login(personas.peer)

    response = client.post(reverse("lms:logout"))

    assert response.status_code == 302
    assert response.url == "/"
    assert _signed_in_user_id(client) is None


# --- Password reset ----------------------------------------------------------------------------


def _request_reset(client, capture, email):
    with capture(execute=True):
        return client.post(reverse("lms:password-reset"), {"email": email})


def _reset_link(message) -> str:
    match = re.search(r"https?://\S+/accounts/password-reset/\S+/\S+/", message.body)
    assert match, message.body
    return urlparse(match.group(0)).path


def test_unknown_and_known_email_both_go_to_check_your_email(
    client, personas, mailoutbox, django_capture_on_commit_callbacks
):
    unknown = _request_reset(client, django_capture_on_commit_callbacks, "nobody@example.org")
    known = _request_reset(client, django_capture_on_commit_callbacks, personas.peer.email)

    assert unknown.status_code == known.status_code == 302
    assert unknown.url == known.url == reverse("lms:password-reset-done")
    page = client.get(known.url)
    assert "Check your email" in page.content.decode()


def test_only_a_known_email_gets_a_reset_email(
    client, personas, mailoutbox, django_capture_on_commit_callbacks
):
    _request_reset(client, django_capture_on_commit_callbacks, "nobody@example.org")
    assert mailoutbox == []

    _request_reset(client, django_capture_on_commit_callbacks, "PEER@example.org")

    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["peer@example.org"]
    assert mailoutbox[0].subject == "Reset your Peer Pathways password"


def test_reset_email_text_shows_the_name_as_typed(
    client, personas, mailoutbox, django_capture_on_commit_callbacks
):
    personas.peer.display_name = "Dónal O'Brien"
    personas.peer.save(update_fields=["display_name"])

    _request_reset(client, django_capture_on_commit_callbacks, personas.peer.email)

    assert "Hello Dónal O'Brien," in mailoutbox[0].body


def test_deactivated_account_gets_no_reset_email(
    client, personas, mailoutbox, django_capture_on_commit_callbacks
):
    personas.peer.is_active = False
    personas.peer.save(update_fields=["is_active"])

    response = _request_reset(client, django_capture_on_commit_callbacks, personas.peer.email)

    assert response.url == reverse("lms:password-reset-done")
    assert mailoutbox == []


def test_reset_request_needs_an_email_address(client, personas):
    response = client.post(reverse("lms:password-reset"), {"email": "not an email"})

    assert response.status_code == 200
    assert "There is a problem" in response.content.decode()


def test_reset_link_sets_a_new_password_that_signs_in(
    client, personas, mailoutbox, django_capture_on_commit_callbacks
):
    _request_reset(client, django_capture_on_commit_callbacks, personas.peer.email)
    link = _reset_link(mailoutbox[0])

    form_page = client.get(link, follow=True)
    assert 'name="new_password1"' in form_page.content.decode()
    set_password_url = form_page.redirect_chain[-1][0]
    done = client.post(
        set_password_url,
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        follow=True,
    )

    assert "Your password has been changed" in done.content.decode()
    client.logout()
    assert _sign_in(client, personas.peer.email, password=TEST_PASSWORD).status_code == 200
    assert _sign_in(client, personas.peer.email, password=NEW_PASSWORD).status_code == 302
    assert int(_signed_in_user_id(client)) == personas.peer.pk


def test_reset_link_works_only_once(
    client, personas, mailoutbox, django_capture_on_commit_callbacks
):
    _request_reset(client, django_capture_on_commit_callbacks, personas.peer.email)
    link = _reset_link(mailoutbox[0])
    form_page = client.get(link, follow=True)
    client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    client.logout()

    again = client.get(link, follow=True)

    assert "This link no longer works" in again.content.decode()
    assert 'name="new_password1"' not in again.content.decode()


def test_tampered_reset_link_does_not_work(client, personas):
    page = client.get(reverse("lms:password-reset-confirm", args=["MQ", "not-a-token"]))

    assert "This link no longer works" in page.content.decode()


# --- Your account ------------------------------------------------------------------------------


def test_account_page_needs_sign_in(client, personas):
    response = client.get(reverse("lms:account"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("lms:login"))


def test_account_page_shows_current_details(client, personas):
    client.force_login(personas.peer)

    html = client.get(reverse("lms:account")).content.decode()

    assert "You sign in as <strong>peer@example.org</strong>" in html
    assert 'value="Pat Peer"' in html


def test_account_page_updates_name_and_pronouns(client, personas):
    client.force_login(personas.peer)

    response = client.post(
        reverse("lms:account"),
        {"display_name": "  Patricia  ", "pronouns": " she/her "},
        follow=True,
    )

    assert "Your details have been saved." in response.content.decode()
    personas.peer.refresh_from_db()
    assert personas.peer.display_name == "Patricia"
    assert personas.peer.pronouns == "she/her"


def test_blank_name_shows_the_error_summary_and_changes_nothing(client, personas):
    client.force_login(personas.peer)

    response = client.post(reverse("lms:account"), {"display_name": "", "pronouns": "they/them"})

    assert response.status_code == 200
    html = response.content.decode()
    assert "There is a problem" in html
    assert 'href="#id_display_name"' in html
    personas.peer.refresh_from_db()
    assert personas.peer.display_name == "Pat Peer"
    assert personas.peer.pronouns == ""


def test_account_page_cannot_change_the_email(client, personas):
    client.force_login(personas.peer)

    client.post(
        reverse("lms:account"),
        {"display_name": "Pat", "pronouns": "", "email": "someone@evil.example"},
    )

    personas.peer.refresh_from_db()
    assert personas.peer.email == "peer@example.org"


def test_password_change_needs_the_old_password(client, personas):
    client.force_login(personas.peer)

    response = client.post(
        reverse("lms:password-change"),
        {"old_password": "wrong", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert "There is a problem" in response.content.decode()
    personas.peer.refresh_from_db()
    assert personas.peer.check_password(TEST_PASSWORD)


def test_password_change_keeps_you_signed_in(client, personas):
    client.force_login(personas.peer)

    response = client.post(
        reverse("lms:password-change"),
        {
            "old_password": TEST_PASSWORD,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
        follow=True,
    )

    assert "Your password has been changed." in response.content.decode()
    assert int(_signed_in_user_id(client)) == personas.peer.pk
    personas.peer.refresh_from_db()
    assert personas.peer.check_password(NEW_PASSWORD)
