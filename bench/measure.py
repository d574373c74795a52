"""What is measured, inside one Django process pointed at one benchmark database.

`python -m bench.measure <what> …` prints one line of JSON; the harness (bench/__main__.py) runs
it in a fresh process per database, size and round, so one size's caches never flatter another's
and `DATABASE_URL` is read once, as in a web process. Pages are fetched with Django's test client
the way a browser would, signed in as the person who would open them:

- readiness: the workforce readiness page, as a coordinator of the demo organisation;
- dashboard: the signed-in home page of that coordinator;
- module_page: a module of a course a generated peer is enrolled on, as that peer (wall time,
  process CPU time and queries);
- export: the learning-records export, CSV read to its last byte and XLSX built, called as the
  page's download link calls it; a task it queues instead is run inline and timed with it;
- shortlist: one trainee's mentor shortlist among generated mentors.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms.settings")
django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import SESSION_KEY  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402

from courses.models import Enrolment  # noqa: E402
from courses.selectors import live_modules  # noqa: E402
from lms.models import Membership, Organisation, OutboxTask, Role, User  # noqa: E402

ORGANISATION = "real-lives-nottingham"
MENTOR_ORGANISATION = "bench-mentoring"
HOST = "127.0.0.1"


class BenchError(Exception):
    """The benchmark database is not what the harness expects; the message says why."""


# --- Who and what -------------------------------------------------------------------------------


def _organisation() -> Organisation:
    organisation = Organisation.objects.filter(slug=ORGANISATION).first()
    if organisation is None:
        raise BenchError(f"No organisation {ORGANISATION!r}: was generate_population run?")
    return organisation


def _coordinator(organisation: Organisation) -> User:
    membership = (
        Membership.objects.active()
        .filter(organisation=organisation, role=Role.COORDINATOR)
        .select_related("user")
        .order_by("pk")
        .first()
    )
    if membership is None:
        raise BenchError(f"{organisation} has no coordinator.")
    return membership.user


def _peer_and_module(organisation: Organisation):
    """The first generated peer of the organisation with an enrolment on a course that has live
    modules, and that course's first module."""
    peers = Membership.objects.active().filter(organisation=organisation, role=Role.PEER)
    enrolments = (
        Enrolment.objects.filter(user_id__in=peers.values("user_id"))
        .select_related("user", "course")
        .order_by("pk")
    )
    for enrolment in enrolments[:50]:
        module = live_modules(course=enrolment.course).first()
        if module is not None:
            return enrolment.user, module
    raise BenchError(f"No peer of {organisation} is enrolled on a course with live modules.")


def _client(user: User) -> Client:
    client = Client(HTTP_HOST=HOST)
    client.force_login(user)
    return client


# --- Timing -------------------------------------------------------------------------------------


@contextmanager
def _as_in_a_web_process():
    """Everything loaded so far moved out of the garbage collector's view, as lms/wsgi.py does
    in a web process once the app is loaded (and back afterwards)."""
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _fetch(client: Client, url: str) -> dict:
    """One request: wall time, this process's CPU time, and queries.

    The test client does not inflate the CPU figure: it listens for `template_rendered`, but
    that signal is only sent once `setup_test_environment()` has instrumented template rendering,
    which this process never calls (no context is copied). If anything it flatters the page: it
    keeps the database connection between requests, where a web worker with the default
    `DB_CONN_MAX_AGE=0` closes it after each response and opens it again. On the 5,000-peer
    SQLite database the module page cost about 26 ms CPU through the client, 28 ms through
    `WSGIHandler` keeping the connection and 32 ms reconnecting each request (medians of 90)."""
    with CaptureQueriesContext(connection) as captured:
        started, cpu_started = time.perf_counter(), time.process_time()
        response = client.get(url)
        content = b"".join(response.streaming_content) if response.streaming else response.content
        cpu = time.process_time() - cpu_started
        wall = time.perf_counter() - started
    if response.status_code != 200:
        raise BenchError(f"GET {url} answered {response.status_code}.")
    return {
        "ms": wall * 1000,
        "cpu_ms": cpu * 1000,
        "queries": len(captured),
        "bytes": len(content),
    }


