"""Mentoring's pathway requirement kinds: supervision hours received (optionally within the last
N months), supervision hours given, and trainees mentored. Only confirmed sessions count; each
kind costs the same number of queries however many people it evaluates."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from lms.models import Role
from mentoring.models import Mentorship, SessionFormat, SupervisionSession
from pathways.requirements import IN_PROGRESS, MET, NOT_STARTED, clock_for, registry
from pathways.services import pathway_join
from tests.factories import MembershipFactory, UserFactory
from tests.pathways.builders import add_requirement, make_framework, make_pathway, stages
from tests.querycount import count_queries

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)


@pytest.fixture
def stage(personas):
    """The Trainee stage (second of three) of the home organisation's pathway."""
    pathway = make_pathway(framework=make_framework(), organisation=personas.home)
    return stages(pathway)[1]


def _mentorship(trainee, mentor, organisation, *, started=True, status=Mentorship.ACTIVE):
    return Mentorship.objects.create(
        organisation=organisation,
        trainee=trainee,
        mentor=mentor,
        status=status,
        started_at=NOW - timedelta(days=400) if started else None,
    )


def _session(mentorship, minutes, *, days_ago=10, status=SupervisionSession.CONFIRMED):
    # Written directly: the dates are relative to NOW, which may be in the past or future.
    return SupervisionSession.objects.create(
        mentorship=mentorship,
        held_on=(NOW - timedelta(days=days_ago)).date(),
        duration_minutes=minutes,
        format=SessionFormat.IN_PERSON,
        status=status,
    )


def _status(requirement, user):
    return registry.evaluate(requirement, [user.pk], clock_for([user.pk], NOW))[user.pk]


def _person(organisation, role=Role.PEER):
    person = UserFactory()
    MembershipFactory(user=person, organisation=organisation, role=role)
    return person


def test_the_kinds_are_registered_with_their_labels():
    labels = dict(registry.choices())

    assert labels["supervision_hours"] == "Supervision hours received"
    assert labels["supervision_hours_given"] == "Supervision hours given"
    assert labels["mentored_trainees"] == "Trainees mentored"


# --- Supervision hours received ----------------------------------------------------------------


def test_no_sessions_is_not_started(stage, personas):
    requirement = add_requirement(stage, "supervision_hours", amount=Decimal("12"))

    status = _status(requirement, personas.peer)

    assert (status.state, status.done, status.total) == (NOT_STARTED, 0, 12)
    assert status.next_step == "Have 12 more hours of supervision — 0 of 12 so far"


def test_confirmed_hours_count_and_others_do_not(stage, personas):
    requirement = add_requirement(stage, "supervision_hours", amount=Decimal("12"))
    mentorship = _mentorship(personas.peer, personas.mentor, personas.home)
    _session(mentorship, 480)
    _session(mentorship, 30)
    _session(mentorship, 480, status=SupervisionSession.AWAITING)
    _session(mentorship, 480, status=SupervisionSession.DISPUTED)

    status = _status(requirement, personas.peer)

    assert (status.state, status.done, status.total) == (IN_PROGRESS, Decimal("8.5"), 12)
    assert status.next_step == "Have 3.5 more hours of supervision — 8.5 of 12 so far"
    assert status.percent == 71


def test_enough_confirmed_hours_is_met(stage, personas):
    requirement = add_requirement(stage, "supervision_hours", amount=Decimal("2"))
    mentorship = _mentorship(personas.peer, personas.mentor, personas.home)
    _session(mentorship, 60)
    _session(mentorship, 60)

    status = _status(requirement, personas.peer)

    assert (status.state, status.next_step, status.percent) == (MET, "", 100)


def test_nearly_enough_is_not_rounded_up_to_met(stage, personas):
    requirement = add_requirement(stage, "supervision_hours", amount=Decimal("2"))
    _session(_mentorship(personas.peer, personas.mentor, personas.home), 119)

    status = _status(requirement, personas.peer)

    assert status.state == IN_PROGRESS
    assert status.next_step == "Have 0.1 more hours of supervision — 1.9 of 2 so far"


def test_one_more_hour_is_singular(stage, personas):
    requirement = add_requirement(stage, "supervision_hours", amount=Decimal("3"))
    _session(_mentorship(personas.peer, personas.mentor, personas.home), 120)

    assert _status(requirement, personas.peer).next_step == (
        "Have 1 more hour of supervision — 2 of 3 so far"
    )


def test_within_months_counts_only_recent_sessions(stage, personas):
    requirement = add_requirement(stage, "supervision_hours", amount=Decimal("12"), within_months=6)
    mentorship = _mentorship(personas.peer, personas.mentor, personas.home)
    _session(mentorship, 300, days_ago=30)
    _session(mentorship, 480, days_ago=200)

    status = _status(requirement, personas.peer)

    assert (status.state, status.done) == (IN_PROGRESS, Decimal("5.0"))
    assert requirement.kind == "supervision_hours"
    assert registry.get("supervision_hours").describe(requirement) == (
        "12 hours of supervision in the last 6 months"
    )


def test_hours_given_as_a_mentor_do_not_count_as_received(stage, personas):
    requirement = add_requirement(stage, "supervision_hours", amount=Decimal("1"))
    _session(_mentorship(personas.peer, personas.mentor, personas.home), 120)

    assert _status(requirement, personas.mentor).state == NOT_STARTED


# --- Supervision hours given -------------------------------------------------------------------


