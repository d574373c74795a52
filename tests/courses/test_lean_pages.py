"""Lean pages: a module page costs at most 12 queries for a signed-in peer, and neither it nor
the course page or the dashboards cost more as courses, enrolments and people grow. The module
page is routed in two page queries (courses.routing) and still keeps drafts, page passwords and
sign-in restrictions exactly as Wagtail does."""

import re
import uuid

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from wagtail.models import Collection, PageViewRestriction
from wagtail_factories import ImageFactory

from courses.models import CourseIndexPage, Enrolment, ModulePage, ModuleProgress
from courses.services import enrolment_create
from lms.models import Role
from mentoring.models import Mentorship
from tests.courses.builders import make_course, publish, reflection_prompt, simple_check, text
from tests.factories import MembershipFactory, UserFactory
from tests.querycount import assert_queries_do_not_grow, count_queries

pytestmark = pytest.mark.django_db

MODULE_PAGE_BUDGET = 12


def _course_with_a_check(modules=3, title="Safe Practice"):
    """A course whose first module has text and a knowledge check, as most modules do."""
    bodies = [[text(), simple_check()]] + [[text()] for _ in range(modules - 1)]
    return make_course(title, modules=modules, bodies=bodies)


def _course_like_the_generated_ones(modules=3, title="Wellbeing at Work"):
    """A course whose first module is shaped as the generated courses' are (the module
    `make bench` opens, bench.measure._peer_and_module): text, a figure, a callout and a
    reflection prompt, and no knowledge check."""
    image = ImageFactory(title="A figure", collection=Collection.get_first_root_node())
    first = [
        text(),
        {
            "type": "figure",
            "id": str(uuid.uuid4()),
            "value": {
                "image": {"image": image.pk, "decorative": False, "alt_text": "A calm room"},
                "caption": "Somewhere quiet.",
            },
        },
        text(),
        {
            "type": "callout",
            "id": str(uuid.uuid4()),
            "value": {
                "kind": "tip",
                "heading": "Your experience counts",
                "text": "<p>It does.</p>",
            },
        },
        reflection_prompt(),
    ]
    return make_course(title, modules=modules, bodies=[first] + [[text()]] * (modules - 1))


def _add_modules(course, count):
    for number in range(count):
        module = ModulePage(title=f"Extra {number}", slug=f"extra-{number}", body=[text()])
        course.add_child(instance=module)
        publish(module)


def _enrol_others(course, count):
    for _ in range(count):
        person = UserFactory()
        MembershipFactory(user=person, role=Role.PEER)
        enrolment_create(user=person, course=course)


def _first_module(course):
    return ModulePage.objects.child_of(course).live().order_by("path").first()


def _module_page(client, module):
    def action():
        response = client.get(module.url)
        assert response.status_code == 200
        assert module.title in response.content.decode()

    return action


def test_module_page_costs_at_most_twelve_queries_and_no_more_with_more_modules(
    client, personas, django_assert_num_queries
):
    course = _course_with_a_check(modules=3)
    enrolment_create(user=personas.peer, course=course)
    client.force_login(personas.peer)
    baseline = assert_queries_do_not_grow(
        django_assert_num_queries,
        _module_page(client, _first_module(course)),
        lambda: _add_modules(course, 9),  # 3 modules, then 12
    )
    assert baseline <= MODULE_PAGE_BUDGET


def test_module_page_of_a_generated_peer_costs_at_most_twelve_queries(
    client, personas, django_assert_num_queries
):
    """The peer `make bench` measures: a module with a figure and a reflection prompt (their
    mentor and their reflections are read for it), progress on the course's other modules, and
    then a mentor, more modules and more learners."""
    course = _course_like_the_generated_ones(modules=3)
    enrolment_create(user=personas.peer, course=course)
    client.force_login(personas.peer)
    module, *others = ModulePage.objects.child_of(course).live().order_by("path")
    for other in others:
        client.get(other.url)

    def grow():
        Mentorship.objects.create(
            organisation=personas.home,
            trainee=personas.peer,
            mentor=personas.mentor,
            status=Mentorship.ACTIVE,
            started_at=timezone.now(),
        )
        _add_modules(course, 9)
        _enrol_others(course, 29)

    page = _module_page(client, module)
    baseline = assert_queries_do_not_grow(django_assert_num_queries, page, grow)
    assert baseline <= MODULE_PAGE_BUDGET
    # What the page shows for those reads is still there: the figure and the reflection prompt.
    shown = client.get(module.url).content.decode()
    assert 'alt="A calm room"' in shown
    assert "What does choice mean to you?" in shown
    assert "Save my reflection" in shown


