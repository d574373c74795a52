"""The mentoring home page for a trainee and for a mentor, and what the pages cost in queries
as the data grows."""

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from mentoring.models import Mentorship
from mentoring.services.pairing import mentorship_end
from tests.mentoring.builders import accepted, active, ask, make_mentor, make_peer, text
from tests.querycount import assert_queries_do_not_grow

pytestmark = pytest.mark.django_db


@pytest.fixture
def maya(personas):
    return make_mentor(personas.home, "Maya Mentor", pronouns="she/her", capacity=12)


def _home(client):
    return client.get(reverse("mentoring:home"))


def test_a_trainee_with_nobody_is_pointed_to_the_shortlist(client, personas):
    client.force_login(personas.peer)

    page = text(_home(client))

    assert "You do not have a mentor at the moment." in page
    assert "find a mentor" in page
    assert f'href="{reverse("mentoring:shortlist")}"' in _home(client).content.decode()


def test_a_trainee_sees_their_mentor_their_request_and_their_history(client, personas, maya):
    ravi = make_mentor(personas.home, "Ravi Mentor")
    earlier = active(personas.peer, ravi)
    mentorship_end(mentorship=earlier, by=personas.peer, reason="moving_on")
    ask(personas.peer, maya)
    client.force_login(personas.peer)

    page = text(_home(client))

    assert "You asked Maya Mentor on" in page
    assert "Withdraw my request" in page
    assert "You do not have a mentor at the moment." not in page
    assert "Earlier mentorships" in page
    assert "Ravi Mentor mentoring you" in page
    assert "Time to move on to something new" in page
    assert "Requests waiting for your answer" not in page


def test_a_mentor_sees_requests_waiting_with_dates_and_their_mentees(client, personas, maya):
    active(personas.peer, maya)
    waiting = ask(make_peer(personas.home, "Ali Peer"), maya)
    client.force_login(maya.user)

    page = text(_home(client))

    assert "Requests waiting for your answer" in page
    asked, answer_by = (
        date_format(timezone.localtime(moment), "j F Y")
        for moment in (waiting.created_at, waiting.respond_by)
    )
    assert f"Ali Peer {asked} {answer_by}" in page
    assert "Your mentees" in page
    assert "Pat Peer Active" in page
    assert "Your mentor" not in page


def test_a_coordinator_is_told_what_mentoring_is(client, personas):
    client.force_login(personas.coordinator)

    assert "It will appear here if you take part as a peer or a mentor." in text(_home(client))


def _more_for(maya, personas, count, start=0):
    """More mentees (some ended), and more requests waiting, for Maya."""
    for number in range(start, start + count):
        trainee = make_peer(personas.home, f"Trainee {number}")
        mentorship = active(trainee, maya)
        if number % 2:
            mentorship_end(mentorship=mentorship, by=maya.user, reason="goals_met")
        ask(make_peer(personas.home, f"Asker {number}"), maya)


def test_the_home_page_costs_the_same_for_few_and_many_mentorships(
    client, personas, maya, django_assert_num_queries
):
    _more_for(maya, personas, 1)
    client.force_login(maya.user)

    assert_queries_do_not_grow(
        django_assert_num_queries,
        lambda: _home(client),
        lambda: _more_for(maya, personas, 8, start=1),
    )
    assert "Asker 8" in text(_home(client))


def test_the_trainee_home_page_costs_the_same_with_a_long_history(
    client, personas, django_assert_num_queries
):
    def history(count, start=0):
        for number in range(start, start + count):
            Mentorship.objects.create(
                organisation=personas.home,
                trainee=personas.peer,
                mentor=make_mentor(personas.home, f"Mentor {number}").user,
                status=Mentorship.ENDED,
                ended_at=timezone.now(),
                ended_by=personas.peer,
                end_reason="moving_on",
            )

    history(1)
    accepted(personas.peer, make_mentor(personas.home, "Current Mentor"))
    client.force_login(personas.peer)

    assert_queries_do_not_grow(
        django_assert_num_queries, lambda: _home(client), lambda: history(6, start=1)
    )


def test_the_mentorship_page_costs_the_same_however_busy_the_people_are(
    client, personas, maya, django_assert_num_queries
):
    mentorship = active(personas.peer, maya)
    url = reverse("mentoring:mentorship", args=[mentorship.pk])
    client.force_login(maya.user)

    assert_queries_do_not_grow(
        django_assert_num_queries,
        lambda: client.get(url),
        lambda: _more_for(maya, personas, 6),
    )


def test_the_request_page_costs_the_same_however_many_requests_there_are(
    client, personas, maya, django_assert_num_queries
):
    mentor_request = ask(personas.peer, maya)
    url = reverse("mentoring:request", args=[mentor_request.pk])
    client.force_login(maya.user)

    assert_queries_do_not_grow(
        django_assert_num_queries,
        lambda: client.get(url),
        lambda: _more_for(maya, personas, 6),
    )
