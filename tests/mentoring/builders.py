"""Builders for the mentoring tests: peers and mentors with profiles, stages and settings,
requests, and mentorships at each point of their life. Requests and mentorships are made through
the services, so the rows are the real ones."""

import html
from datetime import timedelta
from itertools import count

from bs4 import BeautifulSoup
from django.utils import timezone

from lms.models import Role
from mentoring.models import MentoringSettings, MentorProfile, MentorRequest, Mentorship
from mentoring.services.matching import trainee_preferences_save
from mentoring.services.pairing import (
    agreement_confirm,
    agreement_save,
    mentor_request_answer,
    mentor_request_create,
)
from pathways.models import PathwayMembership
from tests.factories import MembershipFactory, UserFactory
from tests.pathways.builders import make_framework, make_pathway, stages

# --- People, profiles and settings ------------------------------------------------------------


def make_peer(organisation, name, **fields):
    user = UserFactory(display_name=name, **fields)
    MembershipFactory(user=user, organisation=organisation, role=Role.PEER)
    return user


def make_mentor(organisation, name, *, pronouns="", user=None, **profile) -> MentorProfile:
    """A person with the mentor role in `organisation` and a profile there (by default accepting,
    with room for two)."""
    if user is None:
        user = UserFactory(display_name=name, pronouns=pronouns)
    MembershipFactory(user=user, organisation=organisation, role=Role.MENTOR)
    return MentorProfile.objects.create(user=user, organisation=organisation, **profile)


_mentee_numbers = count(1)


def give_mentees(profile: MentorProfile, how_many: int, status=Mentorship.ACTIVE) -> None:
    """`how_many` mentorships (open by default) for the profile's mentor in its organisation."""
    for _ in range(how_many):
        mentee = make_peer(profile.organisation, f"Mentee {next(_mentee_numbers)}")
        Mentorship.objects.create(
            organisation=profile.organisation, trainee=mentee, mentor=profile.user, status=status
        )


def wants(user, **preferences):
    return trainee_preferences_save(user=user, **preferences)


def rules(organisation, **fields) -> MentoringSettings:
    found, _ = MentoringSettings.objects.update_or_create(
        organisation=organisation, defaults=fields
    )
    return found


def stage_rule(organisation):
    """Home's pathway Volunteer → Trainee → Peer worker, with mentors required to have reached
    Peer worker. Returns the three stages."""
    pathway = make_pathway(framework=make_framework(), organisation=organisation)
    volunteer, trainee, peer_worker = stages(pathway)
    rules(organisation, mentor_min_stage=peer_worker)
    return volunteer, trainee, peer_worker


def place(user, stage) -> None:
    PathwayMembership.objects.update_or_create(
        user=user, pathway=stage.pathway, defaults={"stage": stage}
    )


# --- Requests and mentorships -----------------------------------------------------------------


def pending_request(*, trainee, profile) -> MentorRequest:
    """A pending request written directly (no email, no checks)."""
    return MentorRequest.objects.create(
        organisation=profile.organisation,
        trainee=trainee,
        mentor=profile.user,
        respond_by=timezone.now() + timedelta(days=7),
    )


def ask(trainee, profile, message="I would like to learn from you.") -> MentorRequest:
    return mentor_request_create(trainee=trainee, profile=profile, message=message)


def accepted(trainee, profile) -> Mentorship:
    """A request made and accepted: a proposed mentorship, its agreement not yet written."""
    mentor_request = ask(trainee, profile)
    mentor_request_answer(mentor_request=mentor_request, by=profile.user, accept=True)
    return Mentorship.objects.get(request=mentor_request)


def agree(mentorship: Mentorship) -> Mentorship:
    agreement_save(
        mentorship=mentorship,
        by=mentorship.mentor,
        goals="<p>Build confidence in group work</p>",
        meeting_frequency="An hour a month",
        boundaries="<p>Email on weekdays</p>",
        confidentiality="<p>What we say stays with us, unless someone is at risk</p>",
    )
    agreement_confirm(mentorship=mentorship, by=mentorship.trainee)
    return agreement_confirm(mentorship=mentorship, by=mentorship.mentor)


def active(trainee, profile) -> Mentorship:
    """A mentorship both have agreed: active."""
    return agree(accepted(trainee, profile))


def text(response) -> str:
    """What a person reads on the page, in one line."""
    soup = BeautifulSoup(response.content, "html.parser")
    return " ".join(html.unescape(soup.get_text()).split())
