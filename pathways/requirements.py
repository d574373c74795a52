"""The registry of requirement kinds.

A kind turns one `Requirement` into a `Status` for many people at once (set-based: a fixed number
of queries however many people). Higher layers register their own kinds when their app is ready,
so `pathways` never imports them: `mentoring` registers the supervision kinds this way.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Count, Max, OuterRef, Q, Subquery
from django.utils import timezone

from courses.models import CourseCompletion, Enrolment
from courses.selectors import live_modules
from lms.clock import DUE_SOON, OVERDUE, PauseClock, People, people_in
from lms.clock import clock_for as _kernel_clock_for
from pathways.models import Competence, Evidence, PathwayMembership, SignOff, WellbeingPause

EXPIRING_SOON_DAYS = 30
MET, IN_PROGRESS, NOT_STARTED = "met", "in_progress", "not_started"
EXPIRING_SOON, EXPIRED = "expiring_soon", "expired"


# The people to evaluate, optionally with the same people as a subquery (lms.clock.People).
UserIds = People
_in = people_in


@dataclass(frozen=True)
class Status:
    """Where one person stands on one requirement, with the next step in plain words."""

    state: str
    done: Decimal | int = 0
    total: Decimal | int = 1
    next_step: str = ""
    expires_at: datetime | None = None
    # Not met yet, but will be at this moment by time alone (time in stage), if nothing changes.
    met_from: datetime | None = None

    @property
    def met(self) -> bool:
        return self.state in (MET, EXPIRING_SOON)

    @property
    def percent(self) -> int:
        if self.met:
            return 100
        if not self.total:
            return 0
        return min(100, round(100 * float(self.done) / float(self.total)))

    @property
    def label(self) -> str:
        return {
            MET: "Done",
            IN_PROGRESS: "In progress",
            NOT_STARTED: "Not started",
            EXPIRING_SOON: "Done, renewal due soon",
            EXPIRED: "Needs renewing",
        }[self.state]


# The one clock (lms.clock), which knows everyone's pauses through the `pause_periods` hook that
# pathways answers (`pathways.wagtail_hooks.pause_periods`).
Clock = PauseClock


def expiry_state(clock: Clock, expires_at: datetime | None) -> str:
    """Done, renewal due soon, or lapsed, from the clock's date."""
    return {OVERDUE: EXPIRED, DUE_SOON: EXPIRING_SOON}.get(
        clock.due_state(expires_at, soon_days=EXPIRING_SOON_DAYS), MET
    )


def window_filter(clock: Clock, user_ids, months, *, person: str, moment: str, as_date=False):
    """A Q for rows in each person's window of the last `months` of un-paused time: the plain
    window for everyone, or a longer one for each person with a pause (their window starts
    earlier, so the union is exact). None when there is no window. One query whoever is paused."""
    if not months:
        return None

    def bound(moment_at):
        return timezone.localdate(moment_at) if as_date else moment_at

    q = Q(**{f"{moment}__gte": bound(clock.window_start(None, months=months))})
    wanted = set(user_ids) or set(clock.pauses)  # no ids: everyone the subquery gives
    for uid in clock.pauses:
        if uid in wanted:
            q |= Q(**{person: uid, f"{moment}__gte": bound(clock.window_start(uid, months=months))})
    return q


@dataclass(frozen=True)
class MadeUp:
    """A made-up person the population generator asks a kind to meet a requirement for, with
    the time in which the records should fall."""

    user_id: int
    start: datetime
    end: datetime


class RequirementKind:
    """Subclass, set `key`, `label` and `fields`, and implement `evaluate`."""

    key: str = ""
    label: str = ""
    fields: tuple[str, ...] = ()  # the Requirement fields this kind uses
    required_fields: tuple[str, ...] = ()

    def validate(self, requirement) -> None:
        missing = {
            name: "This kind of requirement needs this."
            for name in self.required_fields
            if getattr(requirement, name) in (None, "")
        }
        if missing:
            raise ValidationError(missing)

    def describe(self, requirement) -> str:
        return requirement.title or self.label

    def can_expire(self, requirement) -> bool:
        """Whether this requirement, once met, can lapse (and so still matters after the person
        has reached its stage)."""
        return False

    def evaluate(self, requirement, user_ids: list[int], clock: Clock) -> dict[int, Status]:
        raise NotImplementedError

    def make_met(self, requirement, people: list[MadeUp], *, organisation, now) -> bool:
        """For the population generator (`pathways.population`): write, in bulk, what these
        made-up people need to meet this requirement, each within their (start, end). Kinds
        that other apps register answer it for their own records; False when a kind cannot."""
        return False


