"""Enrolling: by the peer themselves (POST only) or by a coordinator, with prerequisites enforced,
and what someone who is not enrolled may see."""

import html
from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from django.urls import reverse
from django.utils import timezone

from courses.models import Enrolment
from courses.selectors import live_modules
from courses.services import enrolment_create, module_finish
from lms.models import Role
from tests.courses.builders import make_course, text
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def _text(response):
    return html.unescape(response.content.decode())


def _enrol_url(course):
    return reverse("courses:enrol", args=[course.pk])


def _complete(user, course):
    enrolment, _ = enrolment_create(user=user, course=course)
    for module in live_modules(course=course):
        module_finish(enrolment=enrolment, module=module)
    enrolment.refresh_from_db()
    assert enrolment.completed_at is not None


@pytest.fixture
def course(personas):
    return make_course(
        "Peer Support Basics",
        bodies=[
            [text("<p>The first module says hello.</p>")],
            [text("<p>The second module talks about boundaries.</p>")],
        ],
    )


@pytest.fixture
def advanced(course):
    return make_course("Advanced Practice", prerequisites=[course])


# --- Self-enrolment ----------------------------------------------------------------------------


def test_peer_enrols_by_post_and_lands_on_the_first_module(client, personas, course):
    client.force_login(personas.peer)

    response = client.post(_enrol_url(course))

    first = live_modules(course=course).first()
    assert response.status_code == 302
    assert response.url == first.url
    enrolment = Enrolment.objects.get()
    assert (enrolment.user, enrolment.course_id, enrolment.assigned_by) == (
        personas.peer,
        course.pk,
        None,
    )
    page = _text(client.get(response.url))
    assert "You are enrolled on Peer Support Basics. Take it at your own pace." in page
    assert "The first module says hello." in page


def test_enrolling_by_get_is_refused_and_writes_nothing(client, personas, course):
    client.force_login(personas.peer)

    response = client.get(_enrol_url(course))

    assert response.status_code == 405
    assert not Enrolment.objects.exists()


def test_enrolling_twice_keeps_one_enrolment_and_says_so(client, personas, course):
    client.force_login(personas.peer)
    client.post(_enrol_url(course))

    response = client.post(_enrol_url(course), follow=True)

    assert Enrolment.objects.filter(user=personas.peer, course=course).count() == 1
    assert "You are already enrolled on Peer Support Basics." in _text(response)


def test_enrolling_again_keeps_the_progress_already_made(client, personas, course):
    client.force_login(personas.peer)
    client.post(_enrol_url(course))
    first = live_modules(course=course).first()
    client.get(first.url)
    client.post(reverse("courses:module-finish", args=[first.pk]))

    client.post(_enrol_url(course))

    assert Enrolment.objects.get().progress.filter(completed_at__isnull=False).count() == 1


def test_anonymous_enrol_is_sent_to_sign_in_and_writes_nothing(client, personas, course):
    response = client.post(_enrol_url(course))

    assert response.status_code == 302
    assert response.url.startswith(reverse("lms:login") + "?next=")
    assert not Enrolment.objects.exists()


def test_enrolling_on_an_unpublished_course_is_404(client, personas, course):
    course.unpublish()
    client.force_login(personas.peer)

    response = client.post(_enrol_url(course))

    assert response.status_code == 404
    assert not Enrolment.objects.exists()


def test_enrolling_on_an_unknown_course_is_404(client, personas):
    client.force_login(personas.peer)

    assert client.post(reverse("courses:enrol", args=[999_999])).status_code == 404


# --- Prerequisites -----------------------------------------------------------------------------


def test_missing_prerequisite_is_explained_and_nothing_is_written(
    client, personas, course, advanced
):
    client.force_login(personas.peer)

    response = client.post(_enrol_url(advanced), follow=True)

    assert response.redirect_chain[-1][0] == advanced.url
    assert "Before Advanced Practice, complete Peer Support Basics first." in _text(response)
    assert not Enrolment.objects.exists()


