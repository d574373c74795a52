"""Unpublished pages stay with the people who can edit them.

Draft course content is for editors (docs/privacy.md, "The table"). Wagtail's page chooser shows
every page to anyone who may open the admin, organisation admins included (they choose courses
for pathway requirements), so a draft course's or module's title would leak. The rule here:
a page that is not live, and everything below it, is hidden from people who may not edit it.

The chooser's child listings and search go through Wagtail's `construct_page_chooser_queryset`
hook (registered in `lms.wagtail_hooks`). Two chooser views do not call that hook: browsing
*into* a page (its title is the heading) and "chosen multiple" (answers titles for any ids).
And the workflow preview names any page in its "not awaiting moderation" message to anyone
who may open the admin. Those three are served by the views below, wired ahead of Wagtail's
admin urls in `lms.urls`; tests/lms/test_admin_by_role.py walks every admin url to find more.
"""

from functools import reduce
from operator import or_

from django.db.models import Q
from django.http import Http404
from django.urls import path, reverse
from django.views.decorators.cache import never_cache
from wagtail.admin.auth import require_admin_access
from wagtail.admin.views import chooser
from wagtail.admin.viewsets.pages import page_viewset_registry
from wagtail.models import Page
from wagtail.permissions import policy_registry

# Having any of these on a page lets a person work on its drafts.
EDIT_ACTIONS = ["add", "change", "publish"]


def hidden_draft_paths(user) -> list[str]:
    """Tree paths of the unpublished pages this person may not edit."""
    if user.is_active and user.is_superuser:
        return []
    drafts = Page.objects.filter(live=False)
    editable = policy_registry.get_by_type(Page).instances_user_has_any_permission_for(
        user, EDIT_ACTIONS
    )
    return list(drafts.exclude(pk__in=editable.values("pk")).values_list("path", flat=True))


def without_hidden_drafts(pages, user):
    """`pages` less the hidden drafts and everything beneath them (a live module under a draft
    course is not published content either, and its parent column would name the course)."""
    paths = hidden_draft_paths(user)
    if not paths:
        return pages
    return pages.exclude(reduce(or_, (Q(path__startswith=path) for path in paths)))


def restrict_page_chooser(pages, request):
    """The `construct_page_chooser_queryset` hook."""
    return without_hidden_drafts(pages, request.user)


class BrowseView(chooser.BrowseView):
    def get_object_list(self):
        # Called once the parent page is known; its title heads the modal.
        parent = Page.objects.filter(pk=self.parent_page.pk)
        if not without_hidden_drafts(parent, self.request.user).exists():
            raise Http404("No such page.")
        return super().get_object_list()


class ChosenMultipleView(chooser.ChosenMultipleView):
    def get(self, request):
        # Ids only: a word in ?id= would be a ValueError (500) in the query.
        ids = [value for value in request.GET.getlist("id") if value.isascii() and value.isdigit()]
        chosen = Page.objects.filter(pk__in=ids)
        pages = without_hidden_drafts(chosen, request.user).specific()
        result = [
            {
                "id": page.pk,
                "parentId": page.get_parent().pk,
                "adminTitle": page.get_admin_display_title(),
                "editUrl": reverse("wagtailadmin_pages:edit", args=(page.pk,)),
                "url": page.url,
            }
            for page in pages
        ]
        return self.render_chosen_response(result)


def unless_hidden_draft(view):
    """Wagtail's page view, answering 404 first when the page is a draft hidden from them."""

    def guarded(request, page_id, **kwargs):
        page = Page.objects.filter(pk=page_id)
        if not without_hidden_drafts(page, request.user).exists():
            raise Http404("No such page.")
        return view(request, page_id=page_id, **kwargs)

    return guarded


def _admin_view(view):
    return never_cache(require_admin_access(view))


workflow_preview = page_viewset_registry.as_view("workflow_preview", page_id_kwarg="page_id")

# Unnamed, so that reversing Wagtail's names still finds Wagtail's (identical) paths.
urlpatterns = [
    path("choose-page/", _admin_view(BrowseView.as_view())),
    path("choose-page/<int:parent_page_id>/", _admin_view(BrowseView.as_view())),
    path("choose-page/chosen-multiple/", _admin_view(ChosenMultipleView.as_view())),
    path(
        "pages/workflow/preview/<int:page_id>/<int:task_id>/",
        _admin_view(unless_hidden_draft(workflow_preview)),
    ),
]
