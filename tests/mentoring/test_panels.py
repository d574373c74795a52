"""Mentoring on the dashboard, in the navigation and on organisation pages: a trainee's mentor,
next session, actions and sessions to confirm (or a kind way to find a mentor); a mentor's
mentees with their stage and last session, and requests waiting; a coordinator's open concerns
and supervision coverage. Each panel shows only what its reader may see, and costs the same
number of queries however much there is."""

import html
from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from django.urls import reverse
from django.utils import timezone

from lms.models import Role
from mentoring.models import (
    ActionItem,
    Concern,
    MentorRequest,
    Mentorship,
    SessionPrivateNote,
    SupervisionSession,
)
from pathways.services import pathway_join
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory
from tests.pathways.builders import make_framework, make_pathway, stages
from tests.querycount import assert_queries_do_not_grow

pytestmark = pytest.mark.django_db

TRAINEE_PANEL = "panel-your-mentor"
MENTOR_PANEL = "panel-your-mentees"
COORDINATOR_PANEL = "panel-concerns-and-supervision"
CONCERN_WORDS = "Walrus-words: they seemed very low on Tuesday."
SUMMARY_WORDS = "Pelican-summary of our talk."
PRIVATE_WORDS = "Heron-private thought."


def _dashboard(client, user):
    client.force_login(user)
    response = client.get("/")
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def _panel(page, slug):
    """The panel's HTML, or None when it is not on the page."""
    heading = BeautifulSoup(page, "html.parser").find(id=slug)
    return None if heading is None else str(heading.find_parent("section"))


def _words(fragment):
    return " ".join(BeautifulSoup(fragment, "html.parser").get_text(" ").split())


def _mentorship(organisation, trainee, mentor, *, status=Mentorship.ACTIVE, **fields):
    return Mentorship.objects.create(
        organisation=organisation,
        trainee=trainee,
        mentor=mentor,
        status=status,
        started_at=timezone.now() - timedelta(days=60),
        **fields,
    )


def _session(mentorship, *, days_ago=5, status=SupervisionSession.CONFIRMED):
    session = SupervisionSession.objects.create(
        mentorship=mentorship,
        held_on=timezone.localdate() - timedelta(days=days_ago),
        duration_minutes=60,
        format="online",
        topics=["wellbeing"],
        summary=f"<p>{SUMMARY_WORDS}</p>",
        status=status,
        logged_by=mentorship.mentor,
    )
    SessionPrivateNote.objects.create(
        session=session, author=mentorship.mentor, body=f"<p>{PRIVATE_WORDS}</p>"
    )
    return session


def _peer(organisation, name):
    user = UserFactory(display_name=name)
    MembershipFactory(user=user, organisation=organisation, role=Role.PEER)
    return user


def _concern(mentorship, *, status=Concern.OPEN, description=CONCERN_WORDS):
    return Concern.objects.create(
        organisation=mentorship.organisation,
        mentorship=mentorship,
        about=mentorship.trainee,
        raised_by=mentorship.mentor,
        kind=Concern.WELLBEING,
        description=description,
        status=status,
        coordinators_emailed_at=timezone.now(),
    )


# --- The trainee panel ------------------------------------------------------------------------


def test_a_peer_without_a_mentor_is_offered_a_kind_way_to_find_one(client, personas):
    panel = _panel(_dashboard(client, personas.peer), TRAINEE_PANEL)

    assert "You do not have a mentor yet" in _words(panel)
    assert reverse("mentoring:shortlist") in panel
    assert reverse("mentoring:wellness-plan") in panel


def test_a_peer_waiting_for_an_answer_sees_whom_they_asked(client, personas):
    MentorRequest.objects.create(
        organisation=personas.home,
        trainee=personas.peer,
        mentor=personas.mentor,
        respond_by=timezone.now() + timedelta(days=5),
    )

    panel = _words(_panel(_dashboard(client, personas.peer), TRAINEE_PANEL))

    assert f"You asked {personas.mentor.display_name} to be your mentor" in panel
    assert "Find a mentor" not in panel


