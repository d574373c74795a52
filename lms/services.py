"""Writes for the kernel: invitations, memberships, data exports and the audit log."""

import secrets
import tempfile
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import IntegrityError, transaction
from django.db.models import Model
from django.utils import timezone

from lms.data_export import write_export_zip
from lms.models import (
    PRIVACY_CONTACT_MAX,
    AuditEvent,
    DataExport,
    HistoryShare,
    Invitation,
    Membership,
    Organisation,
    Role,
    User,
    _new_nonce,
)
from lms.queue import enqueue
from lms.selectors import organisation_shared_by
from lms.sessions import user_sessions_end

_INVITATION_SALT = "lms.invitation"


def audit_record(
    *,
    actor: User | None,
    action: str,
    subject: Model | None = None,
    subject_user: User | None = None,
    organisation: Organisation | None = None,
    detail: dict | None = None,
) -> AuditEvent:
    """Append one event to the audit log."""
    return AuditEvent.objects.create(
        actor=actor if actor and actor.is_authenticated else None,
        action=action,
        subject_type=subject._meta.label_lower if subject is not None else "",
        subject_id=str(subject.pk) if subject is not None else "",
        subject_user=subject_user,
        organisation=organisation,
        detail=detail or {},
    )


# --- Invitations ------------------------------------------------------------------------------


class InvitationLinkError(Exception):
    """An invitation link that cannot be used; `reason` is one of the class constants."""

    INVALID = "invalid"
    EXPIRED = "expired"
    USED = "used"

    def __init__(self, reason: str, invitation: Invitation | None = None):
        super().__init__(reason)
        self.reason = reason
        self.invitation = invitation


def invitation_token(*, invitation: Invitation) -> str:
    return signing.dumps([invitation.pk, invitation.nonce], salt=_INVITATION_SALT)


def invitation_from_token(*, token: str) -> Invitation:
    """The invitation a link stands for, or InvitationLinkError saying why it cannot be used."""
    try:
        pk, nonce = signing.loads(token, salt=_INVITATION_SALT)
        invitation = Invitation.objects.select_related("organisation").get(pk=pk)
    except (signing.BadSignature, ValueError, TypeError, Invitation.DoesNotExist):
        raise InvitationLinkError(InvitationLinkError.INVALID) from None
    if invitation.is_accepted:
        raise InvitationLinkError(InvitationLinkError.USED, invitation)
    if nonce != invitation.nonce:
        # A newer link was sent; this one was retired.
        raise InvitationLinkError(InvitationLinkError.EXPIRED, invitation)
    if invitation.is_expired:
        raise InvitationLinkError(InvitationLinkError.EXPIRED, invitation)
    return invitation


def _invitation_expiry():
    return timezone.now() + timedelta(days=settings.INVITATION_VALID_DAYS)


@transaction.atomic
def invitation_create(
    *, organisation: Organisation, email: str, role: str, display_name: str = "", invited_by: User
) -> Invitation:
    """Invite someone to hold `role` in `organisation`; the email goes out after commit."""
    email = email.strip().lower()
    if (
        Membership.objects.active()
        .filter(organisation=organisation, user__email=email, role=role)
        .exists()
    ):
        raise ValidationError(
            {"email": f"{email} is already a {Role(role).label.lower()} in {organisation}."}
        )
    try:
        with transaction.atomic():
            invitation = Invitation.objects.create(
                organisation=organisation,
                email=email,
                role=role,
                display_name=display_name.strip(),
                invited_by=invited_by,
                expires_at=_invitation_expiry(),
            )
    except IntegrityError:
        raise ValidationError(
            {
                "email": f"{email} has already been invited as a {Role(role).label.lower()}. "
                "You can send the invitation again from the list of open invitations."
            }
        ) from None
    audit_record(
        actor=invited_by,
        action="invitation.created",
        subject=invitation,
        organisation=organisation,
        detail={"role": role},
    )
    enqueue("lms.tasks.send_invitation_email", invitation.pk)
    return invitation


@transaction.atomic
def invitation_resend(*, invitation: Invitation, by: User) -> Invitation:
    """Send a fresh link (the old one stops working) and restart the expiry clock."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.is_accepted:
        raise ValidationError(f"{invitation.email} has already accepted this invitation.")
    invitation.nonce = _new_nonce()
    invitation.expires_at = _invitation_expiry()
    invitation.save(update_fields=["nonce", "expires_at"])
    audit_record(
        actor=by,
        action="invitation.resent",
        subject=invitation,
        organisation=invitation.organisation,
    )
    enqueue("lms.tasks.send_invitation_email", invitation.pk)
    return invitation


@transaction.atomic
def invitation_withdraw(*, invitation: Invitation, by: User) -> None:
    """Withdraw an invitation nobody has accepted yet."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.is_accepted:
        raise ValidationError(f"{invitation.email} has already accepted this invitation.")
    audit_record(
        actor=by,
        action="invitation.withdrawn",
        subject=invitation,
        organisation=invitation.organisation,
        detail={"role": invitation.role},
    )
    invitation.delete()


