"""The Wagtail admin refuses to delete a person, an organisation or a pathway that records depend
on, says why, and deletes nothing (issue 11, docs/records.md). Erasure is the way for people."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from lms.models import AuditEvent, Membership, Organisation, User
from mentoring.models import Concern, Mentorship, SupervisionSession
from pathways.models import Pathway, PathwayMembership
from tests.factories import OrganisationFactory, UserFactory
from tests.pathways.builders import make_framework, make_pathway, stages

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(email="root@example.org", is_superuser=True, is_staff=True))
    return client


@pytest.fixture
def mentored(personas):
    """Mo mentors Pat: one ended mentorship with a confirmed session, a concern, audit events."""
    mentorship = Mentorship.objects.create(
        organisation=personas.home,
        trainee=personas.peer,
        mentor=personas.mentor,
        status=Mentorship.ENDED,
        ended_at=timezone.now(),
    )
    SupervisionSession.objects.create(
        mentorship=mentorship,
        held_on=timezone.localdate() - timedelta(days=3),
        duration_minutes=75,
        format="phone",
        status=SupervisionSession.CONFIRMED,
        logged_by=personas.mentor,
    )
    Concern.objects.create(
        organisation=personas.home,
        mentorship=mentorship,
        about=personas.peer,
        raised_by=personas.mentor,
        kind=Concern.SAFEGUARDING,
        description="Worried",
    )
    AuditEvent.objects.create(actor=personas.mentor, organisation=personas.home, action="a.b")
    return mentorship


def _messages(response) -> str:
    return " ".join(str(message) for message in response.context["messages"])


# --- People ----------------------------------------------------------------------------------


def test_deleting_a_mentor_is_refused_and_her_mentees_hours_stay(admin_client, personas, mentored):
    # Even with her roles gone (the admin's membership list can delete them), her records stay.
    Membership.objects.filter(user=personas.mentor).delete()
    url = reverse("wagtailusers_users:delete", args=[personas.mentor.pk])

    asked = admin_client.get(url)
    response = admin_client.post(url, follow=True)

    assert asked.status_code == 302
    assert asked.url == reverse("wagtailusers_users:edit", args=[personas.mentor.pk])
    message = _messages(response)
    assert "Erase their data instead" in message
    assert "1 mentorship" in message
    assert "1 supervision session" in message
    assert User.objects.filter(pk=personas.mentor.pk).exists()
    assert Mentorship.objects.filter(pk=mentored.pk).exists()
    assert SupervisionSession.objects.get(mentorship=mentored).duration_minutes == 75
    assert AuditEvent.objects.filter(actor=personas.mentor).count() == 1


def test_deleting_a_mentee_keeps_the_concern_about_them(admin_client, personas, mentored):
    Membership.objects.filter(user=personas.peer).delete()

    admin_client.post(reverse("wagtailusers_users:delete", args=[personas.peer.pk]))

    assert User.objects.filter(pk=personas.peer.pk).exists()
    assert Concern.objects.filter(about=personas.peer).count() == 1


def test_the_bulk_delete_leaves_people_with_records_alone(admin_client, personas, mentored):
    Membership.objects.filter(user=personas.mentor).delete()
    nobody = UserFactory()

    admin_client.post(
        f"/admin/bulk/lms/user/delete/?id={personas.mentor.pk}&id={nobody.pk}", follow=True
    )

    assert User.objects.filter(pk=personas.mentor.pk).exists()
    assert SupervisionSession.objects.filter(mentorship=mentored).count() == 1
    assert not User.objects.filter(pk=nobody.pk).exists()


def test_someone_with_no_records_can_still_be_deleted(admin_client):
    nobody = UserFactory()

    admin_client.post(reverse("wagtailusers_users:delete", args=[nobody.pk]))

    assert not User.objects.filter(pk=nobody.pk).exists()


# --- Organisations ------------------------------------------------------------------------------


def test_deleting_an_organisation_with_records_is_refused_before_its_confirm_page(
    admin_client, personas, mentored
):
    url = reverse("organisations:delete", args=[personas.home.pk])

    asked = admin_client.get(url, follow=True)
    posted = admin_client.post(url, follow=True)

    for response in (asked, posted):
        page = response.content.decode()
        assert "referenced" not in page  # never a count of references, then a cascade
        message = _messages(response)
        assert "Home Org cannot be deleted" in message
        assert "memberships" in message
    assert Organisation.objects.filter(pk=personas.home.pk).exists()
    assert SupervisionSession.objects.filter(mentorship__organisation=personas.home).count() == 1
    assert Concern.objects.filter(organisation=personas.home).count() == 1
    assert Membership.objects.filter(organisation=personas.home).count() == 4


def test_an_organisation_nothing_depends_on_can_be_deleted(admin_client):
    empty = OrganisationFactory(name="Never used")

    admin_client.post(reverse("organisations:delete", args=[empty.pk]))

    assert not Organisation.objects.filter(pk=empty.pk).exists()


# --- Pathways ---------------------------------------------------------------------------------


@pytest.fixture
def pathway_in_use(personas):
    pathway = make_pathway(framework=make_framework(), organisation=personas.home)
    PathwayMembership.objects.create(user=personas.peer, pathway=pathway, stage=stages(pathway)[0])
    return pathway


def test_deleting_a_pathway_people_are_on_is_refused(admin_client, pathway_in_use):
    url = reverse("wagtailsnippets_pathways_pathway:delete", args=[pathway_in_use.pk])

    response = admin_client.post(url, follow=True)

    assert "cannot be deleted: people's records depend on it" in _messages(response)
    assert Pathway.objects.filter(pk=pathway_in_use.pk).exists()
    assert PathwayMembership.objects.filter(pathway=pathway_in_use).count() == 1


def test_bulk_deleting_a_pathway_people_are_on_is_refused(admin_client, pathway_in_use):
    response = admin_client.post(
        f"/admin/bulk/pathways/pathway/delete/?id={pathway_in_use.pk}", follow=True
    )

    assert "Nothing was deleted" in _messages(response)
    assert PathwayMembership.objects.filter(pathway=pathway_in_use).count() == 1