def test_a_peer_sees_their_mentor_next_session_actions_and_sessions_to_confirm(client, personas):
    next_time = timezone.now() + timedelta(days=3)
    mentorship = _mentorship(
        personas.home,
        personas.peer,
        personas.mentor,
        next_session_at=next_time,
        next_session_place="The library",
    )
    confirmed = _session(mentorship, days_ago=20)
    _session(mentorship, days_ago=2, status=SupervisionSession.AWAITING)
    ActionItem.objects.create(
        session=confirmed,
        description="Book the Safe Practice course",
        owner=personas.peer,
        due_on=timezone.localdate() + timedelta(days=7),
    )
    ActionItem.objects.create(
        session=confirmed, description="Mentor's own task", owner=personas.mentor
    )
    ActionItem.objects.create(
        session=confirmed, description="Already done", owner=personas.peer, done_at=timezone.now()
    )

    panel = _panel(_dashboard(client, personas.peer), TRAINEE_PANEL)
    words = _words(panel)

    assert f"Your mentor is {personas.mentor.display_name}" in words
    assert reverse("mentoring:mentorship", args=[mentorship.pk]) in panel
    assert "Next session:" in words and "The library" in words
    assert "Book the Safe Practice course" in words
    assert "Mentor's own task" not in words
    assert "Already done" not in words
    assert "Sessions to confirm" in words
    assert "Find a mentor" not in words
    for private in (SUMMARY_WORDS, PRIVATE_WORDS, "overdue"):
        assert private not in words


def test_a_mentor_who_is_also_a_trainee_sees_their_own_actions_however_many_they_owe_as_mentor(
    client, personas
):
    MembershipFactory(user=personas.mentor, organisation=personas.home, role=Role.PEER)
    senior = UserFactory(display_name="Sage Senior")
    MembershipFactory(user=senior, organisation=personas.home, role=Role.MENTOR)
    as_trainee = _session(_mentorship(personas.home, personas.mentor, senior), days_ago=4)
    ActionItem.objects.create(
        session=as_trainee,
        description="Read the supervision handbook",
        owner=personas.mentor,
        due_on=timezone.localdate() + timedelta(days=30),
    )
    as_mentor = _session(_mentorship(personas.home, personas.peer, personas.mentor))
    for number in range(6):
        ActionItem.objects.create(
            session=as_mentor,
            description=f"Mentor task {number}",
            owner=personas.mentor,
            due_on=timezone.localdate() + timedelta(days=number + 1),
        )

    words = _words(_panel(_dashboard(client, personas.mentor), TRAINEE_PANEL))

    assert "Read the supervision handbook" in words
    assert "Mentor task" not in words


def test_a_mentee_never_sees_a_concern_on_their_dashboard(client, personas):
    _concern(_mentorship(personas.home, personas.peer, personas.mentor))

    page = _dashboard(client, personas.peer)

    assert CONCERN_WORDS not in page
    assert _panel(page, COORDINATOR_PANEL) is None


@pytest.mark.parametrize("who", ["coordinator", "org_admin", "editor"])
def test_people_who_are_not_peers_have_no_trainee_panel(client, personas, who):
    assert _panel(_dashboard(client, getattr(personas, who)), TRAINEE_PANEL) is None


# --- The mentor panel -------------------------------------------------------------------------


def test_a_mentor_sees_their_mentees_with_stage_and_last_session(client, personas):
    pathway = make_pathway(framework=make_framework(), organisation=personas.home)
    pathway_join(user=personas.peer, pathway=pathway, stage=stages(pathway)[1])
    mentorship = _mentorship(personas.home, personas.peer, personas.mentor)
    _session(mentorship, days_ago=30)
    last = _session(mentorship, days_ago=9)
    _session(mentorship, days_ago=1, status=SupervisionSession.AWAITING)
    quiet = _mentorship(personas.home, _peer(personas.home, "Quinn Quiet"), personas.mentor)

    panel = _panel(_dashboard(client, personas.mentor), MENTOR_PANEL)
    words = _words(panel)

    assert "Pat Peer" in words
    assert "Trainee" in words
    assert last.held_on.strftime("%-d %b %Y") in words
    assert reverse("mentoring:mentorship", args=[quiet.pk]) in panel
    assert "Not on a pathway" in words and "None confirmed yet" in words
    assert SUMMARY_WORDS not in words and PRIVATE_WORDS not in words


def test_a_mentor_sees_requests_waiting_for_their_answer(client, personas):
    asker = _peer(personas.home, "Ash Asker")
    waiting = MentorRequest.objects.create(
        organisation=personas.home,
        trainee=asker,
        mentor=personas.mentor,
        respond_by=timezone.now() + timedelta(days=4),
    )
    MentorRequest.objects.create(
        organisation=personas.home,
        trainee=_peer(personas.home, "Dee Declined"),
        mentor=personas.mentor,
        status=MentorRequest.DECLINED,
        respond_by=timezone.now(),
    )

    panel = _panel(_dashboard(client, personas.mentor), MENTOR_PANEL)

    assert "Waiting for your answer" in _words(panel)
    assert reverse("mentoring:request", args=[waiting.pk]) in panel
    assert "Dee Declined" not in panel


def test_a_mentor_with_nobody_yet_is_told_what_will_happen(client, personas):
    panel = _words(_panel(_dashboard(client, personas.mentor), MENTOR_PANEL))

    assert "You have no mentees at the moment" in panel


