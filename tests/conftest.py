import contextlib

import pytest
from django.conf import settings as django_settings
from django.core.cache import caches
from django.core.management import call_command
from django.db import connections
from django.test.utils import override_settings
from django_q.conf import Conf
from pytest_django.plugin import blocking_manager_key

from tests.base import make_personas
from tests.workers import point_storage_at, private_file_storages, redis_url_for_worker

# Markers of tests that take minutes, or start a browser or a cluster.
STARTS_FIRST = ("long", "browser", "cluster")


def pytest_collection_modifyitems(items):
    """Under pytest-xdist (`make test`), start the files with the longest tests first: given out
    last, one of them would leave a single process running it while the others sit idle."""
    long_files = {
        item.path for item in items if any(item.get_closest_marker(m) for m in STARTS_FIRST)
    }
    items.sort(key=lambda item: item.path not in long_files)  # a stable sort keeps the rest


def _is_transactional(item) -> bool:
    """As pytest-django decides: such a test ends by emptying every table."""
    marker = item.get_closest_marker("django_db")
    if marker and (marker.kwargs.get("transaction") or marker.kwargs.get("reset_sequences")):
        return True
    return bool({"transactional_db", "live_server"} & set(getattr(item, "fixturenames", ())))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """After a transactional test, put back the rows the migrations made (groups, the Wagtail
    root page and site...), which its teardown emptied.

    A single run orders transactional tests last (pytest-django does), but pytest-xdist hands
    out whole files, so on a worker a file with plain database tests may follow one that ends
    with a transactional test; without this it would find no "Editors" group.
    """
    result = yield
    if nextitem is not None and _is_transactional(item):
        with item.config.stash[blocking_manager_key].unblock():
            for alias in connections:
                _restore_migrated_rows(connections[alias])
    return result


def _restore_migrated_rows(connection):
    saved = getattr(connection, "_test_serialized_contents", None)
    if saved is None:
        return
    call_command(
        "flush",
        database=connection.alias,
        interactive=False,
        verbosity=0,
        inhibit_post_migrate=True,  # the saved rows include what post_migrate makes
        reset_sequences=False,  # as Django's own flush here: the saved rows keep their ids
    )
    connection.creation.deserialize_db_from_string(saved)


@contextlib.contextmanager
def _file_fields_writing_to(folder):
    saved = [(storage, storage.__dict__.copy()) for storage in private_file_storages()]
    for storage, _ in saved:
        point_storage_at(storage, folder)
    try:
        yield
    finally:
        for storage, state in saved:
            storage.__dict__.clear()
            storage.__dict__.update(state)


@pytest.fixture(scope="session", autouse=True)
def _resources_of_this_worker_alone(tmp_path_factory):
    """Uploaded and generated files go to this process's temporary folder, and a Redis cache to
    a Redis database of its own (emptied first), for the whole run.

    `make test` runs the suite in parallel processes (pytest-xdist); two of them writing the same
    file, or one reading another's cached value, would make tests fail (or pass) by chance. It
    also keeps a test run from writing into the checkout's media folders.
    """
    files = tmp_path_factory.mktemp("files")
    # Not a STORAGES override: that would make a new `storages["private"]`, while the models'
    # file fields keep the object they were given; the one object is pointed at the folder.
    overrides = {"MEDIA_ROOT": files / "media", "PRIVATE_MEDIA_ROOT": files / "private"}
    cache = django_settings.CACHES["default"]
    if "redis" in cache["BACKEND"].lower():
        overrides["CACHES"] = {
            **django_settings.CACHES,
            "default": {**cache, "LOCATION": redis_url_for_worker(cache["LOCATION"])},
        }
    with override_settings(**overrides), _file_fields_writing_to(files / "private"):
        if "CACHES" in overrides:
            # Start empty: Redis outlives a run, and what an earlier one left (Wagtail caches its
            # sites' root paths) describes rows that a new test database reuses the ids of.
            caches["default"].clear()
        yield files / "private"


@pytest.fixture(autouse=True)
def _private_files_in_this_workers_folder(_resources_of_this_worker_alone):
    """Again before and after each test: a test that overrides STORAGES (the S3 settings, say)
    leaves a new `storages["private"]` behind it, which would write into the checkout. After, as
    well as before, because a module's fixtures are built before the first test's own fixtures
    run (the permission matrix writes its evidence files then)."""
    _point_private_storages_at(_resources_of_this_worker_alone)
    yield
    _point_private_storages_at(_resources_of_this_worker_alone)


def _point_private_storages_at(folder):
    for storage in private_file_storages():
        if storage.__dict__.get("_location") != str(folder):
            point_storage_at(storage, folder)


@pytest.fixture(autouse=True)
def _fast_and_synchronous(settings, monkeypatch):
    """Run django-q2 tasks inline, and hash passwords quickly."""
    monkeypatch.setattr(Conf, "SYNC", True)
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def personas(db):
    return make_personas()
