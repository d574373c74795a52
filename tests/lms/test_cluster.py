"""A real django-q2 cluster (`manage.py qcluster` in a subprocess), killed with SIGKILL in the
middle of a task and started again: the effect happens once (issue 11, "Exactly once").

The cluster and the test share one database: on PostgreSQL the test database itself (the test
commits its rows); on SQLite a file copied from the in-memory test database. Emails are files
written by `tests.cluster_email.SlowFileBackend`. Select these with `-m cluster`; they run in
`make test` too."""

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from django.db import connection
from django_q.conf import Conf

from lms.models import OutboxTask
from lms.services import invitation_create
from tests.workers import redis_url_for_worker

pytestmark = [
    pytest.mark.cluster,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PROJECT_ROOT = Path(__file__).resolve().parents[2]
TIMEOUT, RETRY = 3, 4  # seconds: the broker hands a task out again RETRY s after taking it


def _test_redis() -> str:
    """A Redis database of this test process's own, from the upper half (8 for the first xdist
    worker, 9 for the next; the lower half is the workers' caches, tests/conftest.py): two
    clusters on one database would take each other's tasks. Asked for when the test runs, so
    that collecting the file never fails."""
    return redis_url_for_worker(
        os.environ.get("CLUSTER_TEST_REDIS_URL", "redis://127.0.0.1:6379/8")
    )


class SharedDatabase:
    """The database the cluster uses, and how the test reads the outbox from it."""

    def __init__(self, tmp_path):
        settings = connection.settings_dict
        if connection.vendor == "sqlite":
            self.path = tmp_path / "cluster.sqlite3"
            self.url = f"sqlite:///{self.path}"
        else:
            self.path = None
            auth = settings["USER"] + (f":{settings['PASSWORD']}" if settings["PASSWORD"] else "")
            host = f"{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}"
            self.url = f"postgres://{auth}@{host}/{settings['NAME']}"

    def share(self):
        """Call once the test's rows are written: SQLite copies the in-memory database."""
        if self.path is not None:
            connection.ensure_connection()
            target = sqlite3.connect(self.path)
            connection.connection.backup(target)
            target.close()

    def outbox(self) -> list[tuple[int, str]]:
        if self.path is None:
            return list(OutboxTask.objects.order_by("pk").values_list("pk", "status"))
        with sqlite3.connect(self.path, timeout=20) as reader:
            return reader.execute("SELECT id, status FROM lms_outboxtask ORDER BY id").fetchall()


class ClusterRun:
    def __init__(self, database, mail_dir, log, **env):
        environment = {
            key: value
            for key, value in os.environ.items()
            if key not in {"DATABASE_URL", "REDIS_URL", "TASK_BROKER", "DJANGO_SETTINGS_MODULE"}
        }
        environment.update(
            DJANGO_SETTINGS_MODULE="lms.settings",
            DATABASE_URL=database.url,
            EMAIL_BACKEND="tests.cluster_email.SlowFileBackend",
            CLUSTER_TEST_EMAIL_DIR=str(mail_dir),
            TASK_TIMEOUT_SECONDS=str(TIMEOUT),
            TASK_RETRY_SECONDS=str(RETRY),
            TASK_RELAY_GRACE_SECONDS="1",
            TASK_WORKERS="1",
            **env,
        )
        self.process = subprocess.Popen(  # noqa: S603 (our own interpreter and manage.py)
            [sys.executable, "manage.py", "qcluster"],
            cwd=PROJECT_ROOT,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: SIGKILL reaches every worker
        )

    def kill(self):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)


def _wait_for(condition, what, log_path, seconds=45):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}; cluster log:\n{log_path.read_text()}")


def _emails(mail_dir) -> list[str]:
    return sorted(path.read_text() for path in mail_dir.glob("*.eml"))


