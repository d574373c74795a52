"""python -m bench [--sizes 500 5000 50000] [--only pages,exports,shortlist,throughput] [--quick]

Measures the pages and exports issue 12 set budgets for, on SQLite and (when `DATABASE_URL`
points to PostgreSQL) on PostgreSQL, at each size of generated population; prints a table of
figures and every budget with "met" or "NOT met"; and merges the figures into
bench/results.json. Generated databases are kept between runs (bench/.cache); `--fresh` rebuilds
them. Figures are medians over interleaved repeats: each round runs every size once, in its own
process, and a round's requests take turns between the pages, so a burst of load elsewhere on
the machine falls on every figure alike.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from pathlib import Path

from bench import budgets, databases, results, throughput
from bench.databases import Target, run_python

SECTIONS = ("pages", "exports", "throughput", "shortlist")
PAGE_NAMES = {"readiness", "dashboard", "module_page"}  # accepted by --only, meaning "pages"
DEFAULT_CACHE = Path(__file__).resolve().parent / ".cache"
FULL_SIZES = [500, 5000, 50000]
FULL_MENTORS = [1000, 10000]


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[2])
    add = parser.add_argument
    add("--sizes", type=int, nargs="+", help="peers (default 500 5000 50000)")
    add("--mentors", type=int, nargs="+", help="mentors (default 1000 10000)")
    add("--only", default="", help=f"comma-separated: {', '.join(SECTIONS)}")
    add("--quick", action="store_true", help="500 and 5,000 peers, 1,000 mentors, 1 round")
    add("--rounds", type=int, help="interleaved rounds (default 3, quick 1)")
    add("--repeat", type=int, default=5, help="requests for each page in a round")
    add("--module-repeat", type=int, default=20, help="module page requests in a round")
    add("--requests", type=int, default=200, help="requests for each page under gunicorn")
    add("--databases", default="", help="sqlite and/or postgresql (default: all available)")
    add("--fresh", action="store_true", help="rebuild the cached databases")
    add("--drop", action="store_true", help="remove the cached databases of these sizes")
    add("--report", action="store_true", help="print the stored figures; measure nothing")
    add("--cache", type=Path, default=Path(os.environ.get("BENCH_CACHE", DEFAULT_CACHE)))
    add("--results", type=Path, default=results.DEFAULT_PATH)
    arguments = parser.parse_args(argv)
    arguments.sections = _sections(parser, arguments.only)
    quick = arguments.quick
    arguments.sizes = sorted(set(arguments.sizes or ([500, 5000] if quick else FULL_SIZES)))
    arguments.mentors = sorted(set(arguments.mentors or ([1000] if quick else FULL_MENTORS)))
    arguments.rounds = arguments.rounds or (1 if quick else 3)
    if min(arguments.sizes + arguments.mentors) < 1 or min(arguments.rounds, arguments.repeat) < 1:
        parser.error("sizes, mentors, rounds and repeats must be 1 or more")
    return arguments


def _sections(parser, only: str) -> list[str]:
    asked = {name.strip() for name in only.split(",") if name.strip()}
    unknown = asked - set(SECTIONS) - PAGE_NAMES
    if unknown:
        unknown_names, known = ", ".join(sorted(unknown)), ", ".join(SECTIONS)
        parser.error(f"--only: unknown {unknown_names}; choose from {known}")
    if not asked:
        return list(SECTIONS)
    return [s for s in SECTIONS if s in asked or (s == "pages" and asked & PAGE_NAMES)]


def database_kinds(asked: str = "") -> list[tuple[str, str]]:
    """SQLite always; PostgreSQL too when DATABASE_URL points to it; `asked` narrows them."""
    url = os.environ.get("DATABASE_URL", "")
    kinds = [(budgets.SQLITE, "")]
    if url.startswith(("postgres://", "postgresql://")):
        kinds.append((budgets.POSTGRESQL, url))
    wanted = {name.strip() for name in asked.split(",") if name.strip()}
    return [(kind, server) for kind, server in kinds if not wanted or kind in wanted]


# --- Sections -----------------------------------------------------------------------------------


def _measure(target: Target, *arguments: str) -> dict:
    """Run one bench.measure command against the target's database; its JSON answer."""
    output = run_python(target.env(), "-m", "bench.measure", *arguments)
    return json.loads(output.strip().splitlines()[-1])


