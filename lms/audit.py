"""The audit log as people read it: a plain-English label for every kind of event, the events an
organisation admin (or a superuser) may read, and a CSV download that streams.

Events carry ids and short codes only, never anyone's words, so the log itself can be shown to
an organisation's admins and downloaded without exposing what it records.
"""

import csv
import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.apps import apps
from django.db.models import Q, QuerySet
from django.http import StreamingHttpResponse
from django.utils import timezone

from lms.models import AuditEvent, Membership, Organisation, User
from lms.selectors import erased_label
from lms.spreadsheets import safe_row

# Every kind of event, in plain English. Kept in one place so the page, the filter and the CSV
# all say the same thing; a kind missing here is shown as its code.
KIND_LABELS: dict[str, str] = {
    # The audit log itself
    "audit.log.read": "Read the audit log",
    "audit.log.exported": "Downloaded the audit log",
    # People and roles
    "invitation.created": "Invited someone to join",
    "invitation.resent": "Sent an invitation again",
    "invitation.withdrawn": "Withdrew an invitation",
    "invitation.accepted": "Accepted an invitation",
    "membership.added": "Gave someone a role",
    "membership.ended": "Ended someone's role",
    "membership.restored": "Undid ending someone's role",
    "membership.changed": "Changed someone's role in the admin",
    "membership.deleted": "Deleted someone's role in the admin",
    "user.access_changed": "Changed someone's admin access (superuser or groups)",
    "lms.history.shared": "Shared their earlier records with the organisation",
    "lms.history.unshared": "Stopped sharing their earlier records",
    "lms.data_export.requested": "Asked for a copy of all their data",
    "lms.data_export.downloaded": "Downloaded the copy of all their data",
    "lms.report_export.downloaded": "Downloaded a spreadsheet of the organisation's records",
    "lms.erasure.requested": "Asked to erase a person's data",
    "lms.erasure.cancelled": "Cancelled the erasure of a person's data",
    "lms.erasure.completed": "Erased a person's data",
    # Two-factor sign-in
    "lms.two_factor.enabled": "Turned on two-factor sign-in",
    "lms.two_factor.disabled": "Turned off two-factor sign-in",
    "lms.two_factor.recovery_code_used": "Signed in with a recovery code",
    "lms.two_factor.recovery_codes_replaced": "Made new recovery codes",
    "lms.two_factor.required_changed": "Changed whether staff must use two-factor sign-in",
    # Signing in
    "lms.account.unlocked": "Let someone sign in again after too many attempts",
    "lms.account.signed_out_everywhere": "Signed out on every other device",
    "lms.organisation.privacy_contact_changed": "Changed the privacy contact details",
    # Courses
    "courses.enrolment.assigned": "Assigned a course",
    "courses.learner_records.read": "Read or downloaded learning records",
    "courses.certificate.read": "Downloaded someone's certificate",
    "courses.certificate.name_shown": "Chose to show their name on a certificate",
    "courses.certificate.name_hidden": "Chose to hide their name on a certificate",
    "courses.reflection.shared": "Shared a reflection with their mentor",
    "courses.reflection.unshared": "Stopped sharing a reflection",
    # Pathways
    "pathways.pathway.joined": "Put someone on a pathway",
    "pathways.progress.read": "Read someone's pathway",
    "pathways.evidence.read": "Read someone's evidence",
    "pathways.evidence_queue.read": "Read the evidence waiting for review",
    "pathways.evidence.signed_off": "Signed off evidence",
    "pathways.evidence.more_needed": "Asked for more evidence",
    "pathways.sign_off": "Signed off a competence",
    "pathways.sign_off.withdrawn": "Withdrew a sign-off",
    "pathways.stage.confirmed": "Confirmed a move to the next stage",
    "pathways.stage.not_yet": "Decided not yet for the next stage",
    "pathways.readiness.read": "Read or downloaded workforce readiness",
    "pathways.framework.imported": "Imported a competence framework",
    # Mentoring: requests and proposals
    "mentoring.request.create": "Asked a mentor",
    "mentoring.request.propose": "Proposed a mentoring pairing",
    "mentoring.request.accept": "Said yes to a mentoring request",
    "mentoring.request.decline": "Said no to a mentoring request",
    "mentoring.request.withdraw": "Withdrew a mentoring request",
    "mentoring.request.restore": "Undid withdrawing a mentoring request",
    "mentoring.request.expire": "A mentoring request lapsed unanswered",
    "mentoring.propose_page.read": "Read trainees' wishes and mentors' offers to propose a pairing",
    # Mentoring: the mentorship
    "mentoring.mentorship.create": "A mentorship was agreed",
    "mentoring.mentorship.agreement_change": "Changed a mentoring agreement",
    "mentoring.mentorship.confirm": "Confirmed a mentoring agreement",
    "mentoring.mentorship.start": "A mentorship started",
    "mentoring.mentorship.pause": "Paused a mentorship",
    "mentoring.mentorship.resume": "Resumed a mentorship",
    "mentoring.mentorship.end": "Ended a mentorship",
    "mentoring.mentorship.schedule": "Planned the next session",
    "mentoring.settings.changed": "Changed the mentoring settings",
    # Mentoring: supervision
    "mentoring.session.logged": "Logged a supervision session",
    "mentoring.session.edited": "Corrected a supervision session",
    "mentoring.session.confirmed": "Confirmed a supervision session",
    "mentoring.session.disputed": "Said a supervision session is not right",
    "mentoring.session.feedback_given": "Gave feedback on a supervision session",
    "mentoring.session.read": "Read a session with a wellbeing check-in",
    "mentoring.coverage.read": "Read supervision coverage",
    # Mentoring: care
    "mentoring.concern.raised": "Raised a concern",
    "mentoring.concern.responded": "Responded to a concern",
    "mentoring.concern.closed": "Closed a concern",
    "mentoring.concern.read": "Read a concern",
    "mentoring.concern_list.read": "Read the list of concerns",
    "mentoring.concern_panel.read": "Saw concerns on the dashboard",
    "mentoring.wellness_plan.shared": "Shared their wellness action plan",
    "mentoring.wellness_plan.unshared": "Stopped sharing their wellness action plan",
    "mentoring.wellness_plan.read": "Read a shared wellness action plan",
    "mentoring.reflections.read": "Read a mentee's shared reflections",
}

