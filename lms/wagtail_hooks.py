from django.contrib import messages
from django.shortcuts import redirect
from wagtail import hooks
from wagtail.models import Page
from wagtail.permissions import register_permission_policy

from lms.admin_views import (
    AuditEventViewSet,
    MembershipViewSet,
    OrganisationViewSet,
    ReadOnlyPolicy,
    UserDeleteBulkAction,
)
from lms.dashboard import organisations_panel
from lms.documents import refuse_unpublished_document, scope_admin_api
from lms.draft_pages import restrict_page_chooser
from lms.models import AuditEvent
from lms.records import describe_records, records_blocking_delete_of_many
from lms.report_exports import report_export_files_remove_listing
from lms.retention import kernel_retention_sweep
from lms.two_factor.panels import organisation_security_tab

register_permission_policy(AuditEvent, ReadOnlyPolicy(AuditEvent))


@hooks.register("register_admin_viewset")
def register_kernel_viewsets():
    return [
        OrganisationViewSet("organisations"),
        MembershipViewSet("memberships"),
        AuditEventViewSet("audit-log"),
    ]


hooks.register("dashboard_panels", organisations_panel)


@hooks.register("before_bulk_action")
def refuse_bulk_delete_of_records(request, action_type, objects, action):
    """A bulk delete of anything records depend on (other than pages, which `courses` checks
    with their descendants) is refused whole, saying why, before anything is deleted."""
    if action_type != "delete":
        return None
    blocked = [obj for obj in objects if not isinstance(obj, Page)]
    blocking = records_blocking_delete_of_many(blocked)
    if not blocking:
        return None
    messages.error(
        request,
        "Nothing was deleted: records depend on what you chose "
        f"({describe_records(blocking)}), and deleting it would delete them too.",
    )
    back = action.next_url if action.next_url != request.path else None
    return redirect(back or "wagtailadmin_home")


# After Wagtail's own user bulk delete, which this replaces: people with records are erased.
hooks.register("register_bulk_action", UserDeleteBulkAction, order=100)
hooks.register("organisation_tabs", organisation_security_tab)

# Drafts stay with their editors: no unpublished page's title in the page chooser, no document
# used only by unpublished pages served, no document or image listed to people who cannot use it.
hooks.register("construct_page_chooser_queryset", restrict_page_chooser)
hooks.register("before_serve_document", refuse_unpublished_document)
# After Wagtail's own registration of these endpoints, which this replaces.
hooks.register("construct_admin_api", scope_admin_api, order=100)

# Old invitations, task results and sessions; the apps add their own records' rules.
hooks.register("retention_sweep", kernel_retention_sweep)
hooks.register("data_erase", report_export_files_remove_listing)
