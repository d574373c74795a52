"""Erasing a person who has left (docs/privacy.md, "Erasure").

An org admin (or an operator with `manage.py erase_person`) asks; after a grace period, during
which the request can be cancelled, a task erases. Each app erases its own data through the
Wagtail hook `data_erase` (`fn(user) -> None`, idempotent, run in its own transaction); the kernel
then turns the account into a placeholder. The user row stays, so other people's records that
point at the person (a mentee's sessions, a coordinator's decisions, audit events) keep pointing
at something and nobody else's row is deleted.
"""

import hashlib
import hmac
import logging
from datetime import timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from wagtail import hooks

from lms.models import (
    AuditEvent,
    ErasureRequest,
    HistoryShare,
    Invitation,
    Membership,
    Organisation,
    Role,
    User,
)
from lms.queue import enqueue
from lms.selectors import ERASED_DOMAIN, erased_label
from lms.services import audit_record

log = logging.getLogger(__name__)


# --- The opaque reference ---------------------------------------------------------------------


def _digest(user_id: int) -> str:
    # Keyed, so the reference cannot be recomputed from an id by someone without SECRET_KEY.
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, f"erasure:{user_id}".encode(), hashlib.sha256).hexdigest()[:12]


def erasure_ref(user_id: int) -> str:
    """The same opaque reference for every event of one erased person."""
    return f"erased:{_digest(user_id)}"


def is_erased(user: User) -> bool:
    return user.email.endswith(f"@{ERASED_DOMAIN}")


# --- Who may be erased --------------------------------------------------------------------------


def _roles_elsewhere(person: User, organisation: Organisation | None):
    active = Membership.objects.active().filter(user=person).select_related("organisation")
    return active.exclude(organisation=organisation) if organisation is not None else active.none()


def _organisations_left_without_admin(person: User) -> list[Organisation]:
    """Organisations where the person is the only org admin today."""
    admin_of = Membership.objects.active().filter(user=person, role=Role.ORG_ADMIN)
    return [
        m.organisation
        for m in admin_of.select_related("organisation")
        if not Membership.objects.active()
        .filter(organisation=m.organisation, role=Role.ORG_ADMIN)
        .exclude(user=person)
        .exists()
    ]


def erasure_refusal(*, person: User, organisation: Organisation | None, by: User | None) -> str:
    """Why this person cannot be erased now (plain English), or "" when they can."""
    if is_erased(person):
        return "This person's data has already been erased."
    if person.is_superuser:
        return "Site administrators cannot be erased. Remove their admin access first."
    if by is not None and by.pk == person.pk:
        return "You cannot erase your own data here. Ask another admin of your organisation."
    pending = ErasureRequest.objects.open().filter(person=person).first()
    if pending is not None:
        when = timezone.localtime(pending.erase_after)
        return f"An erasure of {person} is already scheduled for {when:%-d %B %Y}."
    elsewhere = _roles_elsewhere(person, organisation).first()
    if elsewhere is not None:
        return (
            f"{person} still holds a role at {elsewhere.organisation}. Their records there are "
            "not yours to delete. End their roles here instead."
        )
    alone = _organisations_left_without_admin(person)
    if alone:
        return f"{person} is the only admin of {alone[0]}. Make someone else an admin first."
    return ""


def erase_after_from(now=None):
    return (now or timezone.now()) + timedelta(days=settings.ERASURE_GRACE_DAYS)


# --- Asking, cancelling -----------------------------------------------------------------------


@transaction.atomic
def erasure_request_create(
    *,
    person: User,
    organisation: Organisation | None,
    by: User | None,
    reason: str,
    without_grace: bool = False,
) -> ErasureRequest:
    """Schedule the erasure of a person after the grace period (or at once, for the command's
    `--now`). Refused, changing nothing, when `erasure_refusal` gives a reason."""
    # The person's row is locked so two admins asking at once are answered one after the other.
    person = User.objects.select_for_update().get(pk=person.pk)
    refusal = erasure_refusal(person=person, organisation=organisation, by=by)
    if refusal:
        raise ValidationError(refusal)
    if not reason.strip():
        raise ValidationError({"reason": "Say why this person's data is being erased."})
    now = timezone.now()
    try:
        with transaction.atomic():
            erasure = ErasureRequest.objects.create(
                person=person,
                organisation=organisation,
                requested_by=by,
                reason=reason.strip(),
                requested_at=now,
                erase_after=now if without_grace else erase_after_from(now),
            )
    except IntegrityError:
        raise ValidationError(f"An erasure of {person} is already scheduled.") from None
    audit_record(
        actor=by,
        action="lms.erasure.requested",
        subject=erasure,
        subject_user=person,
        organisation=organisation,
    )
    return erasure


@transaction.atomic
def erasure_request_cancel(*, erasure: ErasureRequest, by: User | None) -> ErasureRequest:
    """Cancel a scheduled erasure during its grace period."""
    erasure = ErasureRequest.objects.select_for_update().get(pk=erasure.pk)
    if erasure.completed_at is not None:
        raise ValidationError("This erasure has already been carried out. It cannot be undone.")
    if erasure.cancelled_at is not None:
        raise ValidationError("This erasure was already cancelled.")
    if erasure.erase_after <= timezone.now():
        # Once the grace period is over the erasure may be under way: cancelling half-way would
        # leave some of the person's data deleted and the account still theirs.
        raise ValidationError("The grace period is over and the erasure is under way.")
    return _cancel(erasure, by)


