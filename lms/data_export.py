"""Everything held about a person, as one zip they download from "Your account".

The kernel imports no app, so each app contributes its part through the Wagtail hook
`data_export`: `fn(user) -> ExportPart | None`. A part is one JSON file of readable records
(plain field names; dates as ISO strings, choices as their labels, rich text as plain text) and
the person's own files. The kernel adds `account.json`: the account, roles, history shares,
invitations accepted, and the audit events done by the person or about them.

Other people appear only as names, and only where a record is shared between them (a mentor's
name on a session). Nothing private to someone else goes in: docs/privacy.md, "Your data".
"""

import json
import shutil
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime

from django.core.files.storage import Storage
from django.db.models import Q
from django.utils import timezone
from wagtail import hooks

from lms.audit import kind_label, record_label
from lms.models import AuditEvent, HistoryShare, Invitation, Membership, Role, User
from lms.sanitiser import html_to_text
from lms.uploads import ascii_filename

# Events about a concern raised about the person are not theirs to see in the product (the
# table in docs/privacy.md), so they are not in their export either; a subject access request
# that asks for them is a human decision (docs/privacy.md, "Your data").
WITHHELD_FROM_SUBJECT = ("mentoring.concern",)


@dataclass(frozen=True)
class ExportFile:
    """A stored file of the person's, copied into the zip under `files/<name>`."""

    storage: Storage
    path: str
    name: str  # e.g. "pathways/evidence/12-notes.pdf"

    @property
    def zip_name(self) -> str:
        parts = [ascii_filename(part) for part in self.name.split("/") if part]
        return "/".join(["files", *parts])


@dataclass
class ExportPart:
    filename: str  # e.g. "courses.json"
    records: list[dict] = field(default_factory=list)
    files: list[ExportFile] = field(default_factory=list)


# --- Readable values, for the parts ------------------------------------------------------------


def when(value: datetime | date | None) -> str | None:
    """A moment or a day as an ISO string in local time; None stays None."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return timezone.localtime(value).isoformat(timespec="seconds")
    return value.isoformat()


def plain(html: str) -> str:
    """Stored rich text as the plain text the person typed."""
    return html_to_text(html)


def name(user: User | None) -> str | None:
    """Someone else's name, where a record is shared between them; never their email."""
    return (user.display_name or "Someone") if user is not None else None


# --- Collecting the parts ------------------------------------------------------------------------


def export_parts(*, user: User) -> list[ExportPart]:
    """The kernel's part and every app's, in the order the hooks were registered."""
    parts = [account_part(user)]
    for contribute in hooks.get_hooks("data_export"):
        part = contribute(user)
        if part is not None:
            parts.append(part)
    return parts


def write_export_zip(*, user: User, out, made_at: datetime) -> None:
    """Write the person's zip into the open binary file `out`."""
    parts = export_parts(user=user)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        missing = []
        for part in parts:
            body = {"made_at": when(made_at), "records": part.records}
            archive.writestr(part.filename, json.dumps(body, indent=2, ensure_ascii=False))
            missing += [file for file in part.files if not _copy(archive, file)]
        archive.writestr("README.txt", _readme(parts, missing, made_at))


def _copy(archive, file: ExportFile) -> bool:
    """Copy one stored file in, a block at a time; False if it is no longer in storage."""
    try:
        with file.storage.open(file.path, "rb") as source, archive.open(file.zip_name, "w") as to:
            shutil.copyfileobj(source, to)
    except FileNotFoundError:
        return False
    return True


def _readme(parts: list[ExportPart], missing: list[ExportFile], made_at: datetime) -> str:
    lines = [
        "Everything Peer Pathways holds about you",
        f"Made on {when(made_at)}.",
        "",
        "Each .json file holds the records of one part of Peer Pathways, with plain field",
        "names. Dates are written year-month-day. The files you uploaded, and your",
        "certificates, are in the files folder; each record names its file.",
        "",
        *[f"- {part.filename}: {len(part.records)} records" for part in parts],
    ]
    if missing:
        lines += ["", "These files could not be found when the zip was made:"]
        lines += [f"- {file.zip_name}" for file in missing]
    return "\n".join(lines) + "\n"


