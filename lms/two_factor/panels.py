from django.urls import reverse

from lms.access import can_manage_roles
from lms.context_processors import NavItem


def organisation_security_tab(request, organisation) -> list[NavItem]:
    """The "Sign-in security" tab on an organisation's pages, for its org admins."""
    if not can_manage_roles(user=request.user, organisation=organisation):
        return []
    url = reverse("lms:organisation-security", args=[organisation.slug])
    return [NavItem("Sign-in security", url, order=85)]
