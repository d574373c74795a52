"""Asking for, confirming and cancelling an erasure: the org admin's pages and the command
(docs/privacy.md, "Erasure")."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from lms.erasure import erasure_request_create
from lms.models import AuditEvent, ErasureRequest, Membership, Role, User
from tests.factories import MembershipFactory, UserFactory


def _confirm_url(personas, person, organisation=None):
    slug = (organisation or personas.home).slug
    return reverse("lms:erasure-confirm", args=[slug, person.pk])


def _cancel_url(personas, person):
    return reverse("lms:erasure-cancel", args=[personas.home.slug, person.pk])


def _post(client, personas, person, email=None, reason="Left in March"):
    return client.post(
        _confirm_url(personas, person),
        {"reason": reason, "confirm_email": email if email is not None else person.email},
    )


@pytest.fixture
def leaver(personas):
    """Lee held a peer role at Home that ended last week."""
    lee = UserFactory(email="lee.leaver@example.org", display_name="Lee Leaver")
    MembershipFactory(
        user=lee,
        organisation=personas.home,
        role=Role.PEER,
        active_from=timezone.localdate() - timedelta(days=90),
        active_to=timezone.localdate() - timedelta(days=7),
    )
    return lee


def test_the_people_page_offers_erasure_for_people_who_have_left(client, personas, leaver):
    client.force_login(personas.org_admin)
    page = client.get(reverse("lms:members", args=[personas.home.slug])).content.decode()
    assert "People who have left" in page
    assert _confirm_url(personas, leaver) in page


def test_the_confirmation_page_says_what_happens_and_when(client, personas, leaver):
    client.force_login(personas.org_admin)
    page = client.get(_confirm_url(personas, leaver)).content.decode()
    day = timezone.localtime(timezone.now() + timedelta(days=14))
    assert f"{day:%-d %B %Y}" in page
    for words in ("What is deleted", "What is kept, without their name", "cannot be undone"):
        assert words in page


def test_org_admin_schedules_an_erasure_and_it_is_audited(client, personas, leaver):
    client.force_login(personas.org_admin)
    response = _post(client, personas, leaver)
    assert response.status_code == 302
    erasure = ErasureRequest.objects.get(person=leaver)
    assert (erasure.organisation, erasure.requested_by, erasure.reason) == (
        personas.home,
        personas.org_admin,
        "Left in March",
    )
    event = AuditEvent.objects.get(action="lms.erasure.requested")
    assert (event.actor, event.subject_user, event.organisation) == (
        personas.org_admin,
        leaver,
        personas.home,
    )
    page = client.get(response["Location"]).content.decode()
    assert "Erasure of Lee Leaver's data scheduled for" in page
    assert _cancel_url(personas, leaver) in page


def test_a_wrong_email_or_no_reason_changes_nothing_and_says_why(client, personas, leaver):
    client.force_login(personas.org_admin)
    page = _post(client, personas, leaver, email="someone@example.org").content.decode()
    assert "The email address you typed is not theirs" in page
    page = _post(client, personas, leaver, reason="").content.decode()
    assert "Say why this person" in page
    assert not ErasureRequest.objects.exists()


def test_erasing_twice_is_refused_with_a_clear_message(client, personas, leaver):
    client.force_login(personas.org_admin)
    _post(client, personas, leaver)
    page = _post(client, personas, leaver).content.decode()
    assert "An erasure of Lee Leaver is already scheduled for" in page
    assert ErasureRequest.objects.filter(person=leaver).count() == 1


def test_the_last_org_admin_cannot_be_erased(client, personas):
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    page = _post(client, personas, personas.org_admin).content.decode()
    assert "is the only admin of Home Org" in page
    assert not ErasureRequest.objects.exists()


def test_an_org_admin_cannot_erase_themselves_here(client, personas):
    MembershipFactory(user=UserFactory(), organisation=personas.home, role=Role.ORG_ADMIN)
    client.force_login(personas.org_admin)
    page = _post(client, personas, personas.org_admin).content.decode()
    assert "You cannot erase your own data here" in page
    assert not ErasureRequest.objects.exists()


def test_someone_with_a_role_elsewhere_is_not_ours_to_erase(client, personas, leaver):
    MembershipFactory(user=leaver, organisation=personas.other, role=Role.PEER)
    client.force_login(personas.org_admin)
    page = _post(client, personas, leaver).content.decode()
    assert "still holds a role at Other Org" in page
    assert "End their roles here instead" in page
    assert not ErasureRequest.objects.exists()


def test_a_current_member_may_be_erased_once_the_admin_confirms_and_roles_end_then(
    client, personas
):
    client.force_login(personas.org_admin)
    page = client.get(_confirm_url(personas, personas.peer)).content.decode()
    assert "Erasing their data also ends it" in page
    assert _post(client, personas, personas.peer).status_code == 302
    assert Membership.objects.active().filter(user=personas.peer).exists()  # not before the day


def test_cancelling_during_the_grace_period_keeps_everything(client, personas, leaver):
    client.force_login(personas.org_admin)
    _post(client, personas, leaver)
    response = client.post(_cancel_url(personas, leaver))
    erasure = ErasureRequest.objects.get(person=leaver)
    assert erasure.cancelled_at is not None and erasure.cancelled_by == personas.org_admin
    assert "cancelled. Nothing was deleted" in client.get(response["Location"]).content.decode()
    assert AuditEvent.objects.filter(action="lms.erasure.cancelled").count() == 1
    # And the person can be asked for again later.
    _post(client, personas, leaver)
    assert ErasureRequest.objects.open().filter(person=leaver).count() == 1


def test_cancelling_when_nothing_is_scheduled_says_so(client, personas, leaver):
    client.force_login(personas.org_admin)
    response = client.post(_cancel_url(personas, leaver))
    assert "No erasure of Lee Leaver" in client.get(response["Location"]).content.decode()


WRONG_PEOPLE = ["coordinator", "peer", "mentor", "editor", "other_org_admin", "other_coordinator"]


@pytest.mark.parametrize("who", WRONG_PEOPLE)
def test_the_wrong_people_get_404_and_change_nothing(client, personas, leaver, who):
    client.force_login(getattr(personas, who))
    assert client.get(_confirm_url(personas, leaver)).status_code == 404
    assert _post(client, personas, leaver).status_code == 404
    erasure_request_create(person=leaver, organisation=personas.home, by=None, reason="Left")
    assert client.post(_cancel_url(personas, leaver)).status_code == 404
    assert ErasureRequest.objects.open().count() == 1


def test_another_organisations_person_is_404_even_for_an_admin(client, personas):
    client.force_login(personas.org_admin)
    assert client.get(_confirm_url(personas, personas.other_peer)).status_code == 404
    url = _confirm_url(personas, personas.peer, organisation=personas.other)
    client.force_login(personas.other_org_admin)
    assert client.get(url).status_code == 404


def test_anonymous_is_sent_to_sign_in(client, personas, leaver):
    assert client.get(_confirm_url(personas, leaver))["Location"].startswith("/accounts/login/")


# --- The command ------------------------------------------------------------------------------


def test_the_command_schedules_and_cancels(personas, leaver, capsys):
    call_command("erase_person", leaver.email, "--reason", "Asked by email")
    assert "scheduled for" in capsys.readouterr().out
    assert ErasureRequest.objects.open().get(person=leaver).organisation is None
    call_command("erase_person", leaver.email, "--cancel")
    assert not ErasureRequest.objects.open().exists()


def test_the_command_with_now_erases_at_once(personas, leaver, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("erase_person", leaver.email, "--reason", "Asked by email", "--now")
    leaver.refresh_from_db()
    assert leaver.email.endswith("@erased.invalid") and not leaver.is_active
    with pytest.raises(CommandError, match="already been erased"):
        call_command("erase_person", leaver.email, "--reason", "Again", "--now")


def test_the_command_refuses_clearly(personas):
    with pytest.raises(CommandError, match="Nobody has the email address"):
        call_command("erase_person", "nobody@example.org", "--reason", "x")
    with pytest.raises(CommandError, match="only admin of Home Org"):
        call_command("erase_person", personas.org_admin.email, "--reason", "x")
    with pytest.raises(CommandError, match="Give a reason"):
        call_command("erase_person", personas.peer.email)


# --- The admin no longer deletes people with records ------------------------------------------


def test_the_admin_refuses_to_delete_someone_with_records(client, personas, leaver):
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    url = reverse("wagtailusers_users:delete", args=[leaver.pk])
    response = client.post(url)
    assert response.status_code == 302
    assert User.objects.filter(pk=leaver.pk).exists()
    nobody = UserFactory()
    nobody.groups.add(Group.objects.get(name="Editors"))
    client.post(reverse("wagtailusers_users:delete", args=[nobody.pk]))
    assert not User.objects.filter(pk=nobody.pk).exists()
