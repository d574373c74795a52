"""The benchmark harness runs end to end at a tiny size and reports every budget; the growth
chart is drawn from its results; filling mentors refuses any database but a benchmark's own.

No timings are asserted (they belong to `make bench`): only that each figure is there, with a
verdict, and that what the harness reads off the project (query counts) does not grow.
"""

import hashlib
import json
import os
import tempfile
from pathlib import Path

import pytest

from bench import budgets
from bench.__main__ import main

# Kept between test runs: a built database is reused until the migrations or generators change
# (bench/databases.py), so only the first run pays for migrating.
# One folder per checkout: two checkouts' runs at once must not rebuild each other's databases.
CHECKOUT = hashlib.sha256(str(Path(__file__).resolve().parents[2]).encode()).hexdigest()[:12]
CACHE = Path(tempfile.gettempdir()) / f"peer-pathways-bench-test-cache-{os.getuid()}-{CHECKOUT}"
TINY = [
    "--sizes", "30",
    "--mentors", "20",
    "--rounds", "1",
    "--repeat", "1",
    "--module-repeat", "2",
    "--requests", "3",
    "--cache", str(CACHE),
]  # fmt: skip
PAGES = ("readiness", "dashboard", "module_page")


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    """The whole harness at 30 peers and 20 mentors, on SQLite only, writing into a results
    file that already holds another tool's key."""
    results_path = tmp_path_factory.mktemp("bench") / "results.json"
    results_path.write_text(json.dumps({"load_test": {"kept": True}}))
    saved = os.environ.pop("DATABASE_URL", None)
    try:
        main([*TINY, "--results", str(results_path)])
    finally:
        if saved is not None:
            os.environ["DATABASE_URL"] = saved
    return json.loads(results_path.read_text())


def test_every_budget_is_reported_with_a_figure_and_a_verdict(tiny_run):
    reported = {row["key"]: row for row in tiny_run["budgets"]}

    assert set(reported) == {budget.key for budget in budgets.BUDGETS}
    for key, row in reported.items():
        if ".postgresql." in key:
            # No DATABASE_URL pointing at PostgreSQL: never reported as met.
            assert (row["figure"], row["met"]) == (None, None), key
        else:
            assert isinstance(row["figure"], float | int), key
            assert isinstance(row["met"], bool), key
            assert row["where"].startswith("sqlite, "), key


def test_a_budget_checked_below_its_size_says_so(tiny_run):
    readiness = next(r for r in tiny_run["budgets"] if r["key"] == "readiness.sqlite.5000")

    assert readiness["at_budget_size"] is False
    assert readiness["where"] == "sqlite, 30 peers (5,000 not measured)"


def test_pages_exports_shortlist_and_throughput_are_recorded(tiny_run):
    pages = tiny_run["pages"]["sqlite"]["30"]
    for page in PAGES:
        assert pages[page]["n"] >= 1
        assert pages[page]["queries"] > 0
    assert pages["population"]["people"] >= 30
    exports = tiny_run["exports"]["sqlite"]["30"]
    assert exports["csv"]["bytes"] > 0 and exports["xlsx"]["bytes"] > 0
    assert tiny_run["shortlist"]["sqlite"]["20"]["suggested"] > 0
    throughput = tiny_run["throughput"]["sqlite"]
    assert throughput["requests_each"] == 3
    assert throughput["ratio"] > 0


def test_the_machine_is_recorded_and_other_keys_are_kept(tiny_run):
    assert tiny_run["machine"]["cpus"] >= 1
    assert len(tiny_run["machine"]["load_average"]) == 3
    assert tiny_run["load_test"] == {"kept": True}


def test_the_growth_chart_is_drawn_from_the_results(tiny_run, tmp_path):
    from bench import chart

    results = dict(tiny_run)
    results["pages"] = {"sqlite": {**tiny_run["pages"]["sqlite"]}}
    results["pages"]["sqlite"]["300"] = tiny_run["pages"]["sqlite"]["30"]  # a second point

    written = chart.draw(results, tmp_path / "growth.png")

    assert written.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert set(chart.growth_series(results)) == {(page, "sqlite") for page in PAGES}


def test_budgets_without_figures_are_not_measured_never_met():
    rows = budgets.check_all({})

    assert all(row["met"] is None and row["figure"] is None for row in rows)


def test_the_readiness_growth_budget_divides_the_named_sizes():
    def at(ms):
        return {"readiness": {"median_ms": ms}}

    results = {"pages": {"sqlite": {"500": at(100), "5000": at(140), "50000": at(900)}}}

    growth = next(b for b in budgets.BUDGETS if b.key == "readiness.sqlite.growth")

    row = growth.check(results)

    assert row["figure"] == 1.4
    assert row["met"] is True
    assert row["at_budget_size"] is True


@pytest.mark.django_db
def test_filling_mentors_refuses_any_database_but_a_benchmarks_own():
    from bench import measure
    from lms.models import Organisation

    with pytest.raises(measure.BenchError, match="only a benchmark's mentors database"):
        measure.build_mentors(5)

    assert not Organisation.objects.filter(slug=measure.MENTOR_ORGANISATION).exists()


@pytest.mark.django_db
def test_the_shortlist_costs_the_same_queries_at_two_sizes():
    from bench import measure

    measure.fill_mentors(30)
    small = measure.shortlist(2)
    measure.fill_mentors(120)
    large = measure.shortlist(2)

    assert small["suggested"] > 0
    assert small["queries"] == large["queries"]
