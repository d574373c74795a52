"""How pathways plug into the kernel: admin viewsets, dashboard panels, navigation, demo data."""

import django_filters
from django.contrib import messages
from django.contrib.admin.utils import quote, unquote
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.menu import MenuItem
from wagtail.admin.panels import ObjectList
from wagtail.admin.ui.tables import Column
from wagtail.admin.views import generic
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permissions import register_permission_policy
from wagtail.snippets.bulk_actions.delete import DeleteBulkAction
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views import chooser as snippet_chooser
from wagtail.snippets.views import snippets as snippet_views
from wagtail.snippets.views.snippets import SnippetViewSet

from lms.context_processors import NavItem
from lms.dashboard import Panel
from lms.models import Organisation, Role
from lms.records import describe_records, records_blocking_delete, refuse_delete
from lms.selectors import roles_for_user
from pathways import admin_views
from pathways.admin_forms import PathwayAdminForm
from pathways.admin_policies import (
    SHARED_PATHWAY_NOTICE,
    PathwayPermissionPolicy,
    visible_pathways,
)
from pathways.data_export import pathways_export_part
from pathways.demo import seed_pathways
from pathways.erasure import erase_pathway_data
from pathways.exports import REPORT_KINDS
from pathways.models import Competence, CompetenceFramework, Pathway
from pathways.readiness_keeping import (
    readiness_fill,
    readiness_refresh_framework_later,
    readiness_refresh_later,
    readiness_refresh_pathway_later,
)
from pathways.readiness_selectors import kept_readiness
from pathways.requirements import pause_periods
from pathways.selectors import person_progress
from pathways.services import pause_notes_clear_old

pathway_policy = PathwayPermissionPolicy()
register_permission_policy(Pathway, pathway_policy)

INSPECT = "wagtailsnippets_pathways_pathway:inspect"


def _owner_label(pathway: Pathway) -> str:
    return pathway.organisation.name if pathway.organisation_id else SHARED_PATHWAY_NOTICE


# --- One pathway's views: scoped before anything is shown ---------------------------------------


class PathwayInScope:
    """Wagtail's snippet views check only the model-level permission and look the pathway up
    among all pathways. Here the pathway is looked up among the ones this person may see, so
    another organisation's pathway is a 404 exactly like a missing one (its id cannot be
    probed); a shared pathway they may only read sends them to its read-only page and says why.
    Someone with no pathway permission at all is left to Wagtail's own refusal."""

    permission_action = "view"
    scoped_pathway = None

    def setup(self, request, *args, **kwargs):
        # Before Wagtail's own setup, which may already load (or refuse) the pathway.
        if pathway_policy.user_has_permission(request.user, self.permission_action):
            self.scoped_pathway = get_object_or_404(
                visible_pathways(request.user), pk=unquote(str(kwargs["pk"]))
            )
        super().setup(request, *args, **kwargs)

    def dispatch(self, request, *args, **kwargs):
        pathway = self.scoped_pathway
        if pathway and not pathway_policy.user_has_permission_for_instance(
            request.user, self.permission_action, pathway
        ):
            messages.warning(request, SHARED_PATHWAY_NOTICE)
            return redirect(INSPECT, quote(pathway.pk))
        return super().dispatch(request, *args, **kwargs)


class PathwayIndexView(snippet_views.IndexView):
    def _allowed(self, action, instance):
        return pathway_policy.user_has_permission_for_instance(self.request.user, action, instance)

    def get_edit_url(self, instance):
        return super().get_edit_url(instance) if self._allowed("change", instance) else None

    def get_copy_url(self, instance):
        return super().get_copy_url(instance) if self._allowed("change", instance) else None

    def get_delete_url(self, instance):
        return super().get_delete_url(instance) if self._allowed("delete", instance) else None


class PathwayInspectView(PathwayInScope, snippet_views.InspectView):
    permission_action = "view"

    def _allowed(self, action):
        return pathway_policy.user_has_permission_for_instance(
            self.request.user, action, self.object
        )

    def get_edit_url(self):
        return super().get_edit_url() if self._allowed("change") else None

    def get_delete_url(self):
        return super().get_delete_url() if self._allowed("delete") else None

    def get_field_display_value(self, field_name, field):
        if field_name == "organisation":
            return _owner_label(self.object)
        return super().get_field_display_value(field_name, field)


