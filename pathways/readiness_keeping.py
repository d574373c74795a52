"""Readiness kept, not recomputed: one `KeptReadiness` row per pathway place, with a
`KeptRequirement` row per requirement that matters to it, written from the requirement
registry's own evaluation (`evaluate_stage`), so a kept row cannot disagree with a fresh
evaluation made at the same moment.

What changes with time alone is kept as moments: a requirement's `expires_at`, the moment time
in stage will make it met (`met_from`), and the window in which the person is ready
(`ready_from`, `ready_until`). Reads (pathways.readiness_selectors) compare them with the time
of the read, so the rows stay right between refreshes. Everything else changes only through an
event, and every such event queues a refresh of the people it touched
(`readiness_refresh_later`). A nightly rebuild re-evaluates everyone and reports what it had to
correct.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from lms.queue import enqueue
from pathways.models import (
    KeptReadiness,
    KeptRequirement,
    Pathway,
    PathwayMembership,
    Requirement,
)
from pathways.requirements import clock_for
from pathways.selectors import evaluate_stage, next_stage, stages_with_requirements

log = logging.getLogger(__name__)

BATCH_SIZE = 500
PLACE_FIELDS = (
    "user_id",
    "pathway_id",
    "stage_id",
    "next_stage_id",
    "requirements_total",
    "ready",
    "ready_from",
    "ready_until",
    "earliest_expiry",
    "paused",
    "next_steps",
)


@dataclass(frozen=True)
class RequirementState:
    requirement_id: int
    for_next_stage: bool
    met: bool
    met_from: datetime | None
    expires_at: datetime | None
    next_step: str


@dataclass(frozen=True)
class PlaceState:
    """What a `KeptReadiness` row and its `KeptRequirement` rows hold for one place."""

    membership_id: int
    user_id: int
    pathway_id: int
    stage_id: int
    next_stage_id: int | None
    requirements_total: int
    ready: bool
    ready_from: datetime | None
    ready_until: datetime | None
    earliest_expiry: datetime | None
    paused: bool
    next_steps: str
    requirements: tuple[RequirementState, ...]


@dataclass(frozen=True)
class Truth:
    """A place's readiness as it stands at one moment: what a kept row, read at that moment,
    and a fresh evaluation made then must agree on, field by field."""

    membership_id: int
    user_id: int
    pathway_id: int
    stage_id: int
    next_stage_id: int | None
    requirements_total: int
    paused: bool
    ready: bool
    earliest_expiry: datetime | None
    requirements: tuple[tuple[int, bool, bool, datetime | None], ...]  # id, next?, met, expires


# --- Evaluating ---------------------------------------------------------------------------------


def places_evaluate(*, membership_ids: list[int], now: datetime | None = None) -> list[PlaceState]:
    """A fresh evaluation of these places through the requirement registry. A fixed number of
    queries however many places: a few for the pathways' stages and the clock, then each
    requirement's kind once per stage that someone is at."""
    places = list(
        PathwayMembership.objects.filter(pk__in=membership_ids).values_list(
            "pk", "user_id", "pathway_id", "stage_id"
        )
    )
    if not places:
        return []
    stages_by_pathway = stages_with_requirements(pathway_ids={p[2] for p in places})
    clock = clock_for(sorted({p[1] for p in places}), now)
    at_stage = defaultdict(list)
    for place in places:
        at_stage[place[3]].append(place)
    states = []
    for stages in stages_by_pathway.values():
        for stage in stages:
            group = at_stage.get(stage.pk)
            if group:
                states += _evaluate_group(group, stage, next_stage(stages, stage), clock)
    return states


def _evaluate_group(group, stage, upcoming, clock) -> list[PlaceState]:
    ids = [user_id for _, user_id, _, _ in group]
    # Of the stage they are at, only what can lapse matters (renewals due and overdue).
    current = evaluate_stage(stage, ids, clock, renewals_only=True)
    coming = evaluate_stage(upcoming, ids, clock) if upcoming else {}
    return [
        _place_state(
            place,
            upcoming,
            [_requirement_state(p, False) for p in current.get(place[1], [])]
            + [_requirement_state(p, True) for p in coming.get(place[1], [])],
            paused=place[1] in clock.paused_now,
        )
        for place in group
    ]


def _requirement_state(progress, for_next_stage: bool) -> RequirementState:
    status = progress.status
    return RequirementState(
        requirement_id=progress.requirement.pk,
        for_next_stage=for_next_stage,
        met=status.met,
        met_from=status.met_from,
        expires_at=status.expires_at,
        next_step="" if status.met else status.next_step,
    )