@pytest.mark.parametrize("who", ["peer", "coordinator", "editor"])
def test_people_who_are_not_mentors_have_no_mentor_panel(client, personas, who):
    assert _panel(_dashboard(client, getattr(personas, who)), MENTOR_PANEL) is None


def test_a_mentor_who_is_also_a_peer_without_a_mentor_is_not_nagged_to_find_one(client, personas):
    MembershipFactory(user=personas.mentor, organisation=personas.home, role=Role.PEER)

    page = _dashboard(client, personas.mentor)

    assert _panel(page, MENTOR_PANEL) is not None
    assert _panel(page, TRAINEE_PANEL) is None


# --- The coordinator panel --------------------------------------------------------------------


@pytest.mark.parametrize("who", ["coordinator", "org_admin"])
def test_coordinators_see_open_concerns_and_supervision_coverage(client, personas, who):
    supervised = _mentorship(personas.home, personas.peer, personas.mentor)
    _session(supervised, days_ago=3)
    unsupervised = _mentorship(personas.home, _peer(personas.home, "Una Unseen"), personas.mentor)
    concern = _concern(unsupervised)
    _concern(supervised, status=Concern.CLOSED)

    panel = _panel(_dashboard(client, getattr(personas, who)), COORDINATOR_PANEL)
    words = _words(panel)

    assert "1 open concern" in words
    assert reverse("mentoring:concern", args=[personas.home.slug, concern.pk]) in panel
    assert reverse("mentoring:concerns", args=[personas.home.slug]) in panel
    assert "1 of 2 mentees had no supervision" in words
    assert reverse("mentoring:coverage", args=[personas.home.slug]) in panel
    # The mentor's words are read on the concern page, where the read is audited.
    for private in (CONCERN_WORDS, SUMMARY_WORDS, PRIVATE_WORDS):
        assert private not in words


def test_coordinators_see_no_open_concerns_and_nobody_mentored_plainly(client, personas):
    words = _words(_panel(_dashboard(client, personas.coordinator), COORDINATOR_PANEL))

    assert "No open concerns." in words
    assert "Nobody is being mentored at the moment." in words


def test_another_organisations_concerns_are_not_on_the_panel(client, personas):
    _concern(_mentorship(personas.home, personas.peer, personas.mentor))

    words = _words(_panel(_dashboard(client, personas.other_coordinator), COORDINATOR_PANEL))

    assert "No open concerns." in words
    assert "Pat Peer" not in words


def test_a_coordinator_never_sees_a_concern_about_themselves_on_the_panel(client, personas):
    MembershipFactory(user=personas.peer, organisation=personas.home, role=Role.COORDINATOR)
    about_them = _concern(_mentorship(personas.home, personas.peer, personas.mentor))
    someone_else = _concern(
        _mentorship(personas.home, _peer(personas.home, "Una Unseen"), personas.mentor)
    )

    panel = _panel(_dashboard(client, personas.peer), COORDINATOR_PANEL)
    words = _words(panel)

    assert "1 open concern" in words
    assert reverse("mentoring:concern", args=[personas.home.slug, someone_else.pk]) in panel
    assert reverse("mentoring:concern", args=[personas.home.slug, about_them.pk]) not in panel
    assert "concern about Pat Peer" not in words
    # The other coordinators see both.
    assert "2 open concerns" in _words(
        _panel(_dashboard(client, personas.coordinator), COORDINATOR_PANEL)
    )


@pytest.mark.parametrize("who", ["peer", "mentor", "editor"])
def test_people_without_a_staff_role_have_no_coordinator_panel(client, personas, who):
    assert _panel(_dashboard(client, getattr(personas, who)), COORDINATOR_PANEL) is None


# --- Navigation and organisation tabs ---------------------------------------------------------


def _nav(page):
    nav = BeautifulSoup(page, "html.parser").find("nav", attrs={"aria-label": "Main"})
    return {a.get_text(): a["href"] for a in nav.find_all("a")}


@pytest.mark.parametrize("who", ["peer", "mentor"])
def test_peers_and_mentors_have_mentoring_in_the_navigation(client, personas, who):
    assert _nav(_dashboard(client, getattr(personas, who)))["Mentoring"] == reverse(
        "mentoring:home"
    )


@pytest.mark.parametrize("who", ["coordinator", "org_admin", "editor"])
def test_others_have_no_mentoring_navigation(client, personas, who):
    assert "Mentoring" not in _nav(_dashboard(client, getattr(personas, who)))


