"""The "Who sees what" table in docs/privacy.md, proved for every mentoring record.

Each record carries a sentence nobody would write by accident. Every persona then visits every
page of the site they might reach — every mentoring page with every id in this world, the
dashboard, the pathway pages, their reflections — and we collect what they could read. The set of
sentences each persona ever saw must be exactly what the table allows: no more, no less.

The personas: the peer (the mentee), their mentor, the organisation's coordinator and org admin,
another mentor and another peer in the same organisation, a content editor, and the same roles in
another organisation. Another organisation's objects are 404 (never 403), and nobody's page
errors.
"""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from courses.models import ModulePage, Reflection
from courses.services import reflection_share
from lms.models import AuditEvent, Role
from mentoring.models import (
    ActionItem,
    Concern,
    MentorProfile,
    MentorRequest,
    Mentorship,
    SessionFeedback,
    SessionPrivateNote,
    SupervisionSession,
    WellnessPlan,
    WellnessPlanEntry,
)
from pathways.services import pathway_join
from tests.courses.builders import make_course
from tests.factories import MembershipFactory, UserFactory
from tests.pathways.builders import make_framework, make_pathway

pytestmark = pytest.mark.django_db

SUMMARY = "Summary sentence: we practised saying no to extra shifts."
ACTION = "Action sentence: ring the budget holder on Tuesday."
TOPIC_LABEL = "Using lived experience"
PRIVATE_NOTE = "Private note sentence: check in about sleep next time."
PLAN = "Plan sentence: a walk by the canal keeps me well."
CONCERN = "Concern sentence: they said they feel unsafe at home."
REFLECTION = "Reflection sentence: choice means being asked first."
UNSHARED_REFLECTION = "Unshared sentence: this one stays with me."
FEEDBACK = "Feedback sentence: the session really helped me."

EVERY_SENTENCE = {SUMMARY, ACTION, PRIVATE_NOTE, PLAN, CONCERN, REFLECTION, UNSHARED_REFLECTION}
EVERY_SENTENCE |= {FEEDBACK}


def _member(organisation, role, name):
    user = UserFactory(display_name=name)
    MembershipFactory(user=user, organisation=organisation, role=role)
    return user


@pytest.fixture
def world(personas):
    """Pat Peer mentored by Mo Mentor at Home, with one confirmed session (summary, topics, an
    action, a private note and feedback), a concern Mo raised, Pat's wellness plan shared with Mo,
    one shared and one private reflection, and Pat on Home's pathway."""
    home = personas.home
    pat, mo = personas.peer, personas.mentor
    pathway = make_pathway(framework=make_framework(), organisation=home)
    pathway_join(user=pat, pathway=pathway)
    profile = MentorProfile.objects.create(user=mo, organisation=home, specialisms=["housing"])
    other_profile = MentorProfile.objects.create(
        user=personas.other_mentor, organisation=personas.other
    )
    mentorship = Mentorship.objects.create(
        organisation=home,
        trainee=pat,
        mentor=mo,
        status=Mentorship.ACTIVE,
        started_at=timezone.now() - timedelta(days=60),
        goals="<p>Grow in confidence</p>",
        meeting_frequency="Monthly",
        trainee_confirmed_at=timezone.now(),
        mentor_confirmed_at=timezone.now(),
        next_session_at=timezone.now() + timedelta(days=7),
    )
    session = SupervisionSession.objects.create(
        mentorship=mentorship,
        held_on=timezone.localdate() - timedelta(days=3),
        duration_minutes=75,
        format="online",
        topics=["using_lived_experience"],
        summary=f"<p>{SUMMARY}</p>",
        status=SupervisionSession.CONFIRMED,
        confirmed_at=timezone.now(),
        logged_by=mo,
    )
    SessionPrivateNote.objects.create(session=session, author=mo, body=f"<p>{PRIVATE_NOTE}</p>")
    ActionItem.objects.create(session=session, description=ACTION, owner=pat)
    SessionFeedback.objects.create(session=session, rating=4, comment=FEEDBACK)
    concern = Concern.objects.create(
        organisation=home,
        mentorship=mentorship,
        about=pat,
        raised_by=mo,
        kind=Concern.SAFEGUARDING,
        description=CONCERN,
    )
    plan = WellnessPlan.objects.create(user=pat, shared_with=mentorship)
    WellnessPlanEntry.objects.create(plan=plan, section="triggers", body=f"<p>{PLAN}</p>")
    module = ModulePage.objects.child_of(make_course()).first()
    reflection_share(
        reflection=Reflection.objects.create(
            user=pat, module=module, prompt_id="a", prompt="Choice?", body=f"<p>{REFLECTION}</p>"
        )
    )
    Reflection.objects.create(
        user=pat, module=module, prompt_id="b", prompt="Alone?", body=UNSHARED_REFLECTION
    )
    waiting = MentorRequest.objects.create(
        organisation=home,
        trainee=_member(home, Role.PEER, "Wen Waiting"),
        mentor=mo,
        respond_by=timezone.now() + timedelta(days=5),
    )
    return {
        "home": home,
        "mentorship": mentorship,
        "session": session,
        "action": session.actions.get(),
        "concern": concern,
        "profile": profile,
        "other_profile": other_profile,
        "request": waiting,
        "trainee": pat,
        "people": {
            "peer": pat,
            "mentor": mo,
            "coordinator": personas.coordinator,
            "org_admin": personas.org_admin,
            "same_org_mentor": _member(home, Role.MENTOR, "Sol Samementor"),
            "same_org_peer": _member(home, Role.PEER, "Sky Samepeer"),
            "editor": personas.editor,
            "other_peer": personas.other_peer,
            "other_mentor": personas.other_mentor,
            "other_coordinator": personas.other_coordinator,
            "other_org_admin": personas.other_org_admin,
        },
    }


