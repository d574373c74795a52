"""The site's URLs plus the framework admin views, wrapped as `register_admin_urls` wraps them,
so the view tests do not depend on how the hooks are wired."""

from django.urls import path
from wagtail.admin.auth import require_admin_access

from lms.urls import urlpatterns as site_urlpatterns
from pathways import admin_views

urlpatterns = [
    path(
        "admin/pathways/frameworks/import/",
        require_admin_access(admin_views.framework_import_view),
        name="pathways_framework_import",
    ),
    path(
        "admin/pathways/frameworks/<int:pk>/export/<str:fmt>/",
        require_admin_access(admin_views.framework_export_view),
        name="pathways_framework_export",
    ),
    *site_urlpatterns,
]
