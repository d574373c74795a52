"""Two-factor sign-in: set-up from "Your account", the code step after the password, recovery
codes, and the requirement for admins and for an organisation's staff."""

import html
import io
import os
import secrets
import subprocess
import sys
import time
from base64 import b32encode

import pytest
from django.contrib.auth import SESSION_KEY
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from lms.models import AuditEvent, Organisation
from lms.two_factor.signin import SESSION_KEY as PENDING_KEY
from tests.factories import TEST_PASSWORD, UserFactory
from tests.lms.test_env import PROJECT_ROOT

pytestmark = pytest.mark.django_db

RECOVERY = ["aaaa2222", "bbbb3333", "cccc4444"]
SETUP = reverse("lms:two-factor")
LOGIN = reverse("lms:login")
CODE = reverse("lms:login-code")


def app_code(device: TOTPDevice, steps_ahead: int = 0) -> str:
    """The code the person's app shows now (or a step later), from django-otp's own TOTP."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():0{device.digits}d}"


def wrong_code(device: TOTPDevice) -> str:
    near = {app_code(device, step) for step in (-1, 0, 1, 2)}
    return next(
        code for code in ("000000", "111111", "222222", "333333", "444444") if code not in near
    )


def turn_on(user) -> TOTPDevice:
    """Two-factor sign-in as it is after set-up: a confirmed app and three recovery codes."""
    device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)
    recovery = StaticDevice.objects.create(user=user, name="Recovery codes", confirmed=True)
    StaticToken.objects.bulk_create(StaticToken(device=recovery, token=code) for code in RECOVERY)
    return device


def password_step(client, user, **extra):
    return client.post(
        reverse("lms:login") + extra.pop("query", ""),
        {"username": user.email, "password": TEST_PASSWORD, **extra},
    )


def signed_in_id(client):
    return client.session.get(SESSION_KEY)


def signed_in_fully(client, user, device):
    password_step(client, user)
    return client.post(CODE, {"code": app_code(device)})


@pytest.fixture
def superuser(db):
    return UserFactory(
        email="root@example.org", display_name="Ada Root", is_superuser=True, is_staff=True
    )


@pytest.fixture
def required_for_admins(settings):
    settings.TWO_FACTOR_REQUIRED_FOR_ADMINS = True


# --- Set-up ------------------------------------------------------------------------------------


def test_the_account_page_leads_to_set_up(client, personas):
    client.force_login(personas.peer)
    page = client.get(reverse("lms:account")).content.decode()
    assert "Two-factor sign-in" in page
    assert f'href="{SETUP}"' in page


def test_set_up_shows_a_qr_code_drawn_on_the_server_and_the_key_as_text(client, personas):
    client.force_login(personas.peer)
    page = client.get(SETUP).content.decode()

    device = TOTPDevice.objects.get(user=personas.peer)
    assert not device.confirmed
    # The QR code is SVG markup in the page itself: no image fetched from anywhere.
    assert '<svg width="' in page and 'class="qr-code"' in page and "<path" in page
    assert "<img" not in page.split("<main", 1)[-1]
    secret = b32encode(device.bin_key).decode()
    assert " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)) in page
    # Reloading keeps the same secret, so a code already scanned still works.
    client.get(SETUP)
    assert TOTPDevice.objects.filter(user=personas.peer).count() == 1


def test_a_wrong_confirming_code_is_refused_and_nothing_is_turned_on(client, personas):
    client.force_login(personas.peer)
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=personas.peer)

    response = client.post(SETUP, {"code": wrong_code(device)})

    page = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in page and "The code is not right" in page
    device.refresh_from_db()
    assert not device.confirmed
    assert not StaticDevice.objects.filter(user=personas.peer).exists()
    # An unconfirmed app is not used: signing in still takes the password alone.
    client.logout()
    assert password_step(Client(), personas.peer).url == "/"


def test_an_empty_code_says_what_to_enter(client, personas):
    client.force_login(personas.peer)
    page = client.post(SETUP, {"code": ""}).content.decode()
    assert "Enter the 6-digit code your app shows." in page


def test_the_right_code_turns_it_on_and_shows_ten_recovery_codes_once(client, personas):
    client.force_login(personas.peer)
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=personas.peer)

    response = client.post(SETUP, {"code": app_code(device)})

    page = response.content.decode()
    device.refresh_from_db()
    assert device.confirmed
    codes = list(
        StaticToken.objects.filter(device__user=personas.peer).values_list("token", flat=True)
    )
    assert len(codes) == 10
    assert all(f"<code>{code}</code>" in page for code in codes)
    assert "only time you will see these codes" in page
    # This session proved the second factor; the codes are not shown again.
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    again = client.get(SETUP).content.decode()
    assert "Two-factor sign-in is <strong>on</strong>" in again
    assert not any(code in again for code in codes)
    event = AuditEvent.objects.get(action="lms.two_factor.enabled")
    assert (event.actor, event.subject_user, event.subject_id) == (
        personas.peer,
        personas.peer,
        str(device.pk),
    )
    logged = str(event.detail) + event.subject_type + event.subject_id
    assert device.key not in logged and not any(code in logged for code in codes)


# --- Signing in with a code --------------------------------------------------------------------


def test_password_then_code_signs_in_and_the_session_is_verified(client, personas):
    device = turn_on(personas.peer)

    first = password_step(client, personas.peer)
    assert first.url == CODE
    assert signed_in_id(client) is None  # not signed in on the password alone
    anonymous_key = client.session.session_key
    assert "Enter your sign-in code" in client.get(CODE).content.decode()

    second = client.post(CODE, {"code": app_code(device)})

    assert second.status_code == 302 and second.url == "/"
    assert int(signed_in_id(client)) == personas.peer.pk
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    assert client.session.session_key != anonymous_key  # a new session key on sign-in
    assert PENDING_KEY not in client.session
    assert client.get("/").status_code == 200


def test_a_code_typed_with_a_space_is_accepted(client, personas):
    device = turn_on(personas.peer)
    password_step(client, personas.peer)
    code = app_code(device)
    client.post(CODE, {"code": f" {code[:3]} {code[3:]} "})
    assert int(signed_in_id(client)) == personas.peer.pk


def test_a_wrong_code_does_not_sign_in_and_says_so(client, personas):
    device = turn_on(personas.peer)
    password_step(client, personas.peer)

    response = client.post(CODE, {"code": wrong_code(device)})

    page = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in page
    assert "The code is not right" in page and "You have 4 more tries" in page
    assert signed_in_id(client) is None
    assert client.get("/accounts/").status_code == 302  # still signed out


def test_five_wrong_codes_send_the_person_back_to_the_password(client, personas):
    device = turn_on(personas.peer)
    password_step(client, personas.peer)
    for _ in range(4):
        assert client.post(CODE, {"code": wrong_code(device)}).status_code == 200

    fifth = client.post(CODE, {"code": wrong_code(device)})

    assert fifth.status_code == 302 and fifth.url.startswith(LOGIN)
    assert PENDING_KEY not in client.session
    # The right code is no use now without the password again.
    assert client.post(CODE, {"code": app_code(device)}).url.startswith(LOGIN)
    assert signed_in_id(client) is None


def test_the_code_step_needs_the_password_first(client, personas):
    turn_on(personas.peer)
    response = client.get(CODE)
    assert response.status_code == 302 and response.url == LOGIN


def test_the_code_step_expires_after_five_minutes(client, personas):
    device = turn_on(personas.peer)
    password_step(client, personas.peer)
    session = client.session
    session[PENDING_KEY] = {**session[PENDING_KEY], "started": int(time.time()) - 301}
    session.save()

    response = client.post(CODE, {"code": app_code(device)})

    assert response.url.startswith(LOGIN)
    assert signed_in_id(client) is None


def test_a_recovery_code_signs_in_once_and_cannot_be_used_again(personas):
    turn_on(personas.peer)
    first = Client()
    password_step(first, personas.peer)
    first.post(CODE, {"code": "AAAA-2222"})  # capitals and a dash, as people copy it
    assert int(signed_in_id(first)) == personas.peer.pk
    assert first.session[DEVICE_ID_SESSION_KEY].startswith("otp_static.")

    second = Client()
    password_step(second, personas.peer)
    response = second.post(CODE, {"code": "aaaa2222"})

    assert response.status_code == 200 and "The code is not right" in response.content.decode()
    assert signed_in_id(second) is None
    assert sorted(StaticToken.objects.values_list("token", flat=True)) == RECOVERY[1:]
    event = AuditEvent.objects.get(action="lms.two_factor.recovery_code_used")
    assert event.subject_user == personas.peer
    assert event.detail == {"codes_left": 2}


def test_next_is_kept_through_both_steps(client, personas):
    device = turn_on(personas.peer)
    page = client.get(LOGIN + "?next=/accounts/").content.decode()
    assert 'value="/accounts/"' in page

    password_step(client, personas.peer, next="/accounts/")
    response = client.post(CODE, {"code": app_code(device)})

    assert response.url == "/accounts/"


@pytest.mark.parametrize(
    "next_url", ["https://evil.example/steal", "//evil.example/", "/\\evil.example/"]
)
def test_next_never_leaves_the_site(client, personas, next_url):
    device = turn_on(personas.peer)
    password_step(client, personas.peer, next=next_url)
    response = client.post(CODE, {"code": app_code(device)})
    assert response.url == "/"


def test_after_too_many_wrong_codes_next_is_still_kept(client, personas):
    device = turn_on(personas.peer)
    password_step(client, personas.peer, next="/accounts/")
    for _ in range(5):
        response = client.post(CODE, {"code": wrong_code(device)})
    assert response.url == LOGIN + "?next=%2Faccounts%2F"


def test_someone_without_two_factor_signs_in_with_the_password_alone(client, personas):
    response = password_step(client, personas.peer)
    assert response.url == "/"
    assert int(signed_in_id(client)) == personas.peer.pk


def test_a_session_begun_before_set_up_elsewhere_must_sign_in_again(client, personas):
    client.force_login(personas.peer)  # e.g. another browser, signed in last week
    turn_on(personas.peer)

    response = client.get("/accounts/")

    assert response.status_code == 302 and response.url == LOGIN + "?next=/accounts/"
    assert signed_in_id(client) is None


# --- Required for admins -----------------------------------------------------------------------


def test_a_superuser_without_a_second_factor_cannot_reach_the_admin_or_any_page(
    client, superuser, required_for_admins
):
    client.force_login(superuser)

    for url in ("/admin/", "/admin/pages/", "/", "/accounts/", reverse("lms:audit-log-all")):
        response = client.get(url)
        assert (response.status_code, response.url) == (302, SETUP), url
    page = client.get(SETUP).content.decode()
    assert "You need to set this up before you can carry on" in page
    assert "You are a site administrator." in page
    assert client.post(reverse("lms:logout")).status_code == 302  # sign-out still works


def test_a_superuser_with_a_password_only_session_cannot_reach_the_admin(
    client, superuser, required_for_admins
):
    turn_on(superuser)
    client.force_login(superuser)  # a session that never gave the code

    response = client.get("/admin/")

    assert response.status_code == 302 and response.url.startswith(LOGIN)
    assert signed_in_id(client) is None


def test_after_set_up_and_a_verified_sign_in_the_superuser_reaches_the_admin(
    client, superuser, required_for_admins
):
    client.force_login(superuser)
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=superuser)
    client.post(SETUP, {"code": app_code(device)})
    assert client.get("/admin/").status_code == 200  # the set-up session is verified

    # The Wagtail admin's sign-in is ours, with both steps.
    fresh = Client()
    to_sign_in = fresh.get("/admin/")
    assert to_sign_in.url.startswith(LOGIN) and "next=/admin/" in to_sign_in.url
    password_step(fresh, superuser, next="/admin/")
    response = fresh.post(CODE, {"code": app_code(device, steps_ahead=1)})
    assert response.url == "/admin/"
    assert fresh.get("/admin/").status_code == 200


def test_an_editor_must_use_it_too(client, personas, required_for_admins):
    client.force_login(personas.editor)
    assert client.get("/admin/").url == SETUP
    page = html.unescape(client.get(SETUP).content.decode())
    assert "You can change the site's content in the admin." in page


def test_a_required_person_cannot_turn_it_off(client, superuser, required_for_admins):
    device = turn_on(superuser)
    signed_in_fully(client, superuser, device)
    page = client.get(SETUP).content.decode()
    assert "You cannot turn it off." in page

    client.post(reverse("lms:two-factor-off"), {"off-password": TEST_PASSWORD})

    assert TOTPDevice.objects.filter(user=superuser, confirmed=True).exists()


def test_with_the_setting_off_nobody_is_required(client, superuser, personas, settings):
    settings.TWO_FACTOR_REQUIRED_FOR_ADMINS = False
    for person in (superuser, personas.editor, personas.org_admin):
        client.force_login(person)
        assert client.get("/admin/").status_code == 200


def test_an_org_admin_is_not_required_by_the_admin_setting_alone(
    client, personas, required_for_admins
):
    # Org admins open the admin only for their own pathways; their organisation decides.
    client.force_login(personas.org_admin)
    assert client.get("/admin/").status_code == 200


@pytest.mark.parametrize(("debug", "expected"), [("false", "True"), ("true", "False")])
def test_the_production_profile_requires_it_by_default_and_a_laptop_does_not(debug, expected):
    env = {k: v for k, v in os.environ.items() if not k.startswith("TWO_FACTOR")}
    env.update(DEBUG=debug, SECRET_KEY=secrets.token_urlsafe(50), ALLOWED_HOSTS="peers.example.org")
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", "import lms.settings as s; print(s.TWO_FACTOR_REQUIRED_FOR_ADMINS)"],
        env=env,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == expected


# --- Turning it off, new recovery codes ---------------------------------------------------------


def test_turning_it_off_needs_the_password(client, personas):
    device = turn_on(personas.peer)
    signed_in_fully(client, personas.peer, device)

    wrong = client.post(reverse("lms:two-factor-off"), {"off-password": "not-my-password"})
    assert "The password is not right" in wrong.content.decode()
    assert TOTPDevice.objects.filter(user=personas.peer).exists()

    right = client.post(reverse("lms:two-factor-off"), {"off-password": TEST_PASSWORD})

    assert right.url == reverse("lms:account")
    assert not TOTPDevice.objects.filter(user=personas.peer).exists()
    assert not StaticToken.objects.filter(device__user=personas.peer).exists()
    assert AuditEvent.objects.filter(action="lms.two_factor.disabled").count() == 1
    assert client.get("/accounts/").status_code == 200  # still signed in
    assert password_step(Client(), personas.peer).url == "/"


def test_new_recovery_codes_replace_the_old_ones(client, personas):
    device = turn_on(personas.peer)
    signed_in_fully(client, personas.peer, device)

    page = client.post(
        reverse("lms:two-factor-recovery-codes"), {"codes-password": TEST_PASSWORD}
    ).content.decode()

    codes = set(StaticToken.objects.values_list("token", flat=True))
    assert len(codes) == 10 and not codes & set(RECOVERY)
    assert all(code in page for code in codes)
    assert AuditEvent.objects.filter(action="lms.two_factor.recovery_codes_replaced").exists()


# --- An organisation requires it for its staff --------------------------------------------------


def _require_for_home_staff(client, personas):
    client.force_login(personas.org_admin)
    url = reverse("lms:organisation-security", args=[personas.home.slug])
    response = client.post(url, {"require_two_factor_for_staff": "on"})
    assert response.status_code == 302
    return response


def test_an_org_admin_requires_it_for_their_staff_and_it_is_audited(client, personas):
    _require_for_home_staff(client, personas)

    assert Organisation.objects.get(pk=personas.home.pk).require_two_factor_for_staff
    assert not Organisation.objects.get(pk=personas.other.pk).require_two_factor_for_staff
    event = AuditEvent.objects.get(action="lms.two_factor.required_changed")
    assert (event.actor, event.organisation, event.detail) == (
        personas.org_admin,
        personas.home,
        {"required": True},
    )
    # The org admin is staff too, so is sent to set up straight away.
    assert client.get("/").url == SETUP


def test_the_requirement_reaches_that_organisations_staff_only(client, personas):
    _require_for_home_staff(client, personas)

    client.force_login(personas.coordinator)
    assert client.get("/").url == SETUP
    assert (
        "Home Org asks this of its coordinators and admins." in client.get(SETUP).content.decode()
    )
    for person in (personas.other_coordinator, personas.peer, personas.mentor):
        client.force_login(person)
        assert client.get("/").status_code == 200, person


def test_the_security_page_is_a_tab_for_org_admins(client, personas):
    client.force_login(personas.org_admin)
    page = client.get(reverse("lms:members", args=[personas.home.slug])).content.decode()
    assert reverse("lms:organisation-security", args=[personas.home.slug]) in page


@pytest.mark.parametrize(
    "who", ["coordinator", "peer", "mentor", "editor", "other_org_admin", "other_coordinator"]
)
def test_only_that_organisations_org_admins_can_change_the_setting(client, personas, who):
    client.force_login(getattr(personas, who))
    url = reverse("lms:organisation-security", args=[personas.home.slug])

    assert client.get(url).status_code == 404
    assert client.post(url, {"require_two_factor_for_staff": "on"}).status_code == 404
    assert not Organisation.objects.get(pk=personas.home.pk).require_two_factor_for_staff
    assert not AuditEvent.objects.filter(action="lms.two_factor.required_changed").exists()


def test_signed_out_people_are_sent_to_sign_in_from_every_new_page(client, personas):
    for url in (
        SETUP,
        reverse("lms:organisation-security", args=[personas.home.slug]),
    ):
        assert client.get(url).url.startswith(LOGIN)
    for url in (reverse("lms:two-factor-off"), reverse("lms:two-factor-recovery-codes")):
        assert client.post(url).url.startswith(LOGIN)


def test_a_site_administrator_can_give_someone_who_lost_everything_a_one_off_code(personas):
    device = turn_on(personas.peer)
    StaticToken.objects.all().delete()  # every recovery code used up, and the phone lost
    out = io.StringIO()
    call_command("addstatictoken", personas.peer.email, stdout=out)

    client = Client()
    password_step(client, personas.peer)
    client.post(CODE, {"code": out.getvalue().strip()})

    assert int(signed_in_id(client)) == personas.peer.pk
    assert device.pk  # their app is untouched and still asked for next time


def test_an_unfinished_sign_in_is_forgotten_when_someone_else_signs_in(client, personas):
    turn_on(personas.coordinator)
    password_step(client, personas.coordinator)  # left at the code step

    password_step(client, personas.peer)

    assert int(signed_in_id(client)) == personas.peer.pk
    assert PENDING_KEY not in client.session
