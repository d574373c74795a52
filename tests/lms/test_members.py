"""Looking after the people of an organisation: who may, what it writes, and what it costs."""

from datetime import timedelta

import pytest
from django.db import DatabaseError
from django.urls import reverse
from django.utils import timezone

from lms.models import AuditEvent, Invitation, Membership, Role
from lms.services import membership_add
from tests.factories import (
    InvitationFactory,
    MembershipFactory,
    OrganisationFactory,
    UserFactory,
)
from tests.querycount import assert_queries_do_not_grow

pytestmark = pytest.mark.django_db

# (url name, HTTP method) for every members-management URL.
MEMBER_URLS = [
    ("lms:members", "get"),
    ("lms:invite", "get"),
    ("lms:invitation-resend", "post"),
    ("lms:invitation-withdraw", "post"),
    ("lms:membership-add", "post"),
    ("lms:membership-end", "post"),
]
MEMBER_URL_NAMES = [name for name, _ in MEMBER_URLS]


@pytest.fixture
def home_invitation(personas):
    return InvitationFactory(
        organisation=personas.home, email="robin@example.org", invited_by=personas.coordinator
    )


def _url(name, personas, invitation, *, slug=None):
    """The URL for `name` aimed at home-organisation objects (under `slug`, home by default)."""
    slug = slug or personas.home.slug
    peer_membership = Membership.objects.get(user=personas.peer, organisation=personas.home)
    args = {
        "lms:members": [slug],
        "lms:invite": [slug],
        "lms:invitation-resend": [slug, invitation.pk],
        "lms:invitation-withdraw": [slug, invitation.pk],
        "lms:membership-add": [slug, personas.peer.pk],
        "lms:membership-end": [slug, peer_membership.pk],
    }[name]
    return reverse(name, args=args)


# Withdrawing and ending ask first; these post the answer from the confirmation page.
CONFIRMED = {"lms:invitation-withdraw", "lms:membership-end"}


def _request(client, name, url):
    method = dict(MEMBER_URLS)[name]
    data = {"role": Role.MENTOR} if name == "lms:membership-add" else {}
    if name in CONFIRMED:
        data["confirm"] = "yes"
    return getattr(client, method)(url, data)


def _nothing_changed(personas, invitation):
    """No write happened: the invitation, the peer's role and the audit log are as they were."""
    invitation_row = Invitation.objects.filter(pk=invitation.pk).first()
    return (
        invitation_row is not None
        and invitation_row.nonce == invitation.nonce
        and list(Membership.objects.filter(user=personas.peer).values_list("role", "active_to"))
        == [(Role.PEER, None)]
        and not AuditEvent.objects.exists()
    )


# --- Permission matrix -------------------------------------------------------------------------


@pytest.mark.parametrize("name", MEMBER_URL_NAMES)
def test_anonymous_is_sent_to_sign_in(client, personas, home_invitation, name):
    response = _request(client, name, _url(name, personas, home_invitation))

    assert response.status_code == 302
    assert response.url.startswith(reverse("lms:login") + "?next=")
    assert _nothing_changed(personas, home_invitation)


@pytest.mark.parametrize("name", MEMBER_URL_NAMES)
@pytest.mark.parametrize("who", ["peer", "mentor", "editor"])
def test_home_people_without_a_staff_role_get_404(client, personas, home_invitation, who, name):
    client.force_login(getattr(personas, who))

    response = _request(client, name, _url(name, personas, home_invitation))

    assert response.status_code == 404
    assert _nothing_changed(personas, home_invitation)


@pytest.mark.parametrize("name", MEMBER_URL_NAMES)
@pytest.mark.parametrize("who", ["other_coordinator", "other_org_admin"])
def test_other_organisation_staff_get_404_never_403(client, personas, home_invitation, who, name):
    client.force_login(getattr(personas, who))

    response = _request(client, name, _url(name, personas, home_invitation))

    assert response.status_code == 404
    assert _nothing_changed(personas, home_invitation)


@pytest.mark.parametrize(
    "name",
    [
        "lms:invitation-resend",
        "lms:invitation-withdraw",
        "lms:membership-add",
        "lms:membership-end",
    ],
)
def test_other_org_admin_cannot_reach_home_objects_through_their_own_organisation(
    client, personas, home_invitation, name
):
    client.force_login(personas.other_org_admin)

    url = _url(name, personas, home_invitation, slug=personas.other.slug)
    response = _request(client, name, url)

    assert response.status_code == 404
    assert _nothing_changed(personas, home_invitation)


