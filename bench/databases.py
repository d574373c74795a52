"""Benchmark databases: one per kind of database and size, built once and kept between runs.

A SQLite database is a file in the cache folder (bench/.cache unless told otherwise), built under
a temporary name and renamed only when it is complete, so a run stopped half way never leaves a
half-filled database that a later run would take for a whole one. A PostgreSQL database is named
`<the configured database>_bench_<size>` on the server `DATABASE_URL` points to, and a marker
file in the cache folder says it was completed. `--fresh` rebuilds either.

Every command runs in a process of its own with `DATABASE_URL` set to the database it is for,
so the project's own database is never touched.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
MANAGE = ROOT / "manage.py"
# What a built database depends on: when any of these files changes, the cached one is rebuilt.
SCHEMA = ("*/migrations/*.py",)
BUILT_FROM = (*SCHEMA, "*/population.py", "*/demo.py")


class BuildError(Exception):
    """A command run for the benchmark failed; the message carries the end of its output."""


@dataclass(frozen=True)
class Target:
    """One benchmark database: its kind ("sqlite" or "postgresql"), what fills it ("peers",
    "mentors", or "empty": migrated only), how many, and where the cache keeps its files."""

    kind: str
    fills: str
    size: int
    cache: Path
    server_url: str = ""  # PostgreSQL only: the configured DATABASE_URL

    @property
    def name(self) -> str:
        return "empty" if self.fills == "empty" else f"{self.fills}-{self.size}"

    def empty(self) -> Target:
        """The migrated, empty database every database of this kind is copied from."""
        return Target(self.kind, "empty", 0, self.cache, self.server_url)

    @property
    def url(self) -> str:
        if self.kind == "sqlite":
            return f"sqlite:///{self.cache / f'sqlite-{self.name}.sqlite3'}"
        return _with_database(self.server_url, self.database_name)

    @property
    def database_name(self) -> str:
        base = urlsplit(self.server_url).path.lstrip("/") or "peer_pathways"
        return f"{base}_bench_{self.name.replace('-', '_')}"

    @property
    def marker(self) -> Path:
        return self.cache / f"{self.kind}-{self.name}.built"

    def env(self, url: str | None = None) -> dict:
        """The environment of every process working on this database."""
        return {
            **os.environ,
            "DATABASE_URL": url or self.url,
            "MEDIA_ROOT": str(self.cache / "media"),
            "PRIVATE_MEDIA_ROOT": str(self.cache / "private"),
            "DEBUG": "true",  # generate_population makes people up only with DEBUG on
            "PYTHONPATH": str(ROOT),
        }


def run_python(env: dict, *arguments: str, timeout: float | None = None) -> str:
    """Run `python <arguments>` in the project folder; its output, or BuildError."""
    done = subprocess.run(  # noqa: S603 - our own modules, with arguments we built
        [sys.executable, *arguments],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
    )
    if done.returncode:
        raise BuildError(f"python {' '.join(arguments)} failed:\n{done.stderr[-3000:]}")
    return done.stdout


def ensure(target: Target, *, fresh: bool, log) -> float | None:
    """Make sure the database exists and is filled; the seconds a build took, or None if the
    cached one was used. Each is filled from a copy of one migrated empty database, so the
    migrations run once a cache, not once a size."""
    target.cache.mkdir(parents=True, exist_ok=True)
    if not fresh and _is_built(target):
        return None
    started = time.perf_counter()
    empty = target.empty()
    if (fresh and empty not in _built_this_run) or not _is_built(empty):
        log(f"  migrating an empty {target.kind} database (kept in {target.cache}) …")
        _build(empty, log)
    log(f"  building {target.kind} {target.fills} {target.size:,} …")
    _build(target, log)
    return time.perf_counter() - started


_built_this_run: set[Target] = set()


def _build(target: Target, log) -> None:
    target.marker.unlink(missing_ok=True)
    if target.kind == "sqlite":
        _build_sqlite(target, log)
    else:
        _build_postgresql(target, log)
    target.marker.write_text(fingerprint(target))
    _built_this_run.add(target)


def fingerprint(target: Target) -> str:
    """A digest of the code that makes the database: the migrations for an empty one, and the
    generators and demo seeds too for a filled one."""
    digest = hashlib.sha256()
    for pattern in SCHEMA if target.fills == "empty" else BUILT_FROM:
        for path in sorted(ROOT.glob(pattern)):
            digest.update(str(path.relative_to(ROOT)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _is_built(target: Target) -> bool:
    if not target.marker.exists() or target.marker.read_text() != fingerprint(target):
        return False
    if target.kind == "sqlite":
        return Path(target.url.removeprefix("sqlite:///")).exists()
    return _postgresql_exists(target)


def _fill(target: Target, env: dict, log) -> None:
    if target.fills == "empty":
        run_python(env, str(MANAGE), "migrate", "--noinput")
    elif target.fills == "peers":
        output = run_python(env, str(MANAGE), "generate_population", "--peers", str(target.size))
        log("  " + output.strip().splitlines()[-1])
    else:
        run_python(env, "-m", "bench.measure", "build-mentors", str(target.size))


def _build_sqlite(target: Target, log) -> None:
    final = Path(target.url.removeprefix("sqlite:///"))
    building = final.with_name(final.name + ".building")
    for path in (final, building):
        for leftover in path.parent.glob(path.name + "*"):
            leftover.unlink()
    if target.fills != "empty":
        shutil.copyfile(target.empty().url.removeprefix("sqlite:///"), building)
    _fill(target, target.env(f"sqlite:///{building}"), log)
    _checkpoint(building)
    shutil.move(building, final)


def _checkpoint(path: Path) -> None:
    """Fold SQLite's write-ahead log into the database file, so that the file alone is the
    whole database and can be renamed or copied (a process that exits without closing its
    connection leaves the log beside it)."""
    connection = sqlite3.connect(path)
    try:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        connection.execute("PRAGMA journal_mode=DELETE")
    finally:
        connection.close()


# --- PostgreSQL ---------------------------------------------------------------------------------


def _with_database(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{database}"))


def _admin_connection(target: Target):
    import psycopg

    return psycopg.connect(_with_database(target.server_url, "postgres"), autocommit=True)


def _postgresql_exists(target: Target) -> bool:
    with _admin_connection(target) as connection:
        row = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [target.database_name]
        ).fetchone()
    return row is not None


def _build_postgresql(target: Target, log) -> None:
    from psycopg import sql

    name = sql.Identifier(target.database_name)
    create = sql.SQL("CREATE DATABASE {}").format(name)
    if target.fills != "empty":  # a copy of the migrated empty one
        create += sql.SQL(" TEMPLATE {}").format(sql.Identifier(target.empty().database_name))
    with _admin_connection(target) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
        connection.execute(create)
    _fill(target, target.env(), log)
    # Planner statistics, as a database that has been in use has them (the generator may do
    # this itself; running it twice costs little).
    import psycopg

    with psycopg.connect(target.url, autocommit=True) as connection:
        connection.execute("ANALYZE")


def drop(target: Target) -> None:
    """Remove a cached benchmark database and its marker (`python -m bench --drop`)."""
    target.marker.unlink(missing_ok=True)
    if target.kind == "sqlite":
        final = Path(target.url.removeprefix("sqlite:///"))
        for leftover in final.parent.glob(final.name + "*"):
            leftover.unlink()
        return
    from psycopg import sql

    with _admin_connection(target) as connection:
        connection.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(target.database_name)
            )
        )
