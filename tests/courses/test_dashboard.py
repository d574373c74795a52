"""The dashboard's learning panels: a peer's courses in progress and certificates; a coordinator's
completions this month and refreshers coming up. Editors see neither."""

import html
from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from django.db.models.signals import post_init
from django.utils import dateformat, timezone

from courses.models import CourseCompletion
from courses.selectors import live_modules
from courses.services import enrolment_create, module_finish
from lms.models import Role
from pathways.models import WellbeingPause
from tests.courses.builders import course_index, make_course
from tests.factories import MembershipFactory, OrganisationFactory
from tests.querycount import assert_queries_do_not_grow

pytestmark = pytest.mark.django_db

PEER_PANEL = "panel-your-learning"
ORGANISATION_PANEL = "panel-learning-in-your-organisation"


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


def _enrol(user, course, *, modules_done=0):
    enrolment, _ = enrolment_create(user=user, course=course)
    for module in list(live_modules(course=course))[:modules_done]:
        module_finish(enrolment=enrolment, module=module)
    enrolment.refresh_from_db()
    return enrolment


def _continue_link(panel):
    soup = BeautifulSoup(panel, "html.parser")
    links = [a for a in soup.find_all("a") if a.get_text().startswith("Continue where you left")]
    assert len(links) == 1
    return links[0]


def _day(moment):
    return dateformat.format(timezone.localtime(moment), "j F Y")


# --- The peer's panel --------------------------------------------------------------------------


def test_peer_sees_a_course_in_progress_with_a_continue_link(client, personas):
    course = make_course("Planning", modules=3)
    enrolment = _enrol(personas.peer, course, modules_done=2)

    panel = _panel(_dashboard(client, personas.peer), PEER_PANEL)

    assert "Planning" in panel
    assert "<progress" in panel
    assert _continue_link(panel)["href"] == enrolment.last_module.url
    assert enrolment.last_module.title == "Planning module 2"


def test_peer_progress_bar_shows_modules_done_of_the_course(client, personas):
    _enrol(personas.peer, make_course("Planning", modules=3), modules_done=2)

    panel = _panel(_dashboard(client, personas.peer), PEER_PANEL)

    assert 'value="67"' in panel
    assert "2 of 3 done (67%)" in _words(panel)


def test_continue_link_goes_to_the_course_before_any_module_is_opened(client, personas):
    course = make_course("Planning", modules=2)
    _enrol(personas.peer, course)

    panel = _panel(_dashboard(client, personas.peer), PEER_PANEL)

    assert _continue_link(panel)["href"] == course.url


def test_completed_course_is_not_in_progress_and_its_certificate_is_listed(client, personas):
    course = make_course("Safe Practice", modules=1)
    enrolment = _enrol(personas.peer, course, modules_done=1)

    panel = _panel(_dashboard(client, personas.peer), PEER_PANEL)

    words = _words(panel)
    assert "You have no courses in progress." in words
    assert "Continue where you left off" not in words
    assert f"Safe Practice, {_day(enrolment.completed_at)}" in words
    assert "All your certificates" in words


def test_peer_with_no_learning_is_pointed_to_the_catalogue(client, personas):
    make_course("Planning")

    panel = _panel(_dashboard(client, personas.peer), PEER_PANEL)

    link = BeautifulSoup(panel, "html.parser").find("a", string="Find a course")
    assert link["href"] == course_index().url
    assert "Certificates" not in panel


def test_peer_does_not_see_another_persons_courses_or_certificates(client, personas):
    _enrol(personas.other_peer, make_course("Planning", modules=2), modules_done=1)
    _enrol(personas.other_peer, make_course("Safe Practice", modules=1), modules_done=1)

    panel = _panel(_dashboard(client, personas.peer), PEER_PANEL)

    assert "Planning" not in panel
    assert "Safe Practice" not in panel


def test_peer_does_not_see_the_organisation_panel(client, personas):
    page = _dashboard(client, personas.peer)

    assert _panel(page, ORGANISATION_PANEL) is None


# --- The coordinator's panel ---------------------------------------------------------------------


@pytest.fixture
def completions(personas):
    """Home: Pat Peer and Mo Mentor completed this month, Ola Admin last month. Other Org: Oz
    Peer completed this month."""
    course = make_course("Safe Practice", modules=1, validity_months=12)
    for person in (personas.peer, personas.mentor, personas.org_admin, personas.other_peer):
        _enrol(person, course, modules_done=1)
    start_of_month = timezone.localtime().replace(day=1, hour=0, minute=0, second=0)
    CourseCompletion.objects.filter(enrolment__user=personas.org_admin).update(
        completed_at=start_of_month - timedelta(days=2)
    )
    return course


