"""The course catalogue: what is listed, how it is filtered and searched, each course's status for
the person looking, and what the page costs."""

import html
from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from django.utils import timezone

from courses.models import Audience, CourseCompletion, CoursePage, ModulePage
from courses.selectors import live_modules
from courses.services import enrolment_create, module_finish
from tests.courses.builders import course_index, make_course, text
from tests.querycount import assert_queries_do_not_grow

pytestmark = pytest.mark.django_db


def _get(client, **params):
    response = client.get(course_index().url, params)
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def _card(page_html, title):
    """The catalogue entry for one course, as text."""
    link = BeautifulSoup(page_html, "html.parser").find("a", string=title)
    assert link is not None, f"{title} is not listed"
    return " ".join(link.find_parent("li").get_text(" ").split())


def _listed(page_html):
    soup = BeautifulSoup(page_html, "html.parser")
    titles = {course.title for course in CoursePage.objects.all()}
    return {link.get_text() for link in soup.find_all("a") if link.get_text() in titles}


def _complete(user, course):
    enrolment, _ = enrolment_create(user=user, course=course)
    for module in live_modules(course=course):
        module_finish(enrolment=enrolment, module=module)
    enrolment.refresh_from_db()
    assert enrolment.completed_at is not None
    return enrolment


# --- What is listed ----------------------------------------------------------------------------


def test_catalogue_lists_each_live_course_with_audience_level_length_and_prerequisites(
    client, personas
):
    basics = make_course("Peer Support Basics", audiences=("everyone",))
    make_course(
        "Brokerage in Practice", audiences=("peer-broker",), level=3, prerequisites=[basics]
    )

    page = _get(client)

    assert "Courses (2)" in page
    basics_card = _card(page, "Peer Support Basics")
    assert "About Peer Support Basics." in basics_card
    assert "Written for Everyone" in basics_card
    assert "Level Foundation" in basics_card
    assert "About 2 hours" in basics_card
    assert "Complete first" not in basics_card
    brokerage_card = _card(page, "Brokerage in Practice")
    assert "Written for Peer brokers" in brokerage_card
    assert "Level Advanced" in brokerage_card
    assert "Complete first Peer Support Basics" in brokerage_card


def test_catalogue_shows_how_many_modules_each_course_has(client, personas):
    make_course("Peer Support Basics", modules=3)
    make_course("Safe Practice", modules=1)

    page = _get(client)

    assert "About 2 hours, 3 modules" in _card(page, "Peer Support Basics")
    assert "About 2 hours, 1 module" in _card(page, "Safe Practice")


def test_unpublished_course_is_not_listed(client, personas):
    make_course("Peer Support Basics")
    draft = make_course("Work in Progress")
    draft.unpublish()
    client.force_login(personas.peer)

    page = _get(client)

    assert _listed(page) == {"Peer Support Basics"}
    assert "Courses (1)" in page


def test_catalogue_says_so_when_nothing_matches(client, personas):
    make_course("Peer Support Basics", level=1)

    page = _get(client, level=3)

    assert _listed(page) == set()
    assert "No courses match. Try fewer filters or other words." in page


# --- Filters -----------------------------------------------------------------------------------


@pytest.fixture
def varied_courses(personas):
    make_course("For Everyone", audiences=("everyone",), level=1)
    make_course("For PALs", audiences=("pal",), level=2)
    make_course("For Brokers", audiences=("peer-broker",), level=3)
    make_course("For PALs and Mentors", audiences=("pal", "mentor"), level=3)


@pytest.mark.parametrize(
    ("audience", "expected"),
    [
        ("pal", {"For Everyone", "For PALs", "For PALs and Mentors"}),
        ("peer-broker", {"For Everyone", "For Brokers"}),
        ("mentor", {"For Everyone", "For PALs and Mentors"}),
        ("everyone", {"For Everyone"}),
    ],
)
def test_audience_filter_includes_courses_written_for_everyone(
    client, varied_courses, audience, expected
):
    page = _get(client, audience=audience)

    assert _listed(page) == expected
    assert f"Courses ({len(expected)})" in page


def test_no_audience_filter_lists_every_course_once(client, varied_courses):
    page = _get(client)

    assert _listed(page) == {"For Everyone", "For PALs", "For Brokers", "For PALs and Mentors"}
    assert "Courses (4)" in page


@pytest.mark.parametrize(
    ("level", "expected"),
    [
        (1, {"For Everyone"}),
        (2, {"For PALs"}),
        (3, {"For Brokers", "For PALs and Mentors"}),
    ],
)
def test_level_filter_lists_only_that_level(client, varied_courses, level, expected):
    assert _listed(_get(client, level=level)) == expected


def test_audience_and_level_filters_combine(client, varied_courses):
    assert _listed(_get(client, audience="pal", level=3)) == {"For PALs and Mentors"}


def test_unknown_filter_values_show_every_course_rather_than_an_error(client, varied_courses):
    page = _get(client, audience="astronauts", level="99")

    assert _listed(page) == {"For Everyone", "For PALs", "For Brokers", "For PALs and Mentors"}


# --- Search ------------------------------------------------------------------------------------


def test_search_finds_a_course_by_the_text_of_one_of_its_modules(client, personas):
    make_course(
        "Person-Centred Planning",
        modules=2,
        bodies=[[text("<p>Introductions.</p>")], [text("<p>Strengths-based conversations.</p>")]],
    )
    make_course("Safe Practice", bodies=[[text("<p>Lone working.</p>")]] * 2)

    page = _get(client, q="strengths")

    assert _listed(page) == {"Person-Centred Planning"}
    assert "Courses matching “strengths” (1)" in page


