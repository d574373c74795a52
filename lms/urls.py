"""The one place that wires every app's urls."""

from django.conf import settings
from django.urls import include, path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from lms import (
    audit_views,
    draft_pages,
    erasure_views,
    report_export_views,
    signin_views,
    views,
)
from lms.two_factor import views as two_factor_views

app_urls = (
    [
        path("accounts/login/", views.LoginView.as_view(), name="login"),
        path("accounts/login/code/", two_factor_views.login_code, name="login-code"),
        path("accounts/logout/", views.LogoutView.as_view(), name="logout"),
        path("accounts/password-reset/", views.password_reset_request, name="password-reset"),
        path(
            "accounts/password-reset/sent/", views.password_reset_done, name="password-reset-done"
        ),
        path(
            "accounts/password-reset/<uidb64>/<token>/",
            views.PasswordResetConfirmView.as_view(),
            name="password-reset-confirm",
        ),
        path(
            "accounts/password-reset/complete/",
            views.PasswordResetCompleteView.as_view(),
            name="password-reset-complete",
        ),
        path("accounts/password/", views.PasswordChangeView.as_view(), name="password-change"),
        path("accounts/", views.account, name="account"),
        path("accounts/data-export/", views.data_export_request_view, name="data-export"),
        path(
            "accounts/data-export/<int:pk>/download/",
            views.data_export_download,
            name="data-export-download",
        ),
        path("accounts/two-factor/", two_factor_views.two_factor_setup, name="two-factor"),
        path("accounts/two-factor/off/", two_factor_views.two_factor_off, name="two-factor-off"),
        path(
            "accounts/two-factor/recovery-codes/",
            two_factor_views.two_factor_recovery_codes,
            name="two-factor-recovery-codes",
        ),
        path(
            "accounts/sign-out-everywhere/",
            signin_views.sign_out_everywhere,
            name="sign-out-everywhere",
        ),
        path(
            "accounts/history/<slug:slug>/",
            views.history_share_view,
            name="history-share",
        ),
        path("invitations/<str:token>/", views.invitation_accept_view, name="invitation-accept"),
        path("organisations/<slug:slug>/people/", views.members, name="members"),
        path("organisations/<slug:slug>/people/invite/", views.invite, name="invite"),
        path(
            "organisations/<slug:slug>/invitations/<int:pk>/resend/",
            views.invitation_resend_view,
            name="invitation-resend",
        ),
        path(
            "organisations/<slug:slug>/invitations/<int:pk>/withdraw/",
            views.invitation_withdraw_view,
            name="invitation-withdraw",
        ),
        path(
            "organisations/<slug:slug>/people/<int:user_id>/roles/",
            views.membership_add_view,
            name="membership-add",
        ),
        path(
            "organisations/<slug:slug>/people/<int:user_id>/unlock/",
            signin_views.account_unlock_view,
            name="account-unlock",
        ),
        path(
            "organisations/<slug:slug>/roles/<int:pk>/end/",
            views.membership_end_view,
            name="membership-end",
        ),
        path(
            "organisations/<slug:slug>/roles/<int:pk>/restore/",
            views.membership_restore_view,
            name="membership-restore",
        ),
        path(
            "organisations/<slug:slug>/people/<int:user_id>/erase/",
            erasure_views.erasure_confirm,
            name="erasure-confirm",
        ),
        path(
            "organisations/<slug:slug>/people/<int:user_id>/erase/cancel/",
            erasure_views.erasure_cancel,
            name="erasure-cancel",
        ),
        path("organisations/<slug:slug>/audit/", audit_views.audit_log, name="audit-log"),
        path(
            "organisations/<slug:slug>/exports/<int:pk>/",
            report_export_views.report_export_status,
            name="report-export",
        ),
        path(
            "organisations/<slug:slug>/exports/<int:pk>/download/",
            report_export_views.report_export_download,
            name="report-export-download",
        ),
        path(
            "organisations/<slug:slug>/security/",
            two_factor_views.organisation_security,
            name="organisation-security",
        ),
        path("audit/", audit_views.audit_log_all, name="audit-log-all"),
        path("privacy/", views.privacy_notice, name="privacy"),
        path(
            "organisations/<slug:slug>/privacy-contact/",
            views.privacy_contact,
            name="privacy-contact",
        ),
    ],
    "lms",
)

# One way in: Wagtail's sign-in forms send people to ours, and its shared-password forms are
# rate-limited (lms.signin_views). Ahead of the Wagtail urls they replace.
one_way_in = [
    path("admin/login/", signin_views.sign_in_here),
    path("_util/login/", signin_views.sign_in_here),
    path(
        "_util/authenticate_with_password/<int:page_view_restriction_id>/<int:page_id>/",
        signin_views.page_password,
        name="wagtailcore_authenticate_with_password",
    ),
    path(
        "documents/authenticate_with_password/<int:restriction_id>/",
        signin_views.document_password,
        name="wagtaildocs_authenticate_with_password",
    ),
]

urlpatterns = [
    # For load balancers: answers "ok" without touching the database (lms.views.healthz).
    path("healthz/", views.healthz, name="healthz"),
    *one_way_in,
    # Ahead of Wagtail's admin: views that keep drafts from people who cannot edit them.
    path("admin/", include(draft_pages.urlpatterns)),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("", include(app_urls)),
    path("", include("courses.urls")),
    path("", include("pathways.urls")),
    path("", include("mentoring.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    # Images only. Documents are served by Wagtail's serve view, which checks that a live page
    # uses them (lms.documents); serving MEDIA_ROOT whole would hand out drafts' documents.
    for folder in ("original_images", "images"):
        urlpatterns += static(
            f"{settings.MEDIA_URL}{folder}/", document_root=settings.MEDIA_ROOT / folder
        )

# Wagtail's page serving comes last: it matches every path that nothing above claimed.
urlpatterns.append(path("", include(wagtail_urls)))
