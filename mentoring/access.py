"""Who may see and act on mentoring records. Anyone else gets a 404, never a 403.

Every helper returns the object the person may act on, or raises Http404. A mentee, their mentor
and their organisation's coordinators see different parts of the same records: the views choose
what to show from `role_in(...)`; docs/privacy.md is the rule and `lms.policy` holds the
relations between people.
"""

from django.http import Http404
from django.shortcuts import get_object_or_404

from lms.models import Membership, Organisation, Role, User
from lms.policy import MentorRelationship
from mentoring.models import Concern, MentorProfile, MentorRequest, Mentorship, SupervisionSession

TRAINEE, MENTOR = "trainee", "mentor"


def mentor_relationship(person: User) -> MentorRelationship | None:
    """The person's current mentorship (active or paused), as the kernel's policy asks for it
    through the `mentor_relationship` hook. Consent given in it ends with it."""
    mentorship = (
        Mentorship.objects.filter(trainee=person, status__in=[Mentorship.ACTIVE, Mentorship.PAUSED])
        .select_related("mentor")
        .first()
    )
    if mentorship is None:
        return None
    return MentorRelationship(
        mentor_id=mentorship.mentor_id,
        mentor_name=str(mentorship.mentor),
        organisation_id=mentorship.organisation_id,
        key=relationship_key(mentorship),
        started_at=mentorship.started_at or mentorship.created_at,
    )


def relationship_key(mentorship: Mentorship) -> str:
    """The name consent given in this mentorship is recorded under."""
    return f"mentorship:{mentorship.pk}"


def current_mentorship_between(*, mentor: User, trainee_id: int) -> Mentorship:
    """The active or paused mentorship in which `mentor` mentors this person, or 404."""
    mentorship = (
        Mentorship.objects.select_related("trainee", "organisation")
        .filter(
            mentor=mentor,
            trainee_id=trainee_id,
            status__in=[Mentorship.ACTIVE, Mentorship.PAUSED],
        )
        .first()
    )
    if mentorship is None:
        raise Http404("No such mentee.")
    return mentorship


def get_mentorship_for_participant(*, user: User, pk: int) -> Mentorship:
    """A mentorship the person is the trainee or the mentor in (ended ones too: history)."""
    mentorship = get_object_or_404(
        Mentorship.objects.select_related("trainee", "mentor", "organisation"), pk=pk
    )
    if user.pk not in (mentorship.trainee_id, mentorship.mentor_id):
        raise Http404("No such mentorship.")
    return mentorship


def role_in(*, user: User, mentorship: Mentorship) -> str | None:
    """How this person stands to a mentorship: its trainee, its mentor, or neither."""
    if user.pk == mentorship.trainee_id:
        return TRAINEE
    if user.pk == mentorship.mentor_id:
        return MENTOR
    return None


def get_request_for_participant(*, user: User, pk: int) -> MentorRequest:
    """A request (or a coordinator's proposal) the person is the trainee or the mentor in."""
    mentor_request = get_object_or_404(
        MentorRequest.objects.select_related("trainee", "mentor", "organisation", "proposed_by"),
        pk=pk,
    )
    if user.pk not in (mentor_request.trainee_id, mentor_request.mentor_id):
        raise Http404("No such request.")
    return mentor_request


def get_session_for_participant(*, user: User, pk: int) -> SupervisionSession:
    """A supervision session in one of the person's own mentorships."""
    session = get_object_or_404(
        SupervisionSession.objects.select_related(
            "mentorship__trainee", "mentorship__mentor", "mentorship__organisation"
        ),
        pk=pk,
    )
    if user.pk not in (session.mentorship.trainee_id, session.mentorship.mentor_id):
        raise Http404("No such session.")
    return session


def get_concern_for_staff(*, user: User, organisation: Organisation, pk: int) -> Concern:
    """A concern in the organisation, for its coordinators (check the role first), but never
    one about the reader: a peer who also coordinates gets a 404 for a concern about them."""
    return get_object_or_404(
        Concern.objects.select_related("about", "raised_by", "mentorship").exclude(about=user),
        organisation=organisation,
        pk=pk,
    )


def get_profile_for_trainee(*, trainee: User, pk: int) -> MentorProfile:
    """A mentor profile in one of the organisations where the person is a peer."""
    organisations = (
        Membership.objects.active().filter(user=trainee, role=Role.PEER).values("organisation_id")
    )
    return get_object_or_404(
        MentorProfile.objects.select_related("user", "organisation").exclude(user=trainee),
        pk=pk,
        organisation_id__in=organisations,
    )
