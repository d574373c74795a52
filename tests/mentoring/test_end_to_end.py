"""The mentoring loop end to end, on the real demo data and through the same doors people use:
the demo trainee sees an explained shortlist and asks the top mentor, the mentor accepts, both
confirm the agreement, the mentor logs a session, the trainee confirms it, the hours appear in
the trainee's pathway requirements, and a concern reaches the coordinator without any session
notes."""

import re
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from lms.models import AuditEvent, User
from mentoring.models import Concern, MentorRequest, Mentorship, SupervisionSession

pytestmark = pytest.mark.django_db

SUMMARY = "We talked about saying no to extra shifts and how that felt."
PRIVATE_NOTE = "Private: Sam seemed more tired than usual, keep an eye on sleep."
CONCERN_WORDS = "Sam said they have not been sleeping and feel low most days this week."


def _client_for(email: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(email=email))
    return client


def _fingerprint(page: str) -> str:
    return re.search(r'name="fingerprint" value="([^"]*)"', page).group(1)


@pytest.fixture
def demo(settings):
    settings.DEBUG = True
    call_command("seed_demo", stdout=StringIO())


def test_demo_trainee_to_confirmed_hours_and_a_concern_without_notes(
    demo, django_capture_on_commit_callbacks
):
    sam = _client_for("peer@demo.example")
    shortlist = sam.get(reverse("mentoring:shortlist"))
    page = shortlist.content.decode()
    assert shortlist.status_code == 200
    assert "Speaks Urdu" in page and "+20" in page
    top = shortlist.context["shortlist"].entries[0]
    assert top.score == sum(points for _, points in top.reasons)
    mentor_email = top.user.email

    # Sam asks the top mentor.
    asked = sam.post(
        reverse("mentoring:request-new", args=[top.profile.pk]),
        {"message": "I would like help with my personal budget work."},
    )
    assert asked.status_code == 302
    mentor_request = MentorRequest.objects.get(trainee__email="peer@demo.example")
    assert mentor_request.status == MentorRequest.PENDING
    assert mentor_request.mentor.email == mentor_email

    # The mentor sees it and accepts.
    mentor = _client_for(mentor_email)
    assert "Sam Peer" in mentor.get(reverse("mentoring:home")).content.decode()
    answered = mentor.post(
        reverse("mentoring:request-answer", args=[mentor_request.pk]), {"decision": "accept"}
    )
    assert answered.status_code == 302
    mentorship = Mentorship.objects.get(trainee__email="peer@demo.example", status="proposed")

    # The mentor writes the agreement; both confirm the version they read.
    url = reverse("mentoring:agreement", args=[mentorship.pk])
    saved = mentor.post(
        url,
        {
            "goals": "Build confidence in budget conversations.",
            "meeting_frequency": "Every two weeks, for an hour",
            "boundaries": "We meet in working hours only.",
            "confidentiality": "What we say stays between us unless someone is at risk.",
        },
    )
    assert saved.status_code == 302
    detail = reverse("mentoring:mentorship", args=[mentorship.pk])
    for client in (mentor, sam):
        fingerprint = _fingerprint(client.get(detail).content.decode())
        confirmed = client.post(
            reverse("mentoring:agreement-confirm", args=[mentorship.pk]),
            {"fingerprint": fingerprint},
        )
        assert confirmed.status_code == 302
    mentorship.refresh_from_db()
    assert mentorship.status == Mentorship.ACTIVE

    # The mentor logs a 90-minute session with a summary and private notes.
    logged = mentor.post(
        reverse("mentoring:session-new", args=[mentorship.pk]),
        {
            "held_on": timezone.localdate().isoformat(),
            "duration_minutes": "90",
            "format": "online",
            "topics": ["boundaries", "wellbeing"],
            "summary": SUMMARY,
            "private_notes": PRIVATE_NOTE,
            "action1_description": "Write down three things that help after a hard shift",
            "action1_owner": "mentee",
        },
    )
    assert logged.status_code == 302
    session = SupervisionSession.objects.get(mentorship=mentorship)
    assert session.status == SupervisionSession.AWAITING

    # Sam reads the summary (never the private notes) and confirms.
    session_page = sam.get(reverse("mentoring:session", args=[session.pk])).content.decode()
    assert SUMMARY in session_page
    assert "Sam seemed more tired" not in session_page
    confirmed = sam.post(
        reverse("mentoring:session-confirm", args=[session.pk]),
        {"answer": "right", "wellbeing_checkin": "3"},
    )
    assert confirmed.status_code == 302
    session.refresh_from_db()
    assert session.status == SupervisionSession.CONFIRMED

    # The hours count on Sam's pathway: the next stage asks for 24 hours of supervision.
    pathway = sam.get(reverse("pathways:mine")).content.decode()
    assert "1.5 of 24 so far" in pathway

    # The mentor raises a concern; it reaches the coordinators at once, without session notes.
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        raised = mentor.post(
            reverse("mentoring:concern-new", args=[mentorship.pk]),
            {"kind": "wellbeing", "description": CONCERN_WORDS},
        )
    assert raised.status_code == 302
    concern = Concern.objects.get(about__email="peer@demo.example")
    to_coordinator = [m for m in mail.outbox if "coordinator@demo.example" in m.to]
    assert len(to_coordinator) == 1
    email_text = to_coordinator[0].body + to_coordinator[0].alternatives[0][0]
    assert CONCERN_WORDS not in email_text  # read on the concern page, after signing in
    assert "Sam seemed more tired" not in email_text and SUMMARY not in email_text

    chris = _client_for("coordinator@demo.example")
    dashboard = chris.get("/").content.decode()
    assert "concern" in dashboard.lower()
    concern_page = chris.get(
        reverse("mentoring:concern", args=["real-lives-nottingham", concern.pk])
    ).content.decode()
    assert CONCERN_WORDS in concern_page
    assert "Sam seemed more tired" not in concern_page and SUMMARY not in concern_page
    assert AuditEvent.objects.filter(
        action="mentoring.concern.read", actor__email="coordinator@demo.example"
    ).exists()

    # Sam never sees the concern.
    for url in ("/", reverse("mentoring:home"), detail):
        assert CONCERN_WORDS not in sam.get(url).content.decode()
