from django.apps import AppConfig
from wagtail.users.apps import WagtailUsersAppConfig


class LmsConfig(AppConfig):
    name = "lms"
    verbose_name = "Peer Pathways kernel"
    default_auto_field = "django.db.models.BigAutoField"


class UsersAppConfig(WagtailUsersAppConfig):
    """Wagtail's user admin, with forms for our email-and-display-name user model."""

    user_viewset = "lms.admin_views.UserViewSet"
