"""Mentors, trainees and stages for the matching tests."""

from datetime import timedelta
from itertools import count

from django.utils import timezone

from lms.models import Role
from mentoring.models import MentoringSettings, MentorProfile, MentorRequest, Mentorship
from mentoring.services.matching import trainee_preferences_save
from pathways.models import PathwayMembership
from tests.factories import MembershipFactory, UserFactory
from tests.pathways.builders import make_framework, make_pathway, stages


def make_mentor(organisation, name, **profile) -> MentorProfile:
    """A person with the mentor role in `organisation` and a profile there."""
    user = UserFactory(display_name=name, email=f"{name.lower().replace(' ', '.')}@example.org")
    MembershipFactory(user=user, organisation=organisation, role=Role.MENTOR)
    return MentorProfile.objects.create(user=user, organisation=organisation, **profile)


def make_peer(organisation, name):
    user = UserFactory(display_name=name, email=f"{name.lower().replace(' ', '.')}@example.org")
    MembershipFactory(user=user, organisation=organisation, role=Role.PEER)
    return user


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


def pending_request(*, trainee, profile) -> MentorRequest:
    return MentorRequest.objects.create(
        organisation=profile.organisation,
        trainee=trainee,
        mentor=profile.user,
        respond_by=timezone.now() + timedelta(days=7),
    )
