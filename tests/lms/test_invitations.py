"""Inviting people: the email, the link, setting up an account, and links that no longer work."""

import re
from datetime import timedelta
from urllib.parse import urlparse

import pytest
from django.contrib.auth import SESSION_KEY
from django.db import DatabaseError
from django.urls import reverse
from django.utils import timezone

from lms.models import AuditEvent, Invitation, Membership, Role, User
from lms.services import invitation_create, invitation_token
from lms.tasks import send_invitation_email
from tests.factories import TEST_PASSWORD, InvitationFactory, OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "kettle-harbour-lantern-91"
LINK_RE = re.compile(r"https?://[^\s\"<>]+/invitations/[^\s\"<>]+/")


def _link_in(message) -> str:
    """The path of the invitation link in an email (plain text part)."""
    match = LINK_RE.search(message.body)
    assert match, message.body
    return urlparse(match.group(0)).path


def _invite(client, inviter, organisation, capture, *, email, role=Role.PEER, display_name=""):
    client.force_login(inviter)
    with capture(execute=True):
        return client.post(
            reverse("lms:invite", args=[organisation.slug]),
            {"email": email, "role": role, "display_name": display_name},
        )


def _accept(client, link, *, name="Robin New", password1=NEW_PASSWORD, password2=NEW_PASSWORD):
    return client.post(link, {"display_name": name, "password1": password1, "password2": password2})


@pytest.fixture
def invited(client, personas, mailoutbox, django_capture_on_commit_callbacks):
    """The coordinator has invited robin@example.org as a peer; returns the emailed link."""
    response = _invite(
        client,
        personas.coordinator,
        personas.home,
        django_capture_on_commit_callbacks,
        email="Robin@Example.org",
        display_name="Robin",
    )
    assert response.status_code == 302
    client.logout()
    assert len(mailoutbox) == 1
    return _link_in(mailoutbox[0])


def _invitation():
    return Invitation.objects.get(email="robin@example.org")


# --- Sending -----------------------------------------------------------------------------------


def test_coordinator_invites_a_peer_and_an_invitation_is_written(
    client, personas, mailoutbox, django_capture_on_commit_callbacks
):
    response = _invite(
        client,
        personas.coordinator,
        personas.home,
        django_capture_on_commit_callbacks,
        email="Robin@Example.org",
    )

    assert response.status_code == 302
    assert response.url == reverse("lms:members", args=[personas.home.slug])
    invitation = _invitation()
    assert invitation.organisation == personas.home
    assert invitation.role == Role.PEER
    assert invitation.invited_by == personas.coordinator
    assert invitation.accepted_at is None
    assert AuditEvent.objects.filter(
        action="invitation.created", subject_id=str(invitation.pk), actor=personas.coordinator
    ).exists()


def test_inviter_is_told_the_invitation_was_sent(
    client, personas, mailoutbox, django_capture_on_commit_callbacks
):
    _invite(
        client,
        personas.coordinator,
        personas.home,
        django_capture_on_commit_callbacks,
        email="robin@example.org",
    )

    page = client.get(reverse("lms:members", args=[personas.home.slug]))

    assert "Invitation sent to robin@example.org." in page.content.decode()
    assert "robin@example.org" in page.content.decode()


def test_invitation_email_names_the_organisation_and_role_and_has_a_link(
    client, personas, mailoutbox, django_capture_on_commit_callbacks
):
    _invite(
        client,
        personas.coordinator,
        personas.home,
        django_capture_on_commit_callbacks,
        email="robin@example.org",
        display_name="Robin",
    )

    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["robin@example.org"]
    assert message.subject == "You are invited to join Home Org on Peer Pathways"
    assert "Hello Robin," in message.body
    assert "Cam Coordinator has invited you to join Home Org on Peer Pathways as a peer" in (
        message.body
    )
    assert _link_in(message).startswith("/invitations/")


