"""`make two-nodes`: two production nodes on one PostgreSQL serve the same data and split the
background tasks without running any twice.

On this machine: a fresh database (peer_pathways_two_nodes), migrated; two nodes, each
`manage.py serve_production` (gunicorn and a django-q2 cluster on the ORM broker) on its own port
with its own static files, as two machines behind a load balancer would be. Then:

1. one person signs in on node A and changes their name there; following the redirect on node B
   with the same session cookie shows them signed in, the new name, and the "saved" message;
2. 200 probe tasks (`lms.tasks.record_probe`) are queued; each run writes one row naming its
   node, so every task must have exactly one row, and each node's cluster must have run some.

Prints each check with PASS or FAIL and exits non-zero if any failed. Every process it starts
is stopped, also on failure; the logs are kept (their folder is printed) when something failed.

    python -m bench.two_nodes [--database-url URL] [--redis-url URL] [--tasks N]
"""

from __future__ import annotations

import argparse
import html
import json
import re
import shutil
import sys
import tempfile
import time
import uuid
from http.cookies import SimpleCookie
from pathlib import Path

import psycopg
import requests

from bench.nodes import (
    BALANCER_HEADERS,
    Failed,
    Node,
    django_python,
    manage,
    production_env,
    recreate_database,
    stop_all,
)

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/peer_pathways_two_nodes"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/14"
PORTS = (8771, 8772)
TASK_WAIT_SECONDS = 180
EMAIL = "two-nodes@check.example"
PASSWORD = "two-nodes-check-" + uuid.uuid4().hex  # a fresh one each run


class Browser:
    """A browser that keeps its cookies itself: the nodes set `Secure` cookies (they believe
    the load balancer's `X-Forwarded-Proto: https`), which an HTTP client would not send back
    over plain HTTP on loopback."""

    def __init__(self):
        self.cookies: dict[str, str] = {}

    def request(self, method: str, url: str, **kwargs) -> requests.Response:
        origin = re.match(r"https?://[^/]+", url).group(0).replace("http://", "https://")
        headers = {
            **BALANCER_HEADERS,
            "Referer": origin + "/",  # Django's CSRF check on HTTPS wants a same-origin referer
            "Cookie": "; ".join(f"{name}={value}" for name, value in self.cookies.items()),
        }
        answer = requests.request(
            method, url, headers=headers, allow_redirects=False, timeout=60, **kwargs
        )
        for header in answer.raw.headers.getlist("Set-Cookie"):
            for name, morsel in SimpleCookie(header).items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return answer


def form_token(page: requests.Response) -> str:
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    if not found:
        raise Failed(f"No CSRF token on {page.url} (status {page.status_code}).")
    return found.group(1)


def check_same_data_on_both_nodes(node_a: Node, node_b: Node) -> list[tuple[str, bool, str]]:
    browser = Browser()
    login = browser.request("GET", f"{node_a.url}/accounts/login/")
    signed_in = browser.request(
        "POST",
        f"{node_a.url}/accounts/login/",
        data={"username": EMAIL, "password": PASSWORD, "csrfmiddlewaretoken": form_token(login)},
    )
    account = browser.request("GET", f"{node_a.url}/accounts/")
    new_name = f"Changed on node A {uuid.uuid4().hex[:6]}"
    saved = browser.request(
        "POST",
        f"{node_a.url}/accounts/",
        data={"display_name": new_name, "pronouns": "", "csrfmiddlewaretoken": form_token(account)},
    )
    # Follow the redirect on the other node, with the same cookies.
    on_b = browser.request("GET", f"{node_b.url}{saved.headers.get('Location', '/accounts/')}")
    page_b = html.unescape(on_b.text)
    return [
        ("sign in on node A", signed_in.status_code == 302, f"status {signed_in.status_code}"),
        ("change the name on node A", saved.status_code == 302, f"status {saved.status_code}"),
        ("node B knows the session", on_b.status_code == 200, f"status {on_b.status_code}"),
        ("node B shows the new name", new_name in page_b, new_name),
        (
            "node B shows node A's message",
            "Your details have been saved." in page_b,
            "Your details have been saved.",
        ),
    ]


