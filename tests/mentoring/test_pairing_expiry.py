"""Requests nobody answered in time lapse: once, kindly, and the trainee is emailed once; the
task runs from an hourly django-q2 schedule."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django_q.models import Schedule

from lms.models import AuditEvent
from mentoring import tasks
from mentoring.models import MentorRequest
from mentoring.selectors.pairing import why_trainee_cannot_ask
from mentoring.services.pairing import mentor_request_propose, mentor_requests_expire
from tests.mentoring.builders import ask, make_mentor, make_peer, text

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


# --- A lapsed request the hourly run has not reached yet -------------------------------------


def test_a_lapsed_request_does_not_stop_the_trainee_asking_someone_else(
    client, personas, maya, mailoutbox, django_capture_on_commit_callbacks
):
    late = ask(personas.peer, maya)
    _lapse(late)
    ravi = make_mentor(personas.home, "Ravi Mentor", pronouns="he/him")
    client.force_login(personas.peer)
    url = reverse("mentoring:request-new", args=[ravi.pk])

    home = text(client.get(reverse("mentoring:home")))
    page = text(client.get(url))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"message": "Could you help me?"}, follow=True)

    assert "You do not have a mentor at the moment." in home
    assert "You will hear by" not in home
    assert "Wait for" not in page and "Send my request" in page
    assert "Your request is on its way to Ravi Mentor." in text(response)
    late.refresh_from_db()
    assert late.status == MentorRequest.EXPIRED
    assert late.answered_at is not None
    new = MentorRequest.objects.get(status=MentorRequest.PENDING)
    assert (new.trainee, new.mentor) == (personas.peer, ravi.user)
    assert AuditEvent.objects.filter(action="mentoring.request.expire").count() == 1
    lapsed_mail = [mail for mail in mailoutbox if mail.to == [personas.peer.email]]
    assert [mail.subject for mail in lapsed_mail] == ["Your request to Maya Mentor has lapsed"]
    # The hourly run finds nothing left to do, and sends nothing more.
    with django_capture_on_commit_callbacks(execute=True):
        assert mentor_requests_expire() == 0
    assert len([mail for mail in mailoutbox if mail.to == [personas.peer.email]]) == 1


def test_a_lapsed_request_is_not_given_as_a_reason_to_wait(personas, maya):
    late = ask(personas.peer, maya)
    ravi = make_mentor(personas.home, "Ravi Mentor")
    assert "You have already asked Maya Mentor" in why_trainee_cannot_ask(
        trainee=personas.peer, profile=ravi
    )

    _lapse(late)

    assert why_trainee_cannot_ask(trainee=personas.peer, profile=ravi) == ""


def test_only_the_trainees_own_lapsed_requests_are_expired_when_they_ask(personas, maya):
    mine = ask(personas.peer, maya)
    ali = make_peer(personas.home, "Ali Peer")
    theirs = ask(ali, maya)
    _lapse(mine)
    _lapse(theirs)

    ask(personas.peer, make_mentor(personas.home, "Ravi Mentor"))

    statuses = dict(MentorRequest.objects.values_list("pk", "status"))
    assert statuses[mine.pk] == MentorRequest.EXPIRED
    assert statuses[theirs.pk] == MentorRequest.PENDING


def test_a_coordinator_can_propose_for_a_trainee_whose_request_lapsed(client, personas, maya):
    late = ask(personas.peer, maya)
    _lapse(late)
    ravi = make_mentor(personas.home, "Ravi Mentor")
    client.force_login(personas.coordinator)
    url = reverse("mentoring:propose", args=[personas.home.slug])

    offered = list(client.get(url).context["form"].fields["trainee"].queryset)
    response = client.post(
        url, {"trainee": personas.peer.pk, "mentor": ravi.pk, "message": "You would get on."}
    )

    assert personas.peer in offered
    assert response.status_code == 302
    late.refresh_from_db()
    assert late.status == MentorRequest.EXPIRED
    assert MentorRequest.objects.get(status=MentorRequest.PENDING).mentor == ravi.user