def pages(repeat: int, module_repeat: int) -> dict:
    """The three pages, each fetched once to warm up and then in interleaved rounds, so that a
    burst of load elsewhere on the machine falls on all of them alike."""
    organisation = _organisation()
    coordinator = _client(_coordinator(organisation))
    peer, module = _peer_and_module(organisation)
    peer_client = _client(peer)
    targets = {
        "readiness": (coordinator, reverse("pathways:readiness", args=[organisation.slug])),
        "dashboard": (coordinator, "/"),
        "module_page": (peer_client, module.url),
    }
    for client, url in targets.values():
        _fetch(client, url)
    samples = {name: [] for name in targets}
    with _as_in_a_web_process():
        for turn in range(max(repeat, module_repeat)):
            for name, (client, url) in targets.items():
                if turn < (module_repeat if name == "module_page" else repeat):
                    samples[name].append(_fetch(client, url))
    return {name: _summary(rows) for name, rows in samples.items()} | {
        "people": _people_on_readiness(organisation)
    }


def _summary(rows: list[dict]) -> dict:
    return {
        "ms": [row["ms"] for row in rows],
        "cpu_ms": [row["cpu_ms"] for row in rows],
        "queries": max(row["queries"] for row in rows),
        "bytes": rows[-1]["bytes"],
    }


def _people_on_readiness(organisation: Organisation) -> dict:
    from pathways.selectors import readiness_for_organisation

    readiness = readiness_for_organisation(organisation=organisation)
    return {
        "people": len(readiness.people),
        "ready": len(readiness.ready),
        "expiring": len(readiness.expiring),
    }


# --- Exports ------------------------------------------------------------------------------------


def _peak_rss_mb() -> float:
    # ru_maxrss is in kilobytes on Linux (bytes on macOS).
    scale = 1 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 2**20


def export(export_format: str) -> dict:
    """The learning-records download, as the page asks for it (the CSV by its link, the XLSX by
    its button, a POST that queues the job). The process's peak
    memory before and after says what the export added (each export runs in a process of its
    own, so the peak is the export's)."""
    import openpyxl  # noqa: F401 - loaded before the baseline: a web process has it already

    organisation = _organisation()
    client = _client(_coordinator(organisation))
    page = reverse("courses:learner-records", args=[organisation.slug])
    client.get(page)  # warm up
    gc.collect()
    last_task = OutboxTask.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    rss_before = _peak_rss_mb()
    started = time.perf_counter()
    if export_format == "xlsx":
        response = client.post(page, {"export": "xlsx"})
    else:
        response = client.get(page, {"export": export_format})
    content_type = response.get("Content-Type", "")
    size = _read_to_the_end(response)
    in_request = time.perf_counter() - started
    task_seconds = _run_queued_tasks(after=last_task)
    built_in_request = _is_the_file(content_type, export_format)
    if not built_in_request:
        size = _made_in_the_background()
    return {
        "seconds": in_request + task_seconds,
        "request_seconds": in_request,
        "task_seconds": task_seconds,
        "status": response.status_code,
        "bytes": size,
        "streamed": response.streaming,
        "built_in_request": built_in_request,
        "seconds_building_in_request": in_request if built_in_request else 0.0,
        "peak_rss_growth_mb": max(_peak_rss_mb() - rss_before, 0.0),
    }


def _made_in_the_background() -> int:
    """The size of the file the report export job made (the request only asked for it)."""
    from lms.models import ReportExport

    made = ReportExport.objects.filter(status=ReportExport.READY).order_by("-pk").first()
    return made.file.size if made else 0


def _read_to_the_end(response) -> int:
    if response.streaming:
        return sum(len(chunk) for chunk in response.streaming_content)
    return len(response.content)


def _is_the_file(content_type: str, export_format: str) -> bool:
    wanted = "text/csv" if export_format == "csv" else "spreadsheetml"
    return wanted in content_type


def _run_queued_tasks(*, after: int) -> float:
    """Run, inline, every task the export queued (a background export); 0 if it queued none."""
    from lms.queue import run

    queued = OutboxTask.objects.filter(pk__gt=after).order_by("pk").values_list("pk", flat=True)
    queued = list(queued)
    started = time.perf_counter()
    for outbox_id in queued:
        run(outbox_id)
    return time.perf_counter() - started if queued else 0.0


# --- A signed-in session for the throughput run ------------------------------------------------