def test_invitation_email_html_part_escapes_names(
    personas, mailoutbox, django_capture_on_commit_callbacks
):
    organisation = OrganisationFactory(name="Mind & Body", slug="mind-and-body")
    with django_capture_on_commit_callbacks(execute=True):
        invitation_create(
            organisation=organisation,
            email="donal@example.org",
            role=Role.PEER,
            display_name="<b>Dónal</b>",
            invited_by=personas.coordinator,
        )

    html, _ = mailoutbox[0].alternatives[0]
    assert "Hello &lt;b&gt;Dónal&lt;/b&gt;," in html
    assert "Mind &amp; Body" in html


def test_invitation_email_subject_and_text_show_names_as_typed(
    mailoutbox, django_capture_on_commit_callbacks
):
    organisation = OrganisationFactory(name="Mind & Body", slug="mind-and-body")
    inviter = UserFactory(display_name="Siobhán O'Neil")
    with django_capture_on_commit_callbacks(execute=True):
        invitation_create(
            organisation=organisation,
            email="donal@example.org",
            role=Role.PEER,
            display_name="Dónal O'Brien",
            invited_by=inviter,
        )

    message = mailoutbox[0]
    assert message.subject == "You are invited to join Mind & Body on Peer Pathways"
    assert "Hello Dónal O'Brien," in message.body
    assert "Siobhán O'Neil has invited you to join Mind & Body" in message.body


def test_invitation_is_not_kept_when_its_audit_event_cannot_be_written(personas, monkeypatch):
    def failing_audit_record(**kwargs):
        raise DatabaseError("audit log unavailable")

    monkeypatch.setattr("lms.services.audit_record", failing_audit_record)

    with pytest.raises(DatabaseError):
        invitation_create(
            organisation=personas.home,
            email="robin@example.org",
            role=Role.PEER,
            invited_by=personas.coordinator,
        )

    assert not Invitation.objects.exists()


def test_no_email_is_sent_before_the_invitation_is_committed(
    client, personas, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(personas.coordinator)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client.post(
            reverse("lms:invite", args=[personas.home.slug]),
            {"email": "robin@example.org", "role": Role.PEER},
        )

    assert mailoutbox == []
    assert len(callbacks) == 1


def test_send_task_sends_one_email_however_often_it_runs(personas, mailoutbox):
    invitation = InvitationFactory(organisation=personas.home, invited_by=personas.coordinator)

    send_invitation_email(invitation.pk)
    send_invitation_email(invitation.pk)

    assert len(mailoutbox) == 1
    invitation.refresh_from_db()
    assert invitation.sent_nonce == invitation.nonce


def test_send_task_sends_nothing_for_an_accepted_invitation(personas, mailoutbox):
    invitation = InvitationFactory(
        organisation=personas.home, accepted_at=timezone.now(), accepted_by=personas.peer
    )

    send_invitation_email(invitation.pk)

    assert mailoutbox == []


def test_send_task_sends_nothing_for_a_withdrawn_invitation(personas, mailoutbox):
    invitation = InvitationFactory(organisation=personas.home)
    invitation_pk = invitation.pk
    invitation.delete()

    send_invitation_email(invitation_pk)

    assert mailoutbox == []


# --- Who may invite whom -----------------------------------------------------------------------


def test_coordinator_may_choose_only_peer_or_mentor(client, personas):
    client.force_login(personas.coordinator)

    page = client.get(reverse("lms:invite", args=[personas.home.slug]))

    assert list(page.context["form"].fields["role"].choices) == [
        (Role.PEER, "Peer"),
        (Role.MENTOR, "Mentor"),
    ]
    html = page.content.decode()
    assert 'value="peer"' in html
    assert 'value="mentor"' in html
    assert 'value="coordinator"' not in html
    assert 'value="org_admin"' not in html


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.ORG_ADMIN])
def test_coordinator_cannot_invite_a_staff_role(
    client, personas, mailoutbox, django_capture_on_commit_callbacks, role
):
    response = _invite(
        client,
        personas.coordinator,
        personas.home,
        django_capture_on_commit_callbacks,
        email="robin@example.org",
        role=role,
    )

    assert response.status_code == 200
    assert "There is a problem" in response.content.decode()
    assert not Invitation.objects.exists()
    assert mailoutbox == []