@pytest.mark.parametrize(
    ("name", "expected_status"),
    [
        ("lms:members", 200),
        ("lms:invite", 200),
        ("lms:invitation-resend", 302),
        ("lms:invitation-withdraw", 302),
        ("lms:membership-add", 404),
        ("lms:membership-end", 404),
    ],
)
def test_coordinator_may_see_people_and_invite_but_not_change_roles(
    client, personas, home_invitation, name, expected_status
):
    client.force_login(personas.coordinator)

    response = _request(client, name, _url(name, personas, home_invitation))

    assert response.status_code == expected_status
    assert list(Membership.objects.filter(user=personas.peer).values_list("role", "active_to")) == [
        (Role.PEER, None)
    ]


@pytest.mark.parametrize(
    ("name", "expected_status"),
    [
        ("lms:members", 200),
        ("lms:invite", 200),
        ("lms:invitation-resend", 302),
        ("lms:invitation-withdraw", 302),
        ("lms:membership-add", 302),
        ("lms:membership-end", 302),
    ],
)
def test_org_admin_may_do_everything(client, personas, home_invitation, name, expected_status):
    client.force_login(personas.org_admin)

    response = _request(client, name, _url(name, personas, home_invitation))

    assert response.status_code == expected_status
    if expected_status == 302:
        assert response.url.startswith(reverse("lms:members", args=[personas.home.slug]))
        assert AuditEvent.objects.filter(actor=personas.org_admin).count() == 1


def test_superuser_may_see_any_organisations_people(client, personas):
    client.force_login(UserFactory(is_superuser=True, is_staff=True))

    response = client.get(reverse("lms:members", args=[personas.other.slug]))

    assert response.status_code == 200
    assert "Oz Peer" in response.content.decode()


def test_unknown_organisation_is_404(client, personas):
    client.force_login(personas.org_admin)

    assert client.get(reverse("lms:members", args=["no-such-org"])).status_code == 404


def test_ended_coordinator_role_no_longer_opens_the_people_page(client, personas):
    Membership.objects.filter(user=personas.coordinator).update(active_to=timezone.localdate())
    client.force_login(personas.coordinator)

    assert client.get(reverse("lms:members", args=[personas.home.slug])).status_code == 404


@pytest.mark.parametrize(
    ("name", "expected_status"),
    [
        ("lms:invitation-resend", 405),
        ("lms:invitation-withdraw", 200),  # its confirmation page
        ("lms:membership-add", 405),
        ("lms:membership-end", 200),  # its confirmation page
    ],
)
def test_changes_are_refused_by_get(client, personas, home_invitation, name, expected_status):
    client.force_login(personas.org_admin)

    response = client.get(_url(name, personas, home_invitation))

    assert response.status_code == expected_status
    assert _nothing_changed(personas, home_invitation)


@pytest.mark.parametrize("name", sorted(CONFIRMED))
def test_withdrawing_and_ending_ask_first_and_change_nothing_until_confirmed(
    client, personas, home_invitation, name
):
    client.force_login(personas.org_admin)
    url = _url(name, personas, home_invitation)

    asked = client.post(url)

    assert asked.status_code == 200
    page = asked.content.decode()
    assert "What will happen" in page
    assert 'name="confirm" value="yes"' in page
    assert _nothing_changed(personas, home_invitation)
    assert not AuditEvent.objects.filter(actor=personas.org_admin).exists()


# --- What people see on the list ---------------------------------------------------------------


def test_members_list_shows_only_this_organisations_people(client, personas):
    client.force_login(personas.coordinator)

    html = client.get(reverse("lms:members", args=[personas.home.slug])).content.decode()

    for name in ["Pat Peer", "Mo Mentor", "Cam Coordinator", "Ola Admin"]:
        assert name in html
    for name in ["Oz Peer", "Oli Mentor", "Ode Coordinator", "Orla Admin", "Eve Editor"]:
        assert name not in html
    assert "People (4)" in html


def test_members_list_leaves_out_people_whose_role_ended(client, personas):
    MembershipFactory(
        user=UserFactory(display_name="Gone Person"),
        organisation=personas.home,
        active_from=timezone.localdate() - timedelta(days=60),
        active_to=timezone.localdate() - timedelta(days=1),
    )
    client.force_login(personas.coordinator)

    html = client.get(reverse("lms:members", args=[personas.home.slug])).content.decode()

    assert "Gone Person" not in html


