"""How courses plug into the kernel: dashboard panels, navigation and demo data."""

from django.urls import reverse
from wagtail import hooks

from courses.data_export import courses_export_part
from courses.demo import seed_courses
from courses.erasure import erase_learner_data
from courses.models import CourseIndexPage
from courses.selectors import certificates_for_user, courses_in_progress, learning_summaries
from courses.services import reflections_remove_deleted
from lms.context_processors import NavItem
from lms.dashboard import Panel
from lms.models import Role
from lms.selectors import roles_for_user


def _catalogue_url():
    index = CourseIndexPage.objects.live().first()
    return index.url if index else None


@hooks.register("dashboard_panels")
def learning_panel(request):
    """For anyone learning: courses in progress with where to continue, and certificates."""
    in_progress = courses_in_progress(user=request.user)
    certificates = list(certificates_for_user(user=request.user)[:5])
    is_peer = any(Role.PEER in entry.roles for entry in roles_for_user(user=request.user))
    if not (in_progress or certificates or is_peer):
        return None
    return Panel(
        title="Your learning",
        template_name="courses/panels/learning.html",
        context={
            "in_progress": in_progress,
            "certificates": certificates,
            "catalogue_url": _catalogue_url(),
        },
        order=10,
    )


@hooks.register("dashboard_panels")
def organisation_learning_panel(request):
    """For coordinators and org admins: completions this month and refreshers coming up."""
    organisations = [
        entry.organisation for entry in roles_for_user(user=request.user) if entry.is_staff
    ]
    if not organisations:
        return None
    summaries = learning_summaries(organisations=organisations)
    return Panel(
        title="Learning in your organisation",
        template_name="courses/panels/organisation_learning.html",
        context={"summaries": summaries},
        order=20,
    )


@hooks.register("navigation_items")
def learning_navigation(request):
    items = []
    catalogue = _catalogue_url()
    if catalogue:
        items.append(NavItem("Courses", catalogue, order=10))
    items.append(NavItem("Your reflections", reverse("courses:reflections"), order=20))
    return items


@hooks.register("organisation_tabs")
def learning_tabs(request, organisation):
    return [
        NavItem(
            "Learning records",
            reverse("courses:learner-records", args=[organisation.slug]),
            order=20,
        )
    ]


hooks.register("seed_demo", seed_courses)
hooks.register("data_export", courses_export_part)

hooks.register("data_erase", erase_learner_data)

# Reflections a peer deleted are removed for good once their undo period is over.
hooks.register("retention_sweep", reflections_remove_deleted)
