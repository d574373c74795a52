"""Every task that sends email sends it once: run twice, handed over again by the relay, or
retried after its worker died in the middle (issue 11, "Exactly once").

Each case does the real thing through its service, which queues the task in the outbox; the
tasks are then run as the broker runs them (`lms.queue.run` with the outbox id)."""

from datetime import timedelta

import pytest
from django.core.files.storage import storages
from django.utils import timezone

import lms.effects
from lms.effects import stale_claims
from lms.models import OutboxTask, SideEffect
from lms.queue import enqueue, run
from lms.services import data_export_request, invitation_create
from lms.tasks import report_background_work
from mentoring.services.care import concern_raise
from mentoring.services.pairing import (
    mentor_request_answer,
    mentor_request_create,
    mentor_request_propose,
)
from mentoring.services.supervision import session_log
from pathways.models import Evidence
from pathways.selectors import person_progress
from pathways.services import evidence_review, evidence_submit, pathway_join, stage_decide
from tests.mentoring.builders import active, make_mentor
from tests.pathways.builders import make_framework, make_pathway

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def private_files(settings, tmp_path, monkeypatch):
    """The data export's zip goes to a temporary folder."""
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    storage = storages["private"]
    monkeypatch.setattr(storage, "_location", str(settings.PRIVATE_MEDIA_ROOT))
    for cached in ("base_location", "location"):
        monkeypatch.delitem(storage.__dict__, cached, raising=False)


class WorkerKilled(BaseException):
    """What SIGKILL looks like from inside: nothing after it runs."""


def _invitation(personas):
    invitation_create(
        organisation=personas.home,
        email="robin@example.org",
        role="peer",
        invited_by=personas.coordinator,
    )


def _password_reset(personas):
    enqueue("lms.tasks.send_password_reset_email", personas.peer.pk)


def _data_export(personas):
    data_export_request(user=personas.peer)


def _on_pathway(personas):
    pathway = make_pathway(framework=make_framework(), organisation=personas.home)
    pathway_join(user=personas.peer, pathway=pathway)


def _evidence_review(personas):
    _on_pathway(personas)
    evidence = evidence_submit(
        user=personas.peer, evidence_kind="A statement", statement="<p>x</p>"
    )
    evidence_review(
        evidence=evidence, reviewer=personas.coordinator, outcome=Evidence.MORE_NEEDED, note="n"
    )


def _stage_decision(personas):
    _on_pathway(personas)
    progress = person_progress(user=personas.peer)
    stage_decide(
        membership=progress.membership,
        to_stage=progress.next_stage,
        outcome="not_yet",
        note="n",
        by=personas.coordinator,
    )


def _mentor_request(personas):
    maya = make_mentor(personas.home, "Maya Mentor", capacity=2)
    mentor_request_create(trainee=personas.peer, profile=maya, message="Hello")


def _proposal(personas):
    maya = make_mentor(personas.home, "Maya Mentor", capacity=2)
    mentor_request_propose(
        organisation=personas.home,
        trainee=personas.peer,
        mentor=maya.user,
        by=personas.coordinator,
        message="You two",
    )


def _declined(personas):
    maya = make_mentor(personas.home, "Maya Mentor", capacity=2)
    request = mentor_request_create(trainee=personas.peer, profile=maya, message="Hello")
    mentor_request_answer(mentor_request=request, by=maya.user, accept=False, note="Sorry")


def _concern(personas):
    maya = make_mentor(personas.home, "Maya Mentor", capacity=2)
    mentorship = active(personas.peer, maya)
    concern_raise(mentorship=mentorship, by=maya.user, kind="wellbeing", description="Worried")


def _session(personas):
    maya = make_mentor(personas.home, "Maya Mentor", capacity=2)
    mentorship = active(personas.peer, maya)
    session_log(
        mentorship=mentorship,
        by=maya.user,
        held_on=timezone.localdate(),
        duration_minutes=60,
        format="online",
        topics=["wellbeing"],
        summary="<p>We talked.</p>",
        private_notes="",
        actions=[],
    )


# (action, the task whose email is counted, the emails it sends)
CASES = {
    "invitation": (_invitation, "lms.tasks.send_invitation_email", 1),
    "password reset": (_password_reset, "lms.tasks.send_password_reset_email", 1),
    "data export": (_data_export, "lms.tasks.build_data_export", 1),
    "evidence review": (_evidence_review, "pathways.tasks.send_evidence_review_email", 1),
    "stage decision": (_stage_decision, "pathways.tasks.send_stage_decision_email", 1),
    "mentor request": (_mentor_request, "mentoring.tasks.send_mentor_request_email", 1),
    "proposal": (_proposal, "mentoring.tasks.send_mentor_request_email", 2),
    "declined": (_declined, "mentoring.tasks.send_mentor_request_outcome_email", 1),
    "concern": (_concern, "mentoring.tasks.send_concern_email", 1),
    "session to confirm": (_session, "mentoring.tasks.send_session_to_confirm_email", 1),
}