def test_org_admin_may_choose_any_role(client, personas):
    client.force_login(personas.org_admin)

    page = client.get(reverse("lms:invite", args=[personas.home.slug]))

    assert [value for value, _ in page.context["form"].fields["role"].choices] == [
        Role.PEER,
        Role.MENTOR,
        Role.COORDINATOR,
        Role.ORG_ADMIN,
    ]


@pytest.mark.parametrize("role", [Role.PEER, Role.MENTOR, Role.COORDINATOR, Role.ORG_ADMIN])
def test_org_admin_may_invite_any_role(
    client, personas, mailoutbox, django_capture_on_commit_callbacks, role
):
    response = _invite(
        client,
        personas.org_admin,
        personas.home,
        django_capture_on_commit_callbacks,
        email="robin@example.org",
        role=role,
    )

    assert response.status_code == 302
    assert _invitation().role == role
    assert len(mailoutbox) == 1


# --- Clear form errors -------------------------------------------------------------------------


def test_inviting_the_same_email_and_role_twice_gives_a_clear_error_and_no_second_row(
    client, personas, mailoutbox, django_capture_on_commit_callbacks
):
    _invite(
        client,
        personas.coordinator,
        personas.home,
        django_capture_on_commit_callbacks,
        email="robin@example.org",
    )

    response = _invite(
        client,
        personas.coordinator,
        personas.home,
        django_capture_on_commit_callbacks,
        email="ROBIN@example.org",
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert "There is a problem" in html
    assert "robin@example.org has already been invited as a peer." in html
    assert Invitation.objects.count() == 1
    assert len(mailoutbox) == 1


def test_same_email_may_be_invited_to_a_second_role(
    client, personas, mailoutbox, django_capture_on_commit_callbacks
):
    _invite(
        client,
        personas.coordinator,
        personas.home,
        django_capture_on_commit_callbacks,
        email="robin@example.org",
    )

    _invite(
        client,
        personas.coordinator,
        personas.home,
        django_capture_on_commit_callbacks,
        email="robin@example.org",
        role=Role.MENTOR,
    )

    assert set(Invitation.objects.values_list("role", flat=True)) == {Role.PEER, Role.MENTOR}


def test_inviting_someone_who_already_holds_the_role_gives_a_clear_error(
    client, personas, mailoutbox, django_capture_on_commit_callbacks
):
    response = _invite(
        client,
        personas.coordinator,
        personas.home,
        django_capture_on_commit_callbacks,
        email=personas.peer.email.upper(),
    )

    assert response.status_code == 200
    assert "peer@example.org is already a peer in Home Org." in response.content.decode()
    assert not Invitation.objects.exists()
    assert mailoutbox == []


def test_invitation_needs_a_valid_email(
    client, personas, mailoutbox, django_capture_on_commit_callbacks
):
    response = _invite(
        client,
        personas.coordinator,
        personas.home,
        django_capture_on_commit_callbacks,
        email="not-an-email",
    )

    assert "There is a problem" in response.content.decode()
    assert "Enter a valid email address." in response.content.decode()
    assert not Invitation.objects.exists()


# --- The link ----------------------------------------------------------------------------------


def test_invitation_link_shows_the_set_up_form(client, invited):
    page = client.get(invited)

    assert page.status_code == 200
    html = page.content.decode()
    assert "Join Home Org" in html
    assert "robin@example.org" in html
    assert 'value="Robin"' in html  # the inviter's name for them, ready to change
    assert "Create my account" in html


def test_mismatched_passwords_keep_the_typed_name_and_show_the_error_summary(client, invited):
    response = _accept(client, invited, name="Robin Typed", password2="something-else-entirely")

    assert response.status_code == 200
    html = response.content.decode()
    assert "There is a problem" in html
    assert "The two passwords do not match." in html
    assert 'value="Robin Typed"' in html
    assert not User.objects.filter(email="robin@example.org").exists()
    assert _invitation().accepted_at is None


def test_weak_password_is_refused_with_the_reason(client, invited):
    response = _accept(client, invited, password1="password", password2="password")

    html = response.content.decode()
    assert "There is a problem" in html
    assert "This password is too common." in html
    assert not User.objects.filter(email="robin@example.org").exists()


def test_blank_name_is_refused(client, invited):
    response = _accept(client, invited, name="   ")

    assert "There is a problem" in response.content.decode()
    assert not User.objects.filter(email="robin@example.org").exists()


def test_accepting_creates_the_account_and_role_and_signs_them_in(client, invited, personas):
    response = _accept(client, invited, name="Robin New")

    assert response.status_code == 302
    assert response.url == "/"
    user = User.objects.get(email="robin@example.org")
    assert user.display_name == "Robin New"
    assert user.check_password(NEW_PASSWORD)
    assert int(client.session[SESSION_KEY]) == user.pk
    assert list(
        Membership.objects.active().filter(user=user).values_list("organisation", "role")
    ) == [(personas.home.pk, Role.PEER)]


def test_accepting_marks_the_invitation_accepted_and_audits_it(client, invited, personas):
    _accept(client, invited)

    user = User.objects.get(email="robin@example.org")
    invitation = _invitation()
    assert invitation.accepted_at is not None
    assert invitation.accepted_by == user
    event = AuditEvent.objects.get(action="invitation.accepted")
    assert event.actor == user
    assert event.subject_user == user
    assert event.organisation == personas.home
    assert event.subject_id == str(invitation.pk)


def test_after_accepting_the_dashboard_welcomes_them_to_the_organisation(client, invited):
    response = _accept(client, invited, name="Robin New")

    page = client.get(response.url)
    html = page.content.decode()
    assert "Welcome to Peer Pathways. You have joined Home Org." in html
    assert "Hello, Robin New" in html
    assert "Home Org" in html


def test_used_link_says_already_used(client, invited):
    _accept(client, invited)
    client.logout()

    page = client.get(invited)

    assert page.status_code == 410
    assert "This invitation has already been used" in page.content.decode()
    assert User.objects.filter(email="robin@example.org").count() == 1


def test_posting_to_a_used_link_makes_no_second_account(client, invited):
    _accept(client, invited)
    client.logout()

    response = _accept(client, invited, name="Someone Else")

    assert response.status_code == 410
    assert User.objects.get(email="robin@example.org").display_name == "Robin New"
    assert Membership.objects.filter(user__email="robin@example.org").count() == 1


def test_expired_link_says_expired_and_offers_to_ask_again(client, invited):
    Invitation.objects.filter(email="robin@example.org").update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )

    page = client.get(invited)

    assert page.status_code == 410
    html = page.content.decode()
    assert "This invitation link has expired" in html
    assert "Ask the person who invited you at Home Org to send it again." in html


