"""Reads for supervision: a mentorship's sessions and actions, a mentor's private note (for its
author alone), what a person has to do or confirm, an organisation's supervision coverage and
its feedback figures.

What coordinators see is built from dates, durations and topics only: the selectors for them
never load a summary, a private note, a wellbeing check-in or a feedback comment.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_DOWN, Decimal

from django.db.models import Avg, Count, F, OuterRef, Q, QuerySet, Subquery, Sum
from django.utils import timezone

from lms.clock import Due, PauseClock, People, clock_for, overdue_first
from lms.models import Organisation, User
from mentoring.models import (
    SUPERVISION_TOPICS,
    ActionItem,
    Mentorship,
    SessionFeedback,
    SessionPrivateNote,
    SupervisionSession,
)
from mentoring.selectors.matching import mentoring_settings_for

FEEDBACK_MIN_RESPONSES = 5
RATING_LABELS = {1: "Not helpful", 2: "A little helpful", 3: "Helpful", 4: "Very helpful"}
WELLBEING_LABELS = {
    1: "Struggling",
    2: "Not so good",
    3: "Getting by",
    4: "Good",
    5: "Really well",
}

# The fields a session may show to someone who is not in the mentorship.
FACTS = ("id", "mentorship", "held_on", "duration_minutes", "format", "topics", "status")


def hours(minutes: int | None) -> Decimal:
    """Minutes as hours to one decimal place, rounded down so that nearly is never shown as
    done."""
    return (Decimal(minutes or 0) / 60).quantize(Decimal("0.1"), rounding=ROUND_DOWN)


# --- Action due dates through the one clock (lms.clock) ----------------------------------------


def clock_actions(actions, *, clock: PauseClock | None = None, now=None) -> list[ActionItem]:
    """Each action with `due` (a `lms.clock.Due`, or None when undated): its day moved later by
    the time its owner was paused since the session it was agreed in. The stored `due_on` stays
    as agreed. One query for all the owners' pauses; each action's session must be loaded."""
    actions = list(actions)
    if clock is None:
        clock = clock_for(sorted({action.owner_id for action in actions}), now)
    for action in actions:
        day = (
            clock.extend_date(action.owner_id, action.session.held_on, action.due_on)
            if action.due_on
            else None
        )
        action.due = clock.due(day)
    return actions


def actions_in_due_order(actions) -> list[ActionItem]:
    """Open actions by the clock's day: past ones first, then soonest, undated last."""
    return overdue_first(clock_actions(actions), lambda action: action.due)


# --- A mentorship's sessions ------------------------------------------------------------------


@dataclass
class MentorshipSessions:
    sessions: list[SupervisionSession]
    confirmed_hours: Decimal
    confirmed_count: int
    open_actions: list[ActionItem]

    @property
    def awaiting(self) -> list[SupervisionSession]:
        return [s for s in self.sessions if s.status == SupervisionSession.AWAITING]


def sessions_for_mentorship(*, mentorship: Mentorship) -> MentorshipSessions:
    """A mentorship's sessions (newest first), its confirmed hours and its open action items,
    for the two people in it."""
    sessions = list(
        SupervisionSession.objects.filter(mentorship=mentorship).only(
            *FACTS, "logged_at", "confirmed_at"
        )
    )
    totals = SupervisionSession.objects.filter(
        mentorship=mentorship, status=SupervisionSession.CONFIRMED
    ).aggregate(minutes=Sum("duration_minutes"), count=Count("pk"))
    open_actions = actions_in_due_order(
        ActionItem.objects.filter(session__mentorship=mentorship, done_at__isnull=True)
        .select_related("owner", "session")
        .order_by(F("due_on").asc(nulls_last=True), "pk")
    )
    return MentorshipSessions(
        sessions=sessions,
        confirmed_hours=hours(totals["minutes"]),
        confirmed_count=totals["count"],
        open_actions=open_actions,
    )


def actions_for_session(*, session: SupervisionSession, clocked: bool = True) -> list[ActionItem]:
    """The session's actions; `clocked` adds each one's `due` from its owner's clock (the
    correction form edits the stored day, so it asks for them without)."""
    actions = session.actions.select_related("owner", "session").order_by("pk")
    return clock_actions(actions) if clocked else list(actions)


