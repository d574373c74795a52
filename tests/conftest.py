import copy

import pytest
from django.conf import settings as django_settings
from django.core.cache import caches
from django.test.utils import override_settings
from django_q.conf import Conf

from tests.base import make_personas
from tests.workers import redis_url_for_worker

# Markers of tests that take minutes, or start a browser or a cluster.
STARTS_FIRST = ("long", "browser", "cluster")


def pytest_collection_modifyitems(items):
    """Under pytest-xdist (`make test`), start the files with the longest tests first: given out
    last, one of them would leave a single process running it while the others sit idle."""
    long_files = {
        item.path for item in items if any(item.get_closest_marker(m) for m in STARTS_FIRST)
    }
    items.sort(key=lambda item: item.path not in long_files)  # a stable sort keeps the rest


@pytest.fixture(scope="session", autouse=True)
def _resources_of_this_worker_alone(tmp_path_factory):
    """Uploaded and generated files go to this process's temporary folder, and a Redis cache to
    a Redis database of its own (emptied first), for the whole run.

    `make test` runs the suite in parallel processes (pytest-xdist); two of them writing the same
    file, or one reading another's cached value, would make tests fail (or pass) by chance. It
    also keeps a test run from writing into the checkout's media folders.
    """
    files = tmp_path_factory.mktemp("files")
    storages = copy.deepcopy(django_settings.STORAGES)
    storages["private"].setdefault("OPTIONS", {})["location"] = files / "private"
    overrides = {
        "MEDIA_ROOT": files / "media",
        "PRIVATE_MEDIA_ROOT": files / "private",
        "STORAGES": storages,
    }
    cache = django_settings.CACHES["default"]
    if "redis" in cache["BACKEND"].lower():
        overrides["CACHES"] = {
            **django_settings.CACHES,
            "default": {**cache, "LOCATION": redis_url_for_worker(cache["LOCATION"])},
        }
    with override_settings(**overrides):
        if "CACHES" in overrides:
            # Start empty: Redis outlives a run, and what an earlier one left (Wagtail caches its
            # sites' root paths) describes rows that a new test database reuses the ids of.
            caches["default"].clear()
        yield


@pytest.fixture(autouse=True)
def _fast_and_synchronous(settings, monkeypatch):
    """Run django-q2 tasks inline, and hash passwords quickly."""
    monkeypatch.setattr(Conf, "SYNC", True)
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def personas(db):
    return make_personas()