def test_course_page_names_the_course_to_complete_first_instead_of_an_enrol_button(
    client, personas, course, advanced
):
    client.force_login(personas.peer)

    page = _text(client.get(advanced.url))

    notice = " ".join(BeautifulSoup(page, "html.parser").get_text().split())
    assert "Before this course, complete Peer Support Basics. It covers" in notice
    assert f'href="{course.url}"' in page
    assert "Enrol on this course" not in page


def test_prerequisite_only_started_still_blocks_enrolment(client, personas, course, advanced):
    enrolment_create(user=personas.peer, course=course)
    client.force_login(personas.peer)

    client.post(_enrol_url(advanced))

    assert not Enrolment.objects.filter(course=advanced).exists()


def test_peer_who_completed_the_prerequisite_may_enrol(client, personas, course, advanced):
    _complete(personas.peer, course)
    client.force_login(personas.peer)

    response = client.post(_enrol_url(advanced), follow=True)

    assert Enrolment.objects.filter(user=personas.peer, course=advanced).exists()
    assert "You are enrolled on Advanced Practice." in _text(response)


def test_prerequisite_completed_by_someone_else_does_not_count(client, personas, course, advanced):
    _complete(personas.other_peer, course)
    client.force_login(personas.peer)

    client.post(_enrol_url(advanced))

    assert not Enrolment.objects.filter(user=personas.peer, course=advanced).exists()


# --- What someone who is not enrolled sees ------------------------------------------------------


def test_unenrolled_peer_sees_the_outline_but_not_module_bodies(client, personas, course):
    client.force_login(personas.peer)

    page = _text(client.get(course.url))

    assert "Peer Support Basics module 1" in page
    assert "Peer Support Basics module 2" in page
    assert "Enrol on this course" in page
    assert "The first module says hello." not in page
    for module in live_modules(course=course):
        assert f'href="{module.url}"' not in page


def test_anonymous_visitor_sees_the_outline_and_is_asked_to_sign_in(client, personas, course):
    page = _text(client.get(course.url))

    assert "Peer Support Basics module 2" in page
    assert "Sign in to enrol" in page
    assert "The second module talks about boundaries." not in page


def test_module_url_sends_an_unenrolled_peer_to_the_course_with_a_message(client, personas, course):
    module = live_modules(course=course).last()
    client.force_login(personas.peer)

    response = client.get(module.url, follow=True)

    assert response.redirect_chain == [(course.url, 302)]
    page = _text(response)
    assert "Enrol on Peer Support Basics to open its modules." in page
    assert "The second module talks about boundaries." not in page
    assert not Enrolment.objects.exists()


def test_module_url_sends_an_anonymous_visitor_to_sign_in(client, personas, course):
    module = live_modules(course=course).first()

    response = client.get(module.url)

    assert response.status_code == 302
    assert response.url.startswith(reverse("lms:login") + "?next=")
    assert "The first module says hello." not in response.content.decode()


def test_enrolment_on_one_course_does_not_open_another_courses_modules(client, personas, course):
    other = make_course("Safe Practice", bodies=[[text("<p>Lone working.</p>")]] * 2)
    enrolment_create(user=personas.peer, course=course)
    client.force_login(personas.peer)

    response = client.get(live_modules(course=other).first().url, follow=True)

    assert response.redirect_chain == [(other.url, 302)]
    assert "Lone working." not in _text(response)


# --- Assignment by a coordinator ----------------------------------------------------------------


def _assign(client, personas, data, *, by=None):
    client.force_login(by or personas.coordinator)
    return client.post(reverse("courses:assign", args=[personas.home.slug]), data, follow=True)


