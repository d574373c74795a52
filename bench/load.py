"""`make load`: 50 people on three journeys for 60 s against the production profile.

The profile: `manage.py serve_production` (gunicorn, 4 workers, and a django-q2 cluster) on
loopback, PostgreSQL and Redis, with 5,000 generated peers in a database of its own
(peer_pathways_load; made with `seed_demo` and `generate_population` the first time, reused
after). The journeys are in bench/locustfile.py; people are signed in through sessions made for
them in the database, since generated people have no password.

Writes req/s, p50/p95/p99 and errors per page, the gunicorn workers' memory (RSS, from /proc)
and CPU time per request, and the machine's load average to bench/results.json under
"load_test" (the file's other keys are left as they are). Exits non-zero on any error: the
budget is zero errors. Latency depends on what else the machine is doing; the load average
says how busy it was.

    python -m bench.load [--users 50] [--seconds 60] [--workers 4] [--peers 5000] [--rebuild]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
from datetime import UTC, datetime
from pathlib import Path

import psycopg

from bench.nodes import (
    ROOT,
    Failed,
    Node,
    database_exists,
    django_python,
    manage,
    production_env,
    recreate_database,
    stop_all,
)

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/peer_pathways_load"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/13"
RESULTS = ROOT / "bench" / "results.json"
PORT = 8781
ORGANISATION = "real-lives-nottingham"
SAMPLE_SECONDS = 2
GENERATED = "peer-%@generated.demo.example"

# Signs in the people of each journey (a session row each, as a sign-in would make) and lists
# the pages they will walk. Runs in a Django process with the nodes' own SECRET_KEY.
_PEOPLE = """
import json, sys
from django.middleware.csrf import _get_new_csrf_string
from django.test import Client
from django.urls import reverse
from courses.models import Enrolment
from courses.selectors import live_modules
from lms.models import Membership, Role
from mentoring.models import Mentorship, SupervisionSession

slug, peers_wanted, staff_wanted, mentoring_wanted = sys.argv[1], *map(int, sys.argv[2:5])
BACKEND = "django.contrib.auth.backends.ModelBackend"

def signed_in(user):
    client = Client()
    client.force_login(user, backend=BACKEND)
    return {"session": client.cookies["sessionid"].value, "csrf": _get_new_csrf_string()}

def peer_steps(enrolment):
    course = enrolment.course.specific
    steps = [("home", "GET", "/"), ("course page", "GET", course.get_url())]
    for module in live_modules(course=course)[:4]:
        steps.append(("module page", "GET", module.get_url()))
        finish = reverse("courses:module-finish", args=[module.pk])
        steps.append(("module finish", "POST", finish))
    steps.append(("my pathway", "GET", reverse("pathways:mine")))
    return steps

enrolments = (
    Enrolment.objects.filter(
        completed_at__isnull=True, user__email__endswith="@generated.demo.example"
    )
    .select_related("course", "user")
    .order_by("user_id")
)
people = {"peer": [], "coordinator": [], "mentoring": []}
seen = set()
for enrolment in enrolments:
    if enrolment.user_id in seen:
        continue
    seen.add(enrolment.user_id)
    people["peer"].append({**signed_in(enrolment.user), "steps": peer_steps(enrolment)})
    if len(people["peer"]) == peers_wanted:
        break

staff = [
    m.user for m in Membership.objects.active().filter(
        organisation__slug=slug, role__in=[Role.COORDINATOR, Role.ORG_ADMIN]
    ).select_related("user").order_by("user_id")
]
staff_steps = [
    ("readiness", "GET", reverse("pathways:readiness", args=[slug])),
    ("people", "GET", reverse("lms:members", args=[slug])),
    ("learner records", "GET", reverse("courses:learner-records", args=[slug])),
    ("home", "GET", "/"),
]
for n in range(staff_wanted):
    people["coordinator"].append({**signed_in(staff[n % len(staff)]), "steps": staff_steps})

