from wagtail import hooks
from wagtail.permissions import register_permission_policy

from lms.admin_views import (
    AuditEventViewSet,
    MembershipViewSet,
    OrganisationViewSet,
    ReadOnlyPolicy,
)
from lms.dashboard import organisations_panel
from lms.models import AuditEvent

register_permission_policy(AuditEvent, ReadOnlyPolicy(AuditEvent))


@hooks.register("register_admin_viewset")
def register_kernel_viewsets():
    return [
        OrganisationViewSet("organisations"),
        MembershipViewSet("memberships"),
        AuditEventViewSet("audit-log"),
    ]


hooks.register("dashboard_panels", organisations_panel)