def run_pages(targets: list[Target], arguments, store) -> None:
    samples: dict[int, list[dict]] = {target.size: [] for target in targets}
    repeats = ("--repeat", str(arguments.repeat), "--module-repeat", str(arguments.module_repeat))
    for number in range(1, arguments.rounds + 1):
        for target in targets:
            say(f"  pages, {target.kind} {target.size:,} peers, round {number}/{arguments.rounds}")
            samples[target.size].append(_measure(target, "pages", *repeats))
    for target in targets:
        store("pages", target.kind, target.size, summarise_pages(samples[target.size]))


def summarise_pages(rounds: list[dict]) -> dict:
    summary = {"population": rounds[-1]["people"]}
    for page in ("readiness", "dashboard", "module_page"):
        wall = [ms for one in rounds for ms in one[page]["ms"]]
        cpu = [ms for one in rounds for ms in one[page]["cpu_ms"]]
        summary[page] = {
            "median_ms": statistics.median(wall),
            "min_ms": min(wall),
            "cpu_median_ms": statistics.median(cpu),
            "n": len(wall),
            "queries": max(one[page]["queries"] for one in rounds),
        }
    return summary


def run_exports(targets: list[Target], arguments, store) -> None:
    for target in targets:
        entry = {}
        for export_format in ("csv", "xlsx"):
            say(f"  export {export_format}, {target.kind} {target.size:,} peers")
            entry[export_format] = _measure(target, "export", "--format", export_format)
        store("exports", target.kind, target.size, entry)


def run_throughput(targets: list[Target], arguments, store) -> None:
    target = targets[-1]  # the largest: the module page should not care
    count = arguments.requests
    say(f"  throughput under gunicorn, {target.kind} {target.size:,} peers, {count} requests each")
    signed_in = _measure(target, "session")
    with throughput.gunicorn(target) as port:
        figures = throughput.measure(
            port, module_url=signed_in["module_url"], cookie=signed_in["cookie"], count=count
        )
    store("throughput", target.kind, None, figures | {"peers": target.size})


def run_shortlist(kind: str, server_url: str, arguments, store) -> None:
    targets = [Target(kind, "mentors", n, arguments.cache, server_url) for n in arguments.mentors]
    for target in targets:
        build(target, arguments, store)
    timings = {target.size: [] for target in targets}
    last = {}
    for _ in range(arguments.rounds):
        for target in targets:
            say(f"  shortlist, {kind} {target.size:,} mentors")
            last[target.size] = _measure(target, "shortlist", "--repeat", str(arguments.repeat * 2))
            timings[target.size] += last[target.size]["ms"]
    for target in targets:
        store(
            "shortlist",
            kind,
            target.size,
            {
                "median_ms": statistics.median(timings[target.size]),
                "min_ms": min(timings[target.size]),
                "n": len(timings[target.size]),
                "queries": last[target.size]["queries"],
                "suggested": last[target.size]["suggested"],
            },
        )


def build(target: Target, arguments, store) -> None:
    seconds = databases.ensure(target, fresh=arguments.fresh, log=say)
    if seconds is not None:
        entry = {"fills": target.fills, "build_seconds": round(seconds, 1)}
        store("population", target.kind, f"{target.fills}-{target.size}", entry)


# --- Printing -----------------------------------------------------------------------------------


def say(line: str = "") -> None:
    print(line, flush=True)


def print_figures(found: dict) -> None:
    for kind, sizes in found.get("pages", {}).items():
        say(f"\nPages, {kind}: median ms over n requests (module page: also CPU ms and queries)")
        say(f"{'peers':>7} {'readiness':>10} {'dashboard':>10} {'module':>8} {'cpu':>6} "
            f"{'queries':>8} {'n':>4} {'ready':>6}")  # fmt: skip
        for size in sorted(sizes, key=int):
            say(_page_row(int(size), sizes[size]))
    for kind, sizes in found.get("exports", {}).items():
        say(f"\nLearning-records exports, {kind}: seconds to the last byte, peak memory added")
        for size in sorted(sizes, key=int):
            say(_export_row(int(size), sizes[size]))
    for kind, sizes in found.get("shortlist", {}).items():
        for size in sorted(sizes, key=int):
            row = sizes[size]
            say(f"Shortlist, {kind}, {int(size):,} mentors: {row['median_ms']:.1f} ms "
                f"(n={row['n']}, {row['queries']} queries)")  # fmt: skip
    for kind, row in found.get("throughput", {}).items():
        say(f"Throughput, {kind}, one gunicorn sync worker: module page "
            f"{row['module_page_rps']:.1f} req/s, /healthz/ {row['healthz_rps']:.1f} req/s, "
            f"ratio {row['ratio']:.3f}")  # fmt: skip