@transaction.atomic
def invitation_accept(
    *,
    invitation: Invitation,
    user: User | None = None,
    display_name: str = "",
    password: str = "",
    share_history: bool = False,
) -> User:
    """Accept an invitation: create the account if needed and give it the invited role. Someone
    who already has records may choose to share their earlier history with the organisation.

    Locks the invitation row, so two clicks at once make one account and one membership.
    """
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.is_accepted:
        raise InvitationLinkError(InvitationLinkError.USED, invitation)
    if invitation.is_expired:
        raise InvitationLinkError(InvitationLinkError.EXPIRED, invitation)
    if user is None:
        user = User.objects.create_user(
            email=invitation.email, password=password, display_name=display_name.strip()
        )
    membership_add(
        organisation=invitation.organisation,
        user=user,
        role=invitation.role,
        by=invitation.invited_by,
        audit=False,
    )
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    audit_record(
        actor=user,
        action="invitation.accepted",
        subject=invitation,
        subject_user=user,
        organisation=invitation.organisation,
        detail={"role": invitation.role},
    )
    if share_history:
        history_share_start(user=user, organisation=invitation.organisation)
    return user


# --- Sharing one's history with an organisation ---------------------------------------------------


@transaction.atomic
def history_share_start(*, user: User, organisation: Organisation) -> HistoryShare:
    """The person lets the organisation's staff see what they did before joining it. Asking
    twice keeps one share."""
    if not Membership.objects.active().filter(user=user, organisation=organisation).exists():
        raise ValidationError(f"You do not belong to {organisation}.")
    share, created = HistoryShare.objects.get_or_create(
        user=user, organisation=organisation, ended_at=None
    )
    if created:
        audit_record(
            actor=user,
            action="lms.history.shared",
            subject=share,
            subject_user=user,
            organisation=organisation,
        )
    return share


def history_share_end(*, user: User, organisation: Organisation) -> int:
    """The person stops sharing their earlier history with the organisation."""
    ended = HistoryShare.objects.filter(user=user, organisation=organisation, ended_at=None).update(
        ended_at=timezone.now()
    )
    if ended:
        audit_record(
            actor=user,
            action="lms.history.unshared",
            subject_user=user,
            organisation=organisation,
        )
    return ended


# --- Memberships ------------------------------------------------------------------------------


@transaction.atomic
def membership_add(
    *, organisation: Organisation, user: User, role: str, by: User | None, audit: bool = True
) -> Membership:
    """Give a person a role in an organisation (no-op, and nothing audited, if they already
    hold it: the same form sent again adds nothing)."""
    existing = Membership.objects.active().filter(organisation=organisation, user=user, role=role)
    membership = existing.first()
    if membership is not None:
        return membership
    try:
        with transaction.atomic():
            membership = Membership.objects.create(organisation=organisation, user=user, role=role)
    except IntegrityError:
        # A concurrent request added it first; that one stands.
        return Membership.objects.get(
            organisation=organisation, user=user, role=role, active_to__isnull=True
        )
    if audit:
        audit_record(
            actor=by,
            action="membership.added",
            subject=membership,
            subject_user=user,
            organisation=organisation,
            detail={"role": role},
        )
    return membership


@transaction.atomic
def membership_end(*, membership: Membership, by: User) -> Membership:
    """End a role from today. The last organisation admin cannot be removed."""
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if membership.role == Role.ORG_ADMIN:
        admins = (
            Membership.objects.active()
            .select_for_update()
            .filter(organisation_id=membership.organisation_id, role=Role.ORG_ADMIN)
        )
        if len(admins) <= 1:
            raise ValidationError(
                "This is the organisation's only admin. Make someone else an admin first."
            )
    audit_record(
        actor=by,
        action="membership.ended",
        subject=membership,
        subject_user=membership.user,
        organisation=membership.organisation,
        detail={"role": membership.role},
    )
    today = timezone.localdate()
    if membership.active_from >= today:
        # Added today (or not started yet): it never applied, so there is no period to keep.
        membership.delete()
    else:
        membership.active_to = today
        membership.save(update_fields=["active_to"])
    _end_sessions_if_no_role_left(membership)
    return membership


@transaction.atomic
def membership_restore(*, membership: Membership, by: User) -> Membership:
    """Undo ending a role, on the day it was ended: the role runs on as if it had not ended.
    Refused when the person holds the same role here again already."""
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if membership.active_to != timezone.localdate():
        raise ValidationError(
            "This role can no longer be restored: it did not end today. Add it again instead."
        )
    again = Membership.objects.filter(
        user_id=membership.user_id,
        organisation_id=membership.organisation_id,
        role=membership.role,
        active_to__isnull=True,
    )
    if again.exists():
        raise ValidationError(f"{membership.user} already holds this role here again.")
    membership.active_to = None
    try:
        with transaction.atomic():
            membership.save(update_fields=["active_to"])
    except IntegrityError:
        raise ValidationError(f"{membership.user} already holds this role here again.") from None
    audit_record(
        actor=by,
        action="membership.restored",
        subject=membership,
        subject_user=membership.user,
        organisation=membership.organisation,
        detail={"role": membership.role},
    )
    return membership


