"""Reads for pathways: a person's progress, their timeline, and an organisation's workforce
readiness. Requirement statuses come from the registry, evaluated for many people at once."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property

from django.db.models import OuterRef, Prefetch, Q, QuerySet, Subquery
from django.utils import timezone

from courses.models import CourseCompletion
from lms.models import Membership, Organisation, Role, User
from lms.policy import in_organisation_context
from pathways.models import (
    Competence,
    CompetenceDomain,
    CompetenceFramework,
    Evidence,
    Pathway,
    PathwayMembership,
    ReadinessSnapshot,
    Requirement,
    SignOff,
    Stage,
    StageDecision,
    WellbeingPause,
)
from pathways.requirements import Clock, Status, UserIds, clock_for, registry

WORKFORCE_ROLES = (Role.PEER, Role.MENTOR)
EXPIRY_WINDOWS = (30, 60, 90)


# --- Frameworks and pathways ------------------------------------------------------------------


def framework_with_competences(*, framework: CompetenceFramework) -> list[CompetenceDomain]:
    competences = Competence.objects.order_by("order", "code")
    return list(
        framework.domains.order_by("order", "code").prefetch_related(
            Prefetch("competences", queryset=competences)
        )
    )


def pathways_for_organisation(*, organisation: Organisation) -> QuerySet[Pathway]:
    """The organisation's own pathways and the shared ones."""
    return Pathway.objects.filter(Q(organisation=organisation) | Q(organisation__isnull=True))


def stages_with_requirements(*, pathway_ids) -> dict[int, list[Stage]]:
    """Each pathway's stages in order, each with its requirements ready to describe."""
    requirements = (
        Requirement.objects.select_related("course", "stage")
        .prefetch_related("domains", "competences")
        .order_by("sort_order")
    )
    stages = (
        Stage.objects.filter(pathway_id__in=list(pathway_ids))
        .prefetch_related(Prefetch("requirements", queryset=requirements))
        .order_by("pathway_id", "sort_order")
    )
    by_pathway = defaultdict(list)
    for stage in stages:
        by_pathway[stage.pathway_id].append(stage)
    return by_pathway


def people_at_or_beyond(*, stage: Stage) -> QuerySet:
    """The ids of everyone on `stage`'s pathway who has reached it or a later stage, as a
    subquery (`user_id` values). Mentoring uses it to tell who may mentor."""
    return PathwayMembership.objects.filter(
        pathway_id=stage.pathway_id, stage__sort_order__gte=stage.sort_order
    ).values("user_id")


def current_stages(*, user_ids) -> dict[int, Stage]:
    """Each person's current stage (on their most recent pathway), in one query."""
    rows = (
        PathwayMembership.objects.filter(user_id__in=user_ids)
        .select_related("stage")
        .order_by("joined_at")
    )
    return {row.user_id: row.stage for row in rows}


def next_stage(stages: list[Stage], current: Stage) -> Stage | None:
    ids = [stage.pk for stage in stages]
    position = ids.index(current.pk) if current.pk in ids else -1
    return stages[position + 1] if 0 <= position < len(stages) - 1 else None


# --- One person's progress --------------------------------------------------------------------


@dataclass
class RequirementProgress:
    requirement: Requirement
    description: str
    status: Status


@dataclass
class PersonProgress:
    membership: PathwayMembership
    stages: list[Stage]
    next_stage: Stage | None
    next_requirements: list[RequirementProgress]
    current_requirements: list[RequirementProgress]
    paused: bool

    @property
    def ready(self) -> bool:
        return bool(self.next_stage) and all(r.status.met for r in self.next_requirements)

    @property
    def met_count(self) -> int:
        return sum(1 for r in self.next_requirements if r.status.met)

    @property
    def next_steps(self) -> list[str]:
        return [
            r.status.next_step
            for r in self.next_requirements
            if not r.status.met and r.status.next_step
        ]


def evaluate_stage(stage: Stage, user_ids: list[int], clock: Clock, *, renewals_only=False):
    """{user id: [RequirementProgress, ...]} for every requirement of `stage` (with
    `renewals_only`, for those that can lapse)."""
    results = defaultdict(list)
    for requirement in stage.requirements.all():
        kind = registry.get(requirement.kind)
        if kind is None:
            continue  # a kind whose app is not installed
        if renewals_only and not kind.can_expire(requirement):
            continue
        statuses = registry.evaluate(requirement, user_ids, clock)
        description = kind.describe(requirement)
        # Many people share a status ("Not started", "Done"): share one read-only record too.
        shared = {}
        for uid in user_ids:
            status = statuses[uid]
            progress = shared.get(status)
            if progress is None:
                progress = shared[status] = RequirementProgress(requirement, description, status)
            results[uid].append(progress)
    return results