def test_members_list_search_by_name_or_email(client, personas):
    client.force_login(personas.coordinator)
    url = reverse("lms:members", args=[personas.home.slug])

    by_name = client.get(url, {"q": "mentor"}).content.decode()
    by_email = client.get(url, {"q": "orgadmin@"}).content.decode()
    nobody = client.get(url, {"q": "zzz"}).content.decode()

    assert "Mo Mentor" in by_name and "Pat Peer" not in by_name
    assert "Ola Admin" in by_email and "Mo Mentor" not in by_email
    assert "Nobody matches “zzz”." in nobody


def test_coordinator_sees_no_role_controls(client, personas):
    client.force_login(personas.coordinator)

    html = client.get(reverse("lms:members", args=[personas.home.slug])).content.decode()

    assert "Add a role" not in html
    assert "/end/" not in html


def test_org_admin_sees_role_controls(client, personas):
    client.force_login(personas.org_admin)

    html = client.get(reverse("lms:members", args=[personas.home.slug])).content.decode()

    assert "Add a role" in html
    assert reverse("lms:membership-add", args=[personas.home.slug, personas.peer.pk]) in html


def test_open_invitations_are_listed_with_expiry(client, personas, home_invitation):
    InvitationFactory(
        organisation=personas.home,
        email="late@example.org",
        expires_at=timezone.now() - timedelta(days=1),
    )
    InvitationFactory(organisation=personas.other, email="elsewhere@example.org")
    client.force_login(personas.coordinator)

    html = client.get(reverse("lms:members", args=[personas.home.slug])).content.decode()

    assert "robin@example.org" in html
    assert "late@example.org" in html
    assert "Expired" in html
    assert "elsewhere@example.org" not in html


# --- Adding and ending roles -------------------------------------------------------------------


def _end(client, personas, membership, *, by=None):
    client.force_login(by or personas.org_admin)
    return client.post(
        reverse("lms:membership-end", args=[personas.home.slug, membership.pk]),
        {"confirm": "yes"},
        follow=True,
    )


def test_org_admin_adds_a_role_and_it_is_audited(client, personas):
    client.force_login(personas.org_admin)

    response = client.post(
        reverse("lms:membership-add", args=[personas.home.slug, personas.peer.pk]),
        {"role": Role.MENTOR},
        follow=True,
    )

    assert "Pat Peer is now also a mentor." in response.content.decode()
    assert set(
        Membership.objects.active().filter(user=personas.peer).values_list("role", flat=True)
    ) == {Role.PEER, Role.MENTOR}
    event = AuditEvent.objects.get(action="membership.added")
    assert event.actor == personas.org_admin
    assert event.subject_user == personas.peer
    assert event.detail == {"role": Role.MENTOR}


def test_added_role_is_not_kept_when_its_audit_event_cannot_be_written(personas, monkeypatch):
    def failing_audit_record(**kwargs):
        raise DatabaseError("audit log unavailable")

    monkeypatch.setattr("lms.services.audit_record", failing_audit_record)

    with pytest.raises(DatabaseError):
        membership_add(
            organisation=personas.home, user=personas.peer, role=Role.MENTOR, by=personas.org_admin
        )

    assert not Membership.objects.filter(user=personas.peer, role=Role.MENTOR).exists()


def test_adding_a_role_someone_already_holds_makes_no_second_row(client, personas):
    client.force_login(personas.org_admin)

    client.post(
        reverse("lms:membership-add", args=[personas.home.slug, personas.peer.pk]),
        {"role": Role.PEER},
    )

    assert Membership.objects.filter(user=personas.peer, role=Role.PEER).count() == 1


def test_adding_an_unknown_role_is_refused(client, personas):
    client.force_login(personas.org_admin)

    response = client.post(
        reverse("lms:membership-add", args=[personas.home.slug, personas.peer.pk]),
        {"role": "emperor"},
        follow=True,
    )

    assert "Choose a role to add." in response.content.decode()
    assert Membership.objects.filter(user=personas.peer).count() == 1


def test_org_admin_cannot_add_a_role_for_someone_outside_the_organisation(client, personas):
    client.force_login(personas.org_admin)

    response = client.post(
        reverse("lms:membership-add", args=[personas.home.slug, personas.other_peer.pk]),
        {"role": Role.MENTOR},
    )

    assert response.status_code == 404
    assert not Membership.objects.filter(user=personas.other_peer, organisation=personas.home)