def _end_sessions_if_no_role_left(membership: Membership) -> None:
    # Someone who no longer belongs to the organisation may have its pages open; their
    # sessions end now rather than at the idle limit.
    user, organisation_id = membership.user, membership.organisation_id
    if not Membership.objects.active().filter(user=user, organisation_id=organisation_id).exists():
        user_sessions_end(user=user)


def user_update_profile(*, user: User, display_name: str, pronouns: str) -> User:
    """Change how a person is named and addressed."""
    # NUL is never part of a name, and PostgreSQL cannot store it.
    user.display_name = display_name.replace("\x00", "").strip()
    user.pronouns = pronouns.replace("\x00", "").strip()
    user.save(update_fields=["display_name", "pronouns"])
    return user


# --- Download my data -------------------------------------------------------------------------


def _own_organisation(user: User) -> Organisation | None:
    # A person's own request, made outside any organisation's pages: filed under the first
    # organisation they belong to, so that one admin can see it.
    return organisation_shared_by(user=user, other=user)


@transaction.atomic
def data_export_request(*, user: User) -> tuple[DataExport, bool]:
    """Ask for everything held about the person; the zip is made in the background. While one
    request is being prepared, asking again answers with that one (created is False)."""
    pending = DataExport.objects.filter(user=user, status=DataExport.PENDING).first()
    if pending is not None:
        return pending, False
    try:
        with transaction.atomic():
            export = DataExport.objects.create(user=user)
    except IntegrityError:
        # A concurrent click made it first; that one stands.
        return DataExport.objects.get(user=user, status=DataExport.PENDING), False
    audit_record(
        actor=user,
        action="lms.data_export.requested",
        subject=export,
        subject_user=user,
        organisation=_own_organisation(user),
    )
    enqueue("lms.tasks.build_data_export", export.pk)
    return export, True


def data_export_build(*, export_id: int) -> DataExport | None:
    """Make the zip for a pending request; does nothing for one already made. The zip is
    written outside any transaction (it may take a while) and claimed by a conditional update,
    so two runs of the task leave one file."""
    export = DataExport.objects.select_related("user").filter(pk=export_id).first()
    if export is None or export.status != DataExport.PENDING:
        return export
    storage = DataExport._meta.get_field("file").storage
    now = timezone.now()
    try:
        with tempfile.TemporaryFile() as out:
            write_export_zip(user=export.user, out=out, made_at=now)
            out.seek(0)
            path = storage.save(f"data-exports/{secrets.token_urlsafe(24)}.zip", File(out))
    except Exception:
        # The person sees "could not be made" and may ask again; the error still reaches
        # django-q2's record of failed tasks.
        DataExport.objects.filter(pk=export.pk, status=DataExport.PENDING).update(
            status=DataExport.FAILED
        )
        raise
    claimed = DataExport.objects.filter(pk=export.pk, status=DataExport.PENDING).update(
        status=DataExport.READY,
        file=path,
        ready_at=now,
        expires_at=now + timedelta(days=settings.DATA_EXPORT_VALID_DAYS),
    )
    if not claimed:
        storage.delete(path)  # another run finished first; its file stands
    return DataExport.objects.get(pk=export.pk)


def data_export_downloaded(*, export: DataExport) -> DataExport:
    """Record that the owner downloaded their zip (each download is audited)."""
    export.downloaded_at = timezone.now()
    DataExport.objects.filter(pk=export.pk).update(downloaded_at=export.downloaded_at)
    audit_record(
        actor=export.user,
        action="lms.data_export.downloaded",
        subject=export,
        subject_user=export.user,
        organisation=_own_organisation(export.user),
    )
    return export


# --- The privacy notice -----------------------------------------------------------------------


@transaction.atomic
def organisation_privacy_contact_save(
    *, organisation: Organisation, by: User, text: str
) -> Organisation:
    """Set who to contact about personal data at the organisation, shown on the privacy notice."""
    text = "\n".join(line.rstrip() for line in text.replace("\r\n", "\n").split("\n")).strip()
    if len(text) > PRIVACY_CONTACT_MAX:
        raise ValidationError(
            {
                "privacy_contact": f"Contact details must be {PRIVACY_CONTACT_MAX} characters "
                "or fewer."
            }
        )
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    if organisation.privacy_contact == text:
        return organisation
    organisation.privacy_contact = text
    organisation.save(update_fields=["privacy_contact"])
    # Ids only: the words are on the notice for anyone to read.
    audit_record(
        actor=by,
        action="lms.organisation.privacy_contact_changed",
        subject=organisation,
        organisation=organisation,
        detail={"empty": not text},
    )
    return organisation
