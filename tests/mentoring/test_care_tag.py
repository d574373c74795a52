"""The care part of the mentorship page (`{% mentorship_care mentorship %}`): the mentor sees
how to raise a concern, what the mentee shared and the concerns they raised; the trainee sees
whether their plan is shared, and nothing about concerns; nobody else sees anything."""

import html
from datetime import timedelta

import pytest
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from mentoring.models import WELLNESS_PLAN_SECTIONS, Concern, Mentorship
from mentoring.services.care import concern_raise, wellness_plan_save, wellness_plan_share

pytestmark = pytest.mark.django_db

KEEPS_ME_WELL = WELLNESS_PLAN_SECTIONS[0][0]
TAG = Template("{% load mentoring_care %}{% mentorship_care mentorship %}")


def _render(mentorship, viewer) -> str:
    request = RequestFactory().get("/")
    request.user = viewer
    return html.unescape(TAG.render(Context({"request": request, "mentorship": mentorship})))


@pytest.fixture
def mentorship(personas):
    return Mentorship.objects.create(
        organisation=personas.home,
        trainee=personas.peer,
        mentor=personas.mentor,
        status=Mentorship.ACTIVE,
        started_at=timezone.now() - timedelta(days=30),
    )


def test_the_mentor_sees_a_raise_a_concern_link(personas, mentorship):
    out = _render(mentorship, personas.mentor)

    assert reverse("mentoring:concern-new", args=[mentorship.pk]) in out
    assert "999" in out


def test_the_mentor_sees_no_plan_link_until_the_plan_is_shared(personas, mentorship):
    wellness_plan_save(user=personas.peer, sections={KEEPS_ME_WELL: "<p>Walks.</p>"})
    plan_url = reverse("mentoring:mentee-plan", args=[personas.peer.pk])

    assert plan_url not in _render(mentorship, personas.mentor)

    wellness_plan_share(user=personas.peer, share=True)
    out = _render(mentorship, personas.mentor)

    assert plan_url in out
    assert "1 section written" in out


def test_the_mentor_of_an_ended_mentorship_sees_no_concern_link_and_no_plan(personas, mentorship):
    wellness_plan_save(user=personas.peer, sections={KEEPS_ME_WELL: "<p>Walks.</p>"})
    wellness_plan_share(user=personas.peer, share=True)
    Mentorship.objects.filter(pk=mentorship.pk).update(status=Mentorship.ENDED)
    mentorship.refresh_from_db()

    out = _render(mentorship, personas.mentor)

    assert reverse("mentoring:concern-new", args=[mentorship.pk]) not in out
    assert reverse("mentoring:mentee-plan", args=[personas.peer.pk]) not in out


def test_the_mentor_sees_the_concerns_they_raised_and_that_nobody_has_responded_yet(
    personas, mentorship
):
    concern_raise(
        mentorship=mentorship, by=personas.mentor, kind=Concern.SAFEGUARDING, description="Words."
    )

    out = _render(mentorship, personas.mentor)

    assert "Safeguarding concern, raised" in out
    assert "Not picked up yet" in out
    assert "Words." in out  # their own words, behind "What you wrote"


def test_the_trainee_sees_whether_their_plan_is_shared_and_where_to_change_it(personas, mentorship):
    out = _render(mentorship, personas.peer)
    assert "private to you" in out
    assert reverse("mentoring:wellness-plan") in out

    wellness_plan_share(user=personas.peer, share=True)
    out = _render(mentorship, personas.peer)

    assert f"{personas.mentor.display_name} can read your wellness action plan" in out


def test_the_trainee_sees_nothing_about_concerns(personas, mentorship):
    concern_raise(
        mentorship=mentorship, by=personas.mentor, kind=Concern.WELLBEING, description="Words."
    )

    out = _render(mentorship, personas.peer)

    assert "concern" not in out.lower()
    assert "Words." not in out


@pytest.mark.parametrize("who", ["coordinator", "org_admin", "other_mentor", "editor"])
def test_nobody_else_sees_anything(personas, mentorship, who):
    concern_raise(
        mentorship=mentorship, by=personas.mentor, kind=Concern.WELLBEING, description="Words."
    )

    assert _render(mentorship, getattr(personas, who)).strip() == ""