_ENQUEUE = """
import json, sys
from django.db import transaction
from lms.queue import enqueue
run, count = sys.argv[1], int(sys.argv[2])
with transaction.atomic():
    ids = [enqueue("lms.tasks.record_probe", f"{run}-{n}").pk for n in range(count)]
print(json.dumps(ids))
"""


def check_tasks_split_once(env: dict, database_url: str, count: int) -> list:
    run = uuid.uuid4().hex[:8]
    code = f"import sys; sys.argv = ['', {run!r}, '{count}']\n" + _ENQUEUE
    outbox_ids = json.loads(django_python(env, code).strip().splitlines()[-1])
    deadline = time.monotonic() + TASK_WAIT_SECONDS
    with psycopg.connect(database_url.replace("postgres://", "postgresql://", 1)) as db:
        while True:
            done = db.execute(
                "SELECT count(*) FROM lms_outboxtask WHERE id = ANY(%s) AND status = 'done'",
                [outbox_ids],
            ).fetchone()[0]
            if done == len(outbox_ids) or time.monotonic() > deadline:
                break
            time.sleep(1)
        time.sleep(2)  # a late duplicate run, if there were one, would have written by now
        rows = db.execute(
            "SELECT key FROM lms_sideeffect WHERE key LIKE %s", [f"probe:{run}-%"]
        ).fetchall()
    runs_per_task: dict[str, int] = {}
    runs_per_node: dict[str, int] = {}
    for (key,) in rows:
        _, label, node, _pid, _nonce = key.split(":")
        runs_per_task[label] = runs_per_task.get(label, 0) + 1
        runs_per_node[node] = runs_per_node.get(node, 0) + 1
    twice = sorted(label for label, runs in runs_per_task.items() if runs > 1)
    never = count - len(runs_per_task)
    return [
        (f"all {count} tasks done", done == count, f"{done} of {count} marked done"),
        ("no task ran twice", not twice, f"ran more than once: {twice[:10]}" if twice else ""),
        ("every task ran", never == 0, f"{never} never ran" if never else ""),
        (
            "both clusters took some",
            runs_per_node.get("a", 0) > 0 and runs_per_node.get("b", 0) > 0,
            f"node a ran {runs_per_node.get('a', 0)}, node b ran {runs_per_node.get('b', 0)}",
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL)
    parser.add_argument("--tasks", type=int, default=200)
    options = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="two-nodes-"))
    env = production_env(
        database_url=options.database_url,
        redis_url=options.redis_url,
        static_root=folder / "static",
        TASK_WORKERS=2,
        WEB_CONCURRENCY=2,
    )
    nodes: list[Node] = []
    results: list[tuple[str, bool, str]] = []
    started = time.monotonic()
    try:
        print(f"Database {options.database_url}: recreating and migrating …", flush=True)
        recreate_database(options.database_url)
        manage(env, "migrate", "--noinput")
        print("Collecting static files (once, for both nodes) …", flush=True)
        manage(env, "collectstatic", "--noinput")
        django_python(
            env,
            "from lms.models import User\n"
            f"User.objects.create_user(email={EMAIL!r}, password={PASSWORD!r}, "
            "display_name='Two Nodes')\n",
        )
        nodes = [
            Node(name, port, env, folder / f"node-{name}.log")
            for name, port in zip(("a", "b"), PORTS, strict=True)
        ]
        for node in nodes:
            node.start()
        for node in nodes:
            node.wait_until_serving()
        print(f"Nodes serving on {nodes[0].url} and {nodes[1].url}.", flush=True)
        results += check_same_data_on_both_nodes(*nodes)
        results += check_tasks_split_once(env, options.database_url, options.tasks)
    except Failed as error:
        results.append(("run the check", False, str(error)))
    finally:
        stop_all(nodes)
    return _report(results, folder, time.monotonic() - started)


def _report(results: list, folder: Path, seconds: float) -> int:
    for label, passed, detail in results:
        print(f"{'PASS' if passed else 'FAIL'}  {label}" + (f"  ({detail})" if detail else ""))
    failed = [label for label, passed, _ in results if not passed]
    if failed:
        print(f"FAILED: {len(failed)} check(s) after {seconds:.0f} s. Logs kept in {folder}")
        return 1
    shutil.rmtree(folder, ignore_errors=True)
    print(f"PASSED: two nodes, one database, {len(results)} checks, in {seconds:.0f} s.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
