"""manage.py bench_readiness [--sizes 500 5000] [--repeat 7] [--keep]

For each size: a fresh SQLite database in a temporary folder, migrated and filled by
`generate_population`, then the readiness page fetched as a coordinator of the demo organisation.
Each size runs in its own processes (`DATABASE_URL` points at its own file), so one size's data
and caches never flatter another's. The budget: under 500 ms at 5,000 people, and at most 8
times slower at the largest size than at the smallest.
"""

import argparse
import gc
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lms.models import Membership, Organisation, Role
from pathways.selectors import readiness_for_organisation

ORGANISATION = "real-lives-nottingham"
BUDGET_MS = 500
BUDGET_AT = 5000
BUDGET_RATIO = 8
MANAGE = Path(settings.BASE_DIR) / "manage.py"


class Command(BaseCommand):
    help = "Time the workforce readiness page at several organisation sizes."

    def add_arguments(self, parser):
        parser.add_argument("--sizes", type=int, nargs="+", default=[500, 5000])
        parser.add_argument("--repeat", type=int, default=7)
        parser.add_argument(
            "--keep",
            action="store_true",
            help="Keep the benchmark databases (their folder is printed).",
        )
        # Internal: time the page against the database in DATABASE_URL and print JSON.
        parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)

    def handle(self, *args, sizes, repeat, keep, measure, **options):
        if repeat < 1:
            raise CommandError("Give --repeat a number of 1 or more.")
        if measure:
            self.stdout.write(json.dumps(_measure(repeat)))
            return
        folder = Path(tempfile.mkdtemp(prefix="bench-readiness-"))
        try:
            results = [self._size(folder, size, repeat) for size in sorted(set(sizes))]
        finally:
            if keep:
                self.stdout.write(f"Databases kept in {folder}")
            else:
                shutil.rmtree(folder, ignore_errors=True)
        self._report(results)

    def _size(self, folder: Path, size: int, repeat: int) -> dict:
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{folder / f'bench-{size}.sqlite3'}",
            "MEDIA_ROOT": str(folder / f"media-{size}"),
            "PRIVATE_MEDIA_ROOT": str(folder / f"private-{size}"),
            "DEBUG": "true",
        }
        self.stdout.write(f"{size:,} people: building the database …")
        started = time.perf_counter()
        _manage(env, "migrate", "--noinput")
        generated = _manage(env, "generate_population", "--peers", str(size))
        self.stdout.write("  " + generated.strip().splitlines()[-1])
        self.stdout.write(f"  ready in {time.perf_counter() - started:.0f} s; timing the page …")
        result = json.loads(
            _manage(env, "bench_readiness", "--measure", "--repeat", str(repeat))
            .strip()
            .splitlines()[-1]
        )
        return {"size": size, **result}

    def _report(self, results: list[dict]) -> None:
        self.stdout.write("")
        self.stdout.write(
            f"{'size':>7} {'people':>7} {'median ms':>10} {'min ms':>8} "
            f"{'queries':>8} {'ready':>6} {'expiring':>9}"
        )
        for row in results:
            self.stdout.write(
                f"{row['size']:>7,} {row['people']:>7,} {row['median_ms']:>10.0f} "
                f"{row['min_ms']:>8.0f} {row['queries']:>8} {row['ready']:>6} "
                f"{row['expiring']:>9}"
            )
        if len(results) < 2:
            return
        smallest, largest = results[0], results[-1]
        ratio = largest["median_ms"] / smallest["median_ms"]
        self.stdout.write(
            f"time({largest['size']:,}) / time({smallest['size']:,}) = {ratio:.1f}"
            f" (people × {largest['size'] / smallest['size']:.0f})"
        )
        checks = [(f"ratio ≤ {BUDGET_RATIO}", ratio <= BUDGET_RATIO)]
        at_budget = next((r for r in results if r["size"] == BUDGET_AT), None)
        if at_budget:
            checks.insert(
                0, (f"median < {BUDGET_MS} ms at {BUDGET_AT:,}", at_budget["median_ms"] < BUDGET_MS)
            )
        if smallest["queries"] != largest["queries"]:
            checks.append(("same number of queries at every size", False))
        for label, held in checks:
            verdict = self.style.SUCCESS("holds") if held else self.style.ERROR("BROKEN")
            self.stdout.write(f"Budget {label}: {verdict}")


def _manage(env: dict, *arguments: str) -> str:
    done = subprocess.run(  # noqa: S603 - our own manage.py, with arguments we built
        [sys.executable, str(MANAGE), *arguments],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise CommandError(f"manage.py {' '.join(arguments)} failed:\n{done.stderr[-3000:]}")
    return done.stdout


def _measure(repeat: int) -> dict:
    """Fetch the readiness page once to warm up, then `repeat` times, as a coordinator."""
    organisation = Organisation.objects.get(slug=ORGANISATION)
    coordinator = (
        Membership.objects.active()
        .filter(organisation=organisation, role=Role.COORDINATOR)
        .select_related("user")
        .order_by("pk")
        .first()
        .user
    )
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(coordinator)
    url = reverse("pathways:readiness", args=[organisation.slug])
    warm = client.get(url)
    if warm.status_code != 200:
        raise CommandError(f"GET {url} answered {warm.status_code}.")
    gc.freeze()  # as lms/wsgi.py does in a real web process once the app is loaded
    timings, queries = [], []
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(url)
            timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
        queries.append(len(captured))
    readiness = readiness_for_organisation(organisation=organisation)
    return {
        "people": len(readiness.people),
        "median_ms": statistics.median(timings),
        "min_ms": min(timings),
        "queries": max(queries),
        "ready": len(readiness.ready),
        "expiring": len(readiness.expiring),
    }