def pathway_membership_for(*, user: User) -> PathwayMembership | None:
    return (
        PathwayMembership.objects.filter(user=user)
        .select_related("pathway", "stage")
        .order_by("-joined_at")
        .first()
    )


def person_progress(*, user: User, now: datetime | None = None) -> PersonProgress | None:
    """Where a person is on their pathway, and what the next stage asks of them."""
    membership = pathway_membership_for(user=user)
    if membership is None:
        return None
    stages = stages_with_requirements(pathway_ids=[membership.pathway_id])[membership.pathway_id]
    current = next((s for s in stages if s.pk == membership.stage_id), membership.stage)
    upcoming = next_stage(stages, current)
    clock = clock_for([user.pk], now)
    return PersonProgress(
        membership=membership,
        stages=stages,
        next_stage=upcoming,
        next_requirements=evaluate_stage(upcoming, [user.pk], clock)[user.pk] if upcoming else [],
        current_requirements=evaluate_stage(current, [user.pk], clock)[user.pk],
        paused=current_pause(user=user) is not None,
    )


def current_pause(*, user: User) -> WellbeingPause | None:
    return WellbeingPause.objects.filter(user=user, ended_at__isnull=True).first()


@dataclass(frozen=True)
class TimelineEvent:
    when: datetime
    kind: str
    text: str


def timeline(*, user: User, since: datetime | None = None, limit: int = 50) -> list[TimelineEvent]:
    """Stages reached, competences signed off and courses completed, newest first; from
    `since` only, when given."""
    decisions = StageDecision.objects.filter(membership__user=user, outcome=StageDecision.CONFIRMED)
    sign_offs = SignOff.objects.filter(user=user, withdraws__isnull=True, withdrawn_by__isnull=True)
    completions = CourseCompletion.objects.filter(enrolment__user=user)
    if since is not None:
        decisions = decisions.filter(decided_at__gte=since)
        sign_offs = sign_offs.filter(signed_off_at__gte=since)
        completions = completions.filter(completed_at__gte=since)
    events = [
        TimelineEvent(d.decided_at, "stage", f"Reached {d.to_stage.title}")
        for d in decisions.select_related("to_stage")[:limit]
    ]
    events += [
        TimelineEvent(
            s.signed_off_at,
            "sign_off",
            f"{s.competence.code} {s.competence.name} signed off"
            + (f" by {s.signed_off_by.display_name}" if s.signed_off_by else ""),
        )
        for s in sign_offs.select_related("competence", "signed_off_by")[:limit]
    ]
    events += [
        TimelineEvent(c.completed_at, "course", f"Completed {c.enrolment.course.title}")
        for c in completions.select_related("enrolment__course")[:limit]
    ]
    return sorted(events, key=lambda event: event.when, reverse=True)[:limit]


def evidence_for_user(*, user: User, since: datetime | None = None) -> QuerySet[Evidence]:
    """A person's evidence; only what they sent from `since`, when given."""
    evidence = Evidence.objects.filter(user=user)
    if since is not None:
        evidence = evidence.filter(submitted_at__gte=since)
    return evidence.select_related("competence").prefetch_related("reviews__reviewer")


def evidence_waiting_for_review(*, organisation: Organisation) -> QuerySet[Evidence]:
    """Evidence sent for review by the organisation's people, in its context (docs/privacy.md)."""
    people = Membership.objects.active().filter(organisation=organisation).values("user_id")
    waiting = Evidence.objects.filter(user__in=people, status=Evidence.SUBMITTED)
    return (
        in_organisation_context(
            waiting, organisation=organisation, person_field="user", moment_field="submitted_at"
        )
        .select_related("user", "competence")
        .order_by("submitted_at")
    )


# --- Workforce readiness ----------------------------------------------------------------------


@dataclass
class PersonReadiness:
    user: PersonRef
    roles: set[str]
    membership: Place | None
    next_stage: Stage | None = None
    next_requirements: list[RequirementProgress] = field(default_factory=list)
    current_requirements: list[RequirementProgress] = field(default_factory=list)
    paused: bool = False
    latest_decision: DecisionRef | None = None

    @property
    def stage(self) -> Stage | None:
        return self.membership.stage if self.membership else None

    @property
    def ready(self) -> bool:
        return (
            not self.paused
            and self.next_stage is not None
            and all(r.status.met for r in self.next_requirements)
        )

    @property
    def met_count(self) -> int:
        return sum(1 for r in self.next_requirements if r.status.met)


