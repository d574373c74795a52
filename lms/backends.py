"""Permissions that follow from a person's roles rather than from Django groups."""

from django.contrib.auth.backends import BaseBackend

from lms.models import Role
from lms.selectors import roles_for_user


class RoleBackend(BaseBackend):
    """Organisation admins may open the Wagtail admin, where they edit their own
    organisation's pathways. (Which objects they may touch is each viewset's policy.)"""

    def has_perm(self, user_obj, perm, obj=None):
        if perm != "wagtailadmin.access_admin" or not user_obj.is_active:
            return False
        # From the roles the request has already read (one query, however many ask).
        return any(Role.ORG_ADMIN in entry.roles for entry in roles_for_user(user=user_obj))
