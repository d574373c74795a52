"""Who may do what with pathways in the Wagtail admin.

Superusers do anything. An organisation admin adds, changes and deletes their own organisation's
pathways and may only read the shared ones (no organisation), which a site administrator looks
after. Everyone else, editors included, has no pathway permission at all. Another
organisation's pathway is outside everything an organisation admin may do, so every admin view
built on this policy answers 404 for it (see `pathways.wagtail_hooks`).
"""

from django.db.models import Q, QuerySet
from wagtail.permission_policies.base import BasePermissionPolicy

from lms.models import Membership, Role, User
from pathways.models import Pathway

# What an organisation admin may do with a shared pathway: look, never change.
READ_ACTIONS = frozenset({"view"})

SHARED_PATHWAY_NOTICE = "Shared pathway — only a site administrator can change it."


def admin_organisation_ids(user: User) -> set[int]:
    """The organisations this person is an active organisation admin of, cached per request."""
    cached = getattr(user, "_org_admin_of", None)
    if cached is None:
        cached = set(
            Membership.objects.active()
            .filter(user=user, role=Role.ORG_ADMIN)
            .values_list("organisation_id", flat=True)
        )
        user._org_admin_of = cached
    return cached


def _active_superusers():
    return User.objects.filter(is_active=True, is_superuser=True)


class PathwayPermissionPolicy(BasePermissionPolicy):
    def __init__(self):
        super().__init__(Pathway)

    def user_has_permission(self, user, action):
        if not user.is_active:
            return False
        return user.is_superuser or bool(admin_organisation_ids(user))

    def user_has_permission_for_instance(self, user, action, instance):
        if not self.user_has_permission(user, action):
            return False
        if user.is_superuser:
            return True
        if instance.organisation_id is None:
            return action in READ_ACTIONS
        return instance.organisation_id in admin_organisation_ids(user)

    def instances_user_has_any_permission_for(self, user, actions) -> QuerySet:
        if not self.user_has_permission(user, "view"):
            return Pathway.objects.none()
        if user.is_superuser:
            return Pathway.objects.all()
        own = Q(organisation_id__in=admin_organisation_ids(user))
        if READ_ACTIONS & set(actions):
            return Pathway.objects.filter(own | Q(organisation__isnull=True))
        return Pathway.objects.filter(own)

    def users_with_any_permission(self, actions):
        admins = Membership.objects.active().filter(role=Role.ORG_ADMIN).values("user_id")
        return User.objects.filter(is_active=True, pk__in=admins) | _active_superusers()

    def users_with_any_permission_for_instance(self, actions, instance):
        if instance.organisation_id is None and not READ_ACTIONS & set(actions):
            return _active_superusers()
        admins = Membership.objects.active().filter(role=Role.ORG_ADMIN)
        if instance.organisation_id is not None:
            admins = admins.filter(organisation_id=instance.organisation_id)
        return (
            User.objects.filter(is_active=True, pk__in=admins.values("user_id"))
            | _active_superusers()
        )


def visible_pathways(user: User) -> QuerySet:
    """Every pathway this person may see in the admin: their organisations' and the shared."""
    return PathwayPermissionPolicy().instances_user_has_any_permission_for(user, ["view"])