def session() -> dict:
    """Sign the module page's peer in (a session row in this database) and say which cookie to
    send and which page to ask for."""
    organisation = _organisation()
    peer, module = _peer_and_module(organisation)
    client = _client(peer)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    assert client.session[SESSION_KEY] == str(peer.pk)
    return {"cookie": f"{cookie.key}={cookie.value}", "module_url": module.url}


# --- Mentor shortlist ---------------------------------------------------------------------------


def build_mentors(count: int) -> dict:
    """Fill a benchmark's own mentors database (never any other) with `count` mentors."""
    _refuse_all_but_a_mentors_database()
    return fill_mentors(count)


def _refuse_all_but_a_mentors_database() -> None:
    """Filling makes people up: only into a database bench/databases.py named for mentors."""
    name = Path(str(connection.settings_dict["NAME"])).name
    if "-mentors-" not in name and "_bench_mentors_" not in name:
        raise BenchError(f"build-mentors fills only a benchmark's mentors database, not {name}.")


def fill_mentors(count: int) -> dict:
    """Add `count` generated mentors and one trainee to match them to."""
    from mentoring.models import MentoringSettings
    from mentoring.population import generate_mentors
    from mentoring.services.matching import trainee_preferences_save

    organisation, _ = Organisation.objects.get_or_create(
        slug=MENTOR_ORGANISATION, defaults={"name": "Bench Mentoring"}
    )
    stage = _mentor_stage(organisation)
    MentoringSettings.objects.get_or_create(
        organisation=organisation, defaults={"require_language": True, "mentor_min_stage": stage}
    )
    created = generate_mentors(organisation=organisation, count=count, stage=stage)
    trainee = _trainee(organisation)
    trainee_preferences_save(
        user=trainee,
        specialisms=["personal_budgets", "housing"],
        languages=["urdu", "english"],
        area="Nottingham",
        format="online",
    )
    return {"mentors": created}


def _mentor_stage(organisation: Organisation):
    """A two-stage pathway whose second stage mentors must have reached, so that the stage
    check does real work."""
    from pathways.models import CompetenceFramework, Pathway, Stage

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


def _trainee(organisation: Organisation) -> User:
    trainee, _ = User.objects.get_or_create(
        email="bench.trainee@generated.demo.example", defaults={"display_name": "Bench Trainee"}
    )
    Membership.objects.get_or_create(user=trainee, organisation=organisation, role=Role.PEER)
    return trainee


def shortlist(repeat: int) -> dict:
    """The trainee's shortlist: once to warm up, then `repeat` times."""
    from mentoring.selectors.matching import shortlist_for_trainee

    organisation = Organisation.objects.get(slug=MENTOR_ORGANISATION)
    trainee = _trainee(organisation)
    shortlist_for_trainee(trainee=trainee, organisation=organisation)
    timings, queries, suggested = [], [], 0
    with _as_in_a_web_process():
        for _ in range(repeat):
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                result = shortlist_for_trainee(trainee=trainee, organisation=organisation)
                timings.append((time.perf_counter() - started) * 1000)
            queries.append(len(captured))
            suggested = len(result.entries)
    return {"ms": timings, "queries": max(queries), "suggested": suggested}


# --- Command line -------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.measure")
    commands = parser.add_subparsers(dest="what", required=True)
    page_parser = commands.add_parser("pages")
    page_parser.add_argument("--repeat", type=int, default=5)
    page_parser.add_argument("--module-repeat", type=int, default=20)
    commands.add_parser("export").add_argument("--format", choices=["csv", "xlsx"], required=True)
    commands.add_parser("session")
    commands.add_parser("build-mentors").add_argument("count", type=int)
    commands.add_parser("shortlist").add_argument("--repeat", type=int, default=9)
    arguments = parser.parse_args(argv)
    try:
        result = _dispatch(arguments)
    except BenchError as error:
        sys.exit(f"bench.measure {arguments.what}: {error}")
    print(json.dumps(result))


def _dispatch(arguments) -> dict:
    if arguments.what == "pages":
        return pages(arguments.repeat, arguments.module_repeat)
    if arguments.what == "export":
        return export(arguments.format)
    if arguments.what == "session":
        return session()
    if arguments.what == "build-mentors":
        return build_mentors(arguments.count)
    return shortlist(arguments.repeat)


if __name__ == "__main__":
    main()
