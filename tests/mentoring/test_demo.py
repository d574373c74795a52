"""The mentoring demo: Real Lives Nottingham's settings, a dozen varied mentors on the pathway,
active mentorships with confirmed sessions and feedback, one request waiting for Maya, one open
concern, and Sam with preferences and no mentor. Seeding again makes nothing new."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from lms.demo import DEMO_PASSWORD
from lms.models import Organisation, User
from mentoring.demo import MENTORS
from mentoring.models import (
    SUPERVISION_TOPICS,
    ActionItem,
    Concern,
    ConcernResponse,
    LivedExperienceVisibility,
    MentoringSettings,
    MentorProfile,
    MentorRequest,
    Mentorship,
    SessionFeedback,
    SessionPrivateNote,
    SupervisionSession,
    TraineePreferences,
    WellnessPlan,
    WellnessPlanEntry,
)
from mentoring.selectors.matching import eligible_mentor_profiles, shortlist_for_trainee
from mentoring.selectors.supervision import feedback_summary_for_organisation
from pathways.models import PathwayMembership, StageDecision

pytestmark = pytest.mark.django_db

MODELS = [
    MentoringSettings,
    MentorProfile,
    TraineePreferences,
    MentorRequest,
    Mentorship,
    SupervisionSession,
    SessionPrivateNote,
    ActionItem,
    SessionFeedback,
    Concern,
    ConcernResponse,
    WellnessPlan,
    WellnessPlanEntry,
    User,
    PathwayMembership,
    StageDecision,
]


@pytest.fixture
def seed(settings):
    settings.DEBUG = True

    def run() -> str:
        out = StringIO()
        call_command("seed_demo", stdout=out)
        return out.getvalue()

    return run


def _counts():
    return {model.__name__: model.objects.count() for model in MODELS}


def test_the_demo_makes_mentoring_worth_looking_at_and_a_second_run_adds_nothing(seed, client):
    output = seed()
    nottingham = Organisation.objects.get(slug="real-lives-nottingham")
    sam = User.objects.get(email="peer@demo.example")
    maya = User.objects.get(email="mentor@demo.example")

    # Settings: mentors from the "Peer support worker / PAL" stage of the demo pathway.
    rules = MentoringSettings.objects.get(organisation=nottingham)
    assert rules.mentor_min_stage.title == "Peer support worker / PAL"
    assert rules.mentor_min_stage.pathway.name == "Peer worker career pathway"

    # At least twelve named mentors and Maya, all eligible, and varied.
    profiles = MentorProfile.objects.filter(organisation=nottingham)
    assert profiles.count() >= 13
    assert profiles.filter(user=maya).exists()
    assert eligible_mentor_profiles(organisation=nottingham).count() == profiles.count()
    languages = {name for profile in profiles for name in profile.languages}
    assert {"urdu", "polish", "british sign language", "punjabi"} <= languages
    assert profiles.filter(accepting=False).count() == 1
    assert {p.lived_experience_visibility for p in profiles} == set(LivedExperienceVisibility)
    assert len({profile.area for profile in profiles}) >= 10
    assert len({profile.format for profile in profiles}) == 3
    full = [p for p in eligible_mentor_profiles(organisation=nottingham) if p.free_places <= 0]
    assert len(full) == 1
    for key, spec in MENTORS.items():
        mentor = User.objects.get(display_name=spec["name"])
        assert mentor.check_password(DEMO_PASSWORD), key
        assert PathwayMembership.objects.get(user=mentor).stage.sort_order >= 2

    # Sam has no mentor, and a shortlist with several differently explained scores.
    assert not Mentorship.objects.filter(trainee=sam).exists()
    assert TraineePreferences.objects.get(user=sam).languages == ["urdu"]
    shortlist = shortlist_for_trainee(trainee=sam, organisation=nottingham)
    assert len(shortlist.entries) == 5
    assert len({entry.score for entry in shortlist.entries}) >= 3
    assert any("Speaks Urdu" in reason for reason, _ in shortlist.entries[0].reasons)

    # Maya: one request waiting for her answer, and mentees with confirmed sessions.
    waiting = MentorRequest.objects.filter(mentor=maya, status=MentorRequest.PENDING)
    assert waiting.count() == 1
    assert waiting.get().trainee.email.endswith("@generated.demo.example")
    assert Mentorship.objects.filter(mentor=maya, status=Mentorship.ACTIVE).count() == 2
    assert SupervisionSession.objects.filter(
        mentorship__mentor=maya, status=SupervisionSession.CONFIRMED
    ).exists()
    assert ActionItem.objects.filter(done_at__isnull=True).exists()
    assert feedback_summary_for_organisation(organisation=nottingham).shown
    topics = {key for key, _ in SUPERVISION_TOPICS}
    for session in SupervisionSession.objects.all():
        assert set(session.topics) <= topics
        assert session.summary.startswith("<p>")

    # One open concern, about one of Maya's mentees.
    concern = Concern.objects.get(status=Concern.OPEN)
    assert concern.raised_by == maya
    assert concern.mentorship.mentor == maya

    assert "Mentor profile of Aisha Rahman: created" in output
    assert "has asked Maya Mentor to be their mentor" in output

    # The named mentors can sign in, through the sign-in page as a person would.
    signed_in = client.post(
        reverse("lms:login"),
        {"username": "aisha.mentor@generated.demo.example", "password": DEMO_PASSWORD},
    )
    assert signed_in.status_code == 302
    assert client.get(reverse("lms:account")).status_code == 200

    before = _counts()
    again = seed()

    assert _counts() == before
    assert "Mentor profile of Aisha Rahman: found" in again
    assert MentorRequest.objects.filter(mentor=maya, status=MentorRequest.PENDING).count() == 1
    assert Concern.objects.filter(status=Concern.OPEN).count() == 1
    assert not Mentorship.objects.filter(trainee=sam).exists()


def test_the_demo_pages_open_for_the_demo_people(seed, client):
    seed()
    nottingham = Organisation.objects.get(slug="real-lives-nottingham")
    maya = User.objects.get(email="mentor@demo.example")
    concern = Concern.objects.get()

    client.force_login(maya)
    assert "Your mentees" in client.get("/").content.decode()
    shared = WellnessPlan.objects.get(shared_with__mentor=maya)
    assert client.get(f"/mentoring/mentees/{shared.user_id}/wellness-plan/").status_code == 200
    mentorship = concern.mentorship
    assert (
        "Concerns you raised"
        in client.get(f"/mentoring/mentorships/{mentorship.pk}/").content.decode()
    )

    client.force_login(User.objects.get(email="coordinator@demo.example"))
    page = client.get("/").content.decode()
    assert "1 open concern" in page
    assert (
        client.get(f"/organisations/{nottingham.slug}/mentoring/concerns/{concern.pk}/").status_code
        == 200
    )

    client.force_login(User.objects.get(email="peer@demo.example"))
    assert "Find a mentor" in client.get("/").content.decode()
    assert client.get("/mentoring/find/").status_code == 200
