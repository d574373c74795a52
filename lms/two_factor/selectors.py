"""Who has two-factor sign-in, and who must use it."""

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from lms.models import STAFF_ROLES, Membership, Organisation, User


def confirmed_device(*, user: User) -> TOTPDevice | None:
    """The person's authenticator app, once they have proved it works; None before that."""
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).first()


def has_two_factor(*, user: User) -> bool:
    """Whether signing in asks this person for a code. An unconfirmed device does not count."""
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).exists()


def recovery_codes_left(*, user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def _is_admin_by_permission(user: User) -> bool:
    # Editors and moderators reach the Wagtail admin through their groups. Org admins reach it
    # through lms.backends.RoleBackend, for their own pathways only; for them it is their
    # organisation's choice (`Organisation.require_two_factor_for_staff`), so only the
    # group and user permissions are asked here.
    return ModelBackend().has_perm(user, "wagtailadmin.access_admin")


def organisations_requiring_two_factor(*, user: User) -> list[Organisation]:
    """Organisations where the person is a coordinator or org admin today and which ask their
    staff to use two factors."""
    memberships = (
        Membership.objects.active()
        .filter(user=user, role__in=STAFF_ROLES, organisation__require_two_factor_for_staff=True)
        .select_related("organisation")
        .order_by("organisation__name")
    )
    return list({m.organisation_id: m.organisation for m in memberships}.values())


def two_factor_reasons(*, user: User) -> list[str]:
    """Why this person must use two-factor sign-in, in plain words; empty when they need not."""
    reasons = []
    if settings.TWO_FACTOR_REQUIRED_FOR_ADMINS:
        if user.is_superuser:
            reasons.append("You are a site administrator.")
        elif _is_admin_by_permission(user):
            reasons.append("You can change the site's content in the admin.")
    for organisation in organisations_requiring_two_factor(user=user):
        reasons.append(f"{organisation.name} asks this of its coordinators and admins.")
    return reasons


def is_two_factor_required(*, user: User) -> bool:
    return bool(two_factor_reasons(user=user))
