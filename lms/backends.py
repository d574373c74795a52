"""Permissions that follow from a person's roles rather than from Django groups."""

from django.contrib.auth.backends import BaseBackend

from lms.models import Membership, Role


class RoleBackend(BaseBackend):
    """Organisation admins may open the Wagtail admin, where they edit their own
    organisation's pathways. (Which objects they may touch is each viewset's policy.)"""

    def has_perm(self, user_obj, perm, obj=None):
        if perm != "wagtailadmin.access_admin" or not user_obj.is_active:
            return False
        cached = getattr(user_obj, "_is_org_admin", None)
        if cached is None:
            cached = Membership.objects.active().filter(user=user_obj, role=Role.ORG_ADMIN).exists()
            user_obj._is_org_admin = cached
        return cached
