"""python -m bench.report [--results bench/results.json]

The tables of docs/performance.md ("Budgets" and "Growth"), in Markdown, from the results file,
so that the document is updated by pasting what a run measured rather than by retyping it.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from bench import budgets, results

VERDICTS = {True: "met", False: "**NOT met**", None: "not measured"}
PAGES = (("readiness", "Readiness"), ("dashboard", "Dashboard"), ("module_page", "Module page"))


def machine_line(found: dict) -> str:
    machine = found.get("machine", {})
    before = " ".join(map(str, machine.get("load_average", [])))
    after = " ".join(map(str, machine.get("load_average_after", [])))
    return (
        f"Measured {machine.get('measured_at', '?')} on {machine.get('cpus', '?')} CPUs "
        f"({machine.get('platform', '?')}, Python {machine.get('python', '?')}); load average "
        f"{before} at the start and {after} at the end."
    )


def budgets_table(found: dict) -> str:
    rows = budgets.check_all(found)  # from the figures, with the budgets as they are now
    lines = [
        "| budget | limit | issue 12 measured | latest | verdict | where |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        figure = "–" if row["figure"] is None else f"{row['figure']:,.1f} {row['unit']}"
        verdict = VERDICTS[row["met"]]
        if row["met"] is not None and not row["at_budget_size"]:
            verdict += " (smaller size)"
        lines.append(
            f"| {row['what']} | {row['limit']:,} {row['unit']} | {row['replaces']} | {figure} "
            f"| {verdict} | {row['where']} |"
        )
    return "\n".join(lines)


def growth_table(found: dict) -> str:
    lines = [
        "| database | peers | readiness ms | dashboard ms | module page ms | module CPU ms "
        "| module queries | n |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for database, sizes in found.get("pages", {}).items():
        for size in sorted(sizes, key=int):
            entry = sizes[size]
            module = entry["module_page"]
            lines.append(
                f"| {database} | {int(size):,} | {entry['readiness']['median_ms']:,.0f} "
                f"| {entry['dashboard']['median_ms']:,.0f} | {module['median_ms']:,.0f} "
                f"| {module['cpu_median_ms']:,.0f} | {module['queries']} "
                f"| {entry['readiness']['n']} |"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(prog="python -m bench.report")
    parser.add_argument("--results", type=Path, default=results.DEFAULT_PATH)
    found = results.load(parser.parse_args(argv).results)
    text = "\n\n".join([machine_line(found), budgets_table(found), growth_table(found)])
    print(text)
    return text


if __name__ == "__main__":
    main()
