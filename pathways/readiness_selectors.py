"""Reads of an organisation's workforce readiness from the kept rows (pathways.readiness_keeping):
headcount, who is ready to progress, gaps, renewals expiring and overdue, and the people table.
Each figure is one SQL query whatever the number of people, and is worked out only when a page
asks for it, so the dashboard panel pays for what it shows and no more."""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property

from django.core.paginator import Page, Paginator
from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Lower
from django.utils import timezone

from lms.models import Membership, Organisation, User
from pathways.models import (
    KeptReadiness,
    KeptRequirement,
    Pathway,
    Stage,
    StageDecision,
    WellbeingPause,
)
from pathways.requirements import registry
from pathways.selectors import (
    EXPIRY_WINDOWS,
    WORKFORCE_ROLES,
    DecisionRef,
    PersonRef,
    pathways_for_organisation,
    stages_with_requirements,
)

SHOWN = 50  # how many of each list the page shows; the spreadsheet lists everyone


def met_now(now: datetime) -> Case:
    """A kept requirement counts as met at `now`: met when refreshed, or made met by time
    since; and not expired."""
    return _true_when(_met_q(now))


def ready_now_q(now: datetime, prefix: str = "") -> Q:
    """Ready to progress at `now`: ready when refreshed or since made ready by time, and not
    past the earliest expiry of what the next stage asks. (Never true while paused.)"""
    return (Q(**{f"{prefix}ready": True}) | Q(**{f"{prefix}ready_from__lte": now})) & (
        Q(**{f"{prefix}ready_until__isnull": True}) | Q(**{f"{prefix}ready_until__gt": now})
    )


def ready_now(now: datetime) -> Case:
    return _true_when(ready_now_q(now))


def _true_when(q: Q) -> Case:
    # A CASE, not the bare condition: "met OR met_from <= now" is NULL, not false, in SQL when
    # met_from is NULL.
    return Case(When(q, then=Value(True)), default=Value(False), output_field=BooleanField())


def _met_count(now: datetime) -> Coalesce:
    """How many of the next stage's requirements a kept row's person has met at `now`."""
    met = (
        KeptRequirement.objects.filter(readiness=OuterRef("pk"), for_next_stage=True)
        .filter(_met_q(now))
        .values("readiness")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(met, output_field=IntegerField()), 0)


# --- The figures ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Gap:
    stage: Stage
    description: str
    not_met: int
    of: int


@dataclass(frozen=True)
class Listed:
    """A person in one of the page's lists (ready to progress, expiring, overdue)."""

    user: PersonRef
    stage: Stage | None = None
    next_stage: Stage | None = None
    latest_decision: DecisionRef | None = None
    description: str = ""
    expires_at: datetime | None = None
    within_days: int = 0

    @property
    def person(self) -> Listed:
        """The templates name an expiring item's person as `item.person.user`."""
        return self


@dataclass(frozen=True)
class PersonRow:
    """A row of the people table."""

    user: PersonRef
    stage: Stage | None
    next_stage: Stage | None
    met_count: int
    requirements_total: int
    ready: bool
    paused: bool


