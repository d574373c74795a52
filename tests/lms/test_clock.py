"""The kernel's one pause clock (lms.clock), on its own: due dates move by the time paused
between when they were set and when they fall due, windows reach back by the time paused
inside them, and overdue is told apart from due soon. Pages are in
tests/pathways/test_one_clock.py."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from lms.clock import DUE_SOON, LATER, OVERDUE, PauseClock, overdue_first
from lms.dates import add_months

UTC = ZoneInfo("UTC")
NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
PAT = 1


def _clock(*pauses):
    return PauseClock(now=NOW, pauses={PAT: list(pauses)} if pauses else {})


FIVE_MONTHS = (NOW - timedelta(days=243), NOW - timedelta(days=91))  # 152 days
RUNNING = (NOW - timedelta(days=30), NOW)


def test_pathways_clock_is_the_kernels_clock():
    from pathways.requirements import Clock

    assert Clock is PauseClock


def test_without_a_pause_nothing_moves():
    start, due = NOW - timedelta(days=100), NOW + timedelta(days=10)
    clock = _clock()

    assert clock.extend(PAT, start, due) == due
    assert clock.expiry(PAT, start, 12) == add_months(start, 12)
    assert clock.window_start(PAT, months=6) == add_months(NOW, -6)
    assert clock.active_since(PAT, start) == timedelta(days=100)


def test_a_finished_pause_between_set_and_due_moves_the_date_by_its_length():
    start = NOW - timedelta(days=350)
    due = NOW + timedelta(days=15)

    assert _clock(FIVE_MONTHS).extend(PAT, start, due) == due + timedelta(days=152)


def test_a_pause_after_the_date_had_passed_does_not_move_it():
    start, due = NOW - timedelta(days=260), NOW - timedelta(days=40)

    assert _clock(RUNNING).extend(PAT, start, due) == due


def test_a_running_pause_keeps_pushing_the_date_past_today():
    start, due = NOW - timedelta(days=60), NOW - timedelta(days=5)

    moved = _clock(RUNNING).extend(PAT, start, due)

    assert moved == due + timedelta(days=30)
    assert moved > NOW


def test_an_extension_that_reaches_into_a_later_pause_takes_that_one_too():
    start = NOW - timedelta(days=200)
    first = (NOW - timedelta(days=190), NOW - timedelta(days=150))  # 40 days
    second = (NOW - timedelta(days=120), NOW - timedelta(days=100))  # 20 days
    due = NOW - timedelta(days=130)  # before the second pause, until the first moves it

    assert _clock(first, second).extend(PAT, start, due) == due + timedelta(days=60)


def test_a_window_reaches_back_by_the_time_paused_inside_it():
    plain = add_months(NOW, -6)

    assert _clock(FIVE_MONTHS).window_start(PAT, months=6) == plain - timedelta(days=152)
    assert _clock(RUNNING).window_start(PAT, days=31) == NOW - timedelta(days=61)


def test_time_in_stage_counts_only_unpaused_time():
    assert _clock(FIVE_MONTHS).active_since(PAT, NOW - timedelta(days=300)) == timedelta(days=148)


def test_a_due_day_moves_by_whole_days():
    held_on = (NOW - timedelta(days=260)).date()
    due_on = held_on + timedelta(days=170)

    assert _clock(FIVE_MONTHS).extend_date(PAT, held_on, due_on) == due_on + timedelta(days=152)
    assert _clock().extend_date(PAT, held_on, due_on) == due_on
    assert _clock(FIVE_MONTHS).extend_date(PAT, held_on, None) is None


def test_overdue_due_soon_and_later_for_moments_and_days():
    clock = _clock()
    today = NOW.date()

    assert clock.due_state(NOW - timedelta(seconds=1)) == OVERDUE
    assert clock.due_state(NOW) == OVERDUE
    assert clock.due_state(NOW + timedelta(days=30)) == DUE_SOON
    assert clock.due_state(NOW + timedelta(days=31)) == LATER
    assert clock.due_state(today - timedelta(days=1)) == OVERDUE
    assert clock.due_state(today) == DUE_SOON  # due today: still on time today
    assert clock.due_state(today + timedelta(days=60)) == LATER
    assert clock.due_state(None) == LATER
    assert clock.due(None) is None


def test_lists_put_overdue_first_longest_overdue_first_then_soonest_then_undated():
    clock = _clock()
    items = {
        "far": clock.due(date(2027, 6, 1)),
        "undated": None,
        "soon": clock.due(date(2026, 12, 10)),
        "overdue recently": clock.due(date(2026, 11, 20)),
        "overdue long ago": clock.due(date(2023, 3, 3)),
    }

    ordered = overdue_first(list(items), items.get)

    assert ordered == ["overdue long ago", "overdue recently", "soon", "far", "undated"]
