"""Who may see and act on a person's pathway. Anyone else gets a 404.

A person's mentor may see their pathway and review their evidence. Mentorships live in the
mentoring app above this one, so it answers through the Wagtail hook `pathways_is_mentor_of`:
`fn(mentor, peer) -> bool`.
"""

from django.http import Http404
from django.shortcuts import get_object_or_404
from wagtail import hooks

from lms.models import STAFF_ROLES, Membership, Organisation, User
from lms.services import audit_record
from pathways.models import Evidence


def is_mentor_of(*, mentor: User, peer: User) -> bool:
    return any(check(mentor, peer) for check in hooks.get_hooks("pathways_is_mentor_of"))


def is_staff_for(*, viewer: User, person: User, organisation: Organisation) -> bool:
    """`viewer` coordinates or administers `organisation`, and `person` belongs to it."""
    memberships = Membership.objects.active().filter(organisation=organisation)
    return (
        memberships.filter(user=viewer, role__in=STAFF_ROLES).exists()
        and memberships.filter(user=person).exists()
    )


def get_person_for_staff(*, viewer: User, organisation: Organisation, user_id: int) -> User:
    """A member of the organisation, for its coordinators and admins (or the person's mentor)."""
    # A subquery, not a join: someone with two roles here would otherwise be found twice.
    members = Membership.objects.filter(organisation=organisation).values("user_id")
    person = get_object_or_404(User.objects.filter(pk__in=members), pk=user_id)
    if is_staff_for(viewer=viewer, person=person, organisation=organisation):
        return person
    if is_mentor_of(mentor=viewer, peer=person):
        return person
    raise Http404("No such person.")


def record_pathway_read(*, viewer: User, person: User, organisation: Organisation | None) -> None:
    """Someone other than the person read their pathway progress and evidence."""
    if viewer.pk != person.pk:
        audit_record(
            actor=viewer,
            action="pathways.progress.read",
            subject_user=person,
            organisation=organisation,
        )


def get_evidence_for_viewer(*, viewer: User, pk: int) -> Evidence:
    """Evidence its owner, their mentor, or a coordinator of one of their organisations may
    see. The read is audited when it is not the owner's."""
    evidence = get_object_or_404(Evidence.objects.select_related("user", "competence"), pk=pk)
    if evidence.user_id == viewer.pk:
        return evidence
    shared = Membership.objects.active().filter(user=evidence.user).values("organisation_id")
    staff = Membership.objects.active().filter(
        user=viewer, role__in=STAFF_ROLES, organisation_id__in=shared
    )
    if staff.exists() or is_mentor_of(mentor=viewer, peer=evidence.user):
        audit_record(
            actor=viewer,
            action="pathways.evidence.read",
            subject=evidence,
            subject_user=evidence.user,
        )
        return evidence
    raise Http404("No such evidence.")
