"""What keeps the suite's parallel processes (`make test`, pytest-xdist) out of each other's way."""

from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import caches
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage, storages

from lms.models import DataExport
from tests.workers import redis_url_for_worker, worker_index


@pytest.mark.parametrize(("worker", "index"), [(None, 0), ("gw0", 0), ("gw1", 1), ("gw12", 12)])
def test_each_worker_has_its_own_index(monkeypatch, worker, index):
    if worker is None:
        monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)
    else:
        monkeypatch.setenv("PYTEST_XDIST_WORKER", worker)
    assert worker_index() == index


def test_each_worker_gets_the_next_redis_database(monkeypatch):
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw2")
    assert redis_url_for_worker("redis://127.0.0.1:6379/0") == "redis://127.0.0.1:6379/2"
    assert redis_url_for_worker("redis://127.0.0.1:6379") == "redis://127.0.0.1:6379/2"
    assert redis_url_for_worker("redis://h:6379/7?x=1") == "redis://h:6379/9?x=1"


def test_a_worker_past_the_last_redis_database_is_told_to_run_fewer(monkeypatch):
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw9")
    with pytest.raises(RuntimeError, match="run fewer workers"):
        redis_url_for_worker("redis://127.0.0.1:6379/7")


def test_files_a_test_writes_go_to_this_processs_temporary_folder(tmp_path_factory):
    project = Path(settings.BASE_DIR).resolve()
    temporary = tmp_path_factory.getbasetemp().resolve()
    public = Path(default_storage.path(default_storage.save("a.txt", ContentFile(b"a"))))
    private = Path(storages["private"].path(storages["private"].save("b.txt", ContentFile(b"b"))))
    # A model's file field keeps the storage object it was given when the model was defined.
    field = DataExport._meta.get_field("file").storage
    in_a_field = Path(field.path(field.save("c.txt", ContentFile(b"c"))))
    for written in (public, private, in_a_field):
        assert written.resolve().is_relative_to(temporary)
        assert not written.resolve().is_relative_to(project)


def test_a_redis_cache_is_this_workers_own_database():
    if not settings.REDIS_URL:
        pytest.skip("no Redis cache in this run (REDIS_URL is not set)")
    assert caches["default"]._servers == [redis_url_for_worker(settings.REDIS_URL)]