def test_expired_link_cannot_be_accepted(client, invited):
    Invitation.objects.filter(email="robin@example.org").update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )

    response = _accept(client, invited)

    assert response.status_code == 410
    assert not User.objects.filter(email="robin@example.org").exists()


@pytest.mark.parametrize(
    "tamper",
    [
        lambda link: link[:-3] + ("A" if link[-3] != "A" else "B") + link[-2:],
        lambda link: "/invitations/not-a-token/",
        lambda link: link.replace("/invitations/", "/invitations/x"),
    ],
    ids=["changed-signature", "garbage", "prefixed"],
)
def test_tampered_link_does_not_work(client, invited, tamper):
    page = client.get(tamper(invited))

    assert page.status_code == 410
    assert "This invitation link does not work" in page.content.decode()


def test_token_for_another_invitation_id_does_not_work(client, personas):
    invitation = InvitationFactory(organisation=personas.home)
    token = invitation_token(invitation=invitation)
    invitation.delete()

    page = client.get(reverse("lms:invitation-accept", args=[token]))

    assert page.status_code == 410
    assert "This invitation link does not work" in page.content.decode()


def test_withdrawn_invitation_link_does_not_work(
    client, invited, personas, django_capture_on_commit_callbacks
):
    client.force_login(personas.coordinator)
    url = reverse("lms:invitation-withdraw", args=[personas.home.slug, _invitation().pk])
    asked = client.post(url)
    assert "The link sent to robin@example.org" in asked.content.decode()
    assert client.get(invited).status_code == 200  # asking first changed nothing
    client.force_login(personas.coordinator)
    response = client.post(url, {"confirm": "yes"}, follow=True)
    assert "Invitation to robin@example.org withdrawn." in response.content.decode()
    assert AuditEvent.objects.filter(action="invitation.withdrawn").exists()
    client.logout()

    page = client.get(invited)

    assert page.status_code == 410
    assert "This invitation link does not work" in page.content.decode()