def _pages(world) -> list[str]:
    """Every page someone might open in this world, mentoring's and the pages around it."""
    m = world["mentorship"].pk
    s = world["session"].pk
    slug = world["home"].slug
    trainee = world["trainee"].pk
    names_with_args = [
        ("mentoring:home", []),
        ("mentoring:profile", []),
        ("mentoring:preferences", []),
        ("mentoring:shortlist", []),
        ("mentoring:wellness-plan", []),
        ("mentoring:mentor", [world["profile"].pk]),
        ("mentoring:mentor", [world["other_profile"].pk]),
        ("mentoring:request-new", [world["profile"].pk]),
        ("mentoring:request", [world["request"].pk]),
        ("mentoring:mentorship", [m]),
        ("mentoring:agreement", [m]),
        ("mentoring:mentorship-end", [m]),
        ("mentoring:next-session", [m]),
        ("mentoring:calendar", [m]),
        ("mentoring:session-new", [m]),
        ("mentoring:concern-new", [m]),
        ("mentoring:session", [s]),
        ("mentoring:session-edit", [s]),
        ("mentoring:session-feedback", [s]),
        ("mentoring:mentee-plan", [trainee]),
        ("mentoring:mentee-reflections", [trainee]),
        ("mentoring:settings", [slug]),
        ("mentoring:propose", [slug]),
        ("mentoring:coverage", [slug]),
        ("mentoring:concerns", [slug]),
        ("mentoring:concern", [slug, world["concern"].pk]),
        ("pathways:person", [slug, trainee]),
        ("pathways:mine", []),
        ("courses:reflections", []),
    ]
    return ["/"] + [reverse(name, args=args) for name, args in names_with_args]


def _what_they_read(client, pages) -> tuple[set[str], dict[str, int]]:
    seen, statuses = set(), {}
    for page in pages:
        response = client.get(page)
        statuses[page] = response.status_code
        assert response.status_code in (200, 302, 404), (page, response.status_code)
        if response.status_code == 200:
            body = response.content.decode()
            seen |= {sentence for sentence in EVERY_SENTENCE if sentence in body}
    return seen, statuses


# Who sees what: docs/privacy.md's table, row by row, for the people in this world.
ALLOWED = {
    # The peer: their session summary and actions, their plan and reflections — never the
    # mentor's private notes, never a concern about them, never their feedback shown back as a
    # figure to others.
    "peer": {SUMMARY, ACTION, PLAN, REFLECTION, UNSHARED_REFLECTION},
    # Their mentor: summary and actions, their own private notes and concern, the plan and the
    # reflection the peer shared — not the unshared reflection, not the peer's feedback comment.
    "mentor": {SUMMARY, ACTION, PRIVATE_NOTE, CONCERN, PLAN, REFLECTION},
    # Coordinator and org admin: the concern, and of sessions only date, duration and topics.
    "coordinator": {CONCERN},
    "org_admin": {CONCERN},
    "same_org_mentor": set(),
    "same_org_peer": set(),
    "editor": set(),
    "other_peer": set(),
    "other_mentor": set(),
    "other_coordinator": set(),
    "other_org_admin": set(),
}


