"""Personal text stays on the site. Every email is sent through its real path (service, queue,
task, template) from records holding unmistakable personal words; the subject, the text body and
the HTML body say what happened and link to it, and carry none of those words. Tasks are queued
with ids only, and nothing personal is logged."""

import html
import logging

import pytest
from django.utils import timezone

import lms.queue
from lms.models import OutboxTask, Role
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
from tests.factories import MembershipFactory
from tests.mentoring.builders import active, make_mentor, make_peer
from tests.pathways.builders import make_framework, make_pathway

pytestmark = pytest.mark.django_db

STATEMENT = "Quetzal-statement: after my section under the Mental Health Act I learned to listen."
REVIEW_NOTE = "Quetzal-review: mention the hearing voices group you ran."
DECISION_NOTE = "Quetzal-decision: let us wait until your medication settles."
REQUEST_MESSAGE = "Quetzal-request: I have bipolar disorder and want a mentor who gets it."
PROPOSAL_MESSAGE = "Quetzal-proposal: you both lived through psychosis."
ANSWER_NOTE = "Quetzal-answer: I am in hospital this month."
CONCERN_WORDS = "Quetzal-concern: they spoke about ending their life."
SUMMARY = "Quetzal-summary: we talked about the self-harm urges."
PRIVATE_NOTE = "Quetzal-private: I think the relapse is close."
ACTION = "Quetzal-action: book the GP about the new dose."


@pytest.fixture
def queued(monkeypatch):
    """Every task queued, as (path, args); the tasks still run (inline, as in every test)."""
    calls = []
    original = lms.queue.async_task

    def record(path, *args, **kwargs):
        # The broker carries only the outbox row's id; the row names the task and its args.
        assert (path, len(args)) == ("lms.queue.run", 1), (path, args)
        row = OutboxTask.objects.get(pk=args[0])
        calls.append((row.task, tuple(row.args), kwargs))
        return original(path, *args, **kwargs)

    monkeypatch.setattr(lms.queue, "async_task", record)
    return calls


@pytest.fixture
def sent(mailoutbox, django_capture_on_commit_callbacks, caplog):
    """Run an action with its after-commit tasks; return what was emailed, as text."""
    caplog.set_level(logging.DEBUG)

    def run(action):
        with django_capture_on_commit_callbacks(execute=True):
            action()
        assert mailoutbox, "no email was sent"
        return [
            (message.subject, message.body, html.unescape(message.alternatives[0][0]))
            for message in mailoutbox
        ]

    return run


def assert_absent(emails, *words):
    for subject, body, html_body in emails:
        for word in words:
            assert word not in subject
            assert word not in body
            assert word not in html_body


def assert_says_what_and_links(emails, path_fragment):
    for _, body, html_body in emails:
        assert "http://" in body or "https://" in body
        assert path_fragment in body
        assert path_fragment in html_body


# --- Pathways ---------------------------------------------------------------------------------


@pytest.fixture
def on_pathway(personas):
    pathway = make_pathway(framework=make_framework(), organisation=personas.home)
    pathway_join(user=personas.peer, pathway=pathway)
    return pathway


def test_evidence_review_email_has_neither_the_statement_nor_the_note(personas, on_pathway, sent):
    evidence = evidence_submit(
        user=personas.peer, evidence_kind="A statement", statement=f"<p>{STATEMENT}</p>"
    )

    emails = sent(
        lambda: evidence_review(
            evidence=evidence,
            reviewer=personas.coordinator,
            outcome=Evidence.MORE_NEEDED,
            note=REVIEW_NOTE,
        )
    )

    assert_absent(emails, "Quetzal")
    assert_says_what_and_links(emails, "/pathway/")
    assert "note" in emails[0][1]  # it says there is one to read


def test_stage_decision_email_has_no_note(personas, on_pathway, sent):
    progress = person_progress(user=personas.peer)

    emails = sent(
        lambda: stage_decide(
            membership=progress.membership,
            to_stage=progress.next_stage,
            outcome="not_yet",
            note=DECISION_NOTE,
            by=personas.coordinator,
        )
    )

    assert_absent(emails, "Quetzal")
    assert_says_what_and_links(emails, "/pathway/")


# --- Mentoring --------------------------------------------------------------------------------


@pytest.fixture
def maya(personas):
    return make_mentor(personas.home, "Maya Mentor", capacity=2)


