"""Made-up peers in bulk: for the demo, and for measuring pages at the sizes real organisations
reach.

`generate_population` writes rows in bulk, a batch of people at a time, because the services
cost a query or more per row and thousands of people would take many minutes: `bulk_create` for
the rows whose ids the next table needs, and plain rows (`lms.bulk_load.insert_rows`, no model
instance per row) for the many that nothing points at. It writes what the
services would have written: a confirmed `StageDecision` for every stage a person passed (their
`stage_reached_at` is the last one), an `Enrolment` whose `completed_at` is the latest
`CourseCompletion`, a refresher date from the course's `validity_months`, a `Certificate` for each
completion, `ModuleProgress` for the current round, and a review for every reviewed piece of
evidence. Knowledge-check attempts are not made: nothing reads them once a module is complete.

The generator reads the pathway's own stages and requirements, so people meet what the stages
they passed asked of them, and work part of the way (sometimes all the way) towards the next.
Kinds from other apps (supervision hours, for example) are met by those apps: each kind writes
its own records for the people meant to meet it (`RequirementKind.make_met`).

After each batch the people's kept readiness is filled in bulk (`readiness_refresh`, a fixed
number of queries a batch, not a task a person), and on PostgreSQL the tables are analysed at
the end, so the planner knows their new sizes.

Each person is drawn from a random generator of their own, seeded with the seed and their
number, so person 17 is the same person whichever run makes them. People are keyed by email
address (`peer-0017@generated.demo.example`), and a rerun skips those that exist.
"""

from __future__ import annotations

import random
import secrets
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone

from courses.models import Certificate, CourseCompletion, Enrolment, ModuleProgress
from courses.selectors import live_modules
from lms.bulk_load import insert_rows
from lms.dates import add_months
from lms.models import Membership, Organisation, Role, User
from pathways.models import (
    Evidence,
    EvidenceReview,
    Pathway,
    PathwayMembership,
    SignOff,
    StageDecision,
    WellbeingPause,
)
from pathways.readiness_keeping import readiness_refresh
from pathways.requirements import (
    CompetencesSignedOff,
    CourseCompleted,
    CourseStarted,
    EvidenceProvided,
    MadeUp,
    TimeInStage,
    registry,
)
from pathways.selectors import stages_with_requirements

DEFAULT_SEED = 2026
EMAIL_DOMAIN = "generated.demo.example"
BATCH = 500  # people written per transaction
STAGE_WEIGHTS = (30, 30, 22, 12, 6)  # most people are in the first three stages
LATER_STAGE_WEIGHT = 3
EXPIRY_DAYS = (12, 40, 70)  # one in each of the readiness page's 30/60/90-day windows

# Every tenth person from the 3rd is ready for their next stage, every tenth from the 6th has a
# renewal due soon, and every fortieth from the 12th is on a wellbeing pause; the rest are drawn.
READY, EXPIRING, PAUSED, TYPICAL = "ready", "expiring", "paused", "typical"

FIRST_NAMES = (
    "Aisha", "Alex", "Amir", "Ana", "Ben", "Bola", "Callum", "Chloe", "Dan", "Deepa", "Eilidh",
    "Emeka", "Fatima", "Finn", "Grace", "Hamza", "Hannah", "Imran", "Isla", "Jade", "Jamal",
    "Jo", "Kai", "Kemi", "Leah", "Liam", "Lucy", "Marcus", "Mei", "Nadia", "Niamh", "Omar",
    "Priya", "Rhys", "Rosa", "Ruth", "Sade", "Sean", "Tariq", "Tom", "Yusuf", "Zara",
)  # fmt: skip
SURNAMES = (
    "Ahmed", "Allen", "Begum", "Brown", "Campbell", "Chen", "Clarke", "Davies", "Evans", "Fox",
    "Green", "Hall", "Hughes", "Hussain", "Jones", "Kaur", "Khan", "Kowalski", "Lewis", "Lin",
    "Mensah", "Morgan", "Murphy", "Nowak", "Obi", "Okafor", "Patel", "Price", "Reid", "Roberts",
    "Scott", "Shah", "Singh", "Smith", "Taylor", "Thomas", "Walker", "Ward", "Wilson", "Wright",
)  # fmt: skip
PRONOUNS = ("", "", "she/her", "he/him", "they/them")
STATEMENTS = (
    "I wrote this in my own words and talked it through with my supervisor.",
    "This is what I have learned about myself and how I use it in my work with people.",
    "I have put this together over the last few weeks, with help from my mentor.",
)
MORE_NEEDED_NOTES = (
    "Thank you. Could you add an example from your work with someone?",
    "This is a good start. Say a little more about what you would do differently next time.",
)
NOT_YET_NOTES = (
    "Nearly there. Let us talk again once the last course is done.",
    "We agreed to wait until after your next supervision session.",
)