# --- The kernel's own part: account.json ---------------------------------------------------------


def account_part(user: User) -> ExportPart:
    """The account, roles, history shares, invitations accepted and the person's audit events."""
    records = [_profile(user)]
    records += _memberships(user) + _history_shares(user) + _invitations(user)
    records += _audit_events(user)
    return ExportPart(filename="account.json", records=records)


def _profile(user: User) -> dict:
    return {
        "Record": "Your account",
        "Email address": user.email,
        "Name": user.display_name,
        "Pronouns": user.pronouns,
        "Joined": when(user.date_joined),
        "Last signed in": when(user.last_login),
    }


def _memberships(user: User) -> list[dict]:
    memberships = Membership.objects.filter(user=user).select_related("organisation")
    return [
        {
            "Record": "Role",
            "Organisation": membership.organisation.name,
            "Role": membership.get_role_display(),
            "From": when(membership.active_from),
            "Until": when(membership.active_to),
        }
        for membership in memberships.order_by("active_from", "pk")
    ]


def _history_shares(user: User) -> list[dict]:
    shares = HistoryShare.objects.filter(user=user).select_related("organisation")
    return [
        {
            "Record": "Earlier history shared with an organisation",
            "Organisation": share.organisation.name,
            "Shared": when(share.shared_at),
            "Stopped sharing": when(share.ended_at),
        }
        for share in shares.order_by("shared_at", "pk")
    ]


def _invitations(user: User) -> list[dict]:
    invitations = Invitation.objects.filter(accepted_by=user).select_related("organisation")
    return [
        {
            "Record": "Invitation you accepted",
            "Organisation": invitation.organisation.name,
            "Role": invitation.get_role_display(),
            "Invited": when(invitation.created_at),
            "Accepted": when(invitation.accepted_at),
        }
        for invitation in invitations.order_by("accepted_at", "pk")
    ]


def _audit_events(user: User) -> list[dict]:
    """What the person did, and what others did about them (who read their records), with
    the other person named by their role only (docs/privacy.md, "Your data")."""
    withheld = Q()
    for prefix in WITHHELD_FROM_SUBJECT:
        withheld |= Q(action__startswith=prefix)
    events = list(
        AuditEvent.objects.filter(Q(actor=user) | Q(subject_user=user))
        .exclude(withheld & ~Q(actor=user))
        .select_related("actor", "organisation")
        .order_by("created_at", "pk")
    )
    roles = _roles_of_actors(events)
    return [_event(event, user, roles) for event in events]


def _roles_of_actors(events: list[AuditEvent]) -> dict[tuple[int, int], set[str]]:
    """Each actor's roles, ever, in each organisation their events belong to: one query."""
    actor_ids = {event.actor_id for event in events if event.actor_id}
    roles: dict[tuple[int, int], set[str]] = {}
    for user_id, organisation_id, role in Membership.objects.filter(
        user_id__in=actor_ids
    ).values_list("user_id", "organisation_id", "role"):
        roles.setdefault((user_id, organisation_id), set()).add(role)
    return roles


def _event(event: AuditEvent, user: User, roles) -> dict:
    return {
        "Record": "Activity log",
        "When": when(event.created_at),
        "What": kind_label(event.action),
        "Who": _who(event, user, roles),
        "About": "You" if event.subject_user_id == user.pk else "Someone else",
        "Organisation": event.organisation.name if event.organisation else None,
        "Record it concerns": record_label(event) or None,
    }


# Most senior first: a person who is both mentor and coordinator acts as the coordinator.
_ROLE_WORDS = [
    (Role.ORG_ADMIN, "An organisation admin"),
    (Role.COORDINATOR, "A coordinator"),
    (Role.MENTOR, "A mentor"),
    (Role.PEER, "A peer"),
]


def _who(event: AuditEvent, user: User, roles) -> str:
    if event.actor_id is None:
        return "The system"
    if event.actor_id == user.pk:
        return "You"
    if event.actor.is_superuser:
        return "A site administrator"
    held = roles.get((event.actor_id, event.organisation_id), set())
    return next((words for role, words in _ROLE_WORDS if role in held), "Someone else")