def test_a_mentor_request_email_has_no_message(personas, maya, sent):
    emails = sent(
        lambda: mentor_request_create(trainee=personas.peer, profile=maya, message=REQUEST_MESSAGE)
    )

    assert_absent(emails, "Quetzal")
    assert_says_what_and_links(emails, "/mentoring/requests/")


def test_a_proposal_email_has_no_message(personas, maya, sent):
    emails = sent(
        lambda: mentor_request_propose(
            organisation=personas.home,
            trainee=personas.peer,
            mentor=maya.user,
            by=personas.coordinator,
            message=PROPOSAL_MESSAGE,
        )
    )

    assert len(emails) == 2
    assert_absent(emails, "Quetzal")
    assert_says_what_and_links(emails, "/mentoring/requests/")


def test_a_declined_request_email_has_no_note(personas, maya, sent, mailoutbox):
    request = mentor_request_create(trainee=personas.peer, profile=maya, message="Hello")
    mailoutbox.clear()

    emails = sent(
        lambda: mentor_request_answer(
            mentor_request=request, by=maya.user, accept=False, note=ANSWER_NOTE
        )
    )

    assert_absent(emails, "Quetzal")
    assert_says_what_and_links(emails, "/mentoring/")


def test_a_concern_email_has_neither_the_words_nor_who_it_is_about(personas, sent):
    mentee = make_peer(personas.home, "Robin Quetzal-Name")
    profile = make_mentor(personas.home, "Maya Mentor")
    MembershipFactory(user=personas.coordinator, organisation=personas.other, role=Role.PEER)
    mentorship = active(mentee, profile)

    emails = sent(
        lambda: concern_raise(
            mentorship=mentorship, by=profile.user, kind="safeguarding", description=CONCERN_WORDS
        )
    )

    assert_absent(emails, "Quetzal", "Robin")
    assert "safeguarding" in emails[0][0]  # what happened, in the subject
    assert_says_what_and_links(emails, "/mentoring/concerns/")


def test_a_session_email_has_no_summary_private_note_or_action(personas, maya, sent, mailoutbox):
    mentorship = active(personas.peer, maya)
    mailoutbox.clear()

    emails = sent(
        lambda: session_log(
            mentorship=mentorship,
            by=maya.user,
            held_on=timezone.localdate(),
            duration_minutes=60,
            format="online",
            topics=["wellbeing"],
            summary=f"<p>{SUMMARY}</p>",
            private_notes=f"<p>{PRIVATE_NOTE}</p>",
            actions=[{"description": ACTION, "owner": personas.peer}],
        )
    )

    assert_absent(emails, "Quetzal")
    assert_says_what_and_links(emails, "/mentoring/sessions/")


# --- Task arguments and logs ------------------------------------------------------------------


def test_every_task_is_queued_with_ids_only_and_nothing_personal_is_logged(
    personas, on_pathway, maya, queued, sent, caplog
):
    def everything():
        evidence = evidence_submit(
            user=personas.peer, evidence_kind="A statement", statement=f"<p>{STATEMENT}</p>"
        )
        evidence_review(
            evidence=evidence,
            reviewer=personas.coordinator,
            outcome=Evidence.MORE_NEEDED,
            note=REVIEW_NOTE,
        )
        request = mentor_request_create(
            trainee=personas.peer, profile=maya, message=REQUEST_MESSAGE
        )
        mentor_request_answer(mentor_request=request, by=maya.user, accept=False, note=ANSWER_NOTE)
        mentee = make_peer(personas.home, "Robin Quetzal-Name")
        mentorship = active(mentee, maya)
        concern_raise(
            mentorship=mentorship, by=maya.user, kind="wellbeing", description=CONCERN_WORDS
        )

    sent(everything)

    assert {path for path, _, _ in queued} >= {
        "pathways.tasks.send_evidence_review_email",
        "mentoring.tasks.send_mentor_request_email",
        "mentoring.tasks.send_mentor_request_outcome_email",
        "mentoring.tasks.send_concern_email",
    }
    for path, args, kwargs in queued:
        # An id, or a list of ids (a refresh of several people's readiness).
        ids = [i for arg in args for i in (arg if type(arg) is list else [arg])]
        assert all(type(i) is int for i in ids), (path, args)
        assert not kwargs, (path, kwargs)
    # Test data builders log what they make; everything the project and Django log is checked.
    logged = [r.getMessage() for r in caplog.records if not r.name.startswith("factory")]
    assert logged, "nothing was logged at all: the check would prove nothing"
    assert not [message for message in logged if "Quetzal" in message]