class Registry:
    def __init__(self):
        self._kinds: dict[str, RequirementKind] = {}

    def register(self, kind: RequirementKind) -> RequirementKind:
        self._kinds[kind.key] = kind
        return kind

    def get(self, key: str) -> RequirementKind | None:
        return self._kinds.get(key)

    def choices(self) -> list[tuple[str, str]]:
        return [(kind.key, kind.label) for kind in self._kinds.values()]

    def evaluate(self, requirement, user_ids: Iterable[int], clock: Clock) -> dict[int, Status]:
        kind = self.get(requirement.kind)
        if not isinstance(user_ids, list):
            user_ids = list(user_ids)
        if kind is None or not user_ids:
            return {}
        return kind.evaluate(requirement, user_ids, clock)


registry = Registry()


# --- The kinds pathways ships -----------------------------------------------------------------


class CourseStarted(RequirementKind):
    key, label = "course_started", "Course started"
    fields = required_fields = ("course",)

    def describe(self, requirement):
        return requirement.title or f"Start {requirement.course.title}"

    def evaluate(self, requirement, user_ids, clock):
        started = set(
            Enrolment.objects.filter(
                course_id=requirement.course_id, user_id__in=_in(user_ids)
            ).values_list("user_id", flat=True)
        )
        title = requirement.course.title
        return {
            uid: Status(MET) if uid in started else Status(NOT_STARTED, 0, 1, f"Start {title}")
            for uid in user_ids
        }


class CourseCompleted(RequirementKind):
    key, label = "course_completed", "Course completed"
    fields = ("course", "within_months", "renewal_months")
    required_fields = ("course",)

    def describe(self, requirement):
        return requirement.title or f"Complete {requirement.course.title}"

    def can_expire(self, requirement):
        return bool(requirement.renewal_months or requirement.course.validity_months)

    def evaluate(self, requirement, user_ids, clock):
        enrolments = self._enrolments(requirement, user_ids, clock)
        total = self._module_total(requirement)
        title = requirement.course.title
        statuses = {}
        for uid in user_ids:
            completed_at, course_due, done, ever = enrolments.get(uid, (None, None, None, None))
            if completed_at is not None:
                statuses[uid] = self._completed(requirement, uid, completed_at, course_due, clock)
            elif ever is not None:
                # Completed, but longer ago than the requirement allows.
                statuses[uid] = Status(EXPIRED, 0, 1, f"Take the {title} refresher")
            elif done is None:
                statuses[uid] = Status(NOT_STARTED, 0, total, f"Start {title}")
            else:
                statuses[uid] = Status(
                    IN_PROGRESS, done, total, f"Complete {title} — {done} of {total} modules done"
                )
        return statuses

    def _completed(self, requirement, uid, completed_at, course_due, clock):
        if requirement.renewal_months:
            expires = clock.expiry(uid, completed_at, requirement.renewal_months)
        elif course_due:
            expires = clock.extend(uid, completed_at, course_due)
        else:
            expires = None
        state = expiry_state(clock, expires)
        step = f"Take the {requirement.course.title} refresher" if state != MET else ""
        return Status(state, 1, 1, step, expires)

    def _enrolments(self, requirement, user_ids, clock):
        """{user id: (latest completion, its refresher date, modules done this round)}: one row
        a person, the latest completion picked in the database."""
        every = CourseCompletion.objects.filter(enrolment=OuterRef("pk")).order_by("-completed_at")
        completions = every
        window = window_filter(
            clock,
            user_ids,
            requirement.within_months,
            person="enrolment__user_id",
            moment="completed_at",
        )
        if window is not None:
            completions = completions.filter(window)
        latest = completions.order_by("-completed_at")
        rows = (
            Enrolment.objects.filter(course_id=requirement.course_id, user_id__in=_in(user_ids))
            .annotate(
                latest_at=Subquery(latest.values("completed_at")[:1]),
                latest_due=Subquery(latest.values("refresher_due_at")[:1]),
                ever_at=Subquery(every.values("completed_at")[:1]),
                done=Count(
                    "progress",
                    filter=Q(progress__completed_at__isnull=False, progress__module__live=True),
                ),
            )
            .values_list("user_id", "latest_at", "latest_due", "done", "ever_at")
        )
        return {uid: (at, due, done, ever) for uid, at, due, done, ever in rows}

    def _module_total(self, requirement) -> int:
        return live_modules(course=requirement.course).count()


