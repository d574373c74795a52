"""Real parallel requests against a real server, on the database the project really runs on.

`LiveServer` serves the project from a thread of its own (Django's threaded WSGI server: one
thread, and so one database connection, per request). On SQLite it serves a *file* database in
WAL mode with the project's own connection options (IMMEDIATE transactions, busy timeout), as
`make run` does: `sqlite_file_database` copies the migrated in-memory test database to a file
and points every new connection at it for the length of one test. On PostgreSQL the test
database is used as it is.

`Visitor` is one person's browser: their own session cookie and CSRF token. `at_once` sends one
request from each visitor, all released together by a barrier.
"""

import http.client
import re
import sqlite3
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.core.servers.basehttp import ThreadedWSGIServer
from django.db import connections
from django.test import Client
from django.test.testcases import LiveServerThread

# A knowledge check form and every other form carry Django's CSRF token in this hidden field.
CSRF_FIELD = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')


# --- The database -----------------------------------------------------------------------------


@contextmanager
def sqlite_file_database(directory: Path):
    """For one test: every new connection opens a file copy of the migrated in-memory test
    database, with the project's OPTIONS (so WAL, IMMEDIATE transactions and the busy timeout
    are the real ones). The in-memory database is kept open meanwhile and used again after."""
    connection = connections["default"]
    memory_name = connection.settings_dict["NAME"]
    assert connection.is_in_memory_db(), memory_name
    keeper = sqlite3.connect(memory_name, uri=True)  # an in-memory database dies with its last
    path = directory / "concurrency.sqlite3"
    copy = sqlite3.connect(path)
    keeper.backup(copy)
    copy.close()
    # The same dicts are shared by settings, the connection handler and each connection.
    dicts = {
        id(d): d
        for d in (connection.settings_dict, connections.settings["default"])
        + (settings.DATABASES["default"],)
    }.values()
    for settings_dict in dicts:
        settings_dict["NAME"] = str(path)
    connection.close()  # no longer "in memory", so this really closes it
    try:
        yield path
    finally:
        connection.close()
        for settings_dict in dicts:
            settings_dict["NAME"] = memory_name
        connection.ensure_connection()
        keeper.close()


def sqlite_setup(connection) -> dict:
    """What SQLite says about this connection's database."""
    with connection.cursor() as cursor:
        facts = {}
        for pragma in ("journal_mode", "busy_timeout", "database_list"):
            cursor.execute(f"PRAGMA {pragma}")
            facts[pragma] = cursor.fetchall()
    return {
        "journal_mode": facts["journal_mode"][0][0],
        "busy_timeout": facts["busy_timeout"][0][0],
        "file": facts["database_list"][0][2],
        "transaction_mode": connection.transaction_mode,
    }


# --- The server -------------------------------------------------------------------------------


class _Server(ThreadedWSGIServer):
    # Twenty connections arrive in the same instant; the default backlog of five would make the
    # rest wait for the client's SYN retry (a second) and so not race at all.
    request_queue_size = 64


class _ServerThread(LiveServerThread):
    server_class = _Server


class LiveServer:
    """The project served on 127.0.0.1 from a thread; each request runs in its own thread with
    its own database connection (no connection shared with the test, unlike pytest-django's
    `live_server` on an in-memory SQLite database)."""

    def __init__(self):
        self.thread = _ServerThread("127.0.0.1", StaticFilesHandler, connections_override=None)

    def __enter__(self):
        self.thread.daemon = True
        self.thread.start()
        self.thread.is_ready.wait()
        if self.thread.error:
            raise self.thread.error
        return self

    def __exit__(self, *exc):
        self.thread.terminate()

    @property
    def port(self) -> int:
        return self.thread.port


# --- The people -------------------------------------------------------------------------------


@dataclass
class Answer:
    status: int
    location: str
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


@dataclass
class Visitor:
    """One person in their own browser: a signed-in session of their own and a CSRF token."""

    port: int
    cookies: dict[str, str] = field(default_factory=dict)
    csrf: str = ""

    def request(self, method: str, path: str, data: dict | None = None) -> Answer:
        body = urlencode(data or {}, doseq=True).encode() if method == "POST" else None
        headers = {
            "Host": f"127.0.0.1:{self.port}",
            "Connection": "close",
            "Cookie": "; ".join(f"{name}={value}" for name, value in self.cookies.items()),
        }
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=90)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            answer = Answer(response.status, response.getheader("Location", ""), response.read())
            for header in response.headers.get_all("Set-Cookie") or []:
                for name, morsel in SimpleCookie(header).items():
                    self.cookies[name] = morsel.value
        finally:
            connection.close()
        return answer

    def get(self, path: str) -> Answer:
        return self.request("GET", path)

    def open_form(self, path: str) -> Answer:
        """GET a page with a form and keep its CSRF token, as a browser would."""
        answer = self.get(path)
        assert answer.status == 200, (path, answer.status, answer.location)
        found = CSRF_FIELD.search(answer.body)
        assert found, f"no form with a CSRF token on {path}"
        self.csrf = found.group(1).decode()
        return answer

    def post(self, path: str, data: dict) -> Answer:
        return self.request("POST", path, {"csrfmiddlewaretoken": self.csrf, **data})


def signed_in_visitors(server: LiveServer, user, how_many: int) -> list[Visitor]:
    """`how_many` browsers, each with a session of its own for `user`."""
    visitors = []
    for _ in range(how_many):
        client = Client()
        client.force_login(user)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
        visitors.append(Visitor(server.port, {settings.SESSION_COOKIE_NAME: cookie}))
    return visitors


def at_once(jobs) -> list:
    """Run each job in a thread of its own, all released at the same moment; returns what each
    returned, in order. Any exception a job raised fails the test."""
    barrier = threading.Barrier(len(jobs))
    results: list = [None] * len(jobs)
    errors: list = []

    def run(index, job):
        try:
            barrier.wait(timeout=30)
            results[index] = job()
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert all(not thread.is_alive() for thread in threads), "a request never came back"
    return results


def assert_all_answered_kindly(answers: list[Answer], allowed=(200, 302)) -> None:
    """No error page and no "database is locked": each answer is a page or a redirect."""
    for answer in answers:
        assert answer.status in allowed, (answer.status, answer.text[:2000])
        assert "database is locked" not in answer.text
        assert "Server Error" not in answer.text


def path_of(url: str) -> str:
    return urlsplit(url).path