@dataclass
class Gap:
    stage: Stage  # the stage people are working towards
    description: str
    not_met: int
    of: int


@dataclass
class Expiring:
    person: PersonReadiness
    description: str
    expires_at: datetime
    within_days: int


@dataclass
class Readiness:
    organisation: Organisation
    people: list[PersonReadiness]
    stages: list[Stage]
    headcount: list[tuple[str, int]]
    gaps: list[Gap]
    expiring: list[Expiring]
    overdue: list[Expiring] = field(default_factory=list)  # lapsed renewals, longest first

    @cached_property
    def ready(self) -> list[PersonReadiness]:
        return [person for person in self.people if person.ready]

    def expiring_within(self, days: int) -> list[Expiring]:
        return [item for item in self.expiring if item.within_days <= days]

    @property
    def expiry_counts(self) -> list[tuple[int, int]]:
        return [(days, len(self.expiring_within(days))) for days in EXPIRY_WINDOWS]


def _workforce(organisation, role: str | None) -> tuple[dict[int, set[str]], QuerySet]:
    """{user id: roles held} in the organisation's peer workforce, and the same people as a
    subquery for the queries that follow."""
    roles = [role] if role else list(WORKFORCE_ROLES)
    active = Membership.objects.active().filter(organisation=organisation, role__in=roles)
    people = defaultdict(set)
    for uid, held in active.values_list("user_id", "role"):
        people[uid].add(held)
    return people, active.values("user_id")


def readiness_for_organisation(
    *,
    organisation: Organisation,
    stage_id: int | None = None,
    role: str | None = None,
    pathway_id: int | None = None,
    now: datetime | None = None,
) -> Readiness:
    """Headcount by stage, who is ready to progress, gaps by requirement and what expires in the
    next 90 days, for the organisation's peer workforce. A fixed number of queries."""
    roles, workforce = _workforce(organisation, role)
    pathways = pathways_for_organisation(organisation=organisation)
    if pathway_id:
        pathways = pathways.filter(pk=pathway_id)
    pathways = {pathway.pk: pathway for pathway in pathways}
    stages_by_pathway = stages_with_requirements(pathway_ids=list(pathways))
    places = PathwayMembership.objects.filter(user_id__in=workforce, pathway_id__in=list(pathways))
    if stage_id:
        places = places.filter(stage_id=stage_id)
    memberships = _memberships(places, pathways, stages_by_pathway)
    if stage_id or pathway_id:
        # Filtered to a stage or a pathway: only the people on it.
        roles = {uid: r for uid, r in roles.items() if uid in memberships}
    people = _people(roles, memberships)
    clock = clock_for(UserIds(roles, workforce), now)
    _mark_pauses(people, clock)
    _evaluate(people, stages_by_pathway, clock, places)
    _attach_decisions(people)
    stages = [stage for stages in stages_by_pathway.values() for stage in stages]
    return Readiness(
        organisation=organisation,
        people=people,
        stages=stages,
        headcount=_headcount(people, stages),
        gaps=_gaps(people, stages_by_pathway),
        expiring=_expiring(people, clock),
        overdue=_overdue(people, clock),
    )


@dataclass(frozen=True)
class PersonRef:
    """The little of a person the readiness page and its exports show. Building full User
    and PathwayMembership instances for thousands of people costs more than the queries."""

    pk: int
    display_name: str
    email: str

    def __str__(self):
        return self.display_name or self.email


@dataclass(frozen=True)
class Place:
    """Where a person is on a pathway, with the pathway and stage objects already loaded."""

    pk: int
    user_id: int
    pathway: Pathway
    stage: Stage

    @property
    def stage_id(self) -> int:
        return self.stage.pk


def _memberships(places, pathways, stages_by_pathway) -> dict[int, tuple[PersonRef, Place]]:
    """{user id: (person, their place)} from one query of plain values."""
    stages = {stage.pk: stage for group in stages_by_pathway.values() for stage in group}
    rows = places.values_list(
        "pk", "user_id", "pathway_id", "stage_id", "user__display_name", "user__email"
    )
    return {
        uid: (PersonRef(uid, name, email), Place(pk, uid, pathways[pathway_id], stages[stage_id]))
        for pk, uid, pathway_id, stage_id, name, email in rows
    }


def _people(roles, memberships) -> list[PersonReadiness]:
    users = {uid: person for uid, (person, _) in memberships.items()}
    missing = [uid for uid in roles if uid not in users]
    if missing:
        users.update(
            {
                uid: PersonRef(uid, name, email)
                for uid, name, email in User.objects.filter(pk__in=missing).values_list(
                    "pk", "display_name", "email"
                )
            }
        )
    people = [
        PersonReadiness(
            user=users[uid],
            roles=held,
            membership=memberships[uid][1] if uid in memberships else None,
        )
        for uid, held in roles.items()
    ]
    return sorted(people, key=lambda p: (p.user.display_name.lower(), p.user.pk))


