"""How courses plug into the kernel: dashboard panels, navigation and demo data."""

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from wagtail import hooks
from wagtail.models import Page

from courses.data_export import courses_export_part
from courses.demo import seed_courses
from courses.erasure import erase_learner_data
from courses.exports import REPORT_KINDS
from courses.models import CourseIndexPage, CoursePage, ModulePage
from courses.selectors import (
    certificates_for_user,
    courses_in_progress,
    learners_with_records_on,
    learning_summaries,
)
from courses.services import reflections_remove_deleted
from lms.context_processors import NavItem
from lms.dashboard import Panel
from lms.models import Role
from lms.records import describe_records, records_blocking_delete_of_many
from lms.selectors import roles_for_user


def _catalogue_url(request):
    # A course or module page was routed through the index (courses.routing): no query.
    index = getattr(request, "course_index", None) or CourseIndexPage.objects.live().first()
    return index.url if index and index.live else None


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
            "catalogue_url": _catalogue_url(request),
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
    catalogue = _catalogue_url(request)
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
hooks.register("report_exports", lambda: REPORT_KINDS)

hooks.register("data_erase", erase_learner_data)

# Reflections a peer deleted are removed for good once their undo period is over.
hooks.register("retention_sweep", reflections_remove_deleted)


# --- Removing course content never destroys learner records -----------------------------------


def _refusal(pages) -> str:
    """Why these pages (and everything below them) may not be deleted, or ""."""
    learners = learners_with_records_on(pages=pages)
    if learners:
        what = "These pages" if len(pages) > 1 else pages[0].title
        return (
            f"{what} cannot be deleted. Unpublish it instead: {learners} "
            f"learner{'s have' if learners != 1 else ' has'} records on it (enrolments, "
            "progress, reflections or certificates), and deleting it would lose them. "
            "Unpublishing hides it and keeps every record and certificate."
        )
    # Anything else that guards history (a pathway requirement naming the course, say).
    blocking = records_blocking_delete_of_many(
        page.specific
        for top in pages
        for page in top.get_descendants(inclusive=True).specific()
        if isinstance(page, CoursePage | ModulePage)
    )
    if blocking:
        return (
            f"{pages[0].title if len(pages) == 1 else 'These pages'} cannot be deleted: "
            f"records point at it ({describe_records(blocking)}). Unpublish it instead."
        )
    return ""


def _course_content(pages) -> list:
    return [
        page
        for page in pages
        if page.get_descendants(inclusive=True)
        .type(CourseIndexPage, CoursePage, ModulePage)
        .exists()
    ]


@hooks.register("before_delete_page")
def refuse_deleting_course_content_with_records(request, page):
    """Deleting a course, a module or anything above them (the course index) is refused while
    learners have records there; the editor is told to unpublish instead."""
    refusal = _refusal(_course_content([page]))
    if refusal:
        messages.error(request, refusal)
        return redirect("wagtailadmin_pages:edit", page.pk)
    return None


@hooks.register("before_bulk_action")
def refuse_bulk_deleting_course_content_with_records(request, action_type, objects, action):
    if action_type != "delete":
        return None
    pages = _course_content([obj for obj in objects if isinstance(obj, Page)])
    refusal = _refusal(pages) if pages else ""
    if refusal:
        messages.error(request, f"Nothing was deleted. {refusal}")
        back = action.next_url if action.next_url != request.path else None
        return redirect(back or "wagtailadmin_home")
    return None
