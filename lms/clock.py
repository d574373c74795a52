"""One clock for every deadline, window and due date: time as a person's dates see it, where a
wellbeing pause stops the clock.

The kernel knows nothing of pauses itself. An app that keeps them answers the Wagtail hook
`pause_periods`: `fn(user_ids, until) -> {user id: [(start, end), ...]}`, with a pause still
running ending at `until` (pathways answers it from `WellbeingPause`). `clock_for` asks every
hook once for many people, so a page builds one clock for everyone it shows.

What the clock does with those periods:

- `extend(user, start, due)`: a date set at `start` (a refresher, an action, a renewal) moves later
  by the time paused between `start` and it. Stored dates stay the un-paused baseline; what
  people see and what lists sort and filter by is the clock's date.
- `expiry(user, start, months)`: `months` of un-paused time after `start`.
- `window_start(user, months=..., days=...)`: the start of a window of the last N months (or
  days) of un-paused time, so paused months do not eat into "hours in the last N months".
- `active_since(user, start)`: un-paused time since `start` (time in stage).
- `due_state(due)`: overdue, due soon (within `DUE_SOON_DAYS`) or later.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.utils import timezone
from wagtail import hooks

from lms.dates import add_months

DUE_SOON_DAYS = 30
OVERDUE, DUE_SOON, LATER = "overdue", "due_soon", "later"

Periods = dict[int, list[tuple[datetime, datetime]]]


class People(list):
    """The ids of the people a clock is for, optionally with the same people as a subquery
    (`...values("user_id")`). Queries filter by the subquery when there is one: a list of
    thousands of ids costs the ORM ~10 µs an id in every query, and SQLite refuses more than
    32,766 of them. With a subquery the list may be empty (everyone the subquery gives)."""

    def __init__(self, ids=(), query=None):
        super().__init__(ids)
        self.query = query


def people_in(user_ids):
    """What to put after `user_id__in=`: the subquery when there is one, else the ids."""
    query = getattr(user_ids, "query", None)
    return user_ids if query is None else query


@dataclass
class PauseClock:
    """Time as a person's dates see it: wellbeing pauses stop the clock."""

    now: datetime
    pauses: Periods = field(default_factory=dict)
    paused_now: set[int] = field(default_factory=set)

    # --- Time paused and time active --------------------------------------------------------

    def paused(self, user_id: int, start: datetime, end: datetime) -> timedelta:
        """Time between `start` and `end` that the person was paused."""
        total = timedelta()
        for paused_from, paused_to in self.pauses.get(user_id, []):
            overlap_start, overlap_end = max(start, paused_from), min(end, paused_to)
            if overlap_end > overlap_start:
                total += overlap_end - overlap_start
        return total

    def has_pauses(self, user_id: int) -> bool:
        return bool(self.pauses.get(user_id))

    def active_since(self, user_id: int, start: datetime) -> timedelta:
        """Time since `start` that the person was not paused."""
        return self.now - start - self.paused(user_id, start, self.now)

    # --- Due dates --------------------------------------------------------------------------

    def expiry(self, user_id: int, start: datetime, months: int) -> datetime:
        """`months` of un-paused time after `start`."""
        return self.extend(user_id, start, add_months(start, months))

    def extend(self, user_id: int, start: datetime, due: datetime) -> datetime:
        """`due` pushed back by the time paused between `start` and it. Each extension can reach
        into a later pause, so extend until the date settles (a running pause keeps pushing it
        past today)."""
        if not self.pauses.get(user_id):
            return due
        expires = due
        for _ in range(50):
            extended = due + self.paused(user_id, start, min(expires, self.now))
            if extended == expires:
                break
            expires = extended
        return expires

    def extend_date(self, user_id: int, start: date | datetime | None, due: date | None):
        """`extend` for a calendar date (an action's due day): the day moves by whole days of
        pause. `start` is when the date was set (a day or a moment); None means no pause before
        the date is counted from the day it was set."""
        if due is None or not self.pauses.get(user_id):
            return due
        if start is None:
            return due
        start_at = start if isinstance(start, datetime) else _start_of(start)
        due_at = _start_of(due)
        return due + timedelta(days=(self.extend(user_id, start_at, due_at) - due_at).days)

    # --- Windows ----------------------------------------------------------------------------

    def window_start(
        self, user_id: int | None, *, months: int | None = None, days: int | None = None
    ) -> datetime | None:
        """Where a window of the last `months` (or `days`) of un-paused time begins: the plain
        window (for `user_id` None, or someone never paused), pushed back by the time paused
        inside it (until it settles, since the longer window can take in an earlier pause)."""
        if months:
            base = add_months(self.now, -months)
        elif days:
            base = self.now - timedelta(days=days)
        else:
            return None
        if user_id is None or not self.pauses.get(user_id):
            return base
        start = base
        for _ in range(50):
            earlier = base - self.paused(user_id, start, self.now)
            if earlier == start:
                break
            start = earlier
        return start

    # --- Due, due soon, overdue -------------------------------------------------------------

    def due_state(self, due: date | datetime | None, *, soon_days: int = DUE_SOON_DAYS) -> str:
        """OVERDUE once the date has come, DUE_SOON within `soon_days`, else LATER (also when
        there is no date)."""
        if due is None:
            return LATER
        if isinstance(due, datetime):
            if due <= self.now:
                return OVERDUE
            return DUE_SOON if due <= self.now + timedelta(days=soon_days) else LATER
        today = timezone.localdate(self.now)
        if due < today:
            return OVERDUE
        return DUE_SOON if due <= today + timedelta(days=soon_days) else LATER

    def due(self, value: date | datetime | None, *, soon_days: int = DUE_SOON_DAYS) -> Due | None:
        """The date with its state, for lists and pages to tell overdue from due soon."""
        if value is None:
            return None
        return Due(value, self.due_state(value, soon_days=soon_days))


@dataclass(frozen=True)
class Due:
    """A date as the clock sees it (already moved by the person's pauses) and whether it is
    overdue, due soon or later. Staff read "Overdue since …"; peers read kind words about their
    own dates, never "overdue" (the templates choose the words)."""

    on: date | datetime
    state: str

    @property
    def overdue(self) -> bool:
        return self.state == OVERDUE

    @property
    def soon(self) -> bool:
        return self.state == DUE_SOON

    @property
    def day(self) -> date:
        return timezone.localdate(self.on) if isinstance(self.on, datetime) else self.on


def overdue_first(items, due_of):
    """`items` in the order lists show them: overdue first (longest overdue first), then the
    rest soonest first, undated last."""

    def key(item):
        due = due_of(item)
        if due is None:
            return (2, date.max)
        return (0 if due.overdue else 1, due.day)

    return sorted(items, key=key)


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def clock_for(user_ids: Iterable[int], now: datetime | None = None) -> PauseClock:
    """A clock that knows every pause of these people: each `pause_periods` hook is asked once
    for all of them (one query each). `user_ids` may be a list with a `.query` subquery of the
    same people (see `pathways.requirements.UserIds`); the hooks may use it."""
    now = now or timezone.now()
    ids = user_ids if isinstance(user_ids, list) else list(user_ids)
    pauses: Periods = defaultdict(list)
    paused_now: set[int] = set()
    if ids or getattr(ids, "query", None) is not None:
        for hook in hooks.get_hooks("pause_periods"):
            for uid, periods in hook(ids, now).items():
                for start, end in periods:
                    pauses[uid].append((start, min(end, now) if end else now))
                    if end is None or end >= now:
                        paused_now.add(uid)
    return PauseClock(now=now, pauses=dict(pauses), paused_now=paused_now)
