"""Navigation for the signed-in person, built from their roles and from apps' `navigation_items`
hooks (each takes the request and returns a list of `NavItem`).

Every page shows it, so it asks only what the request has already read: the person's roles
(`roles_for_user`) and their sign-in facts (`sign_in_facts`), one query each per request."""

from dataclasses import dataclass

from django.urls import reverse
from wagtail import hooks

from lms.models import Role
from lms.selectors import roles_for_user
from lms.two_factor.selectors import sign_in_facts


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str
    order: int = 100


def may_open_admin(user) -> bool:
    """`user.has_perm("wagtailadmin.access_admin")`, answered from what the request has read:
    a superuser, a group or own permission, or an org admin role (lms.backends.RoleBackend)."""
    if not user.is_active:
        return False
    return (
        user.is_superuser
        or sign_in_facts(user=user).admin_by_permission
        or any(Role.ORG_ADMIN in entry.roles for entry in roles_for_user(user=user))
    )


def _kernel_items(request) -> list[NavItem]:
    items = [NavItem("Dashboard", "/", order=0)]
    for entry in roles_for_user(user=request.user):
        if entry.is_staff:
            items.append(
                NavItem(
                    f"People at {entry.organisation.name}",
                    reverse("lms:members", args=[entry.organisation.slug]),
                    order=800,
                )
            )
    if may_open_admin(request.user):
        items.append(NavItem("Admin", reverse("wagtailadmin_home"), order=900))
    if request.user.is_superuser:
        items.append(NavItem("Audit log", reverse("lms:audit-log-all"), order=910))
    items.append(NavItem("Your account", reverse("lms:account"), order=950))
    return items


def navigation(request):
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {"nav_items": []}
    items = _kernel_items(request)
    for hook in hooks.get_hooks("navigation_items"):
        items.extend(hook(request))
    items.sort(key=lambda item: item.order)
    current = request.path
    return {
        "nav_items": [
            {
                "label": item.label,
                "url": item.url,
                "current": current == item.url
                or (item.url != "/" and current.startswith(item.url)),
            }
            for item in items
        ]
    }