# --- What the pathway asks --------------------------------------------------------------------


@dataclass
class _Course:
    pk: int
    module_ids: list[int]
    validity_months: int | None
    certificate: bool
    renew_every: int | None = None  # the shortest of its validity and any requirement's renewal


@dataclass
class _Need:
    """One requirement, as the generator meets it."""

    kind: str
    course: _Course | None = None
    competence_ids: list[int] = field(default_factory=list)
    evidence_kind: str = ""
    within_months: int | None = None
    requirement: object = None  # for kinds of other apps, which meet it themselves


@dataclass
class _Plan:
    stages: list  # Stage rows in order
    needs: list[list[_Need]]  # by stage position
    least_months: list[float]  # time at each stage that the next stage's time_in_stage asks for
    unfilled: set[str]  # kinds nobody has registered: nothing can meet them


def _read_pathway(pathway: Pathway) -> _Plan:
    stages = stages_with_requirements(pathway_ids=[pathway.pk]).get(pathway.pk, [])
    courses: dict[int, _Course] = {}
    needs, least, unfilled = [], [], set()
    for stage in stages:
        stage_needs = []
        for requirement in stage.requirements.all():
            need = _need(requirement, courses)
            if need is None:
                unfilled.add(requirement.kind)
            elif need.kind == TimeInStage.key:
                least.append((len(needs), float(requirement.amount or 0)))
            else:
                stage_needs.append(need)
        needs.append(stage_needs)
    least_months = [0.0] * len(stages)
    for position, months in least:
        if position:
            least_months[position - 1] = max(least_months[position - 1], months)
    return _Plan(stages, needs, least_months, unfilled)


def _need(requirement, courses: dict[int, _Course]) -> _Need | None:
    kind = requirement.kind
    if kind in (CourseStarted.key, CourseCompleted.key):
        course = courses.get(requirement.course_id) or _course(requirement.course)
        courses[course.pk] = course
        if kind == CourseCompleted.key and requirement.renewal_months:
            course.renew_every = min(course.renew_every or 10_000, requirement.renewal_months)
        return _Need(kind, course=course, within_months=requirement.within_months)
    if kind == CompetencesSignedOff.key:
        ids = sorted(CompetencesSignedOff().required_ids(requirement))
        return _Need(kind, competence_ids=ids, within_months=requirement.within_months)
    if kind == EvidenceProvided.key:
        return _Need(kind, evidence_kind=requirement.evidence_kind)
    if kind == TimeInStage.key:
        return _Need(kind)
    if registry.get(kind) is not None:
        return _Need(kind, within_months=requirement.within_months, requirement=requirement)
    return None


def _course(page) -> _Course:
    module_ids = list(live_modules(course=page).values_list("pk", flat=True))
    return _Course(
        page.pk,
        module_ids,
        page.validity_months,
        page.certificate_enabled,
        renew_every=page.validity_months,
    )


# --- One made-up person -----------------------------------------------------------------------


@dataclass
class _CourseRecord:
    course: _Course
    enrolled_at: datetime
    assigned: bool
    completions: list[datetime] = field(default_factory=list)
    modules_done: int = 0  # in the current round, while it is not complete
    round_started_at: datetime | None = None
    progress: list[tuple[int, datetime, datetime | None]] = field(default_factory=list)