class PathwayEditView(PathwayInScope, snippet_views.EditView):
    permission_action = "change"


class PathwayCopyView(PathwayInScope, snippet_views.CopyView):
    permission_action = "change"


class PathwayDeleteView(PathwayInScope, snippet_views.DeleteView):
    permission_action = "delete"

    def dispatch(self, request, *args, **kwargs):
        # People's places on the pathway and their stage decisions PROTECT it: say so before the
        # confirmation page rather than fail on the delete.
        pathway = self.scoped_pathway
        if pathway and pathway_policy.user_has_permission_for_instance(
            request.user, "delete", pathway
        ):
            blocking = records_blocking_delete(pathway)
            if blocking:
                return refuse_delete(
                    request,
                    f"{pathway} cannot be deleted: people's records depend on it "
                    f"({describe_records(blocking)}). Leave it in place; edit its stages "
                    "instead.",
                    INSPECT,
                    quote(pathway.pk),
                )
        return super().dispatch(request, *args, **kwargs)


class PathwayHistoryView(PathwayInScope, snippet_views.HistoryView):
    permission_action = "view"


class PathwayUsageView(PathwayInScope, snippet_views.UsageView):
    permission_action = "view"


# --- Choosers and bulk actions: the same scope ----------------------------------------------------


class VisiblePathwaysOnly:
    def get_object_list(self):
        return visible_pathways(self.request.user)


class PathwayChooseView(VisiblePathwaysOnly, snippet_chooser.ChooseView):
    pass


class PathwayChooseResultsView(VisiblePathwaysOnly, snippet_chooser.ChooseResultsView):
    pass


class PathwayChosenView(snippet_chooser.SnippetChosenView):
    def get_object(self, pk):
        return visible_pathways(self.request.user).get(pk=pk)


class PathwayChosenMultipleView(snippet_chooser.SnippetChosenMultipleView):
    def get_objects(self, pks):
        return visible_pathways(self.request.user).filter(pk__in=pks)


class PathwayChooserViewSet(snippet_chooser.SnippetChooserViewSet):
    choose_view_class = PathwayChooseView
    choose_results_view_class = PathwayChooseResultsView
    chosen_view_class = PathwayChosenView
    chosen_multiple_view_class = PathwayChosenMultipleView


class PathwayDeleteBulkAction(DeleteBulkAction):
    """Bulk delete looks pathways up among the visible ones: naming another organisation's
    pathway (or asking for "all") never shows or touches it."""

    models = [Pathway]

    def get_all_objects_in_listing_query(self, parent_id):
        return visible_pathways(self.request.user).values_list("pk", flat=True)

    def get_queryset(self, model, object_ids):
        wanted = {str(pk) for pk in object_ids}
        pathways = list(visible_pathways(self.request.user).filter(pk__in=wanted))
        if not pathways or len(pathways) != len(wanted):
            raise Http404("No such pathway.")
        return pathways


# Registered after Wagtail's own snippet bulk actions, so this one wins for pathways.
hooks.register("register_bulk_action", PathwayDeleteBulkAction, order=100)


def _filterable_organisations(request):
    """The organisation filter names only organisations this person's pathways belong to."""
    visible = visible_pathways(request.user).exclude(organisation__isnull=True)
    return Organisation.objects.filter(pk__in=visible.values("organisation_id"))


class PathwayFilterSet(WagtailFilterSet):
    organisation = django_filters.ModelChoiceFilter(queryset=_filterable_organisations)

    class Meta:
        model = Pathway
        fields = ["organisation"]


