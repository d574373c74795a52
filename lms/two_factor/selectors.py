"""Who has two-factor sign-in, and who must use it."""

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import BooleanField
from django.db.models.expressions import RawSQL
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from lms.models import Membership, Organisation, User
from lms.selectors import active_memberships, remember_roles, roles_for_user


@dataclass(frozen=True)
class SignInFacts:
    """Two things every page asks about the signed-in person (the two-factor middleware and the
    navigation): whether they have two-factor sign-in, and whether a group or a permission of
    their own lets them open the Wagtail admin."""

    has_two_factor: bool
    admin_by_permission: bool


def sign_in_facts(*, user: User) -> SignInFacts:
    """Both facts in one query, with the person's roles today when nothing has read those yet,
    remembered on this request's user object (like their roles): a device confirmed or a group
    given mid-request counts from the next request."""
    cached = getattr(user, "_sign_in_facts", None)
    if cached is not None:
        return cached
    row = None
    if user.is_authenticated and getattr(user, "_roles_for_user", None) is None:
        # Every page asks for the person's roles too: read them in the same query, as
        # `roles_for_user` would (a person with no membership today gets no row, so their facts
        # are read on their own below).
        memberships = list(
            active_memberships(user=user).annotate(**_facts_about(_column(Membership, "user_id")))
        )
        remember_roles(user=user, memberships=memberships)
        if memberships:
            row = {name: getattr(memberships[0], name) for name in SIGN_IN_FACTS}
    if row is None:
        row = User.objects.filter(pk=user.pk).values(**_facts_about(_column(User, "id"))).get()
    user._sign_in_facts = SignInFacts(
        has_two_factor=row["has_two_factor"],
        admin_by_permission=user.is_active and row["admin_by_permission"],
    )
    return user._sign_in_facts


SIGN_IN_FACTS = ("has_two_factor", "admin_by_permission")


def _column(model, name: str) -> str:
    quote = connection.ops.quote_name
    return f"{quote(model._meta.db_table)}.{quote(name)}"


def _facts_about(column: str) -> dict:
    """The two facts as annotations about the user whose id is in `column` of the query's own
    table: a confirmed authenticator app, and Wagtail's `access_admin` permission given to them
    or to one of their groups. Written as SQL because every page asks: Django builds the same
    subqueries from expressions at about as much CPU again as the rest of the query."""
    quote = connection.ops.quote_name
    names = {
        "person": column,
        "device": quote(TOTPDevice._meta.db_table),
        "permission": quote(Permission._meta.db_table),
        "content_type": quote(ContentType._meta.db_table),
        "user_permission": quote(User.user_permissions.through._meta.db_table),
        "user_group": quote(User.groups.through._meta.db_table),
        "group_permission": quote(Group.permissions.through._meta.db_table),
    }
    # Only quoted table and column names from the models go into the SQL; values are parameters.
    has_two_factor = _HAS_TWO_FACTOR.format(**names)
    may_open_admin = _MAY_OPEN_ADMIN.format(**names)
    return {
        "has_two_factor": RawSQL(has_two_factor, [], output_field=BooleanField()),  # noqa: S611
        "admin_by_permission": RawSQL(  # noqa: S611
            may_open_admin, ["wagtailadmin", "access_admin"], output_field=BooleanField()
        ),
    }


_HAS_TWO_FACTOR = 'EXISTS(SELECT 1 FROM {device} d WHERE d."user_id" = {person} AND d."confirmed")'
_MAY_OPEN_ADMIN = (
    "EXISTS(SELECT 1 FROM {permission} p"
    ' INNER JOIN {content_type} ct ON p."content_type_id" = ct."id"'
    ' WHERE ct."app_label" = %s AND p."codename" = %s AND ('
    "EXISTS(SELECT 1 FROM {user_permission} up"
    ' WHERE up."permission_id" = p."id" AND up."user_id" = {person})'
    " OR EXISTS(SELECT 1 FROM {group_permission} gp"
    ' INNER JOIN {user_group} ug ON gp."group_id" = ug."group_id"'
    ' WHERE gp."permission_id" = p."id" AND ug."user_id" = {person})))'
)


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
    return sign_in_facts(user=user).admin_by_permission


def organisations_requiring_two_factor(*, user: User) -> list[Organisation]:
    """Organisations where the person is a coordinator or org admin today and which ask their
    staff to use two factors, by name (from the roles the request has already read)."""
    return [
        entry.organisation
        for entry in roles_for_user(user=user)
        if entry.is_staff and entry.organisation.require_two_factor_for_staff
    ]


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