@pytest.fixture
def cluster(tmp_path):
    """Start clusters on the shared database; every one is killed at the end."""
    database = SharedDatabase(tmp_path)
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    log_path = tmp_path / "cluster.log"
    runs = []

    class Cluster:
        db, mail, log = database, mail_dir, log_path

        @staticmethod
        def start(**env):
            with log_path.open("a") as log:
                runs.append(ClusterRun(database, mail_dir, log, **env))
            return runs[-1]

        @staticmethod
        def wait_for(condition, what):
            _wait_for(condition, what, log_path)

    yield Cluster
    for run in runs:
        run.kill()


def _invite(personas, email):
    return invitation_create(
        organisation=personas.home, email=email, role="peer", invited_by=personas.coordinator
    )


def test_orm_broker_a_worker_killed_after_the_mail_server_took_the_email_sends_it_once(
    personas, cluster, monkeypatch
):
    monkeypatch.setattr(Conf, "SYNC", False)  # queue for the cluster, through the ORM broker
    _invite(personas, "robin@example.org")
    cluster.db.share()

    first = cluster.start(CLUSTER_TEST_SLOW="after-send")
    cluster.wait_for(lambda: (cluster.mail / "hung-after-send").exists(), "the first send")
    first.kill()  # the email went; the worker never said so
    assert len(_emails(cluster.mail)) == 1
    assert [status for _, status in cluster.db.outbox()] == [OutboxTask.HANDED]

    # The ORM broker hands the task out again RETRY seconds after the first worker took it.
    cluster.start(CLUSTER_TEST_SLOW="after-send")
    cluster.wait_for(
        lambda: [status for _, status in cluster.db.outbox()] == [OutboxTask.DONE],
        "the task to be run again and marked done",
    )
    emails = _emails(cluster.mail)
    assert len(emails) == 1
    assert "robin@example.org" in emails[0]


def test_redis_broker_a_lost_task_and_one_queued_while_redis_was_down_each_send_once(
    personas, cluster, monkeypatch
):
    test_redis = _test_redis()
    client = redis.Redis.from_url(test_redis, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.ConnectionError:
        pytest.skip(f"no Redis at {test_redis}")
    client.delete(Conf.CLUSTER_NAME)
    monkeypatch.setattr(Conf, "SYNC", False)
    monkeypatch.setattr(Conf, "ORM", None)

    # One task queued while Redis is down: it waits in the outbox.
    monkeypatch.setattr(Conf, "REDIS", "redis://127.0.0.1:6390/0")
    _invite(personas, "sam@example.org")
    # One handed to Redis, which the cluster's worker takes and is killed with.
    monkeypatch.setattr(Conf, "REDIS", test_redis)
    _invite(personas, "robin@example.org")
    assert list(OutboxTask.objects.order_by("pk").values_list("status", flat=True)) == [
        OutboxTask.PENDING,
        OutboxTask.HANDED,
    ]
    cluster.db.share()
    redis_env = {"TASK_BROKER": "redis", "REDIS_URL": test_redis}

    first = cluster.start(CLUSTER_TEST_SLOW="before-send", **redis_env)
    cluster.wait_for(lambda: (cluster.mail / "hung-before-send").exists(), "the first send")
    first.kill()  # Redis gave the task to the worker and forgot it: without the outbox, lost
    sent = _emails(cluster.mail)
    assert not any("robin@example.org" in email for email in sent)

    # Started again once the task is overdue: the relay (run as each worker starts) hands over
    # the lost task and any still waiting; each email goes once.
    time.sleep(TIMEOUT + RETRY + 1)
    cluster.start(CLUSTER_TEST_SLOW="before-send", **redis_env)
    cluster.wait_for(
        lambda: {status for _, status in cluster.db.outbox()} == {OutboxTask.DONE},
        "both tasks to be done",
    )
    emails = _emails(cluster.mail)
    assert len(emails) == 2, emails
    assert sum("robin@example.org" in email for email in emails) == 1
    assert sum("sam@example.org" in email for email in emails) == 1
    client.delete(Conf.CLUSTER_NAME)