def test_search_finds_a_course_by_its_own_summary(client, personas):
    make_course("Person-Centred Planning")
    make_course("Safe Practice")

    assert _listed(_get(client, q="Person-Centred")) == {"Person-Centred Planning"}


def test_search_does_not_find_text_in_unpublished_modules(client, personas):
    course = make_course(
        "Person-Centred Planning",
        bodies=[[text("<p>Introductions.</p>")], [text("<p>Strengths-based conversations.</p>")]],
    )
    live_modules(course=course).last().unpublish()

    page = _get(client, q="strengths")

    assert _listed(page) == set()
    assert "No courses match" in page


@pytest.mark.parametrize(
    "query",
    [
        "((",
        "-",
        "a OR",
        "NOT",
        "*",
        "'",
        "c++",
        "x:y",
        "%_",
        '"',
        '"safe practice',
    ],
)
def test_search_with_punctuation_answers_a_page_not_an_error(client, personas, query):
    make_course("Safe Practice")

    response = client.get(course_index().url, {"q": query})

    assert response.status_code == 200
    assert "Courses matching" in html.unescape(response.content.decode())


def test_search_with_an_unclosed_quote_still_finds_the_course(client, personas):
    make_course("Safe Practice")
    make_course("Boundaries")

    assert _listed(_get(client, q='"safe practice')) == {"Safe Practice"}


def test_search_with_no_match_says_so(client, personas):
    make_course("Safe Practice")

    page = _get(client, q="zebra")

    assert _listed(page) == set()
    assert "No courses match. Try fewer filters or other words." in page


# --- Status for the person looking --------------------------------------------------------------


def test_each_course_shows_the_signed_in_peers_status(client, personas):
    make_course("Not Yet Started")
    started = make_course("Half Way", modules=2)
    done = make_course("All Done", validity_months=24)
    due = make_course("Due Again", validity_months=12)
    enrolment, _ = enrolment_create(user=personas.peer, course=started)
    module_finish(enrolment=enrolment, module=live_modules(course=started).first())
    _complete(personas.peer, done)
    due_enrolment = _complete(personas.peer, due)
    CourseCompletion.objects.filter(enrolment=due_enrolment).update(
        refresher_due_at=timezone.now() + timedelta(days=10)
    )
    client.force_login(personas.peer)

    page = _get(client)

    assert "Not started" in _card(page, "Not Yet Started")
    assert "In progress" in _card(page, "Half Way")
    assert "Completed" in _card(page, "All Done")
    assert "Refresher due" in _card(page, "Due Again")


def test_in_progress_status_shows_the_percentage_of_modules_done(client, personas):
    course = make_course("Half Way", modules=2)
    enrolment, _ = enrolment_create(user=personas.peer, course=course)
    module_finish(enrolment=enrolment, module=live_modules(course=course).first())
    client.force_login(personas.peer)

    assert "In progress, 50%" in _card(_get(client), "Half Way")


def test_completed_course_with_refresher_far_off_is_completed_not_due(client, personas):
    course = make_course("All Done", validity_months=12)
    enrolment = _complete(personas.peer, course)
    CourseCompletion.objects.filter(enrolment=enrolment).update(
        refresher_due_at=timezone.now() + timedelta(days=45)
    )
    client.force_login(personas.peer)

    card = _card(_get(client), "All Done")

    assert "Completed" in card
    assert "Refresher due" not in card


def test_another_persons_progress_does_not_show_as_mine(client, personas):
    course = make_course("All Done")
    _complete(personas.other_peer, course)
    client.force_login(personas.peer)

    assert "Not started" in _card(_get(client), "All Done")


def test_visitor_who_is_not_signed_in_sees_courses_without_a_status(client, personas):
    make_course("Peer Support Basics")

    card = _card(_get(client), "Peer Support Basics")

    assert "Not started" not in card
    assert "Written for Everyone" in card


# --- Cost --------------------------------------------------------------------------------------


def _quick_courses(count, start=0):
    """Live courses with one module each, without revisions (fast enough for 100)."""
    index = course_index()
    everyone, pal = Audience.objects.get(slug="everyone"), Audience.objects.get(slug="pal")
    courses = []
    for number in range(start, start + count):
        course = CoursePage(
            title=f"Course {number:03d}",
            slug=f"course-{number:03d}",
            summary="Bulk.",
            level=1 + number % 3,
        )
        index.add_child(instance=course)
        course.audiences.set([everyone, pal] if number % 2 else [everyone])
        course.prerequisites.set(courses[-1:])
        course.save()
        course.add_child(
            instance=ModulePage(title=f"Module of {number:03d}", slug="module", body=[text()])
        )
        courses.append(course)
    return courses


def test_catalogue_runs_the_same_number_of_queries_for_5_and_100_courses(
    client, personas, django_assert_num_queries
):
    courses = _quick_courses(5)
    for course in courses[:3]:
        enrolment, _ = enrolment_create(user=personas.peer, course=course)
        module_finish(enrolment=enrolment, module=live_modules(course=course).first())
    client.force_login(personas.peer)
    url = course_index().url

    assert_queries_do_not_grow(
        django_assert_num_queries, lambda: client.get(url), lambda: _quick_courses(95, start=5)
    )

    assert "Courses (100)" in client.get(url).content.decode()