def _tabs(client, user, organisation):
    client.force_login(user)
    response = client.get(reverse("lms:members", args=[organisation.slug]))
    assert response.status_code == 200
    nav = BeautifulSoup(response.content.decode(), "html.parser").find("nav", class_="tabs")
    return {a.get_text(): a["href"] for a in nav.find_all("a")}


def test_coordinators_get_coverage_concerns_and_propose_tabs_but_not_settings(client, personas):
    tabs = _tabs(client, personas.coordinator, personas.home)
    slug = [personas.home.slug]

    assert tabs["Supervision coverage"] == reverse("mentoring:coverage", args=slug)
    assert tabs["Concerns"] == reverse("mentoring:concerns", args=slug)
    assert tabs["Propose a pairing"] == reverse("mentoring:propose", args=slug)
    assert "Mentoring settings" not in tabs


def test_org_admins_also_get_the_mentoring_settings_tab(client, personas):
    tabs = _tabs(client, personas.org_admin, personas.home)

    assert tabs["Mentoring settings"] == reverse("mentoring:settings", args=[personas.home.slug])


@pytest.mark.parametrize("who", ["coordinator", "org_admin"])
def test_every_mentoring_tab_opens_for_the_people_who_see_it(client, personas, who):
    user = getattr(personas, who)
    tabs = _tabs(client, user, personas.home)
    mentoring = [
        label for label in tabs if tabs[label].startswith("/organisations/home-org/mentoring")
    ]

    assert len(mentoring) == (4 if who == "org_admin" else 3)
    for label in mentoring:
        assert client.get(tabs[label]).status_code == 200, label


def test_the_tabs_carry_the_organisation_of_the_page(client, personas):
    second = OrganisationFactory(name="Second Org", slug="second-org")
    MembershipFactory(user=personas.coordinator, organisation=second, role=Role.COORDINATOR)

    tabs = _tabs(client, personas.coordinator, second)

    assert tabs["Concerns"] == reverse("mentoring:concerns", args=[second.slug])


# --- Cost -------------------------------------------------------------------------------------


def test_the_trainee_dashboard_runs_the_same_number_of_queries_for_1_and_6_things_to_do(
    client, personas, django_assert_num_queries
):
    mentorship = _mentorship(
        personas.home, personas.peer, personas.mentor, next_session_at=timezone.now()
    )

    def add(count):
        for _ in range(count):
            session = _session(mentorship, status=SupervisionSession.AWAITING)
            ActionItem.objects.create(session=session, description="Do it", owner=personas.peer)

    add(1)
    client.force_login(personas.peer)

    assert_queries_do_not_grow(django_assert_num_queries, lambda: client.get("/"), lambda: add(5))


def test_the_mentor_dashboard_runs_the_same_number_of_queries_for_1_and_6_mentees(
    client, personas, django_assert_num_queries
):
    pathway = make_pathway(framework=make_framework(), organisation=personas.home)

    def add(count):
        for number in range(count):
            trainee = _peer(personas.home, f"Mentee {Mentorship.objects.count()}")
            pathway_join(user=trainee, pathway=pathway)
            _session(_mentorship(personas.home, trainee, personas.mentor), days_ago=number + 1)
            MentorRequest.objects.create(
                organisation=personas.home,
                trainee=_peer(personas.home, "Asker"),
                mentor=personas.mentor,
                respond_by=timezone.now() + timedelta(days=3),
            )

    add(1)
    client.force_login(personas.mentor)

    assert_queries_do_not_grow(django_assert_num_queries, lambda: client.get("/"), lambda: add(5))
    assert client.get("/").content.decode().count("/mentoring/mentorships/") == 6


def test_the_coordinator_dashboard_runs_the_same_number_of_queries_for_few_and_many(
    client, personas, django_assert_num_queries
):
    def add(count):
        for number in range(count):
            trainee = _peer(personas.home, f"Mentee {Mentorship.objects.count()}")
            mentorship = _mentorship(personas.home, trainee, personas.mentor)
            if number % 2:
                _session(mentorship)
            _concern(mentorship)

    add(1)
    client.force_login(personas.coordinator)

    assert_queries_do_not_grow(django_assert_num_queries, lambda: client.get("/"), lambda: add(8))
    assert "9 open concerns" in _words(client.get("/").content.decode())


def test_a_mentor_with_many_requests_sees_the_first_few_and_how_many_in_all(client, personas):
    for number in range(7):
        MentorRequest.objects.create(
            organisation=personas.home,
            trainee=_peer(personas.home, f"Asker {number}"),
            mentor=personas.mentor,
            respond_by=timezone.now() + timedelta(days=1 + number),
        )

    panel = _panel(_dashboard(client, personas.mentor), MENTOR_PANEL)

    assert panel.count("/mentoring/requests/") == 5
    assert "All 7 requests" in _words(panel)