mentorships = list(
    Mentorship.objects.filter(organisation__slug=slug, status=Mentorship.ACTIVE)
    .select_related("mentor", "trainee").order_by("pk")
)
for n in range(mentoring_wanted):
    mentorship = mentorships[(n // 2) % len(mentorships)]
    steps = [
        ("mentoring home", "GET", reverse("mentoring:home")),
        ("mentorship", "GET", reverse("mentoring:mentorship", args=[mentorship.pk])),
    ]
    session = SupervisionSession.objects.filter(mentorship=mentorship).order_by("-pk").first()
    if session:
        url = reverse("mentoring:session", args=[session.pk])
        steps.append(("supervision session", "GET", url))
    person = mentorship.mentor if n % 2 == 0 else mentorship.trainee
    people["mentoring"].append({**signed_in(person), "steps": steps})
print(json.dumps(people))
"""


def ensure_population(database_url: str, peers: int, rebuild: bool, env: dict) -> None:
    """Build the load database once: migrate, the demo, then generated peers; ANALYZE."""
    if not rebuild and database_exists(database_url) and _peers(database_url) >= peers:
        return
    print(f"Building {database_url} with {peers:,} peers (a few minutes) …", flush=True)
    recreate_database(database_url)
    laptop = {**env, "DEBUG": "true"}  # the demo and the generator refuse to run otherwise
    manage(laptop, "migrate", "--noinput", timeout=1800)
    manage(laptop, "seed_demo", timeout=1800)
    manage(laptop, "generate_population", "--peers", str(peers), timeout=3600)
    with psycopg.connect(_pg(database_url), autocommit=True) as db:
        db.execute("ANALYZE")


def _peers(database_url: str) -> int:
    with psycopg.connect(_pg(database_url)) as db:
        try:
            query = "SELECT count(*) FROM lms_user WHERE email LIKE %s"
            return db.execute(query, [GENERATED]).fetchone()[0]
        except psycopg.errors.UndefinedTable:
            return 0


def _pg(url: str) -> str:
    return url.replace("postgres://", "postgresql://", 1)


# --- Worker memory and CPU ----------------------------------------------------------------------


def _children(parent: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == parent:
                found.append(int(entry.name))
    return found


def _rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def _cpu_seconds(pid: int) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Sampler(threading.Thread):
    """Every few seconds: each gunicorn worker's RSS, and the machine's load average."""

    def __init__(self, master_pid: int):
        super().__init__(daemon=True)
        self.master_pid = master_pid
        self.rss: dict[int, list[float]] = {}
        self.load: list[float] = []
        self.stop = threading.Event()

    def run(self):
        while not self.stop.wait(SAMPLE_SECONDS):
            self.load.append(os.getloadavg()[0])
            for pid in _children(self.master_pid):
                if (rss := _rss_mb(pid)) is not None:
                    self.rss.setdefault(pid, []).append(rss)


def worker_cpu(master_pid: int) -> dict[int, float]:
    return {pid: cpu for pid in _children(master_pid) if (cpu := _cpu_seconds(pid)) is not None}


# --- Locust -------------------------------------------------------------------------------------


def run_locust(host: str, people_file: Path, users: int, seconds: int, folder: Path) -> None:
    env = {**os.environ, "LOAD_PEOPLE_FILE": str(people_file)}
    command = [
        sys.executable,
        "-m",
        "locust",
        "--locustfile",
        str(ROOT / "bench" / "locustfile.py"),
        "--headless",
        "--users",
        str(users),
        "--spawn-rate",
        str(max(users // 5, 1)),
        "--run-time",
        f"{seconds}s",
        "--stop-timeout",
        "30",
        "--host",
        host,
        "--csv",
        str(folder / "locust"),
        "--only-summary",
        "--exit-code-on-error",
        "0",  # errors are judged below, from the figures
    ]
    with open(folder / "locust.log", "w") as log:
        done = subprocess.run(  # noqa: S603 - locust from this environment, on loopback
            command, env=env, stdout=log, stderr=subprocess.STDOUT, timeout=seconds + 180
        )
    if done.returncode:
        raise Failed(f"locust stopped with status {done.returncode}; see {folder / 'locust.log'}")


def read_locust_stats(folder: Path) -> tuple[dict, dict]:
    pages, total = {}, {}
    with open(folder / "locust_stats.csv") as stats:
        for row in csv.DictReader(stats):
            figures = {
                "requests": int(row["Request Count"]),
                "errors": int(row["Failure Count"]),
                "req_per_s": round(float(row["Requests/s"]), 2),
                "p50_ms": _ms(row["50%"]),
                "p95_ms": _ms(row["95%"]),
                "p99_ms": _ms(row["99%"]),
                "max_ms": _ms(row["Max Response Time"]),
            }
            if row["Name"] == "Aggregated":
                total = figures
            else:
                pages[f"{row['Type']} {row['Name']}"] = figures
    return pages, total


def _ms(value: str) -> float | None:
    return None if value in {"", "N/A"} else round(float(value))


def read_failures(folder: Path) -> list[dict]:
    path = folder / "locust_failures.csv"
    if not path.exists():
        return []
    with open(path) as failures:
        return [
            {
                "page": f"{r['Method']} {r['Name']}",
                "error": r["Error"],
                "count": int(r["Occurrences"]),
            }
            for r in csv.DictReader(failures)
        ]


# --- The run ------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--peers", type=int, default=5000)
    parser.add_argument("--rebuild", action="store_true", help="Build the database again.")
    options = parser.parse_args(argv)
    if not 1 <= options.users <= 200 or not 1 <= options.seconds <= 600:
        parser.error("Keep the test bounded: 1 to 200 users, 1 to 600 seconds.")
    folder = Path(tempfile.mkdtemp(prefix="load-"))
    env = production_env(
        database_url=options.database_url,
        redis_url=options.redis_url,
        static_root=folder / "static",
        WEB_CONCURRENCY=options.workers,
        WEB_THREADS=options.threads,
        WEB_ACCESS_LOG="",  # thousands of lines would only slow the node down
    )
    node = Node("load", PORT, env, folder / "node.log")
    try:
        ensure_population(options.database_url, options.peers, options.rebuild, env)
        print("Collecting static files …", flush=True)
        manage(env, "collectstatic", "--noinput")
        people = _sign_in_people(env, options.users)
        people_file = folder / "people.json"
        people_file.write_text(json.dumps(people))
        node.start()
        node.wait_until_serving()
        master = node.child_pids()[0]
        print(
            f"Serving on {node.url} (gunicorn {options.workers} workers × {options.threads} "
            f"threads); {options.users} users for {options.seconds} s …",
            flush=True,
        )
        load_before = os.getloadavg()
        cpu_before = worker_cpu(master)
        sampler = Sampler(master)
        sampler.start()
        run_locust(node.url, people_file, options.users, options.seconds, folder)
        sampler.stop.set()
        cpu_after = worker_cpu(master)
        load_after = os.getloadavg()
        pages, total = read_locust_stats(folder)
        failures = read_failures(folder)
    except Failed as error:
        print(f"FAILED: {error}\nFiles kept in {folder}")
        return 1
    finally:
        stop_all([node])
    result = _result(options, pages, total, failures, sampler, cpu_before, cpu_after)
    result["load_average"] = {
        "before_1min": round(load_before[0], 2),
        "during_1min_max": round(max(sampler.load, default=0), 2),
        "after_1min": round(load_after[0], 2),
        "after_5min": round(load_after[1], 2),
    }
    _save(result)
    return _report(result, folder)


def _sign_in_people(env: dict, users: int) -> dict:
    arguments = [ORGANISATION, str(users), "5", "10"]
    code = f"import sys; sys.argv = ['', *{arguments!r}]\n" + _PEOPLE
    people = json.loads(django_python(env, code).strip().splitlines()[-1])
    for kind, pool in people.items():
        if not pool:
            raise Failed(f"Found nobody for the {kind} journey in the load database.")
    return people


def _result(options, pages, total, failures, sampler, cpu_before, cpu_after) -> dict:
    rss = {pid: samples for pid, samples in sampler.rss.items() if samples}
    cpu_used = sum(cpu_after.get(pid, 0) - cpu_before.get(pid, 0) for pid in cpu_before)
    requests_made = total.get("requests", 0)
    return {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cores": os.cpu_count(), "python": platform.python_version()},
        "profile": {
            "server": "serve_production: gunicorn and a django-q2 cluster",
            "worker_class": "gthread" if options.threads > 1 else "sync",
            "workers": options.workers,
            "threads": options.threads,
            "database": "PostgreSQL",
            "cache": "Redis",
            "peers": options.peers,
        },
        "users": options.users,
        "seconds": options.seconds,
        "journeys": {"peer": options.users - 15, "coordinator": 5, "mentoring": 10},
        "total": total,
        "errors": total.get("errors", 0),
        "error_detail": failures,
        "pages": pages,
        "worker_cpu_ms_per_request": (
            round(cpu_used * 1000 / requests_made, 1) if requests_made else None
        ),
        "worker_rss_mb": {
            "workers": len(rss),
            "max": round(max((max(s) for s in rss.values()), default=0), 1),
            "final_each": [round(s[-1], 1) for s in rss.values()],
        },
    }


def _save(result: dict) -> None:
    """Read-modify-write: other keys in the file belong to `make bench`."""
    data = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    data["load_test"] = result
    temporary = RESULTS.with_suffix(".json.tmp")
    temporary.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    temporary.replace(RESULTS)


def _report(result: dict, folder: Path) -> int:
    total = result["total"]
    print(f"\n{'page':<28} {'requests':>8} {'errors':>6} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7}")
    for name, page in sorted(result["pages"].items()):
        print(
            f"{name:<28} {page['requests']:>8} {page['errors']:>6} {page['p50_ms'] or 0:>7.0f} "
            f"{page['p95_ms'] or 0:>7.0f} {page['p99_ms'] or 0:>7.0f}"
        )
    load = result["load_average"]
    print(
        f"\n{total.get('requests', 0)} requests, {total.get('req_per_s', 0)} req/s, "
        f"p95 {total.get('p95_ms')} ms, {result['errors']} errors; worker CPU "
        f"{result['worker_cpu_ms_per_request']} ms a request; worker RSS max "
        f"{result['worker_rss_mb']['max']} MB; load average {load['before_1min']} before, "
        f"{load['during_1min_max']} at most during ({result['machine']['cores']} cores)."
    )
    print(f'Written to {RESULTS.relative_to(ROOT)} under "load_test".')
    for failure in result["error_detail"]:
        print(f"  error: {failure['page']}: {failure['error']} ×{failure['count']}")
    if result["errors"] or not total.get("requests"):
        print(f"FAILED: the budget is zero errors. Files kept in {folder}")
        return 1
    shutil.rmtree(folder, ignore_errors=True)
    print("PASSED: zero errors.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
