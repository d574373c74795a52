import pytest
from django.db import connection

from tests.concurrency.harness import LiveServer, sqlite_file_database


@pytest.fixture(autouse=True)
def _database_as_deployed(transactional_db, tmp_path):
    """On SQLite, a file database in WAL mode (as `make run` uses) instead of the in-memory
    test database, for the length of each test; PostgreSQL as it is."""
    if connection.vendor == "sqlite":
        with sqlite_file_database(tmp_path):
            yield
    else:
        yield


@pytest.fixture
def server(_database_as_deployed, settings):
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "127.0.0.1"]
    with LiveServer() as running:
        yield running