def test_coordinator_assigns_a_course_to_one_person(client, personas, course):
    response = _assign(client, personas, {"course": course.pk, "person": personas.peer.pk})

    assert response.redirect_chain[-1][0] == reverse(
        "courses:learner-records", args=[personas.home.slug]
    )
    assert "Peer Support Basics assigned to 1 person." in _text(response)
    enrolment = Enrolment.objects.get()
    assert (enrolment.user, enrolment.assigned_by) == (personas.peer, personas.coordinator)


def test_org_admin_assigns_a_course_to_everyone_with_a_role(client, personas, course):
    extra = [MembershipFactory(organisation=personas.home, role=Role.PEER).user for _ in range(2)]
    MembershipFactory(user=personas.mentor, organisation=personas.home, role=Role.PEER)

    response = _assign(
        client, personas, {"course": course.pk, "role": Role.PEER}, by=personas.org_admin
    )

    assert "Peer Support Basics assigned to 4 people." in _text(response)
    assert set(Enrolment.objects.values_list("user", flat=True)) == {
        personas.peer.pk,
        personas.mentor.pk,
        *(person.pk for person in extra),
    }
    assert set(Enrolment.objects.values_list("assigned_by", flat=True)) == {personas.org_admin.pk}


def test_assigning_by_role_leaves_out_other_organisations_and_ended_roles(client, personas, course):
    MembershipFactory(
        user=UserFactory(display_name="Left Last Week"),
        organisation=personas.home,
        role=Role.PEER,
        active_from=timezone.localdate() - timedelta(days=90),
        active_to=timezone.localdate() - timedelta(days=7),
    )

    _assign(client, personas, {"course": course.pk, "role": Role.PEER})

    assert list(Enrolment.objects.values_list("user", flat=True)) == [personas.peer.pk]


def test_assignment_skips_people_missing_prerequisites_and_names_them(
    client, personas, course, advanced
):
    ready = MembershipFactory(
        user=UserFactory(display_name="Ready Robin"), organisation=personas.home
    ).user
    _complete(ready, course)

    response = _assign(client, personas, {"course": advanced.pk, "role": Role.PEER})

    page = _text(response)
    assert "Advanced Practice assigned to 1 person." in page
    assert (
        "Not assigned yet, because they have not completed the courses that come first: "
        "Pat Peer." in page
    )
    assert list(Enrolment.objects.filter(course=advanced).values_list("user", flat=True)) == [
        ready.pk
    ]


def test_assigning_someone_already_enrolled_changes_nothing_and_says_so(client, personas, course):
    enrolment, _ = enrolment_create(user=personas.peer, course=course)

    response = _assign(client, personas, {"course": course.pk, "person": personas.peer.pk})

    assert "Already enrolled, so nothing changed: Pat Peer." in _text(response)
    assert list(Enrolment.objects.values_list("pk", "assigned_by")) == [(enrolment.pk, None)]


def test_assignment_without_a_person_or_role_is_refused_with_a_message(client, personas, course):
    response = _assign(client, personas, {"course": course.pk})

    assert response.status_code == 200
    assert "Choose a person, or a role to assign everyone in it." in _text(response)
    assert not Enrolment.objects.exists()


def test_coordinator_cannot_assign_a_course_to_someone_in_another_organisation(
    client, personas, course
):
    response = _assign(client, personas, {"course": course.pk, "person": personas.other_peer.pk})

    assert response.status_code == 200
    assert "There is a problem" in _text(response)
    assert not Enrolment.objects.exists()


def test_assigning_an_unpublished_course_is_refused(client, personas, course):
    course.unpublish()

    response = _assign(client, personas, {"course": course.pk, "person": personas.peer.pk})

    assert response.status_code == 200
    assert not Enrolment.objects.exists()


def test_assign_form_is_shown_on_get_and_writes_nothing(client, personas, course):
    client.force_login(personas.coordinator)

    response = client.get(reverse("courses:assign", args=[personas.home.slug]))

    page = _text(response)
    assert response.status_code == 200
    assert "Assign a course" in page
    assert "Pat Peer" in page
    assert "Oz Peer" not in page
    assert not Enrolment.objects.exists()
