"""Starting and stopping production-profile nodes on this machine, for `make two-nodes` and
`make load`. Every process started here is stopped again, also when a check fails."""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import requests

ROOT = Path(__file__).resolve().parent.parent
MANAGE = str(ROOT / "manage.py")
STOP_SECONDS = 45  # serve_production's own stop (30 s) and a margin
# Every request says it came through the TLS-terminating load balancer, as in production.
BALANCER_HEADERS = {"X-Forwarded-Proto": "https"}


class Failed(Exception):
    """A step failed; the message says which and why."""


def production_env(*, database_url: str, redis_url: str, static_root: Path, **extra) -> dict:
    """The environment of a production node: DEBUG off, a fresh strong key, PostgreSQL, Redis."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WEB_", "DJANGO_"))}
    env.update(
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1",
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        DB_CONN_MAX_AGE="60",
        STATIC_ROOT=str(static_root),
        MEDIA_ROOT=str(static_root.parent / "media"),
        PRIVATE_MEDIA_ROOT=str(static_root.parent / "private_media"),
        TASK_BROKER="orm",
        PYTHONUNBUFFERED="1",
    )
    env.update({key: str(value) for key, value in extra.items()})
    return env


def manage(env: dict, *arguments: str, timeout: float = 900) -> str:
    done = subprocess.run(  # noqa: S603 - our own manage.py
        [sys.executable, MANAGE, *arguments],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode:
        raise Failed(f"manage.py {' '.join(arguments)} failed:\n{done.stderr[-3000:]}")
    return done.stdout


def django_python(env: dict, code: str, timeout: float = 300) -> str:
    """Run `code` with Django set up in a fresh interpreter; its standard output."""
    prelude = "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='lms.settings'; "
    done = subprocess.run(  # noqa: S603 - this interpreter, our code
        [sys.executable, "-c", prelude + "django.setup()\n" + code],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode:
        raise Failed(f"A Django step failed:\n{done.stderr[-3000:]}")
    return done.stdout


def recreate_database(url: str) -> None:
    """Drop and create the database named in `url` (a PostgreSQL URL)."""
    name = _database_name(url)
    with psycopg.connect(_server_url(url), autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def database_exists(url: str) -> bool:
    with psycopg.connect(_server_url(url), autocommit=True) as connection:
        found = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [_database_name(url)]
        )
        return found.fetchone() is not None


def _database_name(url: str) -> str:
    name = urlsplit(url).path.lstrip("/")
    if not re.fullmatch(r"[A-Za-z0-9_]+", name):
        raise Failed(f"Give the database a plain name (letters, digits, _), not {name!r}.")
    return name


def _server_url(url: str) -> str:
    parts = urlsplit(url)
    scheme = "postgresql" if parts.scheme in {"postgres", "postgresql"} else parts.scheme
    return urlunsplit((scheme, parts.netloc, "/postgres", "", ""))


class Node:
    """One production node (`manage.py serve_production`): gunicorn on `port`, and a django-q2
    cluster unless `worker` is False. Its output goes to `log_path`."""

    def __init__(self, name: str, port: int, env: dict, log_path: Path, *, worker: bool = True):
        self.name, self.port, self.log_path = name, port, log_path
        self.url = f"http://127.0.0.1:{port}"
        self.env = {**env, "NODE_NAME": name, "WEB_BIND": f"127.0.0.1:{port}"}
        self.worker = worker
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        arguments = ["serve_production", "--skip-collectstatic"]
        if not self.worker:
            arguments.append("--no-worker")
        self._log = open(self.log_path, "w")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(  # noqa: S603 - our own manage.py
            [sys.executable, MANAGE, *arguments],
            env=self.env,
            cwd=ROOT,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_until_serving(self, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise Failed(f"Node {self.name} stopped while starting; see {self.log_path}.")
            try:
                answer = requests.get(
                    f"{self.url}/accounts/login/", headers=BALANCER_HEADERS, timeout=5
                )
                if answer.status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(1)
        raise Failed(f"Node {self.name} did not answer in {timeout:.0f} s; see {self.log_path}.")

    def child_pids(self) -> list[int]:
        """The gunicorn and qcluster pids, as serve_production reported them."""
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        for line in text.splitlines():
            if line.startswith("Started "):
                return [int(pid) for pid in re.findall(r"\(pid (\d+)\)", line)]
        return []

    def stop(self) -> None:
        """SIGTERM (serve_production stops gunicorn and the cluster); SIGKILL what is left."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        for pid in set(self.child_pids()):
            # Each child leads its own process group; anything left of one is ours to end.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)
        self._log.close()
        self.process = None


def stop_all(nodes: list[Node]) -> None:
    for node in nodes:
        try:
            node.stop()
        except Exception as error:  # stop the others whatever happens to one
            print(f"Could not stop node {node.name} cleanly: {error}", file=sys.stderr)
