"""Who may see and act on a person's pathway. Anyone else gets a 404.

The relations (self, mentor, staff of the person's organisation) come from `lms.policy`, and
docs/privacy.md is the rule. Staff of an organisation see the evidence a person sent since
joining it, and earlier evidence only if the person shared their history with it.
"""

from django.http import Http404
from django.shortcuts import get_object_or_404

from lms.models import Membership, Organisation, User
from lms.policy import (
    is_mentor_of,
    is_staff_for,
    mentor_relationship,
    record_read,
    staff_organisation_for_record,
)
from pathways.models import Evidence


def get_person_for_staff(*, viewer: User, organisation: Organisation, user_id: int) -> User:
    """A member of the organisation, for its coordinators and admins (or the person's mentor)."""
    # A subquery, not a join: someone with two roles here would otherwise be found twice.
    members = Membership.objects.filter(organisation=organisation).values("user_id")
    person = get_object_or_404(User.objects.filter(pk__in=members), pk=user_id)
    if is_staff_for(viewer=viewer, person=person, organisation=organisation):
        return person
    if is_mentor_of(viewer=viewer, person=person):
        return person
    raise Http404("No such person.")


def record_pathway_read(*, viewer: User, person: User, organisation: Organisation | None) -> None:
    """Someone other than the person read their pathway progress and evidence."""
    record_read(
        viewer=viewer, person=person, action="pathways.progress.read", organisation=organisation
    )


def get_evidence_for_viewer(*, viewer: User, pk: int, audit_read: bool = True) -> Evidence:
    """Evidence its owner, their mentor, or a coordinator of an organisation it was sent in the
    context of may see. The read is audited when it is not the owner's, unless the caller
    says the evidence is not shown (a review decided on it, which is its own event)."""
    evidence = get_object_or_404(Evidence.objects.select_related("user", "competence"), pk=pk)
    person = evidence.user
    evidence.read_in = None
    if person.pk == viewer.pk:
        return evidence
    organisation = staff_organisation_for_record(
        viewer=viewer, person=person, created_at=evidence.submitted_at
    )
    if organisation is None:
        relationship = mentor_relationship(person=person)
        if relationship is None or relationship.mentor_id != viewer.pk:
            raise Http404("No such evidence.")
        organisation = Organisation.objects.filter(pk=relationship.organisation_id).first()
    evidence.read_in = organisation
    if audit_read:
        record_evidence_read(viewer=viewer, evidence=evidence)
    return evidence


def record_evidence_read(*, viewer: User, evidence: Evidence) -> None:
    """Someone other than its owner had the evidence in front of them."""
    record_read(
        viewer=viewer,
        person=evidence.user,
        action="pathways.evidence.read",
        subject=evidence,
        organisation=evidence.read_in,
    )