def test_module_page_costs_no_more_with_thirty_enrolments(
    client, personas, django_assert_num_queries
):
    course = _course_with_a_check(modules=3)
    enrolment_create(user=personas.peer, course=course)
    client.force_login(personas.peer)
    baseline = assert_queries_do_not_grow(
        django_assert_num_queries,
        _module_page(client, _first_module(course)),
        lambda: _enrol_others(course, 29),  # 1 enrolment, then 30
    )
    assert baseline <= MODULE_PAGE_BUDGET


def test_opening_a_module_again_writes_nothing_and_opens_no_transaction(client, personas):
    course = _course_with_a_check(modules=2)
    enrolment_create(user=personas.peer, course=course)
    module = _first_module(course)
    client.force_login(personas.peer)
    client.get(module.url)
    with CaptureQueriesContext(connection) as context:
        assert client.get(module.url).status_code == 200
    written = [
        query["sql"]
        for query in context.captured_queries
        if query["sql"].split()[0].upper() in {"INSERT", "UPDATE", "DELETE", "SAVEPOINT"}
        and "django_session" not in query["sql"]
    ]
    assert written == []
    assert ModuleProgress.objects.filter(enrolment__user=personas.peer, module=module).count() == 1


def test_opening_another_module_still_records_where_the_peer_left_off(client, personas):
    course = _course_with_a_check(modules=2)
    enrolment_create(user=personas.peer, course=course)
    first, second = ModulePage.objects.child_of(course).live().order_by("path")
    client.force_login(personas.peer)
    client.get(first.url)
    client.get(second.url)
    enrolment = Enrolment.objects.get(user=personas.peer, course=course)
    assert enrolment.last_module_id == second.pk
    assert set(enrolment.progress.values_list("module_id", flat=True)) == {first.pk, second.pk}


def test_course_page_costs_no_more_with_more_modules_and_enrolments(
    client, personas, django_assert_num_queries
):
    course = _course_with_a_check(modules=3)
    enrolment_create(user=personas.peer, course=course)
    client.force_login(personas.peer)

    def action():
        response = client.get(course.url)
        assert response.status_code == 200
        assert course.title in response.content.decode()

    def grow():
        _add_modules(course, 9)
        _enrol_others(course, 29)

    assert_queries_do_not_grow(django_assert_num_queries, action, grow)


def _dashboard(client):
    def action():
        response = client.get("/")
        assert response.status_code == 200
        assert "Your organisations and roles" in response.content.decode()

    return action


def test_peer_dashboard_costs_no_more_with_more_courses(
    client, personas, django_assert_num_queries
):
    enrolment_create(user=personas.peer, course=_course_with_a_check(modules=3))
    client.force_login(personas.peer)

    def grow():
        for number in range(4):
            course = _course_with_a_check(modules=3, title=f"Course {number}")
            enrolment_create(user=personas.peer, course=course)

    assert_queries_do_not_grow(django_assert_num_queries, _dashboard(client), grow)


def test_coordinator_dashboard_costs_no_more_with_more_learners(
    client, personas, django_assert_num_queries
):
    course = _course_with_a_check(modules=3)
    enrolment_create(user=personas.peer, course=course)
    client.force_login(personas.coordinator)

    def grow():
        for _ in range(20):
            person = UserFactory()
            MembershipFactory(user=person, organisation=personas.home, role=Role.PEER)
            enrolment_create(user=person, course=course)

    assert_queries_do_not_grow(django_assert_num_queries, _dashboard(client), grow)