def test_hours_given_counts_confirmed_sessions_as_mentor(stage, personas):
    requirement = add_requirement(stage, "supervision_hours_given", amount=Decimal("20"))
    first = _mentorship(personas.peer, personas.mentor, personas.home)
    second = _mentorship(_person(personas.home), personas.mentor, personas.home)
    _session(first, 300)
    _session(second, 300)
    _session(second, 300, status=SupervisionSession.AWAITING)

    status = _status(requirement, personas.mentor)

    assert (status.state, status.done, status.total) == (IN_PROGRESS, Decimal("10.0"), 20)
    assert status.next_step == "Give 10 more hours of supervision — 10 of 20 so far"
    assert _status(requirement, personas.peer).state == NOT_STARTED


def test_hours_given_met(stage, personas):
    requirement = add_requirement(stage, "supervision_hours_given", amount=Decimal("1"))
    _session(_mentorship(personas.peer, personas.mentor, personas.home), 60)

    assert _status(requirement, personas.mentor).state == MET


# --- Trainees mentored -------------------------------------------------------------------------


def test_trainees_mentored_counts_different_people_in_mentorships_that_started(stage, personas):
    requirement = add_requirement(stage, "mentored_trainees", amount=Decimal("3"))
    _mentorship(personas.peer, personas.mentor, personas.home, status=Mentorship.ENDED)
    _mentorship(personas.peer, personas.mentor, personas.home)  # the same person again
    _mentorship(_person(personas.home), personas.mentor, personas.home)
    _mentorship(
        _person(personas.home),
        personas.mentor,
        personas.home,
        started=False,
        status=Mentorship.PROPOSED,
    )

    status = _status(requirement, personas.mentor)

    assert (status.state, status.done, status.total) == (IN_PROGRESS, 2, 3)
    assert status.next_step == "Mentor 1 more trainee — 2 of 3 so far"
    assert registry.get("mentored_trainees").describe(requirement) == "Mentor 3 trainees"


def test_trainees_mentored_met_and_not_started(stage, personas):
    requirement = add_requirement(stage, "mentored_trainees", amount=Decimal("1"))
    _mentorship(personas.peer, personas.mentor, personas.home)

    assert _status(requirement, personas.mentor).state == MET
    assert _status(requirement, personas.other_mentor).state == NOT_STARTED
    assert _status(requirement, personas.other_mentor).next_step == (
        "Mentor 1 more trainee — 0 of 1 so far"
    )


# --- Set-based --------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["supervision_hours", "supervision_hours_given"])
def test_hours_cost_one_query_however_many_people(stage, personas, kind):
    requirement = add_requirement(stage, kind, amount=Decimal("5"), within_months=12)

    def people(n):
        ids = []
        for _ in range(n):
            trainee, mentor = _person(personas.home), _person(personas.home, Role.MENTOR)
            _session(_mentorship(trainee, mentor, personas.home), 90)
            ids += [trainee.pk, mentor.pk]
        return ids

    small, large = people(2), people(12)
    clock = clock_for(large, NOW)

    few = count_queries(lambda: registry.evaluate(requirement, small, clock))
    many = count_queries(lambda: registry.evaluate(requirement, large, clock))

    assert few == many == 1
    statuses = registry.evaluate(requirement, large, clock)
    assert len(statuses) == 24
    assert {status.state for status in statuses.values()} == {IN_PROGRESS, NOT_STARTED}


def test_trainees_mentored_costs_one_query_however_many_people(stage, personas):
    requirement = add_requirement(stage, "mentored_trainees", amount=Decimal("1"))
    mentors = [_person(personas.home, Role.MENTOR) for _ in range(10)]
    for mentor in mentors:
        _mentorship(_person(personas.home), mentor, personas.home)
    ids = [mentor.pk for mentor in mentors]
    clock = clock_for(ids, NOW)

    assert count_queries(lambda: registry.evaluate(requirement, ids[:2], clock)) == 1
    assert count_queries(lambda: registry.evaluate(requirement, ids, clock)) == 1
    assert {s.state for s in registry.evaluate(requirement, ids, clock).values()} == {MET}


# --- On the trainee's pathway page -------------------------------------------------------------


def test_confirmed_hours_show_on_the_trainees_pathway_page(client, personas, stage):
    add_requirement(stage, "supervision_hours", amount=Decimal("12"))
    pathway_join(user=personas.peer, pathway=stage.pathway)  # at Volunteer, towards Trainee
    mentorship = Mentorship.objects.create(
        organisation=personas.home,
        trainee=personas.peer,
        mentor=personas.mentor,
        status=Mentorship.ACTIVE,
        started_at=timezone.now() - timedelta(days=30),
    )
    today = timezone.localdate()
    SupervisionSession.objects.create(
        mentorship=mentorship,
        held_on=today - timedelta(days=3),
        duration_minutes=90,
        format=SessionFormat.ONLINE,
        status=SupervisionSession.CONFIRMED,
    )
    SupervisionSession.objects.create(
        mentorship=mentorship,
        held_on=today - timedelta(days=1),
        duration_minutes=120,
        format=SessionFormat.ONLINE,
        status=SupervisionSession.AWAITING,
    )
    client.force_login(personas.peer)

    page = client.get(reverse("pathways:mine")).content.decode()

    assert "12 hours of supervision" in page
    assert "Have 10.5 more hours of supervision — 1.5 of 12 so far" in page