def _page_row(size: int, row: dict) -> str:
    readiness, dashboard, module = row["readiness"], row["dashboard"], row["module_page"]
    return (
        f"{size:>7,} {readiness['median_ms']:>10.1f} {dashboard['median_ms']:>10.1f} "
        f"{module['median_ms']:>8.1f} {module['cpu_median_ms']:>6.1f} {module['queries']:>8} "
        f"{readiness['n']:>4} {row['population']['ready']:>6}"
    )


def _export_row(size: int, row: dict) -> str:
    csv, xlsx = row["csv"], row["xlsx"]
    how = "built in the request" if xlsx["built_in_request"] else "built by a task"
    return (
        f"{size:>7,} peers  CSV {csv['seconds']:.1f} s, +{csv['peak_rss_growth_mb']:.1f} MB"
        f"{', streamed' if csv['streamed'] else ''};  XLSX {xlsx['seconds']:.1f} s, "
        f"+{xlsx['peak_rss_growth_mb']:.1f} MB, {how}"
    )


VERDICTS = {True: "met", False: "NOT met", None: "not measured"}


def print_budgets(rows: list[dict], machine: dict) -> None:
    load = " ".join(map(str, machine["load_average"]))
    say(f"\nBudgets (machine: {machine['cpus']} CPUs, load average {load}; "
        "* = checked at a smaller size than the budget names)")  # fmt: skip
    for row in rows:
        verdict = VERDICTS[row["met"]] + (
            "" if row["at_budget_size"] or row["met"] is None else "*"
        )
        figure = "-" if row["figure"] is None else f"{row['figure']:,.2f} {row['unit']}"
        say(f"  {verdict:<13} {row['what']}: {figure} (limit {row['limit']:,} {row['unit']}; "
            f"issue 12 measured {row['replaces']}) [{row['where']}]")  # fmt: skip


# --- Main ---------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> dict:
    arguments = parse(argv)
    if arguments.drop:
        drop_databases(arguments)
        return results.load(arguments.results)
    if not arguments.report:
        measure_all(arguments)
    found = results.load(arguments.results)
    found = results.update(arguments.results, budgets=budgets.check_all(found))
    print_figures(found)
    print_budgets(found["budgets"], found.get("machine") or results.machine())
    say(f"\nWritten to {arguments.results}")
    return found


def measure_all(arguments) -> None:
    machine = results.machine()
    say(f"Benchmark: {machine['cpus']} CPUs, load average {machine['load_average']}")

    def store(section, kind, size, entry):
        results.record(arguments.results, section, kind, size, entry)

    for kind, server_url in database_kinds(arguments.databases):
        targets = [Target(kind, "peers", n, arguments.cache, server_url) for n in arguments.sizes]
        if set(arguments.sections) - {"shortlist"}:
            for target in targets:
                build(target, arguments, store)
        if "pages" in arguments.sections:
            run_pages(targets, arguments, store)
        if "exports" in arguments.sections:
            run_exports(targets, arguments, store)
        if "throughput" in arguments.sections:
            run_throughput(targets, arguments, store)
        if "shortlist" in arguments.sections:
            run_shortlist(kind, server_url, arguments, store)
    after = {"load_average_after": results.load_average()}
    results.update(arguments.results, machine=machine | after)


def drop_databases(arguments) -> None:
    for kind, server_url in database_kinds(arguments.databases):
        for fills, sizes in (("peers", arguments.sizes), ("mentors", arguments.mentors)):
            for size in sizes:
                databases.drop(Target(kind, fills, size, arguments.cache, server_url))
        databases.drop(Target(kind, "empty", 0, arguments.cache, server_url))
    say("Dropped the cached benchmark databases.")


if __name__ == "__main__":
    try:
        main()
    except databases.BuildError as error:
        sys.exit(str(error))