@pytest.mark.parametrize("persona", sorted(ALLOWED))
def test_each_person_reads_exactly_what_the_privacy_table_allows(world, persona):
    client = Client()
    client.force_login(world["people"][persona])
    seen, _ = _what_they_read(client, _pages(world))
    assert seen == ALLOWED[persona]


@pytest.mark.parametrize("persona", ["coordinator", "org_admin"])
def test_staff_see_when_and_what_about_but_not_what_was_said(world, persona):
    client = Client()
    client.force_login(world["people"][persona])
    coverage = client.get(reverse("mentoring:coverage", args=[world["home"].slug]))
    page = coverage.content.decode()
    assert coverage.status_code == 200
    held_on = world["session"].held_on
    assert f"{held_on.day} {held_on:%b %Y}" in page
    assert "75" in page and TOPIC_LABEL in page


@pytest.mark.parametrize(
    "persona", ["other_peer", "other_mentor", "other_coordinator", "other_org_admin"]
)
def test_another_organisation_gets_404_for_every_record_here(world, persona):
    client = Client()
    client.force_login(world["people"][persona])
    # Pages about this world's records, not the visitor's own pages (their home, their plan)
    # or their own organisation's mentor.
    own = {
        reverse(name)
        for name in (
            "mentoring:home",
            "mentoring:profile",
            "mentoring:preferences",
            "mentoring:shortlist",
            "mentoring:wellness-plan",
            "pathways:mine",
            "courses:reflections",
        )
    } | {"/", reverse("mentoring:mentor", args=[world["other_profile"].pk])}
    pages = [page for page in _pages(world) if page not in own]
    _, statuses = _what_they_read(client, pages)
    assert statuses == {page: 404 for page in pages}


def test_sharing_a_plan_ends_with_the_mentorship(world):
    mentor = Client()
    mentor.force_login(world["people"]["mentor"])
    plan_url = reverse("mentoring:mentee-plan", args=[world["trainee"].pk])
    assert PLAN in mentor.get(plan_url).content.decode()
    Mentorship.objects.filter(pk=world["mentorship"].pk).update(
        status=Mentorship.ENDED, ended_at=timezone.now()
    )
    seen, _ = _what_they_read(mentor, _pages(world))
    assert PLAN not in seen and REFLECTION not in seen
    assert mentor.get(plan_url).status_code == 404


def test_a_mentors_pathway_view_of_their_mentee_ends_with_the_mentorship(world):
    mentor = Client()
    mentor.force_login(world["people"]["mentor"])
    person = reverse("pathways:person", args=[world["home"].slug, world["trainee"].pk])
    assert mentor.get(person).status_code == 200
    Mentorship.objects.filter(pk=world["mentorship"].pk).update(status=Mentorship.ENDED)
    assert mentor.get(person).status_code == 404


def test_every_sensitive_read_by_someone_else_is_in_the_audit_log(world):
    trainee = world["trainee"]
    mentor = Client()
    mentor.force_login(world["people"]["mentor"])
    mentor.get(reverse("mentoring:mentee-plan", args=[trainee.pk]))
    mentor.get(reverse("mentoring:mentee-reflections", args=[trainee.pk]))
    coordinator = Client()
    coordinator.force_login(world["people"]["coordinator"])
    coordinator.get(reverse("mentoring:concern", args=[world["home"].slug, world["concern"].pk]))
    logged = set(
        AuditEvent.objects.filter(subject_user=trainee).values_list("actor__email", "action")
    )
    assert {
        ("mentor@example.org", "mentoring.wellness_plan.read"),
        ("mentor@example.org", "mentoring.reflections.read"),
        ("coordinator@example.org", "mentoring.concern.read"),
    } <= logged


def test_the_owner_reading_their_own_records_is_not_audited(world):
    peer = Client()
    peer.force_login(world["people"]["peer"])
    before = AuditEvent.objects.count()
    for page in (
        reverse("mentoring:wellness-plan"),
        reverse("mentoring:session", args=[world["session"].pk]),
        reverse("mentoring:mentorship", args=[world["mentorship"].pk]),
    ):
        assert peer.get(page).status_code == 200
    assert AuditEvent.objects.count() == before
