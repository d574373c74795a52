"""Requests nobody answered in time lapse: once, kindly, and the trainee is emailed once; the
task runs from an hourly django-q2 schedule."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_q.models import Schedule

from lms.models import AuditEvent
from mentoring import tasks
from mentoring.models import MentorRequest
from mentoring.services.pairing import mentor_request_propose, mentor_requests_expire
from tests.mentoring.pairing_builders import ask, make_mentor, make_peer

pytestmark = pytest.mark.django_db


@pytest.fixture
def maya(personas):
    return make_mentor(personas.home, "Maya Mentor", pronouns="she/her")


def _lapse(mentor_request, minutes=1):
    MentorRequest.objects.filter(pk=mentor_request.pk).update(
        respond_by=timezone.now() - timedelta(minutes=minutes)
    )


def test_expiry_lapses_only_late_pending_requests_and_is_safe_to_run_twice(
    personas, maya, mailoutbox, django_capture_on_commit_callbacks
):
    late = ask(personas.peer, maya)
    _lapse(late)
    in_time = ask(make_peer(personas.home, "Ali Peer"), maya)
    answered = ask(make_peer(personas.home, "Bo Peer"), maya)
    MentorRequest.objects.filter(pk=answered.pk).update(
        status=MentorRequest.DECLINED, respond_by=timezone.now() - timedelta(days=1)
    )

    with django_capture_on_commit_callbacks(execute=True):
        first = mentor_requests_expire()
    with django_capture_on_commit_callbacks(execute=True):
        second = mentor_requests_expire()

    assert (first, second) == (1, 0)
    statuses = dict(MentorRequest.objects.values_list("pk", "status"))
    assert statuses == {
        late.pk: MentorRequest.EXPIRED,
        in_time.pk: MentorRequest.PENDING,
        answered.pk: MentorRequest.DECLINED,
    }
    assert MentorRequest.objects.count() == 3
    assert [mail.to for mail in mailoutbox] == [[personas.peer.email]]
    body = mailoutbox[0].body
    assert "Maya Mentor could not answer in time" in body
    assert "it says nothing about you" in body
    assert "You can choose someone else" in body
    assert mailoutbox[0].subject == "Your request to Maya Mentor has lapsed"
    assert AuditEvent.objects.filter(action="mentoring.request.expire").count() == 1


def test_the_outcome_email_is_sent_once_however_often_the_task_runs(personas, maya, mailoutbox):
    late = ask(personas.peer, maya)
    _lapse(late)
    mentor_requests_expire()  # the email task is queued on commit, which tests do not reach

    for _ in range(3):
        tasks.send_mentor_request_outcome_email(late.pk)

    assert len(mailoutbox) == 1
    late.refresh_from_db()
    assert late.trainee_told_at is not None


def test_the_task_expires_with_the_clock_now(personas, maya):
    late = ask(personas.peer, maya)
    _lapse(late, minutes=5)

    assert tasks.expire_mentor_requests() == 1
    late.refresh_from_db()
    assert late.status == MentorRequest.EXPIRED
    assert late.answered_at is not None


def test_a_lapsed_proposal_tells_both_people(
    personas, maya, mailoutbox, django_capture_on_commit_callbacks
):
    proposal = mentor_request_propose(
        organisation=personas.home,
        trainee=personas.peer,
        mentor=maya.user,
        by=personas.coordinator,
        message="A good fit",
    )
    _lapse(proposal)

    with django_capture_on_commit_callbacks(execute=True):
        mentor_requests_expire()

    assert {mail.to[0] for mail in mailoutbox} == {personas.peer.email, maya.user.email}
    assert all("did not get both answers in time" in mail.body for mail in mailoutbox)


def test_expiry_with_a_clock_in_the_future_leaves_answered_requests_alone(personas, maya):
    ask(personas.peer, maya)

    assert mentor_requests_expire(now=timezone.now() + timedelta(days=30)) == 1
    assert mentor_requests_expire(now=timezone.now() + timedelta(days=30)) == 0


def test_an_hourly_schedule_runs_the_expiry_task():
    schedule = Schedule.objects.get(func="mentoring.tasks.expire_mentor_requests")

    assert schedule.schedule_type == Schedule.HOURLY
    assert schedule.repeats == -1
