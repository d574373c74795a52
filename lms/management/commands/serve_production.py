"""manage.py serve_production [--no-web] [--no-worker] [--skip-collectstatic]

The production profile of one node: gunicorn (settings in gunicorn.conf.py) and a django-q2
cluster, both against DATABASE_URL and REDIS_URL. docs/deploy.md says how nodes are combined.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

STOP_SECONDS = 30  # gunicorn's graceful timeout, and a cluster's in-flight task, fit in this
POLL_SECONDS = 0.5


class Command(BaseCommand):
    help = (
        "Start the production profile: gunicorn and a django-q2 cluster. Refuses to start while "
        "migrations are unapplied. SIGTERM or Ctrl-C stops both; if either stops, so does the "
        "other, and the command exits with its status."
    )

    def add_arguments(self, parser):
        parser.add_argument("--no-web", action="store_true", help="Only the django-q2 cluster.")
        parser.add_argument("--no-worker", action="store_true", help="Only the web server.")
        parser.add_argument(
            "--skip-collectstatic",
            action="store_true",
            help="Static files were collected when the release was built.",
        )

    def handle(self, *args, no_web, no_worker, skip_collectstatic, **options):
        if no_web and no_worker:
            raise CommandError("--no-web and --no-worker together would start nothing.")
        self._check_migrations()
        if not no_web and not skip_collectstatic:
            call_command("collectstatic", interactive=False, verbosity=0)
        commands = {}
        if not no_web:
            commands["web"] = self._gunicorn()
        if not no_worker:
            commands["worker"] = [sys.executable, "manage.py", "qcluster"]
        children = {name: _start(command) for name, command in commands.items()}
        self.stdout.write(f"Started {', '.join(f'{n} (pid {p.pid})' for n, p in children.items())}")
        sys.exit(self._supervise(children))

    def _check_migrations(self):
        # Migrations are a release step run once, not by every node as it starts; a node that
        # would serve pages against an older schema stops here instead.
        try:
            call_command("migrate", check_unapplied=True, verbosity=0)
        except SystemExit:
            raise CommandError(
                "The database has unapplied migrations: run `python manage.py migrate` once "
                "for the release, then start the nodes."
            ) from None

    def _gunicorn(self) -> list[str]:
        config = Path(settings.BASE_DIR) / "gunicorn.conf.py"
        return [sys.executable, "-m", "gunicorn", "--config", str(config)]

    def _supervise(self, children: dict) -> int:
        stopping = []

        def on_signal(signum, frame):
            stopping.append(signum)

        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(signum, on_signal)
        try:
            while not stopping:
                ended = {name: p.returncode for name, p in children.items() if p.poll() is not None}
                if ended:
                    for name, code in ended.items():
                        self.stderr.write(f"The {name} process stopped (status {code}).")
                    return next(iter(ended.values())) or 1
                time.sleep(POLL_SECONDS)
            return 0
        finally:
            self._stop(children)

    def _stop(self, children: dict) -> None:
        # Each child has its own process group (so Ctrl-C in a terminal does not reach it
        # twice): one SIGTERM each, then SIGKILL for whatever has not stopped in time.
        running = [p for p in children.values() if p.poll() is None]
        for process in running:
            process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_SECONDS
        for process in running:
            try:
                process.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        self.stdout.write("Stopped.")


def _start(command: list[str]) -> subprocess.Popen:
    return subprocess.Popen(  # noqa: S603 - our own commands
        command, cwd=settings.BASE_DIR, start_new_session=True
    )