def _cancel(erasure: ErasureRequest, by: User | None) -> ErasureRequest:
    erasure.cancelled_at = timezone.now()
    erasure.cancelled_by = by
    erasure.save(update_fields=["cancelled_at", "cancelled_by"])
    audit_record(
        actor=by,
        action="lms.erasure.cancelled",
        subject=erasure,
        subject_user=erasure.person,
        organisation=erasure.organisation,
    )
    return erasure


# --- Erasing ----------------------------------------------------------------------------------


def erasures_due_run() -> int:
    """Queue every erasure whose grace period is over (the scheduled task)."""
    due = list(ErasureRequest.objects.due().values_list("pk", flat=True))
    for pk in due:
        enqueue("lms.tasks.erase_person", pk)
    return len(due)


def _claim(erasure_id: int) -> ErasureRequest | None:
    """The open request, if it is due; None when there is nothing (more) to do."""
    erasure = ErasureRequest.objects.select_related("person", "organisation").get(pk=erasure_id)
    if not erasure.is_open or erasure.erase_after > timezone.now():
        return None
    return erasure


def _cancel_when_no_longer_ours(erasure: ErasureRequest) -> bool:
    """A person who took a role at another organisation during the grace period is no longer
    ours alone to erase: the request is cancelled (audited, by nobody) rather than carried out."""
    if erasure.organisation is None or not _roles_elsewhere(erasure.person, erasure.organisation):
        return False
    with transaction.atomic():
        _cancel(ErasureRequest.objects.select_for_update().get(pk=erasure.pk), None)
    log.warning("Erasure %s cancelled: the person holds a role elsewhere.", erasure.pk)
    return True


def person_erase(*, erasure_id: int) -> bool:
    """Carry out a due erasure: each app's part through the `data_erase` hook, then the account.
    Safe to run twice; True when this call erased."""
    erasure = _claim(erasure_id)
    if erasure is None or _cancel_when_no_longer_ours(erasure):
        return False
    person = erasure.person
    for erase_part in hooks.get_hooks("data_erase"):
        # One transaction per app: a part that fails leaves the others done, and the request
        # open, so the next run finishes the job (every part is idempotent).
        with transaction.atomic():
            erase_part(person)
    return _erase_account(erasure_id)


@transaction.atomic
def _erase_account(erasure_id: int) -> bool:
    erasure = ErasureRequest.objects.select_for_update().select_related("person").get(pk=erasure_id)
    if not erasure.is_open:
        return False
    person = erasure.person
    ref = erasure_ref(person.pk)
    old_email = person.email
    _end_memberships_and_shares(person)
    _scrub_invitations(person, old_email)
    _scrub_admin_history(person)
    _anonymise_user(person, ref)
    erasure.completed_at = timezone.now()
    erasure.save(update_fields=["completed_at"])
    audit_record(
        actor=None,
        action="lms.erasure.completed",
        subject=erasure,
        subject_user=person,
        organisation=erasure.organisation,
    )
    # Last, so the events above are covered too.
    AuditEvent.objects._pseudonymise_for_erasure(user_id=person.pk, ref=ref)
    return True


def _end_memberships_and_shares(person: User) -> None:
    today = timezone.localdate()
    open_roles = Membership.objects.filter(user=person).exclude(active_to__lte=today)
    # A role that never applied (starting today or later) has no period to keep.
    open_roles.filter(active_from__gte=today).delete()
    open_roles.update(active_to=today)
    HistoryShare.objects.filter(user=person, ended_at=None).update(ended_at=timezone.now())


def _scrub_invitations(person: User, old_email: str) -> None:
    invitations = Invitation.objects.filter(email__iexact=old_email) | Invitation.objects.filter(
        accepted_by=person
    )
    invitations.filter(accepted_at__isnull=True).delete()
    Invitation.objects.filter(pk__in=invitations.values("pk")).update(
        email=f"erased-{_digest(person.pk)}@{ERASED_DOMAIN}", display_name=""
    )


def _scrub_admin_history(person: User) -> None:
    """Admin histories label a changed object with its name at the time: forget the person's."""
    from django.contrib.admin.models import LogEntry
    from wagtail.models import ModelLogEntry
    from wagtail.users.models import UserProfile

    user_type = ContentType.objects.get_for_model(User)
    label = erased_label(erasure_ref(person.pk))
    ModelLogEntry.objects.filter(content_type=user_type, object_id=str(person.pk)).update(
        label=label, data={}
    )
    LogEntry.objects.filter(content_type=user_type, object_id=str(person.pk)).update(
        object_repr=label, change_message=""
    )
    for profile in UserProfile.objects.filter(user=person):
        if profile.avatar:
            name, storage = profile.avatar.name, profile.avatar.storage
            transaction.on_commit(lambda n=name, s=storage: s.delete(n))
        profile.delete()


def _anonymise_user(person: User, ref: str) -> None:
    person.email = f"erased-{_digest(person.pk)}@{ERASED_DOMAIN}"
    person.display_name = erased_label(ref)
    person.pronouns = ""
    # A new (unusable) password also changes the session hash, which signs every session out.
    person.set_unusable_password()
    person.is_active = False
    person.is_staff = False
    person.is_superuser = False
    person.last_login = None
    person.save()
    person.groups.clear()
    person.user_permissions.clear()
