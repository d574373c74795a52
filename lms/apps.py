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

        from django_q.signals import post_spawn

        # When the cluster starts (each worker it spawns), hand over what waits in the outbox.
        post_spawn.connect(relay_when_a_worker_starts, dispatch_uid="lms.queue.relay")


def relay_when_a_worker_starts(sender, proc_name, **kwargs):
    import logging

    from django_q.conf import Conf

    from lms.queue import relay

    if Conf.SYNC:
        return  # tasks run inline (tests): there is no cluster starting
    try:
        relay()
    except Exception:
        logging.getLogger("lms.queue").exception("The outbox relay failed as a worker started.")


class UsersAppConfig(WagtailUsersAppConfig):
    """Wagtail's user admin, with forms for our email-and-display-name user model."""

    user_viewset = "lms.admin_views.UserViewSet"
