"""python -m bench.chart [--results bench/results.json] [--output docs/performance-growth.png]

The growth curve (issue 12, item 6): the readiness page, the coordinator dashboard and the
module page, median milliseconds against the number of peers, from bench/results.json. One line
a page and database (SQLite solid, PostgreSQL dashed); both axes logarithmic, so a page whose
cost does not grow with the data is a flat line, and one that grows with it climbs at 45°.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display: draw straight to a file

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter  # noqa: E402

from bench import results  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = ROOT / "docs" / "performance-growth.png"
PAGES = {
    "readiness": "Readiness page",
    "dashboard": "Coordinator dashboard",
    "module_page": "Module page (signed-in peer)",
}
LINE_STYLES = {"sqlite": "-", "postgresql": "--"}
_plain = FuncFormatter(lambda value, _position: f"{value:,.0f}")  # 5,000 rather than 5×10³


def growth_series(found: dict) -> dict[tuple[str, str], list[tuple[int, float]]]:
    """(page, database) -> [(peers, median ms)], sizes ascending."""
    series = {}
    for database, sizes in found.get("pages", {}).items():
        for page in PAGES:
            points = sorted((int(size), entry[page]["median_ms"]) for size, entry in sizes.items())
            if points:
                series[(page, database)] = points
    return series


def draw(found: dict, output: Path) -> Path:
    series = growth_series(found)
    if not series:
        raise SystemExit("No page figures in the results: run `python -m bench` first.")
    figure, axes = plt.subplots(figsize=(8, 5), dpi=100)
    colours = dict(zip(PAGES, ("tab:blue", "tab:orange", "tab:green"), strict=True))
    for (page, database), points in sorted(series.items()):
        sizes, medians = zip(*points, strict=True)
        axes.plot(
            sizes,
            medians,
            LINE_STYLES.get(database, ":"),
            marker="o",
            color=colours[page],
            label=f"{PAGES[page]} ({database})",
        )
    axes.set_xscale("log")
    axes.set_yscale("log")
    sizes_measured = sorted({size for points in series.values() for size, _ in points})
    axes.set_xticks(sizes_measured)
    axes.xaxis.set_major_formatter(_plain)
    axes.xaxis.set_minor_formatter(NullFormatter())
    axes.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    axes.yaxis.set_major_formatter(_plain)
    axes.yaxis.set_minor_formatter(NullFormatter())
    axes.set_xlabel("generated peers in the organisation")
    axes.set_ylabel("median time a request (ms)")
    axes.set_title(_title(found))
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize="small")
    figure.tight_layout()
    output.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(output)
    plt.close(figure)
    return output


def _title(found: dict) -> str:
    machine = found.get("machine", {})
    load = " ".join(str(value) for value in machine.get("load_average", []))
    return f"Page time as organisations grow ({machine.get('cpus', '?')} CPUs, load {load})"


def main(argv: list[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(prog="python -m bench.chart")
    parser.add_argument("--results", type=Path, default=results.DEFAULT_PATH)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    arguments = parser.parse_args(argv)
    written = draw(results.load(arguments.results), arguments.output)
    print(f"Drew {written}")
    return written


if __name__ == "__main__":
    main()
