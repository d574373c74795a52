"""Builders for the pairing tests: peers and mentors with profiles, requests, and mentorships
at each point of their life, made through the services so that the rows are the real ones."""

import html

from bs4 import BeautifulSoup

from lms.models import Role
from mentoring.models import MentorProfile, MentorRequest, Mentorship
from mentoring.services.pairing import (
    agreement_confirm,
    agreement_save,
    mentor_request_answer,
    mentor_request_create,
)
from tests.factories import MembershipFactory, UserFactory


def make_peer(organisation, name, **fields):
    user = UserFactory(display_name=name, **fields)
    MembershipFactory(user=user, organisation=organisation, role=Role.PEER)
    return user


def make_mentor(organisation, name, *, pronouns="", user=None, **profile) -> MentorProfile:
    """A person with the mentor role and a profile that is accepting mentees (capacity 2)."""
    if user is None:
        user = UserFactory(display_name=name, pronouns=pronouns)
    MembershipFactory(user=user, organisation=organisation, role=Role.MENTOR)
    return MentorProfile.objects.create(user=user, organisation=organisation, **profile)


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
