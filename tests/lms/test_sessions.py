"""Sessions: a new key at sign-in, idle and absolute limits, and ending someone's sessions."""

import time

import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from lms.models import AuditEvent, Role
from lms.sessions import LAST_SEEN, SIGNED_IN_AT
from tests.factories import TEST_PASSWORD, MembershipFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "kettle-harbour-lantern-91"


def _sign_in(client, user):
    response = client.post(
        reverse("lms:login"), {"username": user.email, "password": TEST_PASSWORD}
    )
    assert response.status_code == 302
    return client


def _signed_in(client) -> bool:
    """Whether the account page opens (the request a person would make)."""
    return client.get(reverse("lms:account")).status_code == 200


def _age_session(client, **seconds_ago):
    session = client.session
    now = int(time.time())
    for key, ago in seconds_ago.items():
        session[key] = now - ago
    session.save()


def test_the_session_key_changes_at_sign_in(client, personas):
    session = client.session
    session["before"] = True
    session.save()
    before = session.session_key

    _sign_in(client, personas.peer)

    assert client.session.session_key != before
    assert not Session.objects.filter(session_key=before).exists()
    assert client.session[SESSION_KEY] == str(personas.peer.pk)


def test_an_idle_session_is_signed_out_and_told_why(client, personas):
    _sign_in(client, personas.peer)
    _age_session(client, **{LAST_SEEN: 31 * 60})

    response = client.get(reverse("lms:account"), follow=True)

    assert response.redirect_chain[0][0].startswith(reverse("lms:login"))
    assert "had not used Peer Pathways for 30 minutes" in response.content.decode()
    assert not _signed_in(client)


def test_a_session_used_within_the_idle_limit_stays_and_is_kept_alive(client, personas):
    _sign_in(client, personas.peer)
    _age_session(client, **{LAST_SEEN: 29 * 60})

    assert _signed_in(client)
    assert int(time.time()) - client.session[LAST_SEEN] < 60


def test_a_session_older_than_the_limit_is_signed_out_even_if_in_use(client, personas):
    _sign_in(client, personas.peer)
    _age_session(client, **{SIGNED_IN_AT: 12 * 3600 + 60, LAST_SEEN: 0})

    response = client.get(reverse("lms:account"), follow=True)

    assert "signed in more than 12 hours ago" in response.content.decode()
    assert not _signed_in(client)


def test_the_limits_come_from_settings(client, personas, settings):
    settings.SESSION_IDLE_MINUTES = 5
    _sign_in(client, personas.peer)
    _age_session(client, **{LAST_SEEN: 6 * 60})

    assert not _signed_in(client)


def test_changing_the_password_signs_out_the_other_browser_only(client, personas):
    other = _sign_in(Client(), personas.peer)
    _sign_in(client, personas.peer)

    response = client.post(
        reverse("lms:password-change"),
        {
            "old_password": TEST_PASSWORD,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )

    assert response.status_code == 302
    assert _signed_in(client)
    assert not _signed_in(other)


def test_ending_someones_last_role_signs_them_out(client, personas):
    peer = _sign_in(Client(), personas.peer)
    membership = personas.peer.memberships.get()
    client.force_login(personas.org_admin)

    client.post(
        reverse("lms:membership-end", args=[personas.home.slug, membership.pk]),
        {"confirm": "yes"},
    )

    assert not _signed_in(peer)


def test_ending_one_of_two_roles_keeps_them_signed_in(client, personas):
    MembershipFactory(user=personas.peer, organisation=personas.home, role=Role.MENTOR)
    peer = _sign_in(Client(), personas.peer)
    membership = personas.peer.memberships.get(role=Role.PEER)
    client.force_login(personas.org_admin)

    client.post(
        reverse("lms:membership-end", args=[personas.home.slug, membership.pk]),
        {"confirm": "yes"},
    )

    assert _signed_in(peer)


def test_sign_out_everywhere_ends_the_other_sessions_and_keeps_this_one(client, personas):
    other = _sign_in(Client(), personas.peer)
    _sign_in(client, personas.peer)

    response = client.post(reverse("lms:sign-out-everywhere"), follow=True)

    assert "signed out on every other device" in response.content.decode()
    assert _signed_in(client)
    assert not _signed_in(other)
    event = AuditEvent.objects.get(action="lms.account.signed_out_everywhere")
    assert event.actor == event.subject_user == personas.peer


def test_sign_out_everywhere_needs_a_post_and_a_signed_in_person(client, personas):
    url = reverse("lms:sign-out-everywhere")
    assert client.post(url).url.startswith(reverse("lms:login"))
    _sign_in(client, personas.peer)
    assert client.get(url).status_code == 405


def test_the_account_page_offers_sign_out_everywhere(client, personas):
    _sign_in(client, personas.peer)

    html = client.get(reverse("lms:account")).content.decode()

    assert reverse("lms:sign-out-everywhere") in html


def test_a_deactivated_person_is_signed_out_on_their_next_request(client, personas):
    _sign_in(client, personas.peer)
    personas.peer.is_active = False
    personas.peer.save(update_fields=["is_active"])

    assert not _signed_in(client)
