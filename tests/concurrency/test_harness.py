"""The harness itself: the server sees the test's rows, each request has a connection of its own,
and on SQLite that is a file database in WAL mode with the project's transaction settings."""

import threading

import pytest
from django.db import connection, connections

from lms.models import User
from tests.concurrency.harness import at_once, signed_in_visitors, sqlite_setup

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.mark.skipif(connection.vendor != "sqlite", reason="about the SQLite setup")
def test_sqlite_is_a_file_in_wal_mode_with_immediate_transactions_and_a_busy_timeout():
    seen = {}

    def in_another_thread():
        seen.update(sqlite_setup(connections["default"]))
        connections["default"].close()

    thread = threading.Thread(target=in_another_thread)
    thread.start()
    thread.join()

    assert seen["journal_mode"] == "wal"
    assert seen["busy_timeout"] == 20000
    assert seen["transaction_mode"] == "IMMEDIATE"
    assert seen["file"].endswith("concurrency.sqlite3")
    assert seen == sqlite_setup(connection)


def test_twenty_signed_in_visitors_load_their_page_at_once(server, personas):
    visitors = signed_in_visitors(server, personas.peer, 20)

    answers = at_once([lambda visitor=visitor: visitor.get("/") for visitor in visitors])

    assert [answer.status for answer in answers] == [200] * 20
    assert all("Pat Peer" in answer.text for answer in answers)
    assert User.objects.filter(email=personas.peer.email).count() == 1