class KeptFigures:
    """An organisation's readiness from the kept rows, filtered like the page. Each property
    is one or two queries, run when first read."""

    def __init__(
        self,
        *,
        organisation: Organisation,
        stage_id: int | None = None,
        role: str | None = None,
        pathway_id: int | None = None,
        now: datetime | None = None,
    ):
        self.organisation = organisation
        self.now = now or timezone.now()
        self.filtered = bool(stage_id or pathway_id)
        self.roles = sorted([role] if role else WORKFORCE_ROLES)
        self.workforce = (
            Membership.objects.active()
            .filter(organisation=organisation, role__in=self.roles)
            .values("user_id")
        )
        pathways = pathways_for_organisation(organisation=organisation)
        if pathway_id:
            pathways = pathways.filter(pk=pathway_id)
        self._pathways_query = pathways
        self._stage_id = stage_id

    @cached_property
    def pathways(self) -> dict[int, Pathway]:
        return {pathway.pk: pathway for pathway in self._pathways_query}

    @cached_property
    def stages_by_pathway(self) -> dict[int, list[Stage]]:
        return stages_with_requirements(pathway_ids=list(self.pathways))

    @cached_property
    def stages(self) -> list[Stage]:
        return [stage for group in self.stages_by_pathway.values() for stage in group]

    @cached_property
    def _stage(self) -> dict[int, Stage]:
        return {stage.pk: stage for stage in self.stages}

    @cached_property
    def kept(self) -> QuerySet[KeptReadiness]:
        """The kept rows of the workforce on the organisation's (filtered) pathways."""
        rows = KeptReadiness.objects.filter(
            user_id__in=self.workforce, pathway_id__in=list(self.pathways)
        )
        if self._stage_id:
            rows = rows.filter(stage_id=self._stage_id)
        return rows

    @cached_property
    def people(self) -> QuerySet[User]:
        """The people the page is about, in the order it lists them."""
        people = User.objects.filter(pk__in=self.workforce)
        if self.filtered:
            people = people.filter(pk__in=self.kept.values("user_id"))
        return people.order_by(Lower("display_name"), "pk")

    @cached_property
    def people_count(self) -> int:
        if self.filtered:
            return self.people.count()
        # Everyone in the workforce: counted from the memberships alone, without the people.
        return self.workforce.aggregate(n=Count("user_id", distinct=True))["n"]

    # --- Headcount ----------------------------------------------------------------------------

    @cached_property
    def _place_counts(self) -> dict[str, int]:
        """How many kept places at each stage, how many of them ready now, and how many people
        have one: one pass over the kept rows, counted in SQL."""
        return self.kept.aggregate(
            **{f"at_{stage.pk}": Count("pk", filter=Q(stage_id=stage.pk)) for stage in self.stages},
            ready=Count("pk", filter=ready_now_q(self.now)),
            # One place per person on each pathway (`pathways_one_place_each`), so on one
            # pathway the places are the people, counted without sorting them.
            placed=Count("user_id", distinct=len(self.pathways) > 1),
        )

    @cached_property
    def headcount(self) -> list[tuple[str, int]]:
        counts = self._place_counts
        rows = [(stage.title, counts[f"at_{stage.pk}"]) for stage in self.stages]
        if not self.filtered:
            # Unfiltered, the kept rows are those of everyone on one of these pathways.
            off = self.people_count - counts["placed"]
            if off:
                rows.append(("Not on a pathway yet", off))
        return rows

    @property
    def chart_max(self) -> int:
        return max([count for _, count in self.headcount] or [0])

    # --- Ready to progress --------------------------------------------------------------------

    @cached_property
    def _ready_rows(self) -> QuerySet[KeptReadiness]:
        return self.kept.filter(ready_now_q(self.now))

    @cached_property
    def ready_count(self) -> int:
        return self._place_counts["ready"]

    @cached_property
    def ready(self) -> list[Listed]:
        """The first people ready to progress, by name, with their latest decision."""
        return list(self.ready_listed(limit=SHOWN))

    def ready_listed(self, *, limit: int | None = None) -> Iterator[Listed]:
        """Everyone ready to progress (or the first `limit`), by name, read lazily."""
        latest = StageDecision.objects.filter(membership=OuterRef("membership_id")).order_by(
            "-decided_at", "-pk"
        )
        by_name = (Lower("user__display_name"), "user_id")
        rows = self._ready_rows
        if limit:
            # The latest decision is looked up for the people shown, not for everyone ready.
            shown = rows.order_by(*by_name).values("pk")[:limit]
            rows = KeptReadiness.objects.filter(pk__in=shown)
        rows = (
            rows.order_by(*by_name)
            .annotate(
                decision_outcome=Subquery(latest.values("outcome")[:1]),
                decision_at=Subquery(latest.values("decided_at")[:1]),
            )
            .values_list(
                "user_id",
                "user__display_name",
                "user__email",
                "stage_id",
                "next_stage_id",
                "decision_outcome",
                "decision_at",
            )
        )
        rows = rows if limit else rows.iterator(chunk_size=2000)
        return (
            Listed(
                user=PersonRef(uid, name, email),
                stage=self._stage.get(stage_id),
                next_stage=self._stage.get(next_id),
                latest_decision=DecisionRef(outcome, at) if outcome else None,
            )
            for uid, name, email, stage_id, next_id, outcome, at in rows
        )

    # --- Gaps ---------------------------------------------------------------------------------

    @cached_property
    def gaps(self) -> list[Gap]:
        """For each requirement of each stage, how many of the people working towards that
        stage have not met it."""
        figures = self._gap_counts
        return [
            Gap(stage, _describe(requirement), of - met, of)
            for stage in self.stages
            for requirement in stage.requirements.all()
            for of, met in [figures.get(requirement.pk, (0, 0))]
            if of
        ]

    # --- Renewals expiring and overdue --------------------------------------------------------

    @cached_property
    def _requirements(self) -> dict[int, object]:
        return {r.pk: r for stage in self.stages for r in stage.requirements.all()}

    def _kept_requirements(self) -> QuerySet[KeptRequirement]:
        """The kept requirements of the kept rows, for counting all of them."""
        return KeptRequirement.objects.filter(readiness__in=self.kept.values("pk"))

    def _kept_requirements_listed(self) -> QuerySet[KeptRequirement]:
        """The same, for reading those due by a date: each is checked against its own kept
        row (by primary key) as the index on `expires_at` is walked, which stops at the date
        or at the page's limit, instead of first listing every kept row of the organisation
        (which a database without statistics, as SQLite, then walks whole)."""
        own_row = self.kept.filter(pk=OuterRef("readiness_id"))
        return KeptRequirement.objects.filter(Exists(own_row))

    def _expiring_q(self) -> Q:
        horizon = self.now + timedelta(days=max(EXPIRY_WINDOWS))
        return Q(expires_at__gt=self.now, expires_at__lte=horizon)

    def _overdue_q(self) -> Q:
        # Of the stage people are at: a lapsed requirement of the next one is a gap instead.
        return Q(for_next_stage=False, expires_at__lte=self.now)

    @cached_property
    def _gap_counts(self) -> dict[int, tuple[int, int]]:
        """For each requirement of a next stage, how many people work towards it and how many
        have met it. One pass in requirement order over the index that holds every column it
        reads (`pathways_keptreq_gaps`); `__in=[True]` rather than `=True` because SQLite can
        use an index for an equality, not for a bare boolean column."""
        rows = (
            self._kept_requirements()
            .filter(for_next_stage__in=[True])
            .values("requirement_id")
            .annotate(of=Count("pk"), met=Count("pk", filter=_met_q(self.now)))
            .order_by()
            .values_list("requirement_id", "of", "met")
        )
        return {rid: (of, met) for rid, of, met in rows}

    @cached_property
    def _due_counts(self) -> dict[str, int]:
        """Renewals due within each window and overdue: read along the index on `expires_at`
        up to the furthest window, so only what falls due by then is counted."""
        horizon = self.now + timedelta(days=max(EXPIRY_WINDOWS))
        return (
            self._kept_requirements_listed()
            .filter(expires_at__lte=horizon)
            .aggregate(
                **{
                    f"within_{days}": Count(
                        "pk",
                        filter=self._expiring_q()
                        & Q(expires_at__lt=self.now + timedelta(days=days + 1)),
                    )
                    for days in EXPIRY_WINDOWS[:-1]
                },
                everything=Count("pk", filter=self._expiring_q()),
                overdue=Count("pk", filter=self._overdue_q()),
            )
        )

    @cached_property
    def expiry_counts(self) -> list[tuple[int, int]]:
        """How many renewals fall due within 30, 60 and 90 days (as whole days from now)."""
        counts = self._due_counts
        windows = [(days, counts[f"within_{days}"]) for days in EXPIRY_WINDOWS[:-1]]
        return [*windows, (EXPIRY_WINDOWS[-1], counts["everything"])]

    @property
    def expiring_count(self) -> int:
        return self.expiry_counts[-1][1]

    @cached_property
    def expiring(self) -> list[Listed]:
        """The soonest renewals due in the next 90 days."""
        return list(self.expiring_listed(limit=SHOWN))

    def expiring_listed(self, *, limit: int | None = None) -> Iterator[Listed]:
        """Every renewal due in the next 90 days (or the first `limit`), soonest first."""
        rows = self._kept_requirements_listed().filter(self._expiring_q())
        return (
            self._listed(row, within_days=_window((row[4] - self.now).days))
            for row in self._listing(rows, limit)
        )

    @cached_property
    def overdue_count(self) -> int:
        return self._due_counts["overdue"]

    @cached_property
    def overdue(self) -> list[Listed]:
        """The longest overdue renewals first."""
        rows = self._kept_requirements_listed().filter(self._overdue_q())
        return [self._listed(row) for row in self._listing(rows)]

    def _listing(self, rows, limit: int | None = SHOWN):
        rows = rows.order_by("expires_at", "pk").values_list(
            "readiness__user_id",
            "readiness__user__display_name",
            "readiness__user__email",
            "requirement_id",
            "expires_at",
        )
        return rows[:limit] if limit else rows.iterator(chunk_size=2000)

    def _listed(self, row, within_days: int = 0) -> Listed:
        uid, name, email, requirement_id, expires_at = row
        return Listed(
            user=PersonRef(uid, name, email),
            description=_describe(self._requirements.get(requirement_id)),
            expires_at=expires_at,
            within_days=within_days,
        )

    # --- The people table ---------------------------------------------------------------------

    def people_page(self, number, per_page: int) -> Page:
        """One page of the people table: a count and three queries, whatever the size."""
        paginator = Paginator(self.people, per_page)
        paginator.count = self.people_count  # counted once for the page and the heading
        page = paginator.get_page(number)
        users = list(
            page.object_list.annotate(
                paused_now=Exists(WellbeingPause.objects.filter(user=OuterRef("pk"), ended_at=None))
            ).values_list("pk", "display_name", "email", "paused_now")
        )
        places = self._places_of([uid for uid, *_ in users])
        page.object_list = [
            self._person_row(PersonRef(uid, name, email), paused, places.get(uid))
            for uid, name, email, paused in users
        ]
        return page

    def _places_of(self, user_ids: list[int]) -> dict[int, tuple]:
        """Each person's kept place (their most recent, if on two of these pathways)."""
        # These people are of the workforce already: their places are found by their ids
        # alone (the index on `user`), and those on other pathways or stages left out here.
        rows = (
            KeptReadiness.objects.filter(user_id__in=user_ids)
            .annotate(met_count=_met_count(self.now), ready_at_now=ready_now(self.now))
            .order_by("membership__joined_at", "pk")
            .values_list(
                "pathway_id",
                "user_id",
                "stage_id",
                "next_stage_id",
                "met_count",
                "requirements_total",
                "ready_at_now",
            )
        )
        return {
            row[1]: row[2:]
            for row in rows
            if row[0] in self.pathways and (not self._stage_id or row[2] == self._stage_id)
        }

    def _person_row(self, person: PersonRef, paused: bool, place) -> PersonRow:
        if place is None:
            return PersonRow(person, None, None, 0, 0, False, paused)
        stage_id, next_id, met_count, total, ready = place
        return PersonRow(
            person,
            self._stage.get(stage_id),
            self._stage.get(next_id),
            met_count,
            total,
            ready and not paused,
            paused,
        )


