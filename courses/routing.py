"""Serving a course or a module page without a query per level of its URL.

Wagtail's `Page.route` walks down the tree a level at a time, fetching each child by its slug
and then its specific page: two queries a level. The course index resolves the rest of the path
itself instead: the course by its slug (one query), then every live module of the course at once
(one query), which the module page lists anyway. Each page fetched is marked with whether any
view restriction (a page password, sign-in or groups) applies to it, so serving a page that has
none asks nothing more; a restricted page is checked by Wagtail's own `check_view_restrictions`
hook exactly as before. Drafts are not found (a 404, as Wagtail does), and any path this does
not recognise falls back to Wagtail's own route.
"""

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from wagtail.models import Page, PageViewRestriction


def paths_above(page: Page) -> list[str]:
    """The tree paths of the page and its ancestors, the root first (no query)."""
    return [page.path[:end] for end in range(Page.steplen, len(page.path) + 1, Page.steplen)]


def with_restriction_flags(pages: QuerySet, *, parent: Page) -> QuerySet:
    """Mark each child of `parent` with `view_restricted`: a restriction applies to viewing it,
    as `Page.get_view_restrictions` finds them (on the page or an ancestor, through the page an
    alias copies)."""
    above = paths_above(parent)
    # One subquery (rather than one per place a restriction can sit): building the SQL costs a
    # request more CPU than running it.
    on_page_or_above = Q(page__path__in=above) | Q(page=OuterRef("pk"))
    through_alias = Q(page__aliases__path__in=above) | Q(page=OuterRef("alias_of_id"))
    restrictions = PageViewRestriction.objects.order_by()
    return pages.annotate(
        view_restricted=Exists(restrictions.filter(on_page_or_above | through_alias))
    )


def mark_private_sections(pages: list[Page], *, parent: Page) -> None:
    """Mark each child of `parent` (fetched by `with_restriction_flags`) with
    `in_private_section`: `PageQuerySet.public()` would leave it out (a restriction on the page
    or an ancestor, by path). Only a page with `view_restricted` can be in one, so this asks
    the database only when some page has a restriction."""
    restricted = [page for page in pages if page.view_restricted]
    for page in pages:
        page.in_private_section = False
    if not restricted:
        return
    above = set(paths_above(parent))
    restricted_paths = set(
        PageViewRestriction.objects.filter(
            Q(page__path__in=above) | Q(page__in=[page.pk for page in restricted])
        ).values_list("page__path", flat=True)
    )
    for page in restricted:
        page.in_private_section = bool(restricted_paths & (above | {page.path}))


class FlaggedRestrictionsMixin:
    """A page fetched by `with_restriction_flags` knows whether it has view restrictions, so
    Wagtail's `check_view_restrictions` asks the database only when it has some."""

    def get_view_restrictions(self):
        if getattr(self, "view_restricted", None) is False:
            return PageViewRestriction.objects.none()
        return super().get_view_restrictions()


def route_below_course_index(index, request, path_components):
    """`CourseIndexPage.route` for "course/" and "course/module/": two queries at most."""
    from courses.models import CoursePage, ModulePage

    if not path_components or len(path_components) > 2:
        return Page.route(index, request, path_components)
    courses = CoursePage.objects.child_of(index)
    if len(path_components) == 1:
        # Only a page that is served needs its flags: a module's cover the course above it.
        courses = with_restriction_flags(courses, parent=index)
    course = courses.filter(slug=path_components[0]).first()
    if course is None:
        raise Http404
    course._cached_parent_obj = index  # treebeard's get_parent() reads it: no query
    request.course_index = index  # the navigation's "Courses" link needs no query of its own
    if len(path_components) == 1:
        return course.route(request, [])
    modules = list(
        with_restriction_flags(ModulePage.objects.child_of(course).live(), parent=course).order_by(
            "path"
        )
    )
    for module in modules:
        module._cached_parent_obj = course
    mark_private_sections(modules, parent=course)
    course.routed_live_modules = [module for module in modules if not module.in_private_section]
    module = next((m for m in modules if m.slug == path_components[1]), None)
    if module is None:  # a draft (a 404), or a page of another kind: Wagtail's own route
        return Page.route(course, request, path_components[1:])
    return module.route(request, [])
