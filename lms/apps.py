from django.apps import AppConfig
from wagtail.users.apps import WagtailUsersAppConfig


class LmsConfig(AppConfig):
    default = True  # two configs live here; this one is the app's (the other is Wagtail's users)
    name = "lms"
    verbose_name = "Peer Pathways kernel"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from lms.sessions import session_start

        # Every way of signing in (our form, an accepted invitation, a second step) stamps the
        # session, so its limits apply from the first request.
        user_logged_in.connect(session_start, dispatch_uid="lms.sessions.session_start")


class UsersAppConfig(WagtailUsersAppConfig):
    """Wagtail's user admin, with forms for our email-and-display-name user model."""

    user_viewset = "lms.admin_views.UserViewSet"