@dataclass
class _EvidenceRecord:
    evidence_kind: str
    status: str
    submitted_at: datetime
    statement: str
    reviewed_at: datetime | None = None
    note: str = ""


@dataclass
class _Person:
    number: int
    email: str
    name: str
    pronouns: str
    profile: str
    position: int = 0  # index of their current stage
    reached: list[datetime] = field(default_factory=list)  # when they reached each stage so far
    mentor: bool = False
    courses: dict[int, _CourseRecord] = field(default_factory=dict)
    sign_offs: dict[int, datetime] = field(default_factory=dict)
    evidence: list[_EvidenceRecord] = field(default_factory=list)
    decisions: list[tuple[int, int, str, datetime, str]] = field(default_factory=list)
    pauses: list[tuple[datetime, datetime | None]] = field(default_factory=list)
    made_up: list[tuple[object, datetime, datetime]] = field(default_factory=list)


def _profile(number: int) -> str:
    if number % 40 == 12:
        return PAUSED
    return {3: READY, 6: EXPIRING}.get(number % 10, TYPICAL)


def _months(months: float) -> timedelta:
    return timedelta(days=30.44 * months)


class _Drawer:
    """Draws people for one pathway; person N depends only on the seed, the prefix and N."""

    def __init__(self, plan: _Plan, now: datetime, seed, prefix: str):
        self.plan, self.now, self.seed, self.prefix = plan, now, seed, prefix

    def person(self, number: int) -> _Person:
        rng = random.Random(f"{self.seed}/{self.prefix}/{number}")
        first, last = rng.choice(FIRST_NAMES), rng.choice(SURNAMES)
        person = _Person(
            number,
            email_for(self.prefix, number),
            f"{first} {last}",
            rng.choice(PRONOUNS),
            _profile(number),
        )
        person.position = self._stage(rng, person)
        person.reached = self._reached(rng, person)
        self._history(rng, person)
        self._towards_next(rng, person)
        self._renewals(rng, person)
        if person.profile == EXPIRING:
            self._expire_soon(rng, person)
        self._pauses(rng, person)
        for record in person.courses.values():
            self._rounds(rng, record)
        last_stage = len(self.plan.stages) - 1
        person.mentor = person.position >= max(1, last_stage - 1) and rng.random() < 0.5
        return person

    def _stage(self, rng, person) -> int:
        count = len(self.plan.stages)
        candidates = list(range(count))
        if person.profile == READY:
            candidates = candidates[:-1]
        elif person.profile == EXPIRING:
            candidates = [i for i in candidates if self._renewable(i)] or candidates
        if not candidates:  # a pathway of one stage: nobody can be ready for the next
            person.profile, candidates = TYPICAL, [0]
        weights = [
            STAGE_WEIGHTS[i] if i < len(STAGE_WEIGHTS) else LATER_STAGE_WEIGHT for i in candidates
        ]
        return rng.choices(candidates, weights)[0]

    def _renewable(self, position: int) -> bool:
        return any(
            need.kind == CourseCompleted.key and need.course.renew_every
            for need in self.plan.needs[position]
        )

    def _reached(self, rng, person) -> list[datetime]:
        """When they reached each stage up to their current one, the latest within three years
        (and long enough ago for a person who is ready to have done their time in stage)."""
        least = self.plan.least_months[person.position]
        if person.profile == READY:
            ago = rng.uniform(least + 0.5, least + 9) if least else rng.uniform(0.5, 24)
        else:
            ago = rng.uniform(0.3, 36)
        reached = [self.now - _months(ago)]
        for position in range(person.position - 1, -1, -1):
            stay = max(self.plan.least_months[position] + 0.3, rng.uniform(3, 18))
            reached.insert(0, reached[0] - _months(stay))
        return reached

    def _history(self, rng, person) -> None:
        """Everything the stages they passed asked of them, done in the time before each; and
        a coordinator's confirmed decision for each move (sometimes after a "not yet")."""
        reached = person.reached
        for position in range(person.position + 1):
            start = reached[max(0, position - 1)]
            end = reached[position] if position else (reached[1] if person.position else self.now)
            self._meet(rng, person, position, start, end, full=position > 0 or person.position > 0)
            if position:
                if rng.random() < 0.15:
                    at = reached[position] - timedelta(days=rng.uniform(20, 60))
                    person.decisions.append(
                        (
                            position - 1,
                            position,
                            StageDecision.NOT_YET,
                            at,
                            rng.choice(NOT_YET_NOTES),
                        )
                    )
                person.decisions.append(
                    (position - 1, position, StageDecision.CONFIRMED, reached[position], "")
                )

    def _towards_next(self, rng, person) -> None:
        upcoming = person.position + 1
        if upcoming >= len(self.plan.stages):
            return
        since = person.reached[-1]
        self._meet(rng, person, upcoming, since, self.now, full=person.profile == READY)
        recent = self.now - since > timedelta(days=90)
        if person.profile == TYPICAL and recent and rng.random() < 0.08:
            at = since + (self.now - since) * rng.uniform(0.5, 0.95)
            person.decisions.append(
                (person.position, upcoming, StageDecision.NOT_YET, at, rng.choice(NOT_YET_NOTES))
            )

    def _meet(self, rng, person, position, start, end, *, full: bool) -> None:
        for need in self.plan.needs[position]:
            begin = start
            if need.within_months:
                begin = max(start, add_months(self.now, -need.within_months) + timedelta(days=3))
            window = (begin, max(begin, end))
            if need.kind == CourseStarted.key:
                if full or rng.random() < 0.7:
                    self._start(rng, person, need.course, window)
            elif need.kind == CourseCompleted.key:
                self._course_step(rng, person, need.course, window, full)
            elif need.kind == CompetencesSignedOff.key:
                ids = need.competence_ids
                chosen = ids if full else rng.sample(ids, rng.randint(0, max(0, len(ids) - 1)))
                for competence_id in chosen:
                    person.sign_offs.setdefault(competence_id, self._between(rng, *window))
            elif need.kind == EvidenceProvided.key:
                self._evidence(rng, person, need.evidence_kind, window, full)
            elif need.requirement is not None and full:
                person.made_up.append((need.requirement, *window))

    def _course_step(self, rng, person, course, window, full) -> None:
        roll = rng.random()
        if full or roll < 0.35:
            self._complete(rng, person, course, window)
        elif roll < 0.7:
            self._start(rng, person, course, window)

    def _start(self, rng, person, course, window) -> _CourseRecord:
        record = person.courses.get(course.pk)
        if record is None:
            record = _CourseRecord(course, self._between(rng, *window), rng.random() < 0.3)
            record.modules_done = rng.randint(0, max(0, len(course.module_ids) - 1))
            person.courses[course.pk] = record
        return record

    def _complete(self, rng, person, course, window) -> None:
        record = person.courses.get(course.pk)
        if record is not None and record.completions:
            return
        completed = self._between(rng, *window)
        if record is None:
            enrolled = completed - timedelta(days=rng.uniform(7, 90))
            record = self._start(rng, person, course, (enrolled, enrolled))
        completed = min(
            max(completed, record.enrolled_at + timedelta(days=1)), self.now - timedelta(hours=1)
        )
        record.completions.append(completed)

    def _evidence(self, rng, person, kind, window, full) -> None:
        roll = 0.0 if full else rng.random()
        statement = rng.choice(STATEMENTS)
        if roll < 0.3:
            submitted = self._between(rng, *window)
            reviewed = min(submitted + timedelta(days=rng.uniform(1, 14)), self.now)
            person.evidence.append(
                _EvidenceRecord(kind, Evidence.SIGNED_OFF, submitted, statement, reviewed)
            )
        elif roll < 0.38:  # waiting for review: sent in the last month
            submitted = self._between(rng, max(window[0], self.now - timedelta(days=30)), self.now)
            person.evidence.append(_EvidenceRecord(kind, Evidence.SUBMITTED, submitted, statement))
        elif roll < 0.43:
            submitted = self._between(rng, *window)
            reviewed = min(submitted + timedelta(days=rng.uniform(1, 14)), self.now)
            person.evidence.append(
                _EvidenceRecord(
                    kind,
                    Evidence.MORE_NEEDED,
                    submitted,
                    statement,
                    reviewed,
                    rng.choice(MORE_NEEDED_NOTES),
                )
            )

    def _renewals(self, rng, person) -> None:
        """Refreshers taken a little before each renewal fell due; now and then a typical
        person lets one lapse, and it shows as needing renewal."""
        for record in person.courses.values():
            every = record.course.renew_every
            while every and record.completions:
                due = add_months(record.completions[-1], every)
                if due > self.now or (person.profile == TYPICAL and rng.random() < 0.08):
                    break
                refreshed = due - timedelta(days=rng.uniform(0, 45))
                refreshed = max(refreshed, record.completions[-1] + timedelta(days=7))
                record.completions.append(min(refreshed, self.now - timedelta(hours=1)))

    def _expire_soon(self, rng, person) -> None:
        """Move the latest completion of a course their stage asks to be renewed so that the
        renewal falls due in 12, 40 or 70 days."""
        renewable = [
            need.course
            for need in self.plan.needs[person.position]
            if need.kind == CourseCompleted.key and need.course.renew_every
        ]
        record = person.courses.get(renewable[0].pk) if renewable else None
        if record is None or not record.completions:
            person.profile = TYPICAL
            return
        days = EXPIRY_DAYS[(person.number // 10) % len(EXPIRY_DAYS)] + rng.uniform(0, 5)
        completed = add_months(self.now + timedelta(days=days), -record.course.renew_every)
        earlier = [at for at in record.completions if at < completed - timedelta(days=30)]
        record.completions = [*earlier, completed]
        record.enrolled_at = min(record.enrolled_at, completed - timedelta(days=14))

    def _pauses(self, rng, person) -> None:
        if person.profile == PAUSED:
            person.pauses.append((self.now - timedelta(days=rng.uniform(7, 90)), None))
        elif person.profile == TYPICAL and rng.random() < 0.04:
            latest_start = self.now - timedelta(days=60)
            if person.reached[0] < latest_start:
                started = self._between(rng, person.reached[0], latest_start)
                person.pauses.append((started, started + timedelta(days=rng.uniform(14, 56))))

    def _rounds(self, rng, record: _CourseRecord) -> None:
        """The current round's module progress: every module for a completed course, the first
        few (and perhaps a visit to the next) for one under way."""
        modules = record.course.module_ids
        if record.completions:
            previous = record.completions[-2] if len(record.completions) > 1 else None
            finished = record.completions[-1]
            start = finished - timedelta(days=rng.uniform(3, 40))
            start = max(start, previous + timedelta(hours=1) if previous else record.enrolled_at)
            record.round_started_at = min(start, finished)
            times = sorted(self._between(rng, record.round_started_at, finished) for _ in modules)
            record.progress = [
                (module_id, at, at) for module_id, at in zip(modules, times, strict=True)
            ]
            if record.progress:  # the last module completes the course
                record.progress[-1] = (modules[-1], finished, finished)
            return
        record.round_started_at = record.enrolled_at
        done = modules[: record.modules_done]
        times = sorted(self._between(rng, record.enrolled_at, self.now) for _ in done)
        record.progress = [(module_id, at, at) for module_id, at in zip(done, times, strict=True)]
        if record.modules_done < len(modules) and rng.random() < 0.5:
            visited = self._between(rng, times[-1] if times else record.enrolled_at, self.now)
            record.progress.append((modules[record.modules_done], visited, None))

    @staticmethod
    def _between(rng, start: datetime, end: datetime) -> datetime:
        return start + (end - start) * rng.random() if end > start else start


# --- Writing ----------------------------------------------------------------------------------


def email_for(prefix: str, number: int) -> str:
    return f"{prefix}-{number:04d}@{EMAIL_DOMAIN}"


@dataclass
class _Context:
    organisation: Organisation
    pathway: Pathway
    plan: _Plan
    coordinator_id: int | None
    now: datetime


def _write(people: list[_Person], context: _Context) -> list[User]:
    """Every row for a batch of people, one table at a time."""
    users = []
    for person in people:
        user = User(
            email=person.email,
            display_name=person.name,
            pronouns=person.pronouns,
            date_joined=person.reached[0] - timedelta(days=3),
        )
        user.set_unusable_password()  # made-up people never sign in; hashing would be slow
        users.append(user)
    User.objects.bulk_create(users)
    insert_rows(
        Membership,
        ("user_id", "organisation_id", "role", "active_from"),
        _memberships(people, users, context),
    )
    places = [
        PathwayMembership(
            user=user,
            pathway=context.pathway,
            stage=context.plan.stages[person.position],
            stage_reached_at=person.reached[-1],
            joined_at=person.reached[0],
        )
        for person, user in zip(people, users, strict=True)
    ]
    PathwayMembership.objects.bulk_create(places)
    insert_rows(
        StageDecision,
        (
            "membership_id",
            "from_stage_id",
            "to_stage_id",
            "outcome",
            "note",
            "decided_by_id",
            "decided_at",
        ),
        _decisions(people, places, context),
    )
    _write_courses(people, users, context)
    _write_evidence(people, users, context)
    insert_rows(
        SignOff,
        ("user_id", "competence_id", "signed_off_at", "signed_off_by_id"),
        (
            (user.pk, competence_id, at, context.coordinator_id)
            for person, user in zip(people, users, strict=True)
            for competence_id, at in person.sign_offs.items()
        ),
    )
    insert_rows(
        WellbeingPause,
        ("user_id", "started_at", "ended_at"),
        (
            (user.pk, started, ended)
            for person, user in zip(people, users, strict=True)
            for started, ended in person.pauses
        ),
    )
    _write_made_up(people, users, context)
    return users


def _write_made_up(people, users, context) -> None:
    """Ask each kind of another app to meet its requirements for the people meant to."""
    wanted = defaultdict(list)
    for person, user in zip(people, users, strict=True):
        for requirement, start, end in person.made_up:
            wanted[requirement.pk].append((requirement, MadeUp(user.pk, start, end)))
    for rows in wanted.values():
        requirement = rows[0][0]
        registry.get(requirement.kind).make_met(
            requirement,
            [made_up for _, made_up in rows],
            organisation=context.organisation,
            now=context.now,
        )


def _memberships(people, users, context):
    """(user_id, organisation_id, role, active_from) rows: a peer's, and a mentor's as well."""
    organisation_id = context.organisation.pk
    for person, user in zip(people, users, strict=True):
        yield (user.pk, organisation_id, Role.PEER, timezone.localdate(person.reached[0]))
        if person.mentor:
            yield (user.pk, organisation_id, Role.MENTOR, timezone.localdate(person.reached[-1]))


def _decisions(people, places, context):
    stages = context.plan.stages
    return (
        (
            place.pk,
            stages[before].pk,
            stages[after].pk,
            outcome,
            note,
            context.coordinator_id,
            at,
        )
        for person, place in zip(people, places, strict=True)
        for before, after, outcome, at, note in person.decisions
    )


def _write_courses(people, users, context) -> None:
    enrolments, records = [], []
    for person, user in zip(people, users, strict=True):
        for record in person.courses.values():
            last = record.progress[-1][0] if record.progress else None
            enrolments.append(
                Enrolment(
                    user=user,
                    course_id=record.course.pk,
                    enrolled_at=record.enrolled_at,
                    round_started_at=record.round_started_at,
                    last_module_id=last,
                    completed_at=record.completions[-1] if record.completions else None,
                    assigned_by_id=context.coordinator_id if record.assigned else None,
                )
            )
            records.append(record)
    Enrolment.objects.bulk_create(enrolments)
    insert_rows(
        ModuleProgress,
        ("enrolment_id", "module_id", "visited_at", "finished_at", "completed_at"),
        # A generated peer says they finished a module as it completes.
        (
            (enrolment.pk, module_id, visited, completed, completed)
            for enrolment, record in zip(enrolments, records, strict=True)
            for module_id, visited, completed in record.progress
        ),
    )
    completions = [
        CourseCompletion(
            enrolment=enrolment,
            completed_at=at,
            refresher_due_at=_due(at, record.course),
            is_latest=round_ == len(record.completions),  # rounds are in order
        )
        for enrolment, record in zip(enrolments, records, strict=True)
        for round_, at in enumerate(record.completions, start=1)
    ]
    CourseCompletion.objects.bulk_create(completions)
    insert_rows(
        Certificate,
        ("completion_id", "user_id", "course_id", "code", "issued_at", "expires_at"),
        (
            (
                completion.pk,
                completion.enrolment.user_id,
                completion.enrolment.course_id,
                secrets.token_urlsafe(18),
                completion.completed_at,
                completion.refresher_due_at,
            )
            for completion, record in zip(completions, _per_completion(records), strict=True)
            if record.course.certificate
        ),
    )


def _per_completion(records):
    for record in records:
        yield from (record for _ in record.completions)


def _due(completed_at: datetime, course: _Course) -> datetime | None:
    return add_months(completed_at, course.validity_months) if course.validity_months else None


def _write_evidence(people, users, context) -> None:
    evidence, records = [], []
    for person, user in zip(people, users, strict=True):
        for record in person.evidence:
            evidence.append(
                Evidence(
                    user=user,
                    evidence_kind=record.evidence_kind,
                    statement=record.statement,
                    status=record.status,
                    submitted_at=record.submitted_at,
                )
            )
            records.append(record)
    Evidence.objects.bulk_create(evidence)
    insert_rows(
        EvidenceReview,
        ("evidence_id", "reviewer_id", "outcome", "note", "reviewed_at"),
        (
            (item.pk, context.coordinator_id, record.status, record.note, record.reviewed_at)
            for item, record in zip(evidence, records, strict=True)
            if record.reviewed_at is not None
        ),
    )


# --- The entry point --------------------------------------------------------------------------


def generate_population(
    *,
    organisation: Organisation,
    pathway: Pathway,
    count: int,
    seed=DEFAULT_SEED,
    email_prefix: str = "peer",
    log: Callable[[str], object] = print,
    now: datetime | None = None,
) -> int:
    """Make people 1 to `count` (those not there already) as peers of `organisation` on
    `pathway`, with their history; returns how many were created."""
    now = now or timezone.now()
    plan = _read_pathway(pathway)
    if not plan.stages:
        log(f"{pathway} has no stages, so nobody was generated.")
        return 0
    if plan.unfilled:
        log(
            "Generated people have no data for these requirement kinds (no app registers them): "
            + ", ".join(sorted(plan.unfilled))
        )
    coordinator_id = (
        Membership.objects.active()
        .filter(organisation=organisation, role=Role.COORDINATOR)
        .order_by("pk")
        .values_list("user_id", flat=True)
        .first()
    )
    context = _Context(organisation, pathway, plan, coordinator_id, now)
    drawer = _Drawer(plan, now, seed, email_prefix)
    created = 0
    for first in range(1, count + 1, BATCH):
        numbers = range(first, min(first + BATCH, count + 1))
        emails = [email_for(email_prefix, number) for number in numbers]
        existing = set(User.objects.filter(email__in=emails).values_list("email", flat=True))
        people = [
            drawer.person(number)
            for number, email in zip(numbers, emails, strict=True)
            if email not in existing
        ]
        if people:
            with transaction.atomic():
                users = _write(people, context)
                readiness_refresh(user_ids=[user.pk for user in users], now=now)
            created += len(people)
        if count > 2 * BATCH:
            log(f"  {numbers[-1]} of {count} people done")
    if created:
        _analyse()
    log(f"Generated {created} people at {organisation} ({count - created} were there already).")
    return created


def _analyse() -> None:
    """After a bulk load, PostgreSQL's planner still has the old table sizes until autovacuum
    gets round to them; ANALYZE now, so the first pages read use the indexes."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
