"""What a delete would take with it, asked before anything is deleted (issue 11, docs/records.md).

Records that guard history point at what they are about with `on_delete=PROTECT`, so the database
itself refuses a delete that would take them. These helpers ask the same question up front, so the
admin can refuse with a clear message (and counts that are true) instead of an error page, and so
its confirmation page never says "referenced N times" and then cascades.
"""

from collections import Counter

from django.contrib import messages
from django.db import router
from django.db.models.deletion import Collector, ProtectedError, RestrictedError
from django.shortcuts import redirect


def records_blocking_delete(obj) -> dict[str, int]:
    """The records that would stop `obj` being deleted, counted by kind ("supervision
    sessions": 13). Empty when nothing protects it. Reads only; deletes nothing."""
    collector = Collector(using=router.db_for_write(type(obj)))
    try:
        collector.collect([obj])
    except ProtectedError as error:
        blocking = error.protected_objects
    except RestrictedError as error:
        blocking = error.restricted_objects
    else:
        return {}
    counts = Counter(str(type(row)._meta.verbose_name_plural) for row in blocking)
    return dict(sorted(counts.items()))


def records_blocking_delete_of_many(objects) -> dict[str, int]:
    total: Counter = Counter()
    for obj in objects:
        total.update(records_blocking_delete(obj))
    return dict(sorted(total.items()))


def describe_records(counts: dict[str, int]) -> str:
    """ "3 mentorships, 13 supervision sessions and 596 audit events"."""
    parts = [f"{count:,} {kind}" for kind, count in counts.items()]
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def refuse_delete(request, message: str, to: str, *args):
    """Say why the delete is refused and go back; nothing is deleted."""
    messages.error(request, message)
    return redirect(to, *args)
