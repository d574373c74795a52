"""Supervision coverage for coordinators: who had confirmed supervision in the organisation's
period, who had none, and who is excused by a pause. Dates, durations and topics only."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from lms.models import AuditEvent, Role
from mentoring.models import (
    MentoringSettings,
    Mentorship,
    SessionFormat,
    SupervisionInterval,
    SupervisionSession,
)
from mentoring.selectors.supervision import (
    EXCUSED,
    NONE,
    SUPERVISED,
    coverage_for_organisation,
    last_confirmed_sessions,
)
from mentoring.services.supervision import session_confirm, session_log
from pathways.models import WellbeingPause
from tests.factories import MembershipFactory, UserFactory
from tests.querycount import assert_queries_do_not_grow, count_queries

pytestmark = pytest.mark.django_db

SUMMARY = "Talked through a hard visit with a budget holder."
NOTE = "Mentor-only worry about housing."
TODAY = timezone.localdate()


def _trainee(organisation, name):
    trainee = UserFactory(display_name=name)
    MembershipFactory(user=trainee, organisation=organisation, role=Role.PEER)
    return trainee


def _mentorship(organisation, trainee, mentor, status=Mentorship.ACTIVE):
    return Mentorship.objects.create(
        organisation=organisation,
        trainee=trainee,
        mentor=mentor,
        status=status,
        started_at=timezone.now() - timedelta(days=200),
        created_at=timezone.now() - timedelta(days=200),
    )


def _session(mentorship, days_ago, *, minutes=60, confirm=True, topics=("wellbeing",)):
    session = session_log(
        mentorship=mentorship,
        by=mentorship.mentor,
        held_on=TODAY - timedelta(days=days_ago),
        duration_minutes=minutes,
        format=SessionFormat.ONLINE,
        topics=list(topics),
        summary=SUMMARY,
        private_notes=NOTE,
        actions=[],
    )
    if confirm:
        session_confirm(session=session, by=mentorship.trainee, wellbeing_checkin=1)
    return session


@pytest.fixture
def world(personas):
    """Home, monthly (31 days): Ana supervised 10 days ago (twice: 90 + 30 min); Ben's last
    confirmed session was 40 days ago and a newer one is unconfirmed; Cat is on a wellbeing pause
    that ended 5 days ago; Dan's mentorship is paused; Eve's mentorship ended; Fay's is only
    proposed. Oz in Other Org has none."""
    home, mentor = personas.home, personas.mentor
    ana = _mentorship(home, _trainee(home, "Ana Able"), mentor)
    _session(ana, 10, minutes=90, topics=("boundaries", "caseload_and_workload"))
    _session(ana, 20, minutes=30)
    _session(ana, 50, minutes=60)
    ben = _mentorship(home, _trainee(home, "Ben Bright"), mentor)
    _session(ben, 40, minutes=45, topics=("endings",))
    _session(ben, 3, confirm=False)
    cat = _mentorship(home, _trainee(home, "Cat Calm"), mentor)
    WellbeingPause.objects.create(
        user=cat.trainee,
        started_at=timezone.now() - timedelta(days=60),
        ended_at=timezone.now() - timedelta(days=5),
    )
    dan = _mentorship(home, _trainee(home, "Dan Dell"), mentor, status=Mentorship.PAUSED)
    _mentorship(home, _trainee(home, "Eve Ended"), mentor, status=Mentorship.ENDED)
    _mentorship(home, _trainee(home, "Fay Fresh"), mentor, status=Mentorship.PROPOSED)
    _mentorship(personas.other, personas.other_peer, personas.other_mentor)
    return {"ana": ana, "ben": ben, "cat": cat, "dan": dan}


def test_each_mentee_has_a_state_for_the_period(personas, world):
    coverage = coverage_for_organisation(organisation=personas.home)

    rows = {row.mentee.display_name: row for row in coverage.rows}
    assert coverage.period_days == SupervisionInterval.MONTHLY == 31
    assert coverage.ends_on == TODAY
    assert coverage.starts_on == TODAY - timedelta(days=30)
    assert set(rows) == {"Ana Able", "Ben Bright", "Cat Calm", "Dan Dell"}
    assert {name: row.state for name, row in rows.items()} == {
        "Ana Able": SUPERVISED,
        "Ben Bright": NONE,
        "Cat Calm": EXCUSED,
        "Dan Dell": EXCUSED,
    }
    ana = rows["Ana Able"]
    assert ana.last_held_on == TODAY - timedelta(days=10)
    assert ana.last_duration_minutes == 90
    assert ana.last_topics == ["Boundaries", "Caseload and workload"]
    assert ana.sessions_in_period == 2
    assert str(ana.hours_in_period) == "2.0"
    ben = rows["Ben Bright"]
    assert ben.last_held_on == TODAY - timedelta(days=40)  # the unconfirmed one does not count
    assert ben.sessions_in_period == 0
    assert [row.mentee.display_name for row in coverage.missing] == ["Ben Bright"]
    assert [row.mentee.display_name for row in coverage.excused] == ["Cat Calm", "Dan Dell"]


def test_the_period_follows_the_organisations_setting(personas, world):
    MentoringSettings.objects.create(
        organisation=personas.home, supervision_interval_days=SupervisionInterval.WEEKLY
    )

    coverage = coverage_for_organisation(organisation=personas.home)

    assert coverage.period_days == 7
    assert {row.mentee.display_name: row.state for row in coverage.rows}["Ana Able"] == NONE


def test_a_pause_before_the_period_does_not_excuse(personas, world):
    WellbeingPause.objects.filter(user=world["cat"].trainee).update(
        started_at=timezone.now() - timedelta(days=90), ended_at=timezone.now() - timedelta(days=45)
    )

    coverage = coverage_for_organisation(organisation=personas.home)

    assert "Cat Calm" in [row.mentee.display_name for row in coverage.missing]


def test_a_pause_still_running_excuses(personas, world):
    WellbeingPause.objects.create(user=world["ben"].trainee, started_at=timezone.now())

    coverage = coverage_for_organisation(organisation=personas.home)

    assert coverage.missing == []


def test_now_can_be_given(personas, world):
    later = timezone.now() + timedelta(days=100)

    coverage = coverage_for_organisation(organisation=personas.home, now=later)

    assert coverage.ends_on == timezone.localdate(later)
    # Cat's pause ended long before this later period; Dan's mentorship is still paused.
    assert {row.mentee.display_name for row in coverage.missing} == {
        "Ana Able",
        "Ben Bright",
        "Cat Calm",
    }


# --- The page ---------------------------------------------------------------------------------


def _page(client, user, slug="home-org"):
    client.force_login(user)
    return client.get(reverse("mentoring:coverage", args=[slug]))


@pytest.mark.parametrize("who", ["coordinator", "org_admin"])
def test_coordinators_see_dates_durations_and_topics(client, personas, world, who):
    response = _page(client, getattr(personas, who))

    page = response.content.decode()
    assert response.status_code == 200
    assert "Supervision coverage" in page
    assert "No supervision in this period (1)" in page
    assert "Ben Bright" in page and "Ana Able" in page
    assert "90 minutes: Boundaries, Caseload and workload" in page
    assert "2 sessions, 2 hours" in page
    assert "Paused (2)" in page
    assert 'class="tabs"' in page
    assert AuditEvent.objects.filter(
        action="mentoring.coverage.read", actor=getattr(personas, who)
    ).exists()


def test_the_page_never_shows_summaries_notes_check_ins_or_comments(client, personas, world):
    page = _page(client, personas.coordinator).content.decode()

    assert SUMMARY not in page
    assert NOTE not in page
    assert "Struggling" not in page  # every session had a check-in of 1
    assert "overdue" not in page.lower()


def test_peers_and_mentors_and_other_organisations_get_404(client, personas, world):
    for who in ("peer", "mentor", "other_coordinator", "other_org_admin", "editor"):
        assert _page(client, getattr(personas, who)).status_code == 404, who
    assert _page(client, personas.other_coordinator, "other-org").status_code == 200


def test_anonymous_people_are_sent_to_sign_in(client, personas):
    response = client.get(reverse("mentoring:coverage", args=[personas.home.slug]))

    assert response.status_code == 302


def test_the_page_costs_the_same_however_many_mentees(
    client, personas, world, django_assert_num_queries
):
    client.force_login(personas.coordinator)
    url = reverse("mentoring:coverage", args=[personas.home.slug])

    def grow():
        for n in range(5):
            mentorship = _mentorship(
                personas.home, _trainee(personas.home, f"Grown {n}"), personas.mentor
            )
            _session(mentorship, n + 1)
            _session(mentorship, n + 40)
            WellbeingPause.objects.create(user=mentorship.trainee, started_at=timezone.now())

    assert_queries_do_not_grow(django_assert_num_queries, lambda: client.get(url), grow)
    assert "Grown 4" in client.get(url).content.decode()


def test_the_selector_costs_a_fixed_number_of_queries(personas, world):
    small = count_queries(lambda: coverage_for_organisation(organisation=personas.home))
    for n in range(4):
        _mentorship(personas.home, _trainee(personas.home, f"More {n}"), personas.mentor)

    assert count_queries(lambda: coverage_for_organisation(organisation=personas.home)) == small


# --- The latest confirmed session, for other areas ---------------------------------------------


def test_last_confirmed_sessions_gives_the_latest_confirmed_one_each_in_one_query(personas, world):
    ids = [world[name].pk for name in ("ana", "ben", "cat")]

    latest = {}
    queries = count_queries(lambda: latest.update(last_confirmed_sessions(mentorship_ids=ids)))

    assert queries == 1
    assert set(latest) == {world["ana"].pk, world["ben"].pk}
    assert latest[world["ana"].pk].held_on == TODAY - timedelta(days=10)
    assert latest[world["ben"].pk].held_on == TODAY - timedelta(days=40)
    assert latest[world["ben"].pk].status == SupervisionSession.CONFIRMED


def test_two_confirmed_sessions_on_one_day_give_one_latest(personas, world):
    _session(world["ana"], 10, minutes=15)

    latest = last_confirmed_sessions(mentorship_ids=[world["ana"].pk])

    assert len(latest) == 1
    assert latest[world["ana"].pk].duration_minutes == 15  # logged last


def test_coverage_day_boundaries(personas):
    """A session exactly at the start of the period counts; one a day before it does not."""
    home = personas.home
    edge = _mentorship(home, _trainee(home, "Edge On"), personas.mentor)
    _session(edge, 30)
    outside = _mentorship(home, _trainee(home, "Just Outside"), personas.mentor)
    _session(outside, 31)

    states = {
        row.mentee.display_name: row.state
        for row in coverage_for_organisation(organisation=home).rows
    }

    assert states == {"Edge On": SUPERVISED, "Just Outside": NONE}