def _met_q(now: datetime) -> Q:
    return (Q(met=True) | Q(met_from__lte=now)) & (
        Q(expires_at__isnull=True) | Q(expires_at__gt=now)
    )


def _describe(requirement) -> str:
    if requirement is None:
        return ""
    kind = registry.get(requirement.kind)
    return kind.describe(requirement) if kind else requirement.title or requirement.kind


def _window(days: int) -> int:
    return next((w for w in EXPIRY_WINDOWS if days <= w), EXPIRY_WINDOWS[-1])


def kept_readiness(
    *,
    organisation: Organisation,
    stage_id: int | None = None,
    role: str | None = None,
    pathway_id: int | None = None,
    now: datetime | None = None,
) -> KeptFigures:
    """An organisation's readiness, read from the kept rows: a fixed number of queries."""
    return KeptFigures(
        organisation=organisation, stage_id=stage_id, role=role, pathway_id=pathway_id, now=now
    )


# --- The people table as plain rows, for exports ---------------------------------------------


def readiness_export_rows(
    *,
    organisation: Organisation,
    stage_id: int | None = None,
    role: str | None = None,
    pathway_id: int | None = None,
    now: datetime | None = None,
) -> Iterator[tuple]:
    """The people table, filtered like the page, as plain tuples in the column order of
    `pathways.exports.PEOPLE_HEADINGS`, streamed from the kept rows (two queries, read with
    `.iterator()`, merged by name). Next steps are as of each row's last refresh."""
    figures = kept_readiness(
        organisation=organisation, stage_id=stage_id, role=role, pathway_id=pathway_id, now=now
    )
    rows = _export_places(figures)
    if not figures.filtered:
        rows = heapq.merge(rows, _export_off_pathway(figures), key=_by_name)
    return (row[:-1] for row in rows)  # the last value is the person's id, for the merge