NOBODY = "The system"
EVENTS_PER_PAGE = 50
CSV_HEADINGS = [
    "When",
    "Organisation",
    "Who",
    "Who (account id)",
    "What",
    "Kind",
    "About whom",
    "About whom (account id)",
    "Record",
    "Detail",
]


def kind_label(kind: str) -> str:
    return KIND_LABELS.get(kind, kind)


def kind_choices() -> list[tuple[str, str]]:
    return sorted(KIND_LABELS.items(), key=lambda item: item[1])


def describe(event: AuditEvent) -> str:
    """What happened, in words; a read that was a download says so."""
    label = kind_label(event.action)
    export = event.detail.get("export") if isinstance(event.detail, dict) else None
    return f"{label} (downloaded as {export.upper()})" if export else label


def record_label(event: AuditEvent) -> str:
    """The record an event is about, as "Supervision session 12"; empty when there is none."""
    if not event.subject_type:
        return ""
    try:
        name = str(apps.get_model(event.subject_type)._meta.verbose_name)
    except (LookupError, ValueError):
        name = event.subject_type
    return f"{name[:1].upper()}{name[1:]} {event.subject_id}".strip()


def _name(user: User | None, ref: str = "") -> str:
    # An erased person is named by the opaque reference their events were given, so the log
    # still tells one erased person's acts from another's without naming either.
    if ref:
        return erased_label(ref)
    return (user.display_name or user.email) if user is not None else ""


@dataclass(frozen=True)
class LogEntry:
    event: AuditEvent
    who: str
    what: str
    about: str
    record: str


def log_entries(events) -> list[LogEntry]:
    return [
        LogEntry(
            event=event,
            who=_name(event.actor, event.actor_ref) or NOBODY,
            what=describe(event),
            about=_name(event.subject_user, event.subject_ref),
            record=record_label(event),
        )
        for event in events
    ]


# --- Reading the log --------------------------------------------------------------------------


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def audit_events(
    *,
    organisation: Organisation | None,
    person: User | None = None,
    kind: str = "",
    date_from: date | None = None,
    date_to: date | None = None,
) -> QuerySet[AuditEvent]:
    """An organisation's events newest first, or (`organisation=None`, for superusers) every
    event, including those that belong to no organisation."""
    events = AuditEvent.objects.select_related("actor", "subject_user", "organisation")
    if organisation is not None:
        events = events.filter(organisation=organisation)
    if person is not None:
        events = events.filter(Q(actor=person) | Q(subject_user=person))
    if kind:
        events = events.filter(action=kind)
    if date_from is not None:
        events = events.filter(created_at__gte=_day_start(date_from))
    if date_to is not None:
        events = events.filter(created_at__lt=_day_start(date_to + timedelta(days=1)))
    return events.order_by("-created_at", "-pk")


def people_in_log(*, organisation: Organisation | None) -> QuerySet[User]:
    """Whom the log can be filtered by: anyone who has held a role in the organisation (past
    members too, since their events stay), or everyone for the all-organisations log."""
    if organisation is None:
        return User.objects.order_by("display_name", "email")
    members = Membership.objects.filter(organisation=organisation).values("user_id")
    return User.objects.filter(pk__in=members).order_by("display_name", "email")


# --- The CSV download -------------------------------------------------------------------------


class _Echo:
    """A file-like object that hands back what is written, so csv.writer makes one line at a
    time for a streaming response."""

    def write(self, value):
        return value


def _csv_row(event: AuditEvent) -> list:
    return [
        timezone.localtime(event.created_at).isoformat(timespec="seconds"),
        event.organisation.name if event.organisation else "",
        _name(event.actor, event.actor_ref) or NOBODY,
        event.actor_id or "",
        describe(event),
        event.action,
        _name(event.subject_user, event.subject_ref),
        event.subject_user_id or "",
        record_label(event),
        _detail_text(event.detail),
    ]


def _detail_text(detail) -> str:
    return json.dumps(detail, sort_keys=True) if detail else ""


def audit_csv_response(*, events: QuerySet[AuditEvent], filename: str) -> StreamingHttpResponse:
    """The events as CSV, written row by row as the response is sent, so a long log is never
    held in memory; every cell is made safe from formula injection."""
    writer = csv.writer(_Echo())

    def lines():
        yield writer.writerow(CSV_HEADINGS)
        for event in events.iterator(chunk_size=500):
            yield writer.writerow(safe_row(_csv_row(event)))

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