def _place_state(place, upcoming, requirements, *, paused: bool) -> PlaceState:
    membership_id, user_id, pathway_id, stage_id = place
    coming = [r for r in requirements if r.for_next_stage]
    expiries = [r.expires_at for r in requirements if r.expires_at]
    coming_expiries = [r.expires_at for r in coming if r.expires_at]
    can_progress = upcoming is not None and not paused
    ready = can_progress and all(r.met for r in coming)
    # Not ready yet, but every requirement left will be met by time alone.
    later = can_progress and not ready and all(r.met or r.met_from for r in coming)
    return PlaceState(
        membership_id=membership_id,
        user_id=user_id,
        pathway_id=pathway_id,
        stage_id=stage_id,
        next_stage_id=upcoming.pk if upcoming else None,
        requirements_total=len(coming),
        ready=ready,
        ready_from=max(r.met_from for r in coming if not r.met) if later else None,
        ready_until=min(coming_expiries) if coming_expiries else None,
        earliest_expiry=min(expiries) if expiries else None,
        paused=paused,
        next_steps="; ".join(r.next_step for r in coming if r.next_step),
        requirements=tuple(requirements),
    )


def truth_of(state: PlaceState) -> Truth:
    """A fresh evaluation's truth at the moment it was made."""
    return Truth(
        membership_id=state.membership_id,
        user_id=state.user_id,
        pathway_id=state.pathway_id,
        stage_id=state.stage_id,
        next_stage_id=state.next_stage_id,
        requirements_total=state.requirements_total,
        paused=state.paused,
        ready=state.ready,
        earliest_expiry=state.earliest_expiry,
        requirements=tuple(
            sorted(
                (r.requirement_id, r.for_next_stage, r.met, r.expires_at)
                for r in state.requirements
            )
        ),
    )


def kept_truths(*, membership_ids: list[int], now: datetime) -> dict[int, Truth]:
    """The kept rows of these places as read at `now`, "met" and "ready" worked out in SQL
    (the same expressions the pages use). Two queries."""
    from pathways.readiness_selectors import met_now, ready_now

    rows = (
        KeptReadiness.objects.filter(membership_id__in=membership_ids)
        .annotate(ready_at_now=ready_now(now))
        .values_list(
            "membership_id", *PLACE_FIELDS[:5], "paused", "ready_at_now", "earliest_expiry"
        )
    )
    requirements = defaultdict(list)
    children = (
        KeptRequirement.objects.filter(readiness_id__in=membership_ids)
        .annotate(met_at_now=met_now(now))
        .values_list("readiness_id", "requirement_id", "for_next_stage", "met_at_now", "expires_at")
    )
    for readiness_id, *state in children:
        requirements[readiness_id].append(tuple(state))
    return {row[0]: Truth(*row, requirements=tuple(sorted(requirements[row[0]]))) for row in rows}


# --- Writing ------------------------------------------------------------------------------------


@transaction.atomic
def places_keep(states: list[PlaceState], *, now: datetime | None = None) -> None:
    """Write these evaluations over the kept rows of their places: three statements."""
    if not states:
        return
    now = now or timezone.now()
    KeptReadiness.objects.bulk_create(
        [
            KeptReadiness(
                membership_id=s.membership_id,
                refreshed_at=now,
                **{name: getattr(s, name) for name in PLACE_FIELDS},
            )
            for s in states
        ],
        update_conflicts=True,
        unique_fields=["membership"],
        update_fields=[*(name.removesuffix("_id") for name in PLACE_FIELDS), "refreshed_at"],
    )
    ids = [s.membership_id for s in states]
    KeptRequirement.objects.filter(readiness_id__in=ids).delete()
    KeptRequirement.objects.bulk_create(
        [
            KeptRequirement(
                readiness_id=s.membership_id,
                requirement_id=r.requirement_id,
                for_next_stage=r.for_next_stage,
                met=r.met,
                met_from=r.met_from,
                expires_at=r.expires_at,
                next_step=r.next_step[:500],
            )
            for s in states
            for r in s.requirements
        ],
        batch_size=1000,
    )


def _batches(ids: Iterable[int], size: int) -> Iterator[list[int]]:
    batch = []
    for item in ids:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def readiness_refresh(*, user_ids: Iterable[int], now: datetime | None = None) -> int:
    """Re-evaluate every place of these people and keep the result, in batches of a fixed
    number of queries. Returns how many places were refreshed."""
    done = 0
    for people in _batches(sorted(set(user_ids)), BATCH_SIZE):
        with transaction.atomic():
            places = PathwayMembership.objects.filter(user_id__in=people)
            ids = _locked(places)
            states = places_evaluate(membership_ids=ids, now=now)
            places_keep(states, now=now)
        done += len(states)
    return done