def _roles_in(figures: KeptFigures, person: str) -> dict[str, Exists]:
    """For each role the page counts, whether the person holds it in the organisation."""
    active = Membership.objects.active().filter(organisation=figures.organisation)
    return {
        role: Exists(active.filter(user_id=OuterRef(person), role=role)) for role in figures.roles
    }


def _roles(roles, flags) -> str:
    return ", ".join(role for role, held in zip(roles, flags, strict=True) if held)


def _export_places(figures: KeptFigures) -> Iterator[tuple]:
    roles = _roles_in(figures, "user_id")
    rows = (
        figures.kept.annotate(
            met_count=_met_count(figures.now),
            ready_at_now=ready_now(figures.now),
            **{f"is_{role}": held for role, held in roles.items()},
        )
        .order_by(Lower("user__display_name"), "user_id", "pk")
        .values_list(
            "user__display_name",
            "user__email",
            *[f"is_{role}" for role in roles],
            "pathway__name",
            "stage__title",
            "next_stage__title",
            "met_count",
            "requirements_total",
            "ready_at_now",
            "paused",
            "next_steps",
            "user_id",
        )
    )
    for name, email, *flags_and_rest in rows.iterator(chunk_size=2000):
        flags, rest = flags_and_rest[: len(roles)], flags_and_rest[len(roles) :]
        pathway, stage, upcoming, met, total, ready, paused, steps, uid = rest
        yield (
            name,
            email,
            _roles(list(roles), flags),
            pathway,
            stage,
            upcoming or "",
            f"{met} of {total}" if upcoming else "",
            "Yes" if ready and not paused else "No",
            "Paused" if paused else "",
            steps,
            uid,
        )


def _export_off_pathway(figures: KeptFigures) -> Iterator[tuple]:
    roles = _roles_in(figures, "pk")
    on_pathway = KeptReadiness.objects.filter(pathway_id__in=list(figures.pathways))
    rows = (
        figures.people.exclude(pk__in=on_pathway.values("user_id"))
        .annotate(
            **{f"is_{role}": held for role, held in roles.items()},
            paused_now=Exists(WellbeingPause.objects.filter(user=OuterRef("pk"), ended_at=None)),
        )
        .values_list("display_name", "email", *[f"is_{role}" for role in roles], "paused_now", "pk")
    )
    for name, email, *rest in rows.iterator(chunk_size=2000):
        flags, paused, uid = rest[: len(roles)], rest[-2], rest[-1]
        yield (
            name,
            email,
            _roles(list(roles), flags),
            "",
            "Not on a pathway yet",
            "",
            "",
            "No",
            "Paused" if paused else "",
            "",
            uid,
        )


def _by_name(row: tuple):
    return ((row[0] or "").lower(), row[-1])