def test_coordinator_sees_completions_this_month_in_their_organisation(
    client, personas, completions
):
    panel = _panel(_dashboard(client, personas.coordinator), ORGANISATION_PANEL)

    words = _words(panel)
    assert "Home Org" in words
    assert "2 courses completed this month." in words
    assert "Other Org" not in words


def test_other_organisations_coordinator_sees_only_their_own_numbers(client, personas, completions):
    panel = _panel(_dashboard(client, personas.other_coordinator), ORGANISATION_PANEL)

    words = _words(panel)
    assert "Other Org" in words
    assert "1 course completed this month." in words
    assert "Home Org" not in words


def test_coordinator_sees_refreshers_due_within_30_days(client, personas, completions):
    due = {
        personas.peer: timezone.now() + timedelta(days=10),
        personas.mentor: timezone.now() + timedelta(days=60),
        personas.org_admin: timezone.now() - timedelta(days=3),
        personas.other_peer: timezone.now() + timedelta(days=5),
    }
    for person, when in due.items():
        CourseCompletion.objects.filter(enrolment__user=person).update(refresher_due_at=when)

    words = _words(_panel(_dashboard(client, personas.coordinator), ORGANISATION_PANEL))

    # Overdue first and marked as such; nothing from the past under "due in the next 30 days"
    # (issue 11: the list mixed dates from years ago with those coming up).
    overdue, _, due_soon = words.partition("1 refresher due in the next 30 days:")
    assert "1 refresher overdue:" in overdue
    assert f"Ola Admin: Safe Practice, Overdue since {_day(due[personas.org_admin])}" in overdue
    assert f"Pat Peer: Safe Practice, by {_day(due[personas.peer])}" in due_soon
    assert "Ola Admin" not in due_soon
    assert "Mo Mentor" not in words
    assert "Oz Peer" not in words


def test_refresher_already_started_is_not_listed_as_due(client, personas, completions):
    CourseCompletion.objects.filter(enrolment__user=personas.peer).update(
        refresher_due_at=timezone.now() + timedelta(days=10)
    )
    enrolment = personas.peer.enrolments.get()
    enrolment.completed_at = None
    enrolment.save()

    words = _words(_panel(_dashboard(client, personas.coordinator), ORGANISATION_PANEL))

    assert "No refreshers due in the next 30 days." in words


def test_coordinator_with_no_refreshers_due_is_told_so(client, personas, completions):
    words = _words(_panel(_dashboard(client, personas.org_admin), ORGANISATION_PANEL))

    assert "No refreshers due in the next 30 days." in words


def test_organisation_panel_links_to_the_learner_records(client, personas, completions):
    panel = _panel(_dashboard(client, personas.coordinator), ORGANISATION_PANEL)

    assert 'href="/organisations/home-org/learning/"' in panel


# --- Editors -----------------------------------------------------------------------------------


def test_editor_sees_neither_learning_panel(client, personas, completions):
    page = _dashboard(client, personas.editor)

    assert _panel(page, PEER_PANEL) is None
    assert _panel(page, ORGANISATION_PANEL) is None
    assert "Pat Peer" not in page
    assert "completed this month" not in page


# --- Cost --------------------------------------------------------------------------------------


def _courses_in_progress(person, start, count):
    for number in range(start, start + count):
        _enrol(person, make_course(f"Course {number:02d}", modules=2), modules_done=1)


def test_peer_dashboard_runs_the_same_number_of_queries_for_2_and_10_courses(
    client, personas, django_assert_num_queries
):
    _courses_in_progress(personas.peer, 0, 2)
    client.force_login(personas.peer)

    assert_queries_do_not_grow(
        django_assert_num_queries,
        lambda: client.get("/"),
        lambda: _courses_in_progress(personas.peer, 2, 8),
    )

    assert client.get("/").content.decode().count("Continue where you left off") == 10


def _organisations_with_refreshers(coordinator, course, places):
    for place in places:
        MembershipFactory(user=coordinator, organisation=place, role=Role.COORDINATOR)
        for _ in range(3):
            _enrol(MembershipFactory(organisation=place).user, course, modules_done=1)
    CourseCompletion.objects.update(refresher_due_at=timezone.now() + timedelta(days=5))


def test_coordinator_dashboard_runs_the_same_number_of_queries_for_1_and_4_organisations(
    client, personas, django_assert_num_queries
):
    course = make_course("Safe Practice", modules=1, validity_months=12)
    for _ in range(3):
        _enrol(MembershipFactory(organisation=personas.home).user, course, modules_done=1)
    CourseCompletion.objects.update(refresher_due_at=timezone.now() + timedelta(days=5))
    client.force_login(personas.coordinator)
    others = [OrganisationFactory(name=f"Org {n}", slug=f"org-{n}") for n in range(3)]

    assert_queries_do_not_grow(
        django_assert_num_queries,
        lambda: client.get("/"),
        lambda: _organisations_with_refreshers(personas.coordinator, course, others),
    )

    page = client.get("/").content.decode()
    assert page.count("3 courses completed this month.") == 4
    assert page.count("3 refreshers due in the next 30 days:") == 4