class CompetencesSignedOff(RequirementKind):
    key, label = "competences_signed_off", "Competences signed off"
    fields = ("domains", "competences", "within_months")

    def validate(self, requirement):
        # Many-to-many values are saved after clean(), so they cannot be checked here.
        return None

    def describe(self, requirement):
        if requirement.title:
            return requirement.title
        codes = [domain.code for domain in requirement.domains.all()]
        if codes:
            return (
                "Competences signed off in domain"
                + ("s " if len(codes) > 1 else " ")
                + ", ".join(codes)
            )
        return "Competences signed off"

    def required_ids(self, requirement) -> set[int]:
        return set(
            Competence.objects.filter(
                Q(pk__in=requirement.competences.all()) | Q(domain__in=requirement.domains.all())
            ).values_list("pk", flat=True)
        )

    def evaluate(self, requirement, user_ids, clock):
        required = self.required_ids(requirement)
        window = window_filter(
            clock, user_ids, requirement.within_months, person="user_id", moment="signed_off_at"
        )
        signed = signed_off_counts(user_ids=user_ids, competence_ids=required, window=window)
        total = len(required)
        statuses = {}
        for uid in user_ids:
            done = signed.get(uid, 0)
            if total and done >= total:
                statuses[uid] = Status(MET, done, total)
            else:
                remaining = total - done
                state = IN_PROGRESS if done else NOT_STARTED
                statuses[uid] = Status(
                    state,
                    done,
                    total,
                    f"Get {remaining} more competence{'s' if remaining != 1 else ''} signed off "
                    f"— {done} of {total} done",
                )
        return statuses


class EvidenceProvided(RequirementKind):
    key, label = "evidence", "Evidence provided"
    fields = ("evidence_kind", "renewal_months")
    required_fields = ("evidence_kind",)

    def describe(self, requirement):
        return requirement.title or f"Provide: {requirement.evidence_kind}"

    def can_expire(self, requirement):
        return bool(requirement.renewal_months)

    def evaluate(self, requirement, user_ids, clock):
        rows = (
            Evidence.objects.filter(
                user_id__in=_in(user_ids), evidence_kind=requirement.evidence_kind
            )
            .values("user_id", "status")
            # A renewal runs from when the evidence was signed off, not from when it was sent.
            .annotate(latest=Max("submitted_at"), signed=Max("reviews__reviewed_at"))
        )
        best = defaultdict(dict)
        for row in rows:
            signed_off = row["status"] == Evidence.SIGNED_OFF and row["signed"]
            best[row["user_id"]][row["status"]] = row["signed"] if signed_off else row["latest"]
        statuses = {}
        for uid in user_ids:
            found = best.get(uid, {})
            if Evidence.SIGNED_OFF in found:
                signed_at = found[Evidence.SIGNED_OFF]
                expires = (
                    clock.expiry(uid, signed_at, requirement.renewal_months)
                    if requirement.renewal_months
                    else None
                )
                statuses[uid] = Status(expiry_state(clock, expires), 1, 1, "", expires)
            elif Evidence.SUBMITTED in found:
                statuses[uid] = Status(
                    IN_PROGRESS, 0, 1, f"Waiting for review: {requirement.evidence_kind}"
                )
            elif Evidence.MORE_NEEDED in found:
                statuses[uid] = Status(
                    IN_PROGRESS, 0, 1, f"Add to your evidence: {requirement.evidence_kind}"
                )
            else:
                statuses[uid] = Status(NOT_STARTED, 0, 1, f"Provide {requirement.evidence_kind}")
        return statuses


