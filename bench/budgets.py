"""Every budget in one table: what is measured, the limit, and the figure from issue 12 that the
budget replaces.

A budget names a database and a size. When that size was not measured in this run (a quick run,
or the test at a tiny size), the budget is checked at the largest size that was, and says so;
when that kind of database was not measured at all (PostgreSQL without `DATABASE_URL`), the
budget is reported as not measured, never as met.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

SQLITE, POSTGRESQL = "sqlite", "postgresql"
GUNICORN_TIMEOUT_SECONDS = 30  # gunicorn's default: a request still running then is killed


@dataclass(frozen=True)
class Figure:
    value: float
    where: str  # e.g. "sqlite, 5,000 peers" or "sqlite, 30 peers (5,000 not measured)"
    exact: bool = True  # measured at the size(s) the budget names


@dataclass(frozen=True)
class Budget:
    key: str
    what: str
    limit: float
    unit: str
    replaces: str  # the figure measured in issue 12
    figure: Callable[[dict], Figure | None]
    at_most: bool = True  # met when figure <= limit (else figure < limit)

    def check(self, results: dict) -> dict:
        figure = self.figure(results)
        row = {
            "key": self.key,
            "what": self.what,
            "limit": self.limit,
            "unit": self.unit,
            "replaces": self.replaces,
            "figure": None,
            "where": "not measured",
            "met": None,
            "at_budget_size": False,
        }
        if figure is None:
            return row
        met = figure.value <= self.limit if self.at_most else figure.value < self.limit
        return row | {
            "figure": round(figure.value, 3),
            "where": figure.where,
            "met": met,
            "at_budget_size": figure.exact,
        }


# --- Finding figures in bench/results.json -----------------------------------------------------


def _sizes(results: dict, section: str, database: str) -> dict[int, dict]:
    found = results.get(section, {}).get(database, {})
    return {int(size): entry for size, entry in found.items()}


def _at(results: dict, section: str, database: str, size: int, unit: str = "peers"):
    """The entry at `size`, or at the largest size measured (saying so), or None."""
    measured = _sizes(results, section, database)
    if not measured:
        return None, None
    if size in measured:
        return measured[size], Figure(0, f"{database}, {size:,} {unit}")
    largest = max(measured)
    return measured[largest], Figure(
        0, f"{database}, {largest:,} {unit} ({size:,} not measured)", exact=False
    )


def page_median(page: str, database: str, size: int, field: str = "median_ms"):
    def figure(results: dict) -> Figure | None:
        entry, place = _at(results, "pages", database, size)
        return replace(place, value=entry[page][field]) if entry else None

    return figure


def page_growth(page: str, database: str, small: int, large: int):
    """The median at `large` over the median at `small` (or largest over smallest measured)."""

    def figure(results: dict) -> Figure | None:
        measured = _sizes(results, "pages", database)
        if not measured:
            return None
        low = small if small in measured else min(measured)
        high = large if large in measured else max(measured)
        ratio = measured[high][page]["median_ms"] / measured[low][page]["median_ms"]
        exact = (low, high) == (small, large)
        note = "" if exact else f" ({small:,} and {large:,} not both measured)"
        return Figure(ratio, f"{database}, {high:,} / {low:,} peers{note}", exact)

    return figure


def page_query_spread(page: str, database: str):
    """Most queries at any size minus fewest: 0 when the count does not grow with the data."""

    def figure(results: dict) -> Figure | None:
        measured = _sizes(results, "pages", database)
        if not measured:
            return None
        counts = [entry[page]["queries"] for entry in measured.values()]
        sizes = ", ".join(f"{size:,}" for size in sorted(measured))
        return Figure(max(counts) - min(counts), f"{database}, {sizes} peers", len(counts) > 1)

    return figure


def export_field(export_format: str, field: str, database: str, size: int):
    def figure(results: dict) -> Figure | None:
        entry, place = _at(results, "exports", database, size)
        return replace(place, value=float(entry[export_format][field])) if entry else None

    return figure


def export_memory_growth(export_format: str, database: str, reference: int, large: int):
    """Peak memory the export added at `large` minus at `reference`, in MB: flat is near 0."""

    def figure(results: dict) -> Figure | None:
        measured = _sizes(results, "exports", database)
        if not measured:
            return None
        high = large if large in measured else max(measured)
        # Without the named sizes, the largest measured against the smallest: growth between
        # any two sizes is what the budget forbids.
        low = reference if reference in measured and reference < high else min(measured)
        grown = (
            measured[high][export_format]["peak_rss_growth_mb"]
            - measured[low][export_format]["peak_rss_growth_mb"]
        )
        exact = (low, high) == (reference, large)
        return Figure(grown, f"{database}, {high:,} vs {low:,} peers", exact)

    return figure


def shortlist_median(database: str, mentors: int):
    def figure(results: dict) -> Figure | None:
        entry, place = _at(results, "shortlist", database, mentors, unit="mentors")
        return replace(place, value=entry["median_ms"]) if entry else None

    return figure


# --- The table ---------------------------------------------------------------------------------

BUDGETS = [
    Budget(
        "readiness.sqlite.5000",
        "Readiness page, SQLite, 5,000 peers, median",
        300,
        "ms",
        "1,982 ms",
        page_median("readiness", SQLITE, 5000),
        at_most=False,
    ),
    Budget(
        "readiness.sqlite.growth",
        "Readiness page, SQLite: 5,000-peer median over 500-peer median",
        1.5,
        "x",
        "5.7x",
        page_growth("readiness", SQLITE, 500, 5000),
        at_most=False,
    ),
    Budget(
        "readiness.sqlite.queries_flat",
        "Readiness page, SQLite: queries at the largest size minus the smallest",
        0,
        "queries",
        "(same count at every size in make bench before)",
        page_query_spread("readiness", SQLITE),
    ),
    Budget(
        "readiness.postgresql.50000",
        "Readiness page, PostgreSQL, 50,000 peers, median",
        1000,
        "ms",
        "6,513 ms at 20,000",
        page_median("readiness", POSTGRESQL, 50000),
        at_most=False,
    ),
    Budget(
        "dashboard.postgresql.50000",
        "Coordinator dashboard (signed-in home), PostgreSQL, 50,000 peers, median",
        200,
        "ms",
        "10.6 s at 20,000",
        page_median("dashboard", POSTGRESQL, 50000),
        at_most=False,
    ),
    Budget(
        "export.csv.sqlite.time",
        f"Learning-records CSV read to its last byte, SQLite, 50,000 peers: under gunicorn's "
        f"{GUNICORN_TIMEOUT_SECONDS} s timeout",
        GUNICORN_TIMEOUT_SECONDS,
        "s",
        "15 s at 5,000; HTTP 500 at 20,000",
        export_field("csv", "seconds", SQLITE, 50000),
        at_most=False,
    ),
    Budget(
        "export.xlsx.sqlite.in_request",
        "Learning-records XLSX, SQLite: seconds spent building it inside the request "
        "(0 when a task builds it)",
        0,
        "s",
        "built in the request: 15 s at 5,000",
        export_field("xlsx", "seconds_building_in_request", SQLITE, 50000),
    ),
    Budget(
        "export.csv.sqlite.memory_flat",
        "Learning-records CSV, SQLite: peak memory added at 50,000 minus at 5,000",
        10,
        "MB",
        "+85 MB at 5,000 (CSV and XLSX)",
        export_memory_growth("csv", SQLITE, 5000, 50000),
    ),
    Budget(
        "export.xlsx.sqlite.memory_flat",
        "Learning-records XLSX, SQLite: peak memory added at 50,000 minus at 5,000",
        10,
        "MB",
        "+85 MB at 5,000 (CSV and XLSX)",
        export_memory_growth("xlsx", SQLITE, 5000, 50000),
    ),
    Budget(
        "module_page.sqlite.queries",
        "Module page for a signed-in peer, SQLite, 5,000 peers: queries",
        12,
        "queries",
        "28 queries",
        page_median("module_page", SQLITE, 5000, field="queries"),
    ),
    Budget(
        "module_page.sqlite.cpu",
        "Module page for a signed-in peer, SQLite, 5,000 peers: process CPU a request, median",
        25,
        "ms",
        "52 ms",
        page_median("module_page", SQLITE, 5000, field="cpu_median_ms"),
    ),
    Budget(
        "shortlist.sqlite.10000",
        "Mentor shortlist, SQLite, 10,000 mentors, median",
        100,
        "ms",
        "388 ms",
        shortlist_median(SQLITE, 10000),
        at_most=False,
    ),
]


def check_all(results: dict) -> list[dict]:
    return [budget.check(results) for budget in BUDGETS]
