"""The sessions part of a mentorship page (`{% mentorship_sessions mentorship %}`), and the
selectors other areas use: actions due, sessions waiting to be confirmed."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from mentoring.models import ActionItem, Mentorship, SessionFormat, SupervisionSession
from mentoring.selectors.supervision import (
    actions_due_for,
    sessions_awaiting_confirmation,
    sessions_for_mentorship,
)
from mentoring.services.supervision import action_complete, session_confirm, session_log
from tests.querycount import assert_queries_do_not_grow, count_queries

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


@pytest.fixture
def mentorship(personas):
    return Mentorship.objects.create(
        organisation=personas.home,
        trainee=personas.peer,
        mentor=personas.mentor,
        status=Mentorship.ACTIVE,
        started_at=timezone.now() - timedelta(days=90),
        created_at=timezone.now() - timedelta(days=90),
    )


def _session(mentorship, days_ago, minutes=60, *, confirm=False, actions=()):
    session = session_log(
        mentorship=mentorship,
        by=mentorship.mentor,
        held_on=TODAY - timedelta(days=days_ago),
        duration_minutes=minutes,
        format=SessionFormat.ONLINE,
        topics=[],
        summary="Summary words",
        private_notes="Hidden words",
        actions=list(actions),
    )
    if confirm:
        session = session_confirm(session=session, by=mentorship.trainee)
    return session


def _render(mentorship, user) -> str:
    request = RequestFactory().get(reverse("mentoring:mentorship", args=[mentorship.pk]))
    request.user = user
    template = Template("{% load mentoring_supervision %}{% mentorship_sessions mentorship %}")
    return template.render(
        Context({"request": request, "mentorship": mentorship, "csrf_token": "token"})
    )


def test_the_mentor_sees_log_a_session_the_sessions_hours_and_open_actions(personas, mentorship):
    confirmed = _session(mentorship, 20, 90, confirm=True)
    waiting = _session(
        mentorship,
        2,
        45,
        actions=[{"description": "Try the grounding exercise", "owner": personas.peer}],
    )

    html = _render(mentorship, personas.mentor)

    assert reverse("mentoring:session-new", args=[mentorship.pk]) in html
    assert reverse("mentoring:session", args=[confirmed.pk]) in html
    assert reverse("mentoring:session", args=[waiting.pk]) in html
    assert "90 minutes" in html and "45 minutes" in html
    assert "Waiting for the mentee to confirm" in html
    # Only the confirmed session counts.
    assert "1 confirmed session, 1.5 hours in all." in html
    assert "Try the grounding exercise" in html
    assert "for Pat Peer" in html
    assert "Hidden words" not in html and "Summary words" not in html


def test_the_mentee_sees_sessions_waiting_for_them_kindly(personas, mentorship):
    _session(mentorship, 2)
    _session(mentorship, 9)

    html = _render(mentorship, personas.peer)

    assert "Mo Mentor has logged 2 sessions for you to look at." in html
    assert "Waiting for you to confirm" in html
    assert "Log a session" not in html
    assert "0 confirmed sessions, 0 hours in all." in html


def test_no_log_a_session_link_once_the_mentorship_has_ended(personas, mentorship):
    _session(mentorship, 3, confirm=True)
    mentorship.status = Mentorship.ENDED
    mentorship.save()

    html = _render(mentorship, personas.mentor)

    assert "Log a session" not in html
    assert "1 confirmed session" in html


def test_nobody_else_sees_anything(personas, mentorship):
    _session(mentorship, 3)

    assert _render(mentorship, personas.coordinator) == ""
    assert _render(mentorship, personas.other_mentor) == ""
    assert _render(mentorship, AnonymousUser()) == ""


def test_done_actions_leave_the_list(personas, mentorship):
    session = _session(
        mentorship, 3, actions=[{"description": "Call the helpline", "owner": personas.peer}]
    )
    action_complete(action=session.actions.get(), by=personas.peer)

    assert "Call the helpline" not in _render(mentorship, personas.peer)


def test_the_tag_costs_the_same_however_many_sessions(
    personas, mentorship, django_assert_num_queries
):
    _session(mentorship, 1, actions=[{"description": "One", "owner": personas.peer}])

    def grow():
        for n in range(5):
            _session(
                mentorship,
                n + 2,
                confirm=n % 2 == 0,
                actions=[{"description": f"Do {n}", "owner": personas.mentor}],
            )

    assert_queries_do_not_grow(
        django_assert_num_queries, lambda: _render(mentorship, personas.mentor), grow
    )


def test_the_tag_appears_on_the_mentorship_page(client, personas, mentorship):
    session = _session(mentorship, 2)
    client.force_login(personas.mentor)

    page = client.get(reverse("mentoring:mentorship", args=[mentorship.pk])).content.decode()

    assert "Supervision sessions" in page
    assert reverse("mentoring:session", args=[session.pk]) in page


def test_mark_done_from_the_mentorship_page_returns_there(client, personas, mentorship):
    session = _session(mentorship, 2, actions=[{"description": "Read it", "owner": personas.peer}])
    here = reverse("mentoring:mentorship", args=[mentorship.pk])
    client.force_login(personas.peer)

    response = client.post(
        reverse("mentoring:action-done", args=[session.actions.get().pk]), {"next": here}
    )

    assert response["Location"] == here
    assert session.actions.get().done_at is not None


# --- Selectors for other areas ----------------------------------------------------------------


def test_sessions_for_mentorship_counts_only_confirmed_hours(personas, mentorship):
    _session(mentorship, 5, 120, confirm=True)
    _session(mentorship, 4, 30, confirm=True)
    _session(mentorship, 3, 480)
    disputed = _session(mentorship, 2, 60)
    SupervisionSession.objects.filter(pk=disputed.pk).update(status=SupervisionSession.DISPUTED)

    summary = sessions_for_mentorship(mentorship=mentorship)

    assert str(summary.confirmed_hours) == "2.5"
    assert summary.confirmed_count == 2
    assert len(summary.sessions) == 4


def test_actions_due_for_lists_open_actions_the_person_owns_soonest_first(personas, mentorship):
    _session(
        mentorship,
        3,
        actions=[
            {"description": "Later", "owner": personas.peer, "due_on": TODAY + timedelta(9)},
            {"description": "Undated", "owner": personas.peer},
            {"description": "Sooner", "owner": personas.peer, "due_on": TODAY + timedelta(2)},
        ],
    )
    _session(
        mentorship,
        4,
        actions=[{"description": "Mentor's", "owner": personas.mentor, "due_on": TODAY}],
    )
    done = _session(
        mentorship, 2, actions=[{"description": "Done already", "owner": personas.peer}]
    )
    action_complete(action=done.actions.get(), by=personas.peer)

    due = []
    queries = count_queries(lambda: due.extend(actions_due_for(user=personas.peer)))

    assert [a.description for a in due] == ["Sooner", "Later", "Undated"]
    # The actions, and the owner's pauses for the one clock (lms.clock): fixed, not per row.
    assert queries == 2
    assert due[0].session.mentorship.mentor == personas.mentor  # no more queries: selected
    assert [a.description for a in actions_due_for(user=personas.peer, limit=1)] == ["Sooner"]
    assert ActionItem.objects.filter(owner=personas.peer).count() == 4


def test_sessions_awaiting_confirmation_are_the_trainees_own(personas, mentorship):
    first = _session(mentorship, 9)
    second = _session(mentorship, 3)
    _session(mentorship, 5, confirm=True)

    waiting = list(sessions_awaiting_confirmation(trainee=personas.peer))

    assert waiting == [first, second]
    assert list(sessions_awaiting_confirmation(trainee=personas.mentor)) == []
    assert list(sessions_awaiting_confirmation(trainee=personas.other_peer)) == []