# --- Sending again -----------------------------------------------------------------------------


def _resend(client, personas, capture, invitation, *, by=None):
    client.force_login(by or personas.coordinator)
    with capture(execute=True):
        return client.post(
            reverse("lms:invitation-resend", args=[personas.home.slug, invitation.pk]), follow=True
        )


def test_resending_sends_a_second_email_with_a_new_link(
    client, invited, personas, mailoutbox, django_capture_on_commit_callbacks
):
    response = _resend(client, personas, django_capture_on_commit_callbacks, _invitation())

    assert (
        "Invitation sent again to robin@example.org. The earlier link no longer works."
        in response.content.decode()
    )
    assert len(mailoutbox) == 2
    assert mailoutbox[1].to == ["robin@example.org"]
    assert _link_in(mailoutbox[1]) != invited


def test_resending_retires_the_old_link_and_the_new_one_works(
    client, invited, personas, mailoutbox, django_capture_on_commit_callbacks
):
    _resend(client, personas, django_capture_on_commit_callbacks, _invitation())
    client.logout()
    new_link = _link_in(mailoutbox[1])

    old_page = client.get(invited)
    assert old_page.status_code == 410
    assert "This invitation link has expired" in old_page.content.decode()
    assert "only the most recent link works" in old_page.content.decode()

    new_page = client.get(new_link)
    assert new_page.status_code == 200
    assert "Create my account" in new_page.content.decode()
    _accept(client, new_link)
    assert User.objects.filter(email="robin@example.org").exists()


def test_resending_an_expired_invitation_gives_a_fresh_expiry(
    client, invited, personas, mailoutbox, django_capture_on_commit_callbacks, settings
):
    Invitation.objects.filter(email="robin@example.org").update(
        expires_at=timezone.now() - timedelta(days=1)
    )

    _resend(client, personas, django_capture_on_commit_callbacks, _invitation())

    assert _invitation().expires_at > timezone.now() + timedelta(
        days=settings.INVITATION_VALID_DAYS - 1
    )
    client.logout()
    assert client.get(_link_in(mailoutbox[1])).status_code == 200


def test_resending_writes_an_audit_event(
    client, invited, personas, django_capture_on_commit_callbacks
):
    _resend(client, personas, django_capture_on_commit_callbacks, _invitation())

    assert AuditEvent.objects.filter(
        action="invitation.resent", actor=personas.coordinator, subject_id=str(_invitation().pk)
    ).exists()


def test_resending_an_accepted_invitation_says_it_was_accepted(
    client, invited, personas, mailoutbox, django_capture_on_commit_callbacks
):
    _accept(client, invited)
    nonce = _invitation().nonce

    response = _resend(client, personas, django_capture_on_commit_callbacks, _invitation())

    assert "robin@example.org has already accepted this invitation." in response.content.decode()
    assert len(mailoutbox) == 1
    assert _invitation().nonce == nonce


def test_withdrawing_an_accepted_invitation_says_it_was_accepted(
    client, invited, personas, django_capture_on_commit_callbacks
):
    _accept(client, invited)
    client.force_login(personas.coordinator)

    response = client.post(
        reverse("lms:invitation-withdraw", args=[personas.home.slug, _invitation().pk]),
        follow=True,
    )

    assert "robin@example.org has already accepted this invitation." in response.content.decode()
    assert Invitation.objects.filter(email="robin@example.org").exists()


# --- Someone who already has an account --------------------------------------------------------


@pytest.fixture
def peer_invited_as_mentor(personas, mailoutbox, django_capture_on_commit_callbacks):
    """The home peer, who already has an account, is invited to be a mentor too."""
    with django_capture_on_commit_callbacks(execute=True):
        invitation_create(
            organisation=personas.home,
            email=personas.peer.email,
            role=Role.MENTOR,
            invited_by=personas.coordinator,
        )
    return _link_in(mailoutbox[-1])