class TimeInStage(RequirementKind):
    key, label = "time_in_stage", "Time in current stage"
    fields = required_fields = ("amount",)

    def describe(self, requirement):
        return requirement.title or f"{requirement.amount:g} months in your current stage"

    def evaluate(self, requirement, user_ids, clock):
        reached = dict(
            PathwayMembership.objects.filter(
                user_id__in=_in(user_ids), stage__pathway_id=requirement.stage.pathway_id
            ).values_list("user_id", "stage_reached_at")
        )
        needed = Decimal(requirement.amount)
        statuses = {}
        for uid in user_ids:
            since = reached.get(uid)
            active = None if since is None else clock.active_since(uid, since)
            months = Decimal(0) if active is None else _months(active.days)
            if months >= needed:
                statuses[uid] = Status(MET, needed, needed)
            else:
                statuses[uid] = Status(
                    IN_PROGRESS if months else NOT_STARTED,
                    months,
                    needed,
                    f"Keep going — {months:g} of {needed:g} months so far",
                    met_from=self._met_from(uid, active, needed, clock),
                )
        return statuses

    def _met_from(self, uid, active, needed, clock) -> datetime | None:
        """When the months needed will have passed, if the clock keeps running (it stops while
        the person is paused: ending the pause is an event of its own)."""
        if active is None or uid in clock.paused_now:
            return None
        days = max(active.days, int(needed * Decimal("30.44")) - 2)
        while _months(days) < needed:
            days += 1
        return clock.now + (timedelta(days=days) - active)


def _months(days: int) -> Decimal:
    """Days active as months, to a tenth, as people are shown them."""
    return Decimal(str(round(days / 30.44, 1)))


for _kind in (
    CourseStarted(),
    CourseCompleted(),
    CompetencesSignedOff(),
    EvidenceProvided(),
    TimeInStage(),
):
    registry.register(_kind)


def signed_off_competences(
    *, user_ids: list[int], competence_ids: set[int], since: datetime | None = None
) -> dict[int, set[int]]:
    """For each person, which of these competences stand signed off (withdrawn ones do not)."""
    rows = SignOff.objects.filter(
        user_id__in=user_ids,
        competence_id__in=competence_ids,
        withdraws__isnull=True,
        withdrawn_by__isnull=True,
    )
    if since is not None:
        rows = rows.filter(signed_off_at__gte=since)
    signed = defaultdict(set)
    for uid, competence_id in rows.values_list("user_id", "competence_id"):
        signed[uid].add(competence_id)
    return signed


def signed_off_counts(
    *,
    user_ids: list[int],
    competence_ids: set[int],
    since: datetime | None = None,
    window: Q | None = None,
) -> dict[int, int]:
    """For each person, how many of these competences stand signed off, counted in the
    database (a row a person, not a row a sign-off); only those signed off from `since`, or
    inside each person's `window` (from `window_filter`), when given."""
    # Corrections are rare, so both the corrections and what they withdrew are excluded with
    # small NOT IN lists. (A "withdraws IS NULL" filter would steer SQLite to the withdraws
    # index, which matches nearly every row, instead of the one on people.)
    corrections = SignOff.objects.filter(withdraws__isnull=False)
    rows = (
        SignOff.objects.filter(user_id__in=_in(user_ids), competence_id__in=competence_ids)
        .exclude(pk__in=corrections.values("pk"))
        .exclude(pk__in=corrections.values("withdraws_id"))
    )
    if since is not None:
        rows = rows.filter(signed_off_at__gte=since)
    if window is not None:
        rows = rows.filter(window)
    counted = rows.values("user_id").annotate(done=Count("competence_id", distinct=True))
    return dict(counted.values_list("user_id", "done"))


def clock_for(user_ids: Iterable[int], now: datetime | None = None) -> Clock:
    """A clock that knows every pause of these people (one query): the kernel's clock."""
    ids = user_ids if isinstance(user_ids, UserIds) else list(user_ids)
    return _kernel_clock_for(ids, now)


def pause_periods(user_ids, until: datetime) -> dict[int, list[tuple[datetime, datetime]]]:
    """The `pause_periods` hook: every wellbeing pause of these people, in one query; a pause
    still running ends at `until`."""
    periods = defaultdict(list)
    rows = WellbeingPause.objects.filter(user_id__in=_in(user_ids), started_at__lte=until)
    for uid, start, end in rows.values_list("user_id", "started_at", "ended_at"):
        periods[uid].append((start, end or until))
    return dict(periods)