def _queued(personas, django_capture_on_commit_callbacks, action, task):
    """Do the action with its hand-overs held back; return the outbox row of `task`."""
    with django_capture_on_commit_callbacks(execute=False):
        action(personas)
    rows = list(OutboxTask.objects.filter(task=task))
    assert len(rows) == 1, rows
    assert rows[0].status == OutboxTask.PENDING
    return rows[0]


def _handed_again(row):
    """What the relay does to a row it hands over again."""
    OutboxTask.objects.filter(pk=row.pk).update(status=OutboxTask.HANDED)
    run(row.pk)


@pytest.mark.parametrize("case", CASES)
def test_a_task_run_twice_and_handed_over_again_sends_its_email_once(
    case, personas, mailoutbox, django_capture_on_commit_callbacks
):
    action, task, emails = CASES[case]
    row = _queued(personas, django_capture_on_commit_callbacks, action, task)
    mailoutbox.clear()

    run(row.pk)
    assert len(mailoutbox) == emails
    row.refresh_from_db()
    assert row.status == OutboxTask.DONE

    run(row.pk)  # the broker handed it out twice
    _handed_again(row)  # the relay handed it over again
    _handed_again(row)
    assert len(mailoutbox) == emails
    assert SideEffect.objects.filter(status=SideEffect.DONE).count() >= emails
    assert not SideEffect.objects.filter(status=SideEffect.CLAIMED).exists()


@pytest.mark.parametrize("case", CASES)
def test_a_worker_killed_after_the_mail_server_took_the_email_does_not_send_it_again(
    case, personas, mailoutbox, django_capture_on_commit_callbacks, monkeypatch
):
    action, task, emails = CASES[case]
    row = _queued(personas, django_capture_on_commit_callbacks, action, task)
    mailoutbox.clear()
    real_mark_done = lms.effects.mark_done
    calls = []

    def killed_after_the_first_email(key):
        calls.append(key)
        if len(calls) == 1:
            raise WorkerKilled  # the email went; the worker died before writing that down
        real_mark_done(key)

    monkeypatch.setattr(lms.effects, "mark_done", killed_after_the_first_email)
    with pytest.raises(WorkerKilled):
        run(row.pk)
    assert len(mailoutbox) == 1
    monkeypatch.setattr(lms.effects, "mark_done", real_mark_done)

    # The broker (ORM: after `retry`) or the relay (Redis) hands the task out again, twice.
    _handed_again(row)
    _handed_again(row)

    assert len(mailoutbox) == emails  # the first email never again; a second recipient once
    claimed = SideEffect.objects.get(status=SideEffect.CLAIMED)
    assert claimed.key == calls[0]
    # The nightly report names the claim whose outcome is unknown once it is old enough.
    assert list(stale_claims()) == []
    SideEffect.objects.filter(pk=claimed.pk).update(claimed_at=timezone.now() - timedelta(hours=1))
    assert [c.key for c in stale_claims()] == [claimed.key]
    assert report_background_work()["stale_claims"] == 1


@pytest.mark.parametrize("case", ["invitation", "concern", "evidence review"])
def test_a_refused_email_is_sent_by_the_retry(
    case, personas, mailoutbox, django_capture_on_commit_callbacks, monkeypatch
):
    """The mail server said no (so nothing went): the key is released and the retry sends."""
    action, task, emails = CASES[case]
    row = _queued(personas, django_capture_on_commit_callbacks, action, task)
    mailoutbox.clear()
    from django.core.mail.backends.locmem import EmailBackend

    real_send = EmailBackend.send_messages

    def refused(self, messages):
        raise ConnectionRefusedError("mail server down")

    monkeypatch.setattr(EmailBackend, "send_messages", refused)
    with pytest.raises(ConnectionRefusedError):
        run(row.pk)
    row.refresh_from_db()
    assert row.status == OutboxTask.HANDED or row.status == OutboxTask.PENDING
    assert "mail server down" in row.last_error
    assert not SideEffect.objects.exists()

    monkeypatch.setattr(EmailBackend, "send_messages", real_send)
    _handed_again(row)
    _handed_again(row)
    assert len(mailoutbox) == emails