def test_routing_asks_four_page_queries_for_a_module(client, personas):
    course = _course_with_a_check(modules=3)
    enrolment_create(user=personas.peer, course=course)
    module = _first_module(course)
    client.force_login(personas.peer)
    client.get(module.url)
    with CaptureQueriesContext(connection) as context:
        client.get(module.url)
    page_table = re.compile(r'FROM "(wagtailcore_page|lms_homepage|courses_\w+page)"')
    page_queries = [q for q in context.captured_queries if page_table.search(q["sql"])]
    # The home page, the course index (a child, made its own kind of page without reading its
    # fields: lms.models.HomePage.route), then the course and every module of it: four, however
    # deep the module sits.
    assert len(page_queries) == 4


# --- Routing keeps Wagtail's rules --------------------------------------------------------------


def test_draft_module_is_not_found(client, personas):
    course = _course_with_a_check(modules=2)
    enrolment_create(user=personas.peer, course=course)
    module = _first_module(course)
    module.unpublish()
    client.force_login(personas.peer)
    assert client.get(f"{course.url}{module.slug}/").status_code == 404


def test_draft_course_is_not_found(client, personas):
    course = _course_with_a_check(modules=2)
    course.unpublish()
    client.force_login(personas.peer)
    assert client.get(f"/courses/{course.slug}/").status_code == 404


def test_unknown_or_too_deep_paths_are_not_found(client, personas):
    course = _course_with_a_check(modules=1)
    module = _first_module(course)
    client.force_login(personas.peer)
    assert client.get("/courses/no-such-course/").status_code == 404
    assert client.get(f"{course.url}no-such-module/").status_code == 404
    assert client.get(f"{module.url}deeper/").status_code == 404


def test_module_under_a_page_password_asks_for_the_password(client, personas):
    course = _course_with_a_check(modules=2)
    enrolment_create(user=personas.peer, course=course)
    PageViewRestriction.objects.create(
        page=course, restriction_type=PageViewRestriction.PASSWORD, password="letmein"
    )
    module = _first_module(course)
    client.force_login(personas.peer)
    response = client.get(module.url)
    assert response.status_code == 200
    assert 'name="password"' in response.content.decode()
    assert "Module 1 text" not in response.content.decode()


def test_module_restricted_to_a_group_refuses_a_peer_outside_it(client, personas):
    course = _course_with_a_check(modules=2)
    enrolment_create(user=personas.peer, course=course)
    module = _first_module(course)
    restriction = PageViewRestriction.objects.create(
        page=module, restriction_type=PageViewRestriction.GROUPS
    )
    restriction.groups.add(Group.objects.get(name="Editors"))
    client.force_login(personas.peer)
    response = client.get(module.url)
    assert response.status_code == 302
    assert "Module 1 text" not in response.content.decode()


def test_private_module_is_left_out_of_the_list_on_its_siblings_pages(client, personas):
    course = _course_with_a_check(modules=2)
    enrolment_create(user=personas.peer, course=course)
    first, second = ModulePage.objects.child_of(course).live().order_by("path")
    PageViewRestriction.objects.create(page=second, restriction_type=PageViewRestriction.LOGIN)
    client.force_login(personas.peer)
    page = client.get(first.url).content.decode()
    assert first.title in page
    assert second.title not in page


def test_peer_not_enrolled_is_sent_to_the_course_page(client, personas):
    course = _course_with_a_check(modules=2)
    client.force_login(personas.other_peer)
    response = client.get(_first_module(course).url)
    assert response.status_code == 302
    assert response["Location"] == course.url


def test_courses_link_in_the_navigation_on_a_module_page(client, personas):
    course = _course_with_a_check(modules=1)
    enrolment_create(user=personas.peer, course=course)
    client.force_login(personas.peer)
    page = client.get(_first_module(course).url).content.decode()
    assert f'href="{CourseIndexPage.objects.get().url}"' in page


def test_module_page_budget_holds_on_a_later_module_too(client, personas):
    course = _course_with_a_check(modules=3)
    enrolment_create(user=personas.peer, course=course)
    last = ModulePage.objects.child_of(course).live().order_by("path").last()
    client.force_login(personas.peer)
    client.get(last.url)
    assert count_queries(lambda: client.get(last.url)) <= MODULE_PAGE_BUDGET
