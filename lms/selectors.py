"""Reads for the kernel: who holds which role where, scoped by user or organisation."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from django.db.models import Max, Min, Prefetch, Q, QuerySet
from django.utils import timezone

from lms.models import (
    STAFF_ROLES,
    DataExport,
    ErasureRequest,
    HistoryShare,
    Invitation,
    Membership,
    Organisation,
    Role,
    User,
)


@dataclass(frozen=True)
class OrganisationRoles:
    organisation: Organisation
    roles: frozenset[str] = field(default_factory=frozenset)

    @property
    def is_staff(self) -> bool:
        return bool(self.roles & STAFF_ROLES)

    @property
    def role_labels(self) -> list[str]:
        return [Role(role).label for role in Role.values if role in self.roles]


def roles_for_user(*, user: User) -> list[OrganisationRoles]:
    """The organisations a person belongs to today, each with the roles they hold there."""
    if not user.is_authenticated:
        return []
    cached = getattr(user, "_roles_for_user", None)
    if cached is not None:
        return cached
    return remember_roles(user=user, memberships=active_memberships(user=user))


def active_memberships(*, user: User) -> QuerySet[Membership]:
    """The person's memberships today, each with its organisation: what `roles_for_user` reads
    (`lms.two_factor.selectors.sign_in_facts` reads the same rows with its facts)."""
    return Membership.objects.active().filter(user=user).select_related("organisation")


def remember_roles(*, user: User, memberships) -> list[OrganisationRoles]:
    """The roles in these memberships (`active_memberships`), remembered on this request's
    user object as `roles_for_user` answers them."""
    by_organisation: dict[int, set[str]] = defaultdict(set)
    organisations: dict[int, Organisation] = {}
    for membership in memberships:
        organisations[membership.organisation_id] = membership.organisation
        by_organisation[membership.organisation_id].add(membership.role)
    result = [
        OrganisationRoles(organisations[org_id], frozenset(roles))
        for org_id, roles in sorted(
            by_organisation.items(), key=lambda item: organisations[item[0]].name
        )
    ]
    # One query per request however many templates and panels ask.
    user._roles_for_user = result
    return result


@dataclass(frozen=True)
class RecordSharing:
    """What one organisation's staff see of a person's records (docs/privacy.md)."""

    organisation: Organisation
    joined_on: date
    shared_since: datetime | None  # the person shared their earlier history with it


def record_sharing_for(*, user: User) -> list[RecordSharing]:
    """For each organisation the person belongs to: since when its staff see their records."""
    organisations = [entry.organisation for entry in roles_for_user(user=user)]
    joined = dict(
        Membership.objects.filter(user=user, organisation__in=organisations)
        .values("organisation_id")
        .annotate(first=Min("active_from"))
        .values_list("organisation_id", "first")
    )
    shares = dict(
        HistoryShare.objects.filter(user=user, ended_at=None).values_list(
            "organisation_id", "shared_at"
        )
    )
    return [
        RecordSharing(organisation, joined[organisation.pk], shares.get(organisation.pk))
        for organisation in organisations
    ]


def user_roles_in(*, user: User, organisation: Organisation) -> frozenset[str]:
    for entry in roles_for_user(user=user):
        if entry.organisation.pk == organisation.pk:
            return entry.roles
    return frozenset()


def roles_ended_today(*, organisation: Organisation) -> QuerySet[Membership]:
    """Roles here that ended today and may still be restored (not those of an erased person)."""
    return (
        Membership.objects.filter(organisation=organisation, active_to=timezone.localdate())
        .exclude(user__email__endswith=f"@{ERASED_DOMAIN}")
        .select_related("user")
        .order_by("user__display_name", "role")
    )


def members_of_organisation(*, organisation: Organisation, search: str = "") -> QuerySet[User]:
    """People with an active role in the organisation, with those roles prefetched."""
    active = Membership.objects.active().filter(organisation=organisation)
    people = (
        User.objects.filter(memberships__in=active)
        .distinct()
        .prefetch_related(
            Prefetch("memberships", queryset=active.order_by("role"), to_attr="active_memberships")
        )
        .order_by("display_name", "email")
    )
    if search:
        people = people.filter(Q(display_name__icontains=search) | Q(email__icontains=search))
    return people


def open_invitations_for_organisation(*, organisation: Organisation) -> QuerySet[Invitation]:
    return (
        Invitation.objects.filter(organisation=organisation, accepted_at__isnull=True)
        .select_related("invited_by")
        .order_by("-created_at")
    )


def organisation_shared_by(*, user: User, other: User) -> Organisation | None:
    """The first organisation (by name) where both people hold a role today: where a decision
    one of them makes about the other belongs in the audit log."""
    active = Membership.objects.active()
    return (
        Organisation.objects.filter(
            pk__in=active.filter(user=user).values("organisation_id"),
        )
        .filter(pk__in=active.filter(user=other).values("organisation_id"))
        .order_by("name")
        .first()
    )


def data_exports_for_user(*, user: User, limit: int = 5) -> list[DataExport]:
    """The person's most recent "Download my data" requests, newest first."""
    return list(DataExport.objects.filter(user=user).order_by("-requested_at", "-pk")[:limit])


# The domain of an erased person's placeholder address (`lms.erasure`). ".invalid" can never
# receive mail, so nothing is ever sent to a placeholder.
ERASED_DOMAIN = "erased.invalid"
ERASED_NAME = "Erased person"


def erased_label(ref: str) -> str:
    """How the log and every page name an erased person: "Erased person #a1b2c3"."""
    return f"{ERASED_NAME} #{ref.removeprefix('erased:')[:6]}"


def erasures_scheduled_for(*, organisation: Organisation):
    """The erasures this organisation asked for that have not happened or been cancelled."""
    return (
        ErasureRequest.objects.open()
        .filter(organisation=organisation)
        .select_related("person")
        .order_by("erase_after")
    )


def people_who_left(*, organisation: Organisation, limit: int = 50) -> QuerySet[User]:
    """People who held a role in the organisation and hold none there today, not yet erased,
    most recent leavers first."""
    current = Membership.objects.active().filter(organisation=organisation).values("user_id")
    return (
        User.objects.filter(memberships__organisation=organisation)
        .exclude(pk__in=current)
        .exclude(email__endswith=f"@{ERASED_DOMAIN}")
        .annotate(left_on=Max("memberships__active_to"))
        .order_by("-left_on", "display_name")[:limit]
    )


@dataclass(frozen=True)
class PrivacyContact:
    organisation: Organisation
    is_yours: bool  # the person reading belongs to it


def privacy_contacts_for(*, user: User) -> list[PrivacyContact]:
    """Organisations' privacy contacts for the notice: the reader's own organisations first
    (even with no contact yet), then every other organisation that has given one."""
    yours = {entry.organisation.pk for entry in roles_for_user(user=user)}
    organisations = Organisation.objects.filter(Q(pk__in=yours) | ~Q(privacy_contact="")).order_by(
        "name"
    )
    contacts = [PrivacyContact(org, org.pk in yours) for org in organisations]
    return sorted(contacts, key=lambda contact: not contact.is_yours)