def _mark_pauses(people, clock: Clock) -> None:
    for person in people:
        person.paused = person.user.pk in clock.paused_now


def _evaluate(people, stages_by_pathway, clock, places) -> None:
    at_stage = defaultdict(list)
    for person in people:
        if person.membership:
            at_stage[person.membership.stage_id].append(person)
    for stages in stages_by_pathway.values():
        for stage in stages:
            group = at_stage.get(stage.pk, [])
            if not group:
                continue
            ids = UserIds(
                [p.user.pk for p in group], places.filter(stage_id=stage.pk).values("user_id")
            )
            upcoming = next_stage(stages, stage)
            # Of the stage they are at, only what can lapse matters here (the expiry list).
            current = evaluate_stage(stage, ids, clock, renewals_only=True)
            coming = evaluate_stage(upcoming, ids, clock) if upcoming else {}
            for person in group:
                person.next_stage = upcoming
                person.current_requirements = current.get(person.user.pk, [])
                person.next_requirements = coming.get(person.user.pk, [])


@dataclass(frozen=True)
class DecisionRef:
    """What the readiness page shows of someone's latest stage decision."""

    outcome: str
    decided_at: datetime

    def get_outcome_display(self) -> str:
        return dict(StageDecision.OUTCOMES)[self.outcome]


def _attach_decisions(people) -> None:
    """The latest decision of each person who is ready to progress (the only ones the page
    shows it for), picked in the database: one query, a row a person."""
    ready = {p.membership.pk: p for p in people if p.ready}
    if not ready:
        return
    latest = (
        StageDecision.objects.filter(membership=OuterRef("membership_id"))
        .order_by("-decided_at", "-pk")
        .values("pk")[:1]
    )
    rows = (
        StageDecision.objects.filter(membership_id__in=list(ready))
        .filter(pk=Subquery(latest))
        .values_list("membership_id", "outcome", "decided_at")
    )
    for membership_id, outcome, decided_at in rows:
        ready[membership_id].latest_decision = DecisionRef(outcome, decided_at)


def _headcount(people, stages) -> list[tuple[str, int]]:
    counts = Counter(p.membership.stage_id for p in people if p.membership)
    rows = [(stage.title, counts.get(stage.pk, 0)) for stage in stages]
    not_on_pathway = sum(1 for p in people if not p.membership)
    if not_on_pathway:
        rows.append(("Not on a pathway yet", not_on_pathway))
    return rows


def _gaps(people, stages_by_pathway) -> list[Gap]:
    """For each requirement of each stage, how many of the people working towards that stage
    have not met it."""
    not_met, of, descriptions = Counter(), Counter(), {}
    for person in people:
        for progress in person.next_requirements:
            key = progress.requirement.pk
            of[key] += 1
            not_met[key] += not progress.status.met
            descriptions[key] = progress.description
    return [
        Gap(stage, descriptions[requirement.pk], not_met[requirement.pk], of[requirement.pk])
        for stages in stages_by_pathway.values()
        for stage in stages
        for requirement in stage.requirements.all()
        if of[requirement.pk]
    ]


def _expiring(people, clock: Clock) -> list[Expiring]:
    horizon = clock.now + timedelta(days=max(EXPIRY_WINDOWS))
    items = []
    for person in people:
        for progress in person.current_requirements + person.next_requirements:
            expires = progress.status.expires_at
            if expires and clock.now < expires <= horizon:
                days = (expires - clock.now).days
                window = next((w for w in EXPIRY_WINDOWS if days <= w), EXPIRY_WINDOWS[-1])
                items.append(Expiring(person, progress.description, expires, window))
    return sorted(items, key=lambda item: item.expires_at)


def _overdue(people, clock: Clock) -> list[Expiring]:
    """Renewals of the stage people are at that have lapsed by their clock, longest overdue
    first: staff see these before what is still to come."""
    items = [
        Expiring(person, progress.description, progress.status.expires_at, 0)
        for person in people
        for progress in person.current_requirements
        if progress.status.expires_at and progress.status.expires_at <= clock.now
    ]
    return sorted(items, key=lambda item: item.expires_at)


def readiness_trend(*, organisation: Organisation, months: int = 12):
    since = timezone.localdate() - timedelta(days=int(months * 30.44))
    return ReadinessSnapshot.objects.filter(organisation=organisation, taken_on__gte=since)