def test_existing_user_is_asked_to_sign_in_first(client, peer_invited_as_mentor, personas):
    page = client.get(peer_invited_as_mentor)

    assert page.status_code == 200
    html = page.content.decode()
    assert "You already have a Peer Pathways account." in html
    assert "Sign in as <strong>peer@example.org</strong>" in html
    assert "Create my account" not in html


def test_existing_user_cannot_join_without_signing_in(client, peer_invited_as_mentor, personas):
    client.post(peer_invited_as_mentor, {})
    _accept(client, peer_invited_as_mentor)

    assert not Membership.objects.filter(user=personas.peer, role=Role.MENTOR).exists()
    assert Invitation.objects.get(email=personas.peer.email).accepted_at is None


def test_existing_user_signs_in_then_confirms_and_joins(client, peer_invited_as_mentor, personas):
    sign_in = client.post(
        reverse("lms:login"),
        {
            "username": personas.peer.email,
            "password": TEST_PASSWORD,
            "next": peer_invited_as_mentor,
        },
    )
    assert sign_in.status_code == 302
    assert sign_in.url == peer_invited_as_mentor

    confirm = client.get(sign_in.url)
    assert "Accept the invitation" in confirm.content.decode()
    assert "as a <strong>mentor</strong>" in confirm.content.decode()

    joined = client.post(peer_invited_as_mentor, follow=True)

    assert "You have joined Home Org." in joined.content.decode()
    assert set(
        Membership.objects.active().filter(user=personas.peer).values_list("role", flat=True)
    ) == {Role.PEER, Role.MENTOR}
    invitation = Invitation.objects.get(email=personas.peer.email)
    assert invitation.accepted_by == personas.peer
    assert User.objects.filter(email=personas.peer.email).count() == 1
    assert personas.peer.check_password(TEST_PASSWORD)


def test_sign_in_link_on_the_invitation_page_comes_back_to_the_invitation(
    client, peer_invited_as_mentor
):
    page = client.get(peer_invited_as_mentor)

    match = re.search(r'href="(/accounts/login/\?next=[^"]+)"', page.content.decode())
    assert match
    login_page = client.get(match.group(1).replace("&amp;", "&"))
    assert login_page.context["next"] == peer_invited_as_mentor


def test_someone_else_signed_in_is_told_to_sign_out_first(client, peer_invited_as_mentor, personas):
    client.force_login(personas.mentor)

    page = client.get(peer_invited_as_mentor)
    client.post(peer_invited_as_mentor)

    assert "You are signed in as someone else just now." in page.content.decode()
    assert not Membership.objects.filter(user=personas.peer, role=Role.MENTOR).exists()
    assert list(Membership.objects.filter(user=personas.mentor).values_list("role", flat=True)) == [
        Role.MENTOR
    ]
    assert Invitation.objects.get(email=personas.peer.email).accepted_at is None


def test_second_invitation_after_first_account_asks_to_sign_in(
    client, invited, personas, mailoutbox, django_capture_on_commit_callbacks
):
    _invite(
        client,
        personas.coordinator,
        personas.home,
        django_capture_on_commit_callbacks,
        email="robin@example.org",
        role=Role.MENTOR,
    )
    client.logout()
    mentor_link = _link_in(mailoutbox[-1])
    _accept(client, invited)  # the peer invitation creates the account and signs in
    client.logout()

    page = client.get(mentor_link)

    assert "You already have a Peer Pathways account." in page.content.decode()


@pytest.mark.parametrize("action", ["lms:invitation-resend", "lms:invitation-withdraw"])
def test_coordinator_cannot_resend_or_withdraw_an_org_admin_invitation(client, personas, action):
    invitation = InvitationFactory(
        organisation=personas.home, email="boss@example.org", role=Role.ORG_ADMIN
    )
    client.force_login(personas.coordinator)
    response = client.post(reverse(action, args=[personas.home.slug, invitation.pk]))
    assert response.status_code == 404
    assert Invitation.objects.filter(pk=invitation.pk, nonce=invitation.nonce).exists()