def private_note_for(*, session: SupervisionSession, author: User) -> SessionPrivateNote | None:
    """The private note on a session, only when `author` wrote it: the one way it is read."""
    if not (author and author.is_authenticated):
        return None
    return SessionPrivateNote.objects.filter(session=session, author=author).first()


def feedback_for_session(*, session: SupervisionSession) -> SessionFeedback | None:
    return SessionFeedback.objects.filter(session=session).first()


# --- For other areas: panels and pages --------------------------------------------------------


def last_confirmed_sessions(*, mentorship_ids) -> dict[int, SupervisionSession]:
    """{mentorship id: its latest confirmed session} in one query, with the facts only (date,
    duration, format, topics): safe to show a coordinator."""
    latest = (
        SupervisionSession.objects.filter(
            mentorship_id=OuterRef("mentorship_id"), status=SupervisionSession.CONFIRMED
        )
        .order_by("-held_on", "-logged_at", "-pk")
        .values("pk")[:1]
    )
    rows = (
        SupervisionSession.objects.filter(
            mentorship_id__in=mentorship_ids, status=SupervisionSession.CONFIRMED
        )
        .annotate(latest_pk=Subquery(latest))
        .filter(pk=F("latest_pk"))
        .only(*FACTS)
    )
    return {session.mentorship_id: session for session in rows}


def actions_due_for(*, user: User, limit: int = 5) -> list[ActionItem]:
    """The open action items this person owns by the clock's day: past ones first, then the
    soonest, undated ones last."""
    return actions_in_due_order(
        ActionItem.objects.filter(owner=user, done_at__isnull=True).select_related(
            "session__mentorship__mentor", "session__mentorship__trainee"
        )
    )[:limit]


def sessions_awaiting_confirmation(*, trainee: User) -> QuerySet[SupervisionSession]:
    """Sessions logged for this person that they have not confirmed yet, oldest first."""
    return (
        SupervisionSession.objects.filter(
            mentorship__trainee=trainee, status=SupervisionSession.AWAITING
        )
        .select_related("mentorship__mentor")
        .order_by("held_on", "pk")
    )


# --- Feedback ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class FeedbackSummary:
    """How many mentees gave feedback, and (from five responses) the average and the spread."""

    count: int
    average: Decimal | None = None
    distribution: list[tuple[int, str, int]] | None = None  # (rating, label, responses)

    @property
    def shown(self) -> bool:
        return self.average is not None


def feedback_summary_for_organisation(*, organisation: Organisation) -> FeedbackSummary:
    """Feedback on the organisation's sessions as figures only, computed in the database; no
    figure at all until at least five responses, so that nobody can be picked out."""
    by_rating = {f"r{r}": Count("pk", filter=Q(rating=r)) for r in RATING_LABELS}
    figures = SessionFeedback.objects.filter(
        session__mentorship__organisation=organisation
    ).aggregate(count=Count("pk"), average=Avg("rating"), **by_rating)
    if figures["count"] < FEEDBACK_MIN_RESPONSES:
        return FeedbackSummary(count=figures["count"])
    return FeedbackSummary(
        count=figures["count"],
        average=Decimal(str(figures["average"])).quantize(Decimal("0.1")),
        distribution=[(r, label, figures[f"r{r}"]) for r, label in RATING_LABELS.items()],
    )


# --- Coverage ---------------------------------------------------------------------------------

SUPERVISED, NONE, EXCUSED = "supervised", "none", "excused"
STATE_LABELS = {
    SUPERVISED: "Supervised",
    NONE: "No supervision in this period",
    EXCUSED: "Paused",
}


@dataclass
class CoverageRow:
    mentorship: Mentorship
    mentee: User
    mentor: User
    last_held_on: date | None
    last_duration_minutes: int | None
    last_topics: list[str]
    sessions_in_period: int
    hours_in_period: Decimal
    state: str
    due: Due | None = None  # when supervision is (or was) next due, by the mentee's clock

    @property
    def state_label(self) -> str:
        return STATE_LABELS[self.state]


