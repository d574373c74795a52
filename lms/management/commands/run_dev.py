import os
import signal
import subprocess
import sys

from django.core.management.base import BaseCommand

WORKER_STOP_SECONDS = 15


class Command(BaseCommand):
    help = "Run the development web server and a django-q2 worker together; Ctrl-C stops both."

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")

    def handle(self, *args, addrport, **options):
        manage = [sys.executable, "manage.py"]
        # The worker gets its own session so that Ctrl-C reaches only the web server; we then
        # stop the worker with exactly one SIGTERM (a second signal mid-shutdown can hang it).
        worker = subprocess.Popen([*manage, "qcluster"], start_new_session=True)  # noqa: S603
        try:
            subprocess.run([*manage, "runserver", addrport], check=False)  # noqa: S603
        except KeyboardInterrupt:
            pass
        finally:
            self._stop(worker)

    def _stop(self, worker):
        self.stdout.write("Stopping the background worker…")
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=WORKER_STOP_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()
        self.stdout.write("Stopped.")
