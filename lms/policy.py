"""Who may see whom: the relations between a viewer and a person, in one place.

`docs/privacy.md` is the rule; this module is how the code asks it. Every app answers "may this
viewer see this person's record?" through these functions, so a relation is defined once:

- **self**: the person themself.
- **mentor**: the person's mentor today. Mentorships live in the mentoring app, the top layer,
  so it answers through the Wagtail hook `mentor_relationship` (see `mentor_relationship`).
- **staff**: a coordinator or org admin of an organisation the person belongs to today. Staff of
  an organisation see a person's records from the day the person joined it, and earlier ones only
  if the person shared their history with it (`HistoryShare`); see `history_visible_from`.
- **editor** and **superuser** are permissions, not relations: editors see no learner data; a
  superuser is treated as staff of every organisation (every read audited like anyone's).

Sensitive reads by anyone but the owner are written to the audit log with `record_read`.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Exists, F, Min, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from wagtail import hooks

from lms.models import STAFF_ROLES, HistoryShare, Membership, Organisation, User
from lms.services import audit_record

SELF, MENTOR, STAFF = "self", "mentor", "staff"


@dataclass(frozen=True)
class MentorRelationship:
    """A person's current mentor, and the relationship consent given to them is bound to.

    `key` names the relationship (e.g. "mentorship:42"): a share made in it ends with it, and a
    later relationship with the same mentor has a different key.
    """

    mentor_id: int
    mentor_name: str
    organisation_id: int
    key: str
    started_at: datetime


def mentor_relationship(*, person: User) -> MentorRelationship | None:
    """The person's mentor today, as the mentoring app answers the `mentor_relationship` hook
    (`fn(person) -> MentorRelationship | None`); None with no mentor or no mentoring app."""
    for answer in hooks.get_hooks("mentor_relationship"):
        relationship = answer(person)
        if relationship is not None:
            return relationship
    return None


def is_mentor_of(*, viewer: User, person: User) -> bool:
    if not (viewer and viewer.is_authenticated) or viewer.pk == person.pk:
        return False
    relationship = mentor_relationship(person=person)
    return relationship is not None and relationship.mentor_id == viewer.pk


def staff_memberships(*, viewer: User) -> QuerySet[Membership]:
    """The viewer's coordinator and org admin roles in force today."""
    return Membership.objects.active().filter(user=viewer, role__in=STAFF_ROLES)


def is_staff_of(*, viewer: User, organisation: Organisation) -> bool:
    """The viewer coordinates or administers the organisation today (or is a superuser)."""
    if viewer.is_superuser:
        return True
    return staff_memberships(viewer=viewer).filter(organisation=organisation).exists()


def holds_role(*, user: User, organisation: Organisation, roles) -> bool:
    return (
        Membership.objects.active()
        .filter(user=user, organisation=organisation, role__in=set(roles))
        .exists()
    )


def organisations_staffed_over(*, viewer: User, person: User) -> QuerySet[Organisation]:
    """The organisations where the viewer is staff (a superuser: every one) and the person
    belongs, today."""
    persons = Membership.objects.active().filter(user=person).values("organisation_id")
    organisations = Organisation.objects.filter(pk__in=persons)
    if viewer.is_superuser:
        return organisations
    staffed = staff_memberships(viewer=viewer).values("organisation_id")
    return organisations.filter(pk__in=staffed)


def is_staff_for(*, viewer: User, person: User, organisation: Organisation | None = None) -> bool:
    """The viewer is staff of an organisation the person belongs to (this one, if given)."""
    if viewer.pk == person.pk:
        return False
    organisations = organisations_staffed_over(viewer=viewer, person=person)
    if organisation is not None:
        organisations = organisations.filter(pk=organisation.pk)
    return organisations.exists()


def relations(*, viewer: User, person: User, organisation: Organisation | None = None) -> set:
    """How the viewer stands to the person: any of SELF, MENTOR and STAFF."""
    if not viewer.is_authenticated:
        return set()
    if viewer.pk == person.pk:
        return {SELF}
    found = set()
    if is_mentor_of(viewer=viewer, person=person):
        found.add(MENTOR)
    if is_staff_for(viewer=viewer, person=person, organisation=organisation):
        found.add(STAFF)
    return found


# --- Records in an organisation's context ------------------------------------------------------


def history_visible_from(*, organisation: Organisation, person: User) -> datetime | None:
    """The moment from which the organisation's staff see the person's records: when the person
    first joined it, or None (everything) if the person shared their history with it."""
    if HistoryShare.objects.filter(user=person, organisation=organisation, ended_at=None).exists():
        return None
    joined = Membership.objects.filter(user=person, organisation=organisation).aggregate(
        first=Min("active_from")
    )["first"]
    if joined is None:
        return timezone.now()  # not a member: nothing is visible
    return timezone.make_aware(datetime.combine(joined, datetime.min.time()))


def in_organisation_context(
    records: QuerySet, *, organisation: Organisation, person_field: str, moment_field: str
) -> QuerySet:
    """Keep the records an organisation's staff may see: made on or after the day their person
    (`person_field`) joined the organisation, or any, where the person shared their history."""
    first_joined = (
        Membership.objects.filter(organisation=organisation, user=OuterRef(person_field))
        .values("user")
        .annotate(first=Min("active_from"))
        .values("first")
    )
    shared = HistoryShare.objects.filter(
        organisation=organisation, user=OuterRef(person_field), ended_at=None
    )
    return records.annotate(_joined_on=Subquery(first_joined)).filter(
        Q(Exists(shared)) | Q(**{f"{moment_field}__date__gte": F("_joined_on")})
    )


def has_history_elsewhere(*, person: User, organisation: Organisation, before: datetime) -> bool:
    """The person belonged to another organisation before `before`: staff of `organisation`
    are not seeing all of their records, and the page should say so."""
    return (
        Membership.objects.filter(user=person, active_from__lt=timezone.localdate(before))
        .exclude(organisation=organisation)
        .exists()
    )


def staff_organisation_for_record(
    *, viewer: User, person: User, created_at: datetime
) -> Organisation | None:
    """The organisation, looked after by the viewer, in whose context a record of `person` made
    at `created_at` lies; None when the viewer may not see it as staff."""
    for organisation in organisations_staffed_over(viewer=viewer, person=person):
        since = history_visible_from(organisation=organisation, person=person)
        if since is None or created_at >= since:
            return organisation
    return None


# --- Audit ---------------------------------------------------------------------------------------


def record_organisation_read(
    *, viewer: User, organisation: Organisation, action: str, detail: dict | None = None
) -> None:
    """Someone read a page about many people of an organisation (readiness, learning records,
    concerns, coverage, the evidence queue, the audit log): one event naming what it showed."""
    audit_record(actor=viewer, action=action, organisation=organisation, detail=detail)


def record_read(
    *,
    viewer: User,
    person: User,
    action: str,
    subject=None,
    organisation: Organisation | None = None,
    detail: dict | None = None,
) -> None:
    """Someone other than the person read one of their sensitive records: audit it."""
    if viewer.pk == person.pk:
        return
    audit_record(
        actor=viewer,
        action=action,
        subject=subject,
        subject_user=person,
        organisation=organisation,
        detail=detail,
    )
