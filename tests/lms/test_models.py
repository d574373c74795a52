"""Kernel rows: the append-only audit log, email addresses, and memberships over time."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models.deletion import ProtectedError
from django.utils import timezone

from lms.models import AuditEvent, Membership, Role, User
from lms.services import audit_record
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db


def _today():
    return timezone.localdate()


# --- AuditEvent --------------------------------------------------------------------------------


@pytest.fixture
def event():
    actor = UserFactory()
    return audit_record(actor=actor, action="test.read", detail={"why": "testing"})


def test_audit_record_writes_who_and_what(event):
    row = AuditEvent.objects.get(pk=event.pk)

    assert row.action == "test.read"
    assert row.actor == event.actor
    assert row.detail == {"why": "testing"}


def test_audit_event_cannot_be_saved_again(event):
    event.action = "tampered"

    with pytest.raises(TypeError, match="append-only"):
        event.save()

    assert AuditEvent.objects.get(pk=event.pk).action == "test.read"


def test_audit_event_cannot_be_deleted(event):
    with pytest.raises(TypeError, match="append-only"):
        event.delete()

    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_audit_events_cannot_be_updated_in_bulk(event):
    with pytest.raises(TypeError, match="append-only"):
        AuditEvent.objects.filter(pk=event.pk).update(action="tampered")

    assert AuditEvent.objects.get(pk=event.pk).action == "test.read"


def test_audit_events_cannot_be_bulk_updated_through_objects(event):
    event.action = "tampered"

    with pytest.raises(TypeError, match="append-only"), transaction.atomic():
        AuditEvent.objects.bulk_update([event], ["action"])

    assert AuditEvent.objects.get(pk=event.pk).action == "test.read"


def test_audit_events_cannot_be_deleted_in_bulk(event):
    with pytest.raises(TypeError, match="append-only"):
        AuditEvent.objects.all().delete()

    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_audit_event_keeps_its_actor_whose_deletion_is_refused(event):
    # The log says who did what: deleting the actor is refused (people are erased instead,
    # which pseudonymises the events), so an event never reads as done by nobody.
    actor = event.actor
    with pytest.raises(ProtectedError), transaction.atomic():
        actor.delete()

    row = AuditEvent.objects.get(pk=event.pk)
    assert row.actor == actor
    assert row.action == "test.read"


def test_audit_record_from_anonymous_has_no_actor():
    from django.contrib.auth.models import AnonymousUser

    row = audit_record(actor=AnonymousUser(), action="test.anonymous")

    assert row.actor is None


# --- User email --------------------------------------------------------------------------------


def test_email_is_stored_lower_case():
    user = User.objects.create_user(email="Sam.Peer@Example.ORG", display_name="Sam")

    user.refresh_from_db()
    assert user.email == "sam.peer@example.org"


def test_create_user_needs_an_email():
    with pytest.raises(ValueError):
        User.objects.create_user(email="", display_name="Nobody")


def test_email_is_unique_ignoring_case():
    User.objects.create_user(email="sam@example.org", display_name="Sam")

    with pytest.raises(IntegrityError), transaction.atomic():
        # `create` skips the manager's lower-casing: the database constraint still refuses it.
        User.objects.create(email="SAM@Example.org", display_name="Another Sam")

    assert User.objects.filter(email__iexact="sam@example.org").count() == 1


def test_full_clean_reports_a_case_variant_of_an_existing_email():
    User.objects.create_user(email="sam@example.org", display_name="Sam")
    other = User(email="Sam@Example.org", display_name="Another Sam")

    with pytest.raises(ValidationError):
        other.full_clean()


def test_sign_in_lookup_ignores_case_and_spaces():
    user = User.objects.create_user(email="sam@example.org", display_name="Sam")

    assert User.objects.get_by_natural_key("  SAM@Example.org ") == user


def test_superuser_is_staff_and_superuser():
    user = User.objects.create_superuser(email="Root@Example.org", display_name="Root")

    assert user.is_staff and user.is_superuser
    assert user.email == "root@example.org"


def test_user_is_named_by_display_name_or_email():
    assert str(User(email="a@example.org", display_name="Ada")) == "Ada"
    assert str(User(email="a@example.org", display_name="")) == "a@example.org"


# --- Membership.objects.active() ---------------------------------------------------------------


@pytest.fixture
def organisation():
    return OrganisationFactory()


def _membership(organisation, *, starts, ends=None, role=Role.PEER):
    return MembershipFactory(
        organisation=organisation, role=role, active_from=starts, active_to=ends
    )


def test_open_membership_that_started_is_active(organisation):
    membership = _membership(organisation, starts=_today() - timedelta(days=10))

    assert list(Membership.objects.active()) == [membership]


def test_membership_starting_today_is_active(organisation):
    membership = _membership(organisation, starts=_today())

    assert list(Membership.objects.active()) == [membership]


def test_membership_starting_tomorrow_is_not_active_yet(organisation):
    _membership(organisation, starts=_today() + timedelta(days=1))

    assert not Membership.objects.active().exists()


def test_membership_ending_today_is_no_longer_active(organisation):
    # active_to is the first day the role no longer applies.
    _membership(organisation, starts=_today() - timedelta(days=10), ends=_today())

    assert not Membership.objects.active().exists()


def test_membership_ending_tomorrow_is_still_active(organisation):
    membership = _membership(
        organisation, starts=_today() - timedelta(days=10), ends=_today() + timedelta(days=1)
    )

    assert list(Membership.objects.active()) == [membership]


def test_active_on_a_given_day(organisation):
    last_year = _today() - timedelta(days=365)
    membership = _membership(organisation, starts=last_year, ends=last_year + timedelta(days=30))

    assert list(Membership.objects.active(on=last_year + timedelta(days=29))) == [membership]
    assert not Membership.objects.active(on=last_year + timedelta(days=30)).exists()
    assert not Membership.objects.active(on=last_year - timedelta(days=1)).exists()
    assert not Membership.objects.active().exists()


# --- Membership constraints --------------------------------------------------------------------


def test_second_open_membership_in_the_same_role_is_refused(organisation):
    first = _membership(organisation, starts=_today() - timedelta(days=10))

    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(user=first.user, organisation=organisation, role=Role.PEER)

    assert Membership.objects.filter(user=first.user).count() == 1


def test_ended_membership_does_not_block_a_new_open_one(organisation):
    ended = _membership(
        organisation, starts=_today() - timedelta(days=30), ends=_today() - timedelta(days=5)
    )

    Membership.objects.create(user=ended.user, organisation=organisation, role=Role.PEER)

    assert Membership.objects.filter(user=ended.user).count() == 2


def test_one_person_may_hold_several_roles(organisation):
    peer = _membership(organisation, starts=_today())

    Membership.objects.create(user=peer.user, organisation=organisation, role=Role.MENTOR)

    assert set(
        Membership.objects.active().filter(user=peer.user).values_list("role", flat=True)
    ) == {
        Role.PEER,
        Role.MENTOR,
    }


def test_same_role_in_another_organisation_is_allowed(organisation):
    peer = _membership(organisation, starts=_today())

    Membership.objects.create(user=peer.user, organisation=OrganisationFactory(), role=Role.PEER)

    assert Membership.objects.filter(user=peer.user, role=Role.PEER).count() == 2


def test_membership_cannot_end_before_it_starts(organisation):
    with pytest.raises(IntegrityError), transaction.atomic():
        _membership(organisation, starts=_today(), ends=_today())

    assert not Membership.objects.exists()
