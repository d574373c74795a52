"""How pathways plug into the kernel: admin viewsets, dashboard panels, navigation, demo data."""

from django.core.exceptions import PermissionDenied
from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.panels import ObjectList
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permissions import register_permission_policy
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views import snippets as snippet_views
from wagtail.snippets.views.snippets import SnippetViewSet

from lms.context_processors import NavItem
from lms.dashboard import Panel
from lms.models import Role
from lms.selectors import roles_for_user
from pathways import admin_views
from pathways.admin_forms import PathwayAdminForm
from pathways.admin_policies import PathwayPermissionPolicy
from pathways.demo import seed_pathways
from pathways.models import Competence, CompetenceFramework, Pathway
from pathways.selectors import person_progress, readiness_for_organisation

pathway_policy = PathwayPermissionPolicy()
register_permission_policy(Pathway, pathway_policy)


class PerPathwayPermission:
    """Wagtail's snippet views check the model-level permission only; this checks the one
    pathway too, so an org admin cannot open another organisation's (or a shared) pathway."""

    permission_action = "change"

    def get_object(self, queryset=None):
        pathway = super().get_object(queryset)
        if not pathway_policy.user_has_permission_for_instance(
            self.request.user, self.permission_action, pathway
        ):
            raise PermissionDenied
        return pathway


class PathwayEditView(PerPathwayPermission, snippet_views.EditView):
    pass


class PathwayDeleteView(PerPathwayPermission, snippet_views.DeleteView):
    permission_action = "delete"


class PathwayHistoryView(PerPathwayPermission, snippet_views.HistoryView):
    permission_action = "view"


class PathwayUsageView(PerPathwayPermission, snippet_views.UsageView):
    permission_action = "view"


class PathwayViewSet(SnippetViewSet):
    model = Pathway
    icon = "list-ol"
    menu_label = "Pathways"
    add_to_admin_menu = True
    menu_order = 300
    list_display = ["name", "organisation", "framework"]
    list_filter = ["organisation"]
    # Organisation admins may only pick their own organisations (see PathwayAdminForm).
    edit_handler = ObjectList(Pathway.panels, base_form_class=PathwayAdminForm)
    edit_view_class = PathwayEditView
    delete_view_class = PathwayDeleteView
    history_view_class = PathwayHistoryView
    usage_view_class = PathwayUsageView

    def get_queryset(self, request):
        return pathway_policy.instances_user_has_any_permission_for(request.user, ["view"])


class CompetenceFrameworkViewSet(ModelViewSet):
    model = CompetenceFramework
    icon = "form"
    menu_label = "Competence frameworks"
    add_to_admin_menu = True
    menu_order = 310
    form_fields = ["name", "slug", "description"]
    list_display = ["name", "slug"]


class CompetenceViewSet(ModelViewSet):
    model = Competence
    icon = "tick-inverse"
    add_to_admin_menu = False
    form_fields = ["framework", "domain", "code", "name", "description", "order"]
    list_display = ["code", "name", "domain", "framework"]
    list_filter = ["framework", "domain"]
    search_fields = ["code", "name"]


register_snippet(PathwayViewSet)


@hooks.register("register_admin_viewset")
def register_framework_viewsets():
    return [CompetenceFrameworkViewSet("frameworks"), CompetenceViewSet("competences")]


@hooks.register("register_admin_urls")
def register_framework_urls():
    return [
        path(
            "pathways/frameworks/import/",
            admin_views.framework_import_view,
            name="pathways_framework_import",
        ),
        path(
            "pathways/frameworks/<int:pk>/export/<str:fmt>/",
            admin_views.framework_export_view,
            name="pathways_framework_export",
        ),
    ]


@hooks.register("register_admin_menu_item")
def framework_import_menu_item():
    return MenuItem(
        "Import a framework", reverse("pathways_framework_import"), icon_name="upload", order=320
    )


# --- Dashboard and navigation -----------------------------------------------------------------


@hooks.register("dashboard_panels")
def next_step_panel(request):
    """For a person on a pathway: the next stage, how close they are, and what to do next."""
    progress = person_progress(user=request.user)
    if progress is None:
        return None
    return Panel(
        title="Your next step",
        template_name="pathways/panels/next_step.html",
        context={"progress": progress},
        order=5,
    )


@hooks.register("dashboard_panels")
def readiness_panel(request):
    """For coordinators and org admins: who is ready to progress and what expires soon."""
    organisations = [e.organisation for e in roles_for_user(user=request.user) if e.is_staff]
    if not organisations:
        return None
    # Readiness is worked out for one organisation here (the first); the others are a link away.
    summary = readiness_for_organisation(organisation=organisations[0])
    return Panel(
        title="Workforce readiness",
        template_name="pathways/panels/readiness.html",
        context={"readiness": summary, "others": organisations[1:]},
        order=15,
    )


@hooks.register("navigation_items")
def pathway_navigation(request):
    entries = roles_for_user(user=request.user)
    items = []
    if any(Role.PEER in e.roles or Role.MENTOR in e.roles for e in entries):
        items.append(NavItem("Your pathway", reverse("pathways:mine"), order=15))
    return items


@hooks.register("organisation_tabs")
def pathway_tabs(request, organisation):
    return [
        NavItem("Readiness", reverse("pathways:readiness", args=[organisation.slug]), order=30),
        NavItem(
            "Evidence to review",
            reverse("pathways:evidence-queue", args=[organisation.slug]),
            order=40,
        ),
    ]


hooks.register("seed_demo", seed_pathways)