# --- Many people: counts from the database, the first five shown ------------------------------


def _people_due(course, organisation, days_from_now):
    """One new person of `organisation` a refresher, due `days` from now, for each day given."""
    people = []
    for days in days_from_now:
        person = MembershipFactory(organisation=organisation).user
        _enrol(person, course, modules_done=1)
        CourseCompletion.objects.filter(enrolment__user=person).update(
            refresher_due_at=timezone.now() + timedelta(days=days)
        )
        people.append(person)
    return people


def test_many_refreshers_show_the_first_five_of_each_and_the_true_counts(client, personas):
    course = make_course("Safe Practice", modules=1, validity_months=12)
    overdue = _people_due(course, personas.home, [-1, -9, -3, -7, -2, -5, -8])
    due = _people_due(course, personas.home, [20, 4, 12, 8, 16, 2])
    _people_due(course, personas.home, [45])  # later than 30 days: in neither

    page = _dashboard(client, personas.coordinator)
    soup = BeautifulSoup(_panel(page, ORGANISATION_PANEL), "html.parser")

    listed = {
        kind: [li.get_text(" ").split(":")[0] for li in soup.select(f"[data-list={kind}] li")]
        for kind in ("refreshers-overdue", "refreshers-due")
    }
    # Longest overdue first; soonest due first.
    by_days = dict(zip([-1, -9, -3, -7, -2, -5, -8], overdue, strict=True))
    assert listed["refreshers-overdue"] == [by_days[d].display_name for d in (-9, -8, -7, -5, -3)]
    by_days = dict(zip([20, 4, 12, 8, 16, 2], due, strict=True))
    assert listed["refreshers-due"] == [by_days[d].display_name for d in (2, 4, 8, 12, 16)]
    words = _words(str(soup))
    assert "7 refreshers overdue:" in words and "See all 7 refreshers overdue" in words
    assert "6 refreshers due in the next 30 days:" in words and "See all 6 refreshers due" in words


def test_a_pause_moves_a_refresher_out_of_the_counts_and_a_second_role_counts_once(
    client, personas
):
    course = make_course("Safe Practice", modules=1, validity_months=12)
    paused, mentor, plain = _people_due(course, personas.home, [-2, 5, 6])
    MembershipFactory(user=mentor, organisation=personas.home, role=Role.MENTOR)
    # Paused for 40 days since completing: the overdue refresher moves 40 days later, past the
    # 30-day window.
    completed = timezone.now() - timedelta(days=100)
    CourseCompletion.objects.filter(enrolment__user=paused).update(completed_at=completed)
    WellbeingPause.objects.create(
        user=paused, started_at=completed, ended_at=completed + timedelta(days=40)
    )

    words = _words(_panel(_dashboard(client, personas.coordinator), ORGANISATION_PANEL))

    assert paused.display_name not in words, words
    assert "overdue" not in words
    assert "2 refreshers due in the next 30 days:" in words
    assert words.count(mentor.display_name) == 1


def test_coordinator_dashboard_runs_the_same_number_of_queries_for_3_and_15_refreshers(
    client, personas, django_assert_num_queries
):
    course = make_course("Safe Practice", modules=1, validity_months=12)
    _people_due(course, personas.home, [-4, 3, 9])
    WellbeingPause.objects.create(user=personas.peer, started_at=timezone.now())
    client.force_login(personas.coordinator)

    assert_queries_do_not_grow(
        django_assert_num_queries,
        lambda: client.get("/"),
        lambda: _people_due(course, personas.home, [-6, -1, 2, 4, 5, 7, 10, 11, 13, 14, 15, 16]),
    )

    loaded = []
    post_init.connect(
        lambda instance, **_: loaded.append(instance.pk),
        sender=CourseCompletion,
        weak=False,
        dispatch_uid="count-loaded",
    )
    try:
        words = _words(_panel(_dashboard(client, personas.coordinator), ORGANISATION_PANEL))
    finally:
        post_init.disconnect(sender=CourseCompletion, dispatch_uid="count-loaded")
    assert "3 refreshers overdue:" in words and "12 refreshers due in the next 30 days:" in words
    # Only the rows shown are loaded (3 overdue and the first 5 due), not all 15.
    assert len(loaded) == 8