def test_ending_a_role_sets_active_to_today_and_is_audited(client, personas):
    membership = Membership.objects.get(user=personas.peer, organisation=personas.home)

    response = _end(client, personas, membership)

    assert "Pat Peer is no longer a peer here." in response.content.decode()
    membership.refresh_from_db()
    assert membership.active_to == timezone.localdate()
    assert not Membership.objects.active().filter(user=personas.peer).exists()
    event = AuditEvent.objects.get(action="membership.ended")
    assert event.actor == personas.org_admin
    assert event.subject_user == personas.peer
    assert event.subject_id == str(membership.pk)
    assert event.organisation == personas.home


def test_ending_a_role_added_today_deletes_it_and_is_audited(client, personas):
    client.force_login(personas.org_admin)
    client.post(
        reverse("lms:membership-add", args=[personas.home.slug, personas.peer.pk]),
        {"role": Role.MENTOR},
    )
    added = Membership.objects.get(user=personas.peer, role=Role.MENTOR)

    _end(client, personas, added)

    assert not Membership.objects.filter(pk=added.pk).exists()
    assert AuditEvent.objects.filter(action="membership.ended", subject_id=str(added.pk)).exists()
    assert Membership.objects.active().filter(user=personas.peer, role=Role.PEER).exists()


def test_ended_person_leaves_the_members_list(client, personas):
    membership = Membership.objects.get(user=personas.peer, organisation=personas.home)

    response = _end(client, personas, membership)

    assert "People (3)" in response.content.decode()


def test_a_role_can_be_given_again_after_it_ended(client, personas):
    mentor_role = MembershipFactory(
        user=personas.peer, organisation=personas.home, role=Role.MENTOR
    )  # began 30 days ago
    _end(client, personas, mentor_role)

    client.post(
        reverse("lms:membership-add", args=[personas.home.slug, personas.peer.pk]),
        {"role": Role.MENTOR},
    )

    mentor_role.refresh_from_db()
    assert mentor_role.active_to == timezone.localdate()
    assert Membership.objects.active().filter(user=personas.peer, role=Role.MENTOR).exists()
    assert Membership.objects.filter(user=personas.peer, role=Role.MENTOR).count() == 2


def test_someone_with_no_role_left_cannot_be_given_one_from_the_list(client, personas):
    # Once their last role has ended they are no longer a member: they are invited back instead.
    membership = Membership.objects.get(user=personas.peer, organisation=personas.home)
    _end(client, personas, membership)

    response = client.post(
        reverse("lms:membership-add", args=[personas.home.slug, personas.peer.pk]),
        {"role": Role.PEER},
    )

    assert response.status_code == 404
    assert not Membership.objects.active().filter(user=personas.peer).exists()


def test_ending_the_last_org_admin_role_is_refused_and_the_row_stays(client, personas):
    membership = Membership.objects.get(user=personas.org_admin, organisation=personas.home)

    response = _end(client, personas, membership)

    assert (
        "This is the organisation&#x27;s only admin. Make someone else an admin first."
        in response.content.decode()
    )
    membership.refresh_from_db()
    assert membership.active_to is None
    assert not AuditEvent.objects.filter(action="membership.ended").exists()


def test_one_of_two_org_admins_may_end_their_role(client, personas):
    MembershipFactory(user=personas.coordinator, organisation=personas.home, role=Role.ORG_ADMIN)
    membership = Membership.objects.get(user=personas.org_admin, organisation=personas.home)

    _end(client, personas, membership)

    membership.refresh_from_db()
    assert membership.active_to == timezone.localdate()


def test_other_organisations_admin_does_not_count_as_a_second_admin(client, personas):
    membership = Membership.objects.get(user=personas.org_admin, organisation=personas.home)

    _end(client, personas, membership)

    membership.refresh_from_db()
    assert membership.active_to is None


def test_ending_an_already_ended_role_is_404(client, personas):
    membership = Membership.objects.get(user=personas.peer, organisation=personas.home)
    _end(client, personas, membership)

    response = client.post(reverse("lms:membership-end", args=[personas.home.slug, membership.pk]))

    assert response.status_code == 404
    assert AuditEvent.objects.filter(action="membership.ended").count() == 1


# --- Query counts ------------------------------------------------------------------------------


def _add_members(organisation, count, start=0):
    for _ in range(count):
        membership = MembershipFactory(organisation=organisation)
        MembershipFactory(user=membership.user, organisation=organisation, role=Role.MENTOR)
    for index in range(start, start + 3):
        InvitationFactory(organisation=organisation, email=f"open{index}@example.org")