class PathwayViewSet(SnippetViewSet):
    model = Pathway
    icon = "list-ol"
    menu_label = "Pathways"
    add_to_admin_menu = True
    menu_order = 300
    list_display = [
        "name",
        Column("owner", label="Organisation", accessor=_owner_label),
        "framework",
    ]
    filterset_class = PathwayFilterSet
    inspect_view_enabled = True
    inspect_view_fields = ["name", "organisation", "framework", "description"]
    # Organisation admins may only pick their own organisations (see PathwayAdminForm).
    edit_handler = ObjectList(Pathway.panels, base_form_class=PathwayAdminForm)
    index_view_class = PathwayIndexView
    inspect_view_class = PathwayInspectView
    edit_view_class = PathwayEditView
    copy_view_class = PathwayCopyView
    delete_view_class = PathwayDeleteView
    history_view_class = PathwayHistoryView
    usage_view_class = PathwayUsageView
    chooser_viewset_class = PathwayChooserViewSet

    def get_queryset(self, request):
        return visible_pathways(request.user).select_related("organisation", "framework")


class CompetenceFrameworkViewSet(ModelViewSet):
    """Frameworks have no organisation: every organisation's pathways are built on them, so
    only site administrators (and people given the Django permissions) manage them."""

    model = CompetenceFramework
    icon = "form"
    menu_label = "Competence frameworks"
    add_to_admin_menu = True
    menu_order = 310
    form_fields = ["name", "slug", "description"]
    list_display = ["name", "slug"]


class _RefreshesReadiness:
    """A competence added, changed or removed changes what "signed off in domain N" asks for:
    everyone on a pathway reading its framework is re-evaluated."""

    def _refresh(self, framework_id):
        readiness_refresh_framework_later(framework_id=framework_id)


class CompetenceCreateView(_RefreshesReadiness, generic.CreateView):
    def save_instance(self):
        instance = super().save_instance()
        self._refresh(instance.framework_id)
        return instance


class CompetenceEditView(_RefreshesReadiness, generic.EditView):
    def save_instance(self):
        before = Competence.objects.get(pk=self.object.pk).framework_id
        instance = super().save_instance()
        for framework_id in {before, instance.framework_id}:
            self._refresh(framework_id)
        return instance


class CompetenceDeleteView(_RefreshesReadiness, generic.DeleteView):
    def delete_action(self):
        framework_id = self.object.framework_id
        super().delete_action()
        self._refresh(framework_id)


class CompetenceViewSet(ModelViewSet):
    model = Competence
    add_view_class = CompetenceCreateView
    edit_view_class = CompetenceEditView
    delete_view_class = CompetenceDeleteView
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


class FrameworkImportMenuItem(MenuItem):
    """Shown only to people the import view lets in."""

    def is_shown(self, request):
        return admin_views.may_manage_frameworks(request.user)


@hooks.register("register_admin_menu_item")
def framework_import_menu_item():
    return FrameworkImportMenuItem(
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
    summary = kept_readiness(organisation=organisations[0])
    return Panel(
        title="Workforce readiness",
        template_name="pathways/panels/readiness.html",
        context={"readiness": summary, "others": organisations[1:]},
        order=15,
    )


@hooks.register("learning_changed")
def learning_changed(user_ids):
    """Courses started, modules and courses completed, refreshers: readiness may have moved."""
    readiness_refresh_later(user_ids=user_ids)


@hooks.register("after_create_snippet")
@hooks.register("after_edit_snippet")
def pathway_edited(request, instance):
    """Stages and requirements are edited with their pathway: re-evaluate everyone on it."""
    if isinstance(instance, Pathway):
        readiness_refresh_pathway_later(pathway_id=instance.pk)


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


@hooks.register("seed_demo", order=1000)
def fill_kept_readiness(kernel, log):
    """Last of the demo seeds (after mentoring's sessions): the demo writes its rows directly,
    so keep everyone's readiness in one bulk pass."""
    log(f"Kept readiness filled for {readiness_fill()} pathway places.")


hooks.register("data_export", pathways_export_part)
hooks.register("report_exports", lambda: REPORT_KINDS)

hooks.register("data_erase", erase_pathway_data)
# The kernel's one clock (lms.clock) learns everyone's wellbeing pauses from here.
hooks.register("pause_periods", pause_periods)


@hooks.register("retention_sweep")
def pathways_retention_sweep(now):
    """Ended wellbeing pauses lose their private note after a while (docs/privacy.md)."""
    return {"wellbeing pause notes cleared": pause_notes_clear_old(now=now)}