def _locked(places) -> list[int]:
    """Lock these places' rows until the transaction ends, and return their ids. Two refreshes
    of one person then run one after the other, and the later one evaluates what the earlier
    could not see: without it, a refresh that read before an event and wrote after the event's
    own refresh would leave the older answer kept. (No-op on SQLite, which writes one at a
    time.)"""
    return list(places.select_for_update().order_by("pk").values_list("pk", flat=True))


def readiness_refresh_pathway(*, pathway_id: int, now: datetime | None = None) -> int:
    """Re-evaluate everyone on a pathway (after its stages or requirements were edited)."""
    members = PathwayMembership.objects.filter(pathway_id=pathway_id).order_by("user_id")
    return readiness_refresh(user_ids=members.values_list("user_id", flat=True), now=now)


def readiness_refresh_later(*, user_ids: Iterable[int]) -> None:
    """Queue a refresh of these people's kept readiness, with the caller's transaction."""
    ids = sorted({int(uid) for uid in user_ids if uid})
    if ids:
        enqueue("pathways.tasks.refresh_readiness", ids)


def _every_place(batch_size: int) -> Iterator[list[int]]:
    """Every place's id, a batch at a time, by keyset (no OFFSET over a large table)."""
    after = 0
    while ids := list(
        PathwayMembership.objects.filter(pk__gt=after)
        .order_by("pk")
        .values_list("pk", flat=True)[:batch_size]
    ):
        yield ids
        after = ids[-1]


def readiness_refresh_pathway_later(*, pathway_id: int) -> None:
    """Queue a refresh of everyone on a pathway, with the caller's transaction."""
    enqueue("pathways.tasks.refresh_pathway_readiness", pathway_id)


def readiness_refresh_framework_later(*, framework_id: int) -> None:
    """Queue a refresh of everyone on a pathway that reads this framework's competences (built
    on it, or with a requirement naming its domains or competences): a competence added to a
    domain, or moved between domains, changes what "signed off in domain N" asks for."""
    reading = (
        Requirement.objects.filter(
            Q(domains__framework_id=framework_id) | Q(competences__framework_id=framework_id)
        )
        .values_list("stage__pathway_id", flat=True)
        .distinct()
    )
    pathway_ids = set(reading) | set(
        Pathway.objects.filter(framework_id=framework_id).values_list("pk", flat=True)
    )
    for pathway_id in sorted(pathway_ids):
        readiness_refresh_pathway_later(pathway_id=pathway_id)


def readiness_rebuild(*, now: datetime | None = None, batch_size: int = BATCH_SIZE) -> int:
    """Re-evaluate every place and keep the result; return how many kept rows disagreed with
    the fresh evaluation at the same moment (a missing row counts). Not counted: what only
    moved with time, i.e. the due dates of someone paused (a running pause pushes them back
    every day) and next-step wording such as months so far."""
    now = now or timezone.now()
    corrected = 0
    for batch in _every_place(batch_size):
        with transaction.atomic():
            ids = _locked(PathwayMembership.objects.filter(pk__in=batch))
            states = places_evaluate(membership_ids=ids, now=now)
            kept = kept_truths(membership_ids=ids, now=now)
            corrected += sum(
                1 for s in states if not _agrees(kept.get(s.membership_id), truth_of(s))
            )
            places_keep(states, now=now)
    if corrected:
        log.warning("Readiness rebuild corrected %s kept rows.", corrected)
    else:
        log.info("Readiness rebuild: every kept row was right.")
    return corrected


def readiness_fill(*, now: datetime | None = None, batch_size: int = BATCH_SIZE) -> int:
    """Write every place's kept row without comparing (after a bulk load). Returns how many."""
    done = 0
    for ids in _every_place(batch_size):
        states = places_evaluate(membership_ids=ids, now=now)
        places_keep(states, now=now)
        done += len(states)
    return done


def _agrees(kept: Truth | None, fresh: Truth) -> bool:
    return kept is not None and comparable(kept) == comparable(fresh)


def comparable(truth: Truth) -> Truth | tuple:
    """A truth as two evaluations at the same moment must agree on it. Someone paused is the
    exception: a running pause pushes their due dates on every moment, so their dates are
    left out (whether each requirement is met is not: while paused nothing lapses)."""
    return _without_dates(truth) if truth.paused else truth


def _without_dates(truth: Truth) -> tuple:
    return (
        truth.membership_id,
        truth.user_id,
        truth.pathway_id,
        truth.stage_id,
        truth.next_stage_id,
        truth.requirements_total,
        truth.paused,
        truth.ready,
        tuple((rid, nxt, met) for rid, nxt, met, _ in truth.requirements),
    )