@dataclass
class Coverage:
    """Who had confirmed supervision in the organisation's period, and who had none."""

    period_days: int
    starts_on: date
    ends_on: date
    rows: list[CoverageRow] = field(default_factory=list)

    @property
    def missing(self) -> list[CoverageRow]:
        """Those with none in the period, longest overdue first."""
        return overdue_first([row for row in self.rows if row.state == NONE], lambda r: r.due)

    @property
    def excused(self) -> list[CoverageRow]:
        return [row for row in self.rows if row.state == EXCUSED]

    @property
    def supervised(self) -> list[CoverageRow]:
        return [row for row in self.rows if row.state == SUPERVISED]


def coverage_for_organisation(
    *, organisation: Organisation, now: datetime | None = None
) -> Coverage:
    """Supervision coverage over the organisation's period for every mentee in an active or
    paused mentorship: dates, durations and topics only.

    The period runs on each mentee's clock (lms.clock): for someone who was paused it reaches
    back by the time paused inside it, so a session before a pause still counts. A wellbeing
    pause that overlaps the calendar period, or a paused mentorship, excuses a person who had
    none. Each row says when supervision is next due (or since when it is overdue): a period
    after the last confirmed session (or the start), moved later by the mentee's pauses."""
    now = now or timezone.now()
    period_days = mentoring_settings_for(organisation=organisation).supervision_interval_days
    ends_on = timezone.localdate(now)
    starts_on = ends_on - timedelta(days=period_days - 1)
    open_here = Mentorship.objects.filter(
        organisation=organisation, status__in=[Mentorship.ACTIVE, Mentorship.PAUSED]
    )
    clock = clock_for(People(query=open_here.values("trainee_id")), now)
    in_period = (
        Q(sessions__status=SupervisionSession.CONFIRMED)
        & Q(sessions__held_on__lte=ends_on)
        & _period_start(clock, starts_on, period_days)
    )
    mentorships = list(
        open_here.select_related("trainee", "mentor")
        .only(
            "id",
            "status",
            "organisation",
            "started_at",
            "created_at",
            "trainee__id",
            "trainee__display_name",
            "trainee__email",
            "mentor__id",
            "mentor__display_name",
            "mentor__email",
        )
        .annotate(
            period_count=Count("sessions", filter=in_period),
            period_minutes=Sum("sessions__duration_minutes", filter=in_period),
        )
        .order_by("trainee__display_name", "pk")
    )
    ids = [m.pk for m in mentorships]
    last = last_confirmed_sessions(mentorship_ids=ids)
    period_start, period_end = _start_of(starts_on), _start_of(ends_on + timedelta(days=1))
    labels = dict(SUPERVISION_TOPICS)
    rows = []
    for mentorship in mentorships:
        session = last.get(mentorship.pk)
        uid = mentorship.trainee_id
        if mentorship.period_count:
            state = SUPERVISED
        elif mentorship.status == Mentorship.PAUSED or (
            clock.paused(uid, period_start, period_end) or uid in clock.paused_now
        ):
            state = EXCUSED
        else:
            state = NONE
        started = mentorship.started_at or mentorship.created_at
        since = session.held_on if session else timezone.localdate(started)
        rows.append(
            CoverageRow(
                mentorship=mentorship,
                mentee=mentorship.trainee,
                mentor=mentorship.mentor,
                last_held_on=session.held_on if session else None,
                last_duration_minutes=session.duration_minutes if session else None,
                last_topics=[labels.get(t, t) for t in session.topics] if session else [],
                sessions_in_period=mentorship.period_count,
                hours_in_period=hours(mentorship.period_minutes),
                state=state,
                due=None
                if state == EXCUSED
                else clock.due(
                    clock.extend_date(uid, since, since + timedelta(days=period_days)),
                    soon_days=min(7, period_days),
                ),
            )
        )
    return Coverage(period_days=period_days, starts_on=starts_on, ends_on=ends_on, rows=rows)


def _period_start(clock: PauseClock, starts_on: date, period_days: int) -> Q:
    """Sessions on or after the start of each mentee's period: the calendar start, or earlier
    by whole days of pause for a mentee who was paused inside it (one query whoever it is)."""
    q = Q(sessions__held_on__gte=starts_on)
    plain = clock.window_start(None, days=period_days)
    for uid in clock.pauses:
        paused = plain - clock.window_start(uid, days=period_days)
        extra = -(-paused // timedelta(days=1))  # whole days, rounded up
        if extra:
            q |= Q(trainee_id=uid, sessions__held_on__gte=starts_on - timedelta(days=extra))
    return q


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))
