"""Dashboard panels, navigation and organisation tabs for mentoring, plugged into the kernel by
wagtail_hooks.py. Each panel returns None when it has nothing for this person."""

from django.urls import reverse

from lms.context_processors import NavItem
from lms.dashboard import Panel
from lms.models import STAFF_ROLES, Role
from lms.policy import record_organisation_read
from lms.selectors import roles_for_user, user_roles_in
from mentoring.selectors.dashboard import (
    coordinator_dashboard,
    mentor_dashboard,
    trainee_dashboard,
)


def _holds(request, role: str) -> bool:
    return any(role in entry.roles for entry in roles_for_user(user=request.user))


def trainee_panel(request):
    """For a peer: their mentor and next session, actions due and sessions to confirm; with no
    mentor, a way to find one."""
    if not _holds(request, Role.PEER):
        return None
    dashboard = trainee_dashboard(user=request.user)
    is_mentor = _holds(request, Role.MENTOR)
    quiet = not (dashboard.mentorships or dashboard.pending or dashboard.actions)
    if quiet and not dashboard.to_confirm and is_mentor:
        # An experienced peer who mentors others: their own panel says what matters.
        return None
    return Panel(
        title="Your mentor",
        template_name="mentoring/panels/trainee.html",
        context={"dashboard": dashboard},
        order=8,
    )


def mentor_panel(request):
    """For a mentor: their mentees with each one's stage and last session, and requests waiting
    for an answer."""
    if not _holds(request, Role.MENTOR):
        return None
    return Panel(
        title="Your mentees",
        template_name="mentoring/panels/mentor.html",
        context={"dashboard": mentor_dashboard(user=request.user)},
        order=9,
    )


def coordinator_panel(request):
    """For coordinators and org admins: open concerns and supervision coverage."""
    organisations = [e.organisation for e in roles_for_user(user=request.user) if e.is_staff]
    if not organisations:
        return None
    dashboard = coordinator_dashboard(organisations=organisations, viewer=request.user)
    _record_concerns_shown(request, dashboard)
    return Panel(
        title="Concerns and supervision",
        template_name="mentoring/panels/coordinator.html",
        context={"dashboard": dashboard},
        order=12,
    )


def _record_concerns_shown(request, dashboard) -> None:
    """The panel names people a concern is about: one audit event per organisation whose
    concerns it shows, listing them (each organisation's admins read their own log)."""
    for entry in dashboard.concerns:
        if entry.newest:
            record_organisation_read(
                viewer=request.user,
                action="mentoring.concern_panel.read",
                organisation=entry.organisation,
                detail={"concerns": [concern.pk for concern in entry.newest]},
            )


def navigation(request):
    if _holds(request, Role.PEER) or _holds(request, Role.MENTOR):
        return [NavItem("Mentoring", reverse("mentoring:home"), order=20)]
    return []


def organisation_tabs(request, organisation):
    """Mentoring tabs on an organisation's pages, for its coordinators and org admins."""
    user = request.user
    roles = user_roles_in(user=user, organisation=organisation)
    if not (user.is_superuser or roles & STAFF_ROLES):
        return []
    slug = [organisation.slug]
    tabs = [
        NavItem("Supervision coverage", reverse("mentoring:coverage", args=slug), order=50),
        NavItem("Concerns", reverse("mentoring:concerns", args=slug), order=55),
        NavItem("Propose a pairing", reverse("mentoring:propose", args=slug), order=60),
    ]
    if user.is_superuser or Role.ORG_ADMIN in roles:
        tabs.append(
            NavItem("Mentoring settings", reverse("mentoring:settings", args=slug), order=70)
        )
    return tabs