def test_members_list_runs_the_same_number_of_queries_for_5_and_60_members(
    client, personas, django_assert_num_queries
):
    _add_members(personas.home, 1)  # the four home personas are members already
    client.force_login(personas.org_admin)
    url = reverse("lms:members", args=[personas.home.slug])

    assert_queries_do_not_grow(
        django_assert_num_queries,
        lambda: client.get(url),
        lambda: _add_members(personas.home, 55, start=3),
    )

    assert "People (60)" in client.get(url).content.decode()


def _memberships(person, start, count):
    for index in range(start, start + count):
        MembershipFactory(
            user=person,
            organisation=OrganisationFactory(name=f"Org {index:02d}", slug=f"org-{index:02d}"),
            role=Role.COORDINATOR if index % 2 else Role.PEER,
        )


def test_dashboard_runs_the_same_number_of_queries_for_2_and_8_memberships(
    client, django_assert_num_queries
):
    # Two memberships to start with (a peer role and a coordinator role), so every panel shows.
    person = UserFactory(display_name="Busy Person")
    _memberships(person, 0, 2)
    client.force_login(person)

    assert_queries_do_not_grow(
        django_assert_num_queries, lambda: client.get("/"), lambda: _memberships(person, 2, 6)
    )

    assert client.get("/").content.decode().count("<strong>Org ") == 8


# --- Undo ending a role --------------------------------------------------------------------------


def _restore(client, personas, membership, *, by=None, follow=False):
    client.force_login(by or personas.org_admin)
    return client.post(
        reverse("lms:membership-restore", args=[personas.home.slug, membership.pk]),
        follow=follow,
    )


def test_ending_a_role_can_be_undone_the_same_day(client, personas):
    membership = Membership.objects.get(user=personas.peer, organisation=personas.home)
    ended = _end(client, personas, membership)
    assert "You can undo this below until the end of today." in ended.content.decode()
    assert reverse("lms:membership-restore", args=[personas.home.slug, membership.pk]) in (
        ended.content.decode()
    )

    response = _restore(client, personas, membership, follow=True)

    assert "Pat Peer is a peer here again." in response.content.decode()
    membership.refresh_from_db()
    assert membership.active_to is None
    assert AuditEvent.objects.filter(action="membership.restored", actor=personas.org_admin).count()


def test_a_role_ended_on_an_earlier_day_is_not_offered_for_undo(client, personas):
    membership = Membership.objects.get(user=personas.peer, organisation=personas.home)
    Membership.objects.filter(pk=membership.pk).update(
        active_to=timezone.localdate() - timedelta(days=1)
    )
    client.force_login(personas.org_admin)

    page = client.get(reverse("lms:members", args=[personas.home.slug])).content.decode()
    response = _restore(client, personas, membership)

    assert "Roles ended today" not in page
    assert response.status_code == 404
    membership.refresh_from_db()
    assert membership.active_to == timezone.localdate() - timedelta(days=1)


def test_undo_is_refused_when_the_person_holds_the_role_again(client, personas):
    membership = Membership.objects.get(user=personas.peer, organisation=personas.home)
    _end(client, personas, membership)
    again = MembershipFactory(
        user=personas.peer,
        organisation=personas.home,
        role=Role.PEER,
        active_from=timezone.localdate(),
    )

    response = _restore(client, personas, membership, follow=True)

    assert "already holds this role here again" in response.content.decode()
    membership.refresh_from_db()
    assert membership.active_to == timezone.localdate()
    assert Membership.objects.get(pk=again.pk).active_to is None


@pytest.mark.parametrize("who", ["coordinator", "mentor", "other_org_admin", "editor"])
def test_only_the_organisations_admins_may_undo(client, personas, who):
    membership = Membership.objects.get(user=personas.peer, organisation=personas.home)
    _end(client, personas, membership)

    response = _restore(client, personas, membership, by=getattr(personas, who))

    assert response.status_code == 404
    membership.refresh_from_db()
    assert membership.active_to == timezone.localdate()


def test_an_erased_persons_ended_role_is_not_offered_for_undo(client, personas):
    membership = Membership.objects.get(user=personas.peer, organisation=personas.home)
    _end(client, personas, membership)
    type(personas.peer).objects.filter(pk=personas.peer.pk).update(
        email="erased-abc@erased.invalid"
    )

    response = _restore(client, personas, membership)

    assert response.status_code == 404
