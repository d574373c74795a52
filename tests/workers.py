"""Which pytest-xdist worker this process is, for tests that need a resource of their own.

`make test` runs the suite in several processes (pytest-xdist). Each has its own test database
(pytest-django suffixes the name with the worker id) and its own temporary folder; anything else
shared by name, such as a Redis database, is told apart with `worker_index()`.
"""

import os
from urllib.parse import urlsplit, urlunsplit

from django.core.files.storage import storages

REDIS_DATABASES = 16  # Redis's default `databases` setting


def worker_index() -> int:
    """0 for the first worker ("gw0") and for a run without xdist, 1 for "gw1", and so on."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    return int(worker.removeprefix("gw"))


def redis_url_for_worker(url: str, *, first_database: int | None = None) -> str:
    """`url` pointed at a Redis database of this worker's own: the URL's database (or
    `first_database`) plus the worker's index."""
    parts = urlsplit(url)
    path_database = parts.path.strip("/")
    base = first_database if first_database is not None else int(path_database or 0)
    database = base + worker_index()
    if database >= REDIS_DATABASES:
        raise RuntimeError(
            f"worker {worker_index()} would need Redis database {database}; Redis has "
            f"{REDIS_DATABASES}: run fewer workers (-n) or start from a lower database"
        )
    return urlunsplit(parts._replace(path=f"/{database}"))


def private_file_storages():
    """The private storage objects in use: the one `storages["private"]` gives now and the one
    the models' file fields took when they were defined (a settings override makes a new
    `storages["private"]`, but a field keeps the object it was given)."""
    from lms.models import DataExport

    field_storage = DataExport._meta.get_field("file").storage
    return {id(s): s for s in (storages["private"], field_storage)}.values()


def point_storage_at(storage, folder) -> None:
    """A file-system storage object writing into `folder` from now on."""
    storage._location = str(folder)
    for cached in ("base_location", "location"):
        storage.__dict__.pop(cached, None)
