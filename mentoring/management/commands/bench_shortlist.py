"""manage.py bench_shortlist [--sizes 50 1000] [--repeat 9] [--keep]

For each size: a fresh SQLite database in a temporary folder, migrated once and copied for each
size, then filled by `generate_mentors` with that many mentors (about a third with mentees) in
one organisation, and the shortlist of one trainee there timed with `shortlist_for_trainee`.
Each size runs in its own process (`DATABASE_URL` points at its own file), so the project's own
db.sqlite3 is never touched. The budget: under 100 ms at 1,000 mentors, and the same number of
queries at every size.
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
from django.test.utils import CaptureQueriesContext

from lms.models import Membership, Organisation, Role, User
from mentoring.models import MentoringSettings
from mentoring.population import generate_mentors
from mentoring.selectors.matching import shortlist_for_trainee
from mentoring.services.matching import trainee_preferences_save
from pathways.models import CompetenceFramework, Pathway, Stage

BUDGET_MS = 100
BUDGET_AT = 1000
FOLDER_PREFIX = "bench-shortlist-"
MANAGE = Path(settings.BASE_DIR) / "manage.py"
ORGANISATION = "bench-mentoring"


class Command(BaseCommand):
    help = "Time a trainee's mentor shortlist at several numbers of mentors."

    def add_arguments(self, parser):
        parser.add_argument("--sizes", type=int, nargs="+", default=[50, 1000])
        parser.add_argument("--repeat", type=int, default=9)
        parser.add_argument(
            "--keep",
            action="store_true",
            help="Keep the benchmark databases (their folder is printed).",
        )
        # Internal: fill the database in DATABASE_URL, time the shortlist, and print JSON.
        parser.add_argument("--measure", type=int, metavar="MENTORS", help=argparse.SUPPRESS)

    def handle(self, *args, sizes, repeat, keep, measure, **options):
        if repeat < 1:
            raise CommandError("Give --repeat a number of 1 or more.")
        if measure is not None:
            _refuse_the_real_database()
            self.stdout.write(json.dumps(_measure(measure, repeat)))
            return
        folder = Path(tempfile.mkdtemp(prefix=FOLDER_PREFIX))
        try:
            self.stdout.write("Building an empty database …")
            empty = folder / "empty.sqlite3"
            _manage(_env(folder, empty), "migrate", "--noinput")
            results = [self._size(folder, empty, size, repeat) for size in sorted(set(sizes))]
        finally:
            if keep:
                self.stdout.write(f"Databases kept in {folder}")
            else:
                shutil.rmtree(folder, ignore_errors=True)
        self._report(results)

    def _size(self, folder: Path, empty: Path, size: int, repeat: int) -> dict:
        database = folder / f"bench-{size}.sqlite3"
        shutil.copyfile(empty, database)
        self.stdout.write(f"{size:,} mentors: filling the database and timing the shortlist …")
        output = _manage(
            _env(folder, database),
            "bench_shortlist",
            "--measure",
            str(size),
            "--repeat",
            str(repeat),
        )
        return {"size": size, **json.loads(output.strip().splitlines()[-1])}

    def _report(self, results: list[dict]) -> None:
        self.stdout.write("")
        self.stdout.write(
            f"{'mentors':>8} {'median ms':>10} {'min ms':>8} {'queries':>8} {'suggested':>10}"
        )
        for row in results:
            self.stdout.write(
                f"{row['size']:>8,} {row['median_ms']:>10.1f} {row['min_ms']:>8.1f} "
                f"{row['queries']:>8} {row['suggested']:>10}"
            )
        checks = []
        at_budget = next((r for r in results if r["size"] == BUDGET_AT), None) or results[-1]
        checks.append(
            (
                f"median < {BUDGET_MS} ms at {at_budget['size']:,} mentors",
                at_budget["median_ms"] < BUDGET_MS,
            )
        )
        if len(results) > 1:
            held = len({row["queries"] for row in results}) == 1
            checks.append(("same number of queries at every size", held))
        for label, held in checks:
            verdict = self.style.SUCCESS("holds") if held else self.style.ERROR("BROKEN")
            self.stdout.write(f"Budget {label}: {verdict}")


def _env(folder: Path, database: Path) -> dict:
    return {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{database}",
        "MEDIA_ROOT": str(folder / "media"),
        "PRIVATE_MEDIA_ROOT": str(folder / "private"),
        "DEBUG": "true",
    }


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


def _refuse_the_real_database() -> None:
    """The measuring step writes made-up people: only ever into a benchmark's own file, in a
    folder this command made (an in-memory test database, or a project living under /tmp, is
    not one)."""
    name = Path(str(connection.settings_dict["NAME"])).resolve()
    ours = (
        name.is_file()
        and name.parent.name.startswith(FOLDER_PREFIX)
        and name.parent.parent == Path(tempfile.gettempdir()).resolve()
    )
    if connection.vendor != "sqlite" or not ours:
        raise CommandError("bench_shortlist --measure runs only on a temporary SQLite database.")


def _mentor_stage(organisation: Organisation) -> Stage:
    """A two-stage pathway whose second stage mentors must have reached, so that the stage
    check does real work."""
    framework, _ = CompetenceFramework.objects.get_or_create(
        slug="bench-mentoring", defaults={"name": "Bench framework"}
    )
    pathway, _ = Pathway.objects.get_or_create(
        name="Bench pathway", organisation=organisation, defaults={"framework": framework}
    )
    Stage.objects.get_or_create(pathway=pathway, sort_order=0, defaults={"title": "Trainee"})
    stage, _ = Stage.objects.get_or_create(
        pathway=pathway, sort_order=1, defaults={"title": "Peer worker"}
    )
    return stage


def _measure(size: int, repeat: int) -> dict:
    """Fill the database with `size` mentors and a trainee, then time the trainee's shortlist:
    once to warm up, then `repeat` times."""
    organisation, _ = Organisation.objects.get_or_create(
        slug=ORGANISATION, defaults={"name": "Bench Mentoring"}
    )
    stage = _mentor_stage(organisation)
    MentoringSettings.objects.get_or_create(
        organisation=organisation, defaults={"require_language": True, "mentor_min_stage": stage}
    )
    generate_mentors(organisation=organisation, count=size, stage=stage)
    trainee, _ = User.objects.get_or_create(
        email="bench.trainee@generated.demo.example", defaults={"display_name": "Bench Trainee"}
    )
    Membership.objects.get_or_create(user=trainee, organisation=organisation, role=Role.PEER)
    trainee_preferences_save(
        user=trainee,
        specialisms=["personal_budgets", "housing"],
        languages=["urdu", "english"],
        area="Nottingham",
        format="online",
    )
    # Start timing as a web process would meet the data: written long ago, not just now by this
    # process (closing the connection also folds SQLite's write-ahead log into the database).
    # Inside a transaction (a test) the connection must stay open.
    if not connection.in_atomic_block:
        connection.close()
    gc.collect()
    shortlist_for_trainee(trainee=trainee, organisation=organisation)
    gc.freeze()  # as lms/wsgi.py does in a real web process once the app is loaded
    timings, queries, suggested = [], [], 0
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            result = shortlist_for_trainee(trainee=trainee, organisation=organisation)
            timings.append((time.perf_counter() - started) * 1000)
        queries.append(len(captured))
        suggested = len(result.entries)
    return {
        "median_ms": statistics.median(timings),
        "min_ms": min(timings),
        "queries": max(queries),
        "suggested": suggested,
    }
