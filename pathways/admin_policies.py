"""Who may edit pathways in the Wagtail admin: superusers edit any; organisation admins edit
their own organisation's pathways and may read the shared ones."""

from wagtail.permission_policies.base import BasePermissionPolicy

from lms.models import Membership, Role, User
from pathways.models import Pathway


def _admin_organisation_ids(user: User) -> set[int]:
    cached = getattr(user, "_org_admin_of", None)
    if cached is None:
        cached = set(
            Membership.objects.active()
            .filter(user=user, role=Role.ORG_ADMIN)
            .values_list("organisation_id", flat=True)
        )
        user._org_admin_of = cached
    return cached


class PathwayPermissionPolicy(BasePermissionPolicy):
    def __init__(self):
        super().__init__(Pathway)

    def user_has_permission(self, user, action):
        if not user.is_active:
            return False
        return user.is_superuser or bool(_admin_organisation_ids(user))

    def user_has_permission_for_instance(self, user, action, instance):
        if user.is_superuser:
            return user.is_active
        if instance.organisation_id is None:
            return action == "view" and self.user_has_permission(user, action)
        return instance.organisation_id in _admin_organisation_ids(user)

    def instances_user_has_any_permission_for(self, user, actions):
        if user.is_superuser:
            return Pathway.objects.all()
        organisations = _admin_organisation_ids(user)
        if "view" in actions:
            return Pathway.objects.filter(
                organisation_id__in=organisations
            ) | Pathway.objects.filter(organisation__isnull=True)
        return Pathway.objects.filter(organisation_id__in=organisations)

    def users_with_any_permission(self, actions):
        admins = Membership.objects.active().filter(role=Role.ORG_ADMIN).values("user_id")
        return User.objects.filter(is_active=True).filter(pk__in=admins) | User.objects.filter(
            is_active=True, is_superuser=True
        )

    def users_with_any_permission_for_instance(self, actions, instance):
        admins = Membership.objects.active().filter(
            role=Role.ORG_ADMIN, organisation_id=instance.organisation_id
        )
        return User.objects.filter(is_active=True).filter(
            pk__in=admins.values("user_id")
        ) | User.objects.filter(is_active=True, is_superuser=True)
