"""Access helpers: return the object the person may act on, or raise Http404.

Another organisation's object is always a 404, never a 403, so that nobody can learn what exists
elsewhere by trying ids.
"""

from django.http import Http404
from django.shortcuts import get_object_or_404

from lms.models import STAFF_ROLES, DataExport, Invitation, Membership, Organisation, Role, User
from lms.selectors import user_roles_in


def get_organisation_for_role(*, user: User, slug: str, roles=STAFF_ROLES) -> Organisation:
    """The organisation with this slug, if the person holds one of `roles` there today."""
    organisation = get_object_or_404(Organisation, slug=slug)
    if user.is_superuser:
        return organisation
    if not user_roles_in(user=user, organisation=organisation) & set(roles):
        raise Http404("No such organisation.")
    return organisation


def get_organisation_for_member(*, user: User, slug: str) -> Organisation:
    """An organisation the person belongs to today, in any role."""
    organisation = get_object_or_404(Organisation, slug=slug)
    if not user_roles_in(user=user, organisation=organisation):
        raise Http404("No such organisation.")
    return organisation


def get_invitation_for_staff(*, organisation: Organisation, pk: int, roles) -> Invitation:
    """An invitation in the organisation for one of the roles this person may invite."""
    return get_object_or_404(Invitation, organisation=organisation, pk=pk, role__in=roles)


def roles_person_may_invite(*, user: User, organisation: Organisation) -> list[str]:
    """Org admins invite anyone; coordinators invite peers and mentors."""
    if can_manage_roles(user=user, organisation=organisation):
        return list(Role.values)
    return [Role.PEER, Role.MENTOR]


def get_membership_for_org_admin(*, organisation: Organisation, pk: int) -> Membership:
    return get_object_or_404(
        Membership.objects.active().select_related("user"), organisation=organisation, pk=pk
    )


def can_manage_roles(*, user: User, organisation: Organisation) -> bool:
    return user.is_superuser or Role.ORG_ADMIN in user_roles_in(
        user=user, organisation=organisation
    )


def get_member(*, organisation: Organisation, user_id: int) -> User:
    """A person who holds an active role in the organisation."""
    members = User.objects.filter(
        memberships__in=Membership.objects.active().filter(organisation=organisation)
    ).distinct()
    return get_object_or_404(members, pk=user_id)


def get_data_export_for_owner(*, user: User, pk: int) -> DataExport:
    """A person's own data export. Anyone else's, even for a superuser, is a 404."""
    return get_object_or_404(DataExport.objects.select_related("user"), pk=pk, user=user)


def get_person_for_erasure(*, organisation: Organisation, user_id: int) -> User:
    """Someone who holds, or once held, a role in the organisation: its admins may ask to erase
    them (lms.erasure decides whether they can). Anyone else is a 404."""
    people = User.objects.filter(memberships__organisation=organisation).distinct()
    return get_object_or_404(people, pk=user_id)
