"""bench/results.json: read, merged into, and written back whole.

Other tools write keys of their own in the same file (the load test writes "load_test"), so a
run replaces only the entries it measured (a section, a database, a size) and keeps every other
key as it finds it. Each entry is written as soon as it is measured, by reading the file afresh,
changing the one entry and replacing the file in one step: a long run stopped half way keeps
what it measured, and another tool writing its key in the meantime loses nothing.
"""

from __future__ import annotations

import json
import os
import platform
import tempfile
from datetime import UTC, datetime
from pathlib import Path

DEFAULT_PATH = Path(__file__).resolve().parent / "results.json"


def load(path: Path) -> dict:
    if not path.exists():
        return {}
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as error:
        raise SystemExit(f"{path} is not valid JSON ({error}); move it aside and rerun.") from None


def save(path: Path, results: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".results-", suffix=".json")
    with os.fdopen(handle, "w") as file:
        json.dump(results, file, indent=2, sort_keys=True)
        file.write("\n")
    os.replace(temporary, path)


def record(path: Path, section: str, database: str, size: int | str | None, entry: dict) -> None:
    """Write one measured entry into the file at once (read, change, replace)."""
    found = load(path)
    put(found, section, database, size, entry)
    save(path, found)


def update(path: Path, **keys) -> dict:
    """Replace whole top-level keys (ours), keeping every other; the file as it is now."""
    found = load(path) | keys
    save(path, found)
    return found


def put(results: dict, section: str, database: str, size: int | str | None, entry: dict) -> None:
    """Store one measured entry, stamped with when and under what load it was measured."""
    stamped = entry | {"measured_at": now(), "load_average": load_average()}
    place = results.setdefault(section, {})
    if size is None:
        place[database] = stamped
    else:
        place.setdefault(database, {})[str(size)] = stamped


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def load_average() -> list[float]:
    try:
        return [round(value, 2) for value in os.getloadavg()]
    except OSError:  # not every platform has one
        return []


def machine() -> dict:
    return {
        "cpus": os.cpu_count(),
        "load_average": load_average(),
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
        "measured_at": now(),
    }
