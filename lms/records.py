"""What a delete would take with it, asked before anything is deleted (issue 11, docs/records.md).

Records that guard history point at what they are about with `on_delete=PROTECT`, so the database
itself refuses a delete that would take them. These helpers ask the same question up front, so the
admin can refuse with a clear message (and counts that are true) instead of an error page, and so
its confirmation page never says "referenced N times" and then cascades.
"""

from collections import Counter

from django.apps import apps
from django.contrib import messages
from django.db import models, router
from django.db.models.deletion import Collector, ProtectedError, RestrictedError
from django.shortcuts import redirect


def _protecting_counts(obj) -> Counter:
    """Rows that point at `obj` itself through a PROTECT key, counted in the database (a person
    may have thousands of audit events: they are counted, not loaded)."""
    counts: Counter = Counter()
    # Hidden relations too: most history keys have related_name="+".
    relations = [
        field
        for field in obj._meta.get_fields(include_hidden=True)
        if field.auto_created and not field.concrete and (field.one_to_many or field.one_to_one)
    ]
    for relation in relations:
        if relation.on_delete is not models.PROTECT:
            continue
        related = relation.related_model
        found = related._base_manager.filter(**{relation.field.name: obj}).count()
        if found:
            counts[str(related._meta.verbose_name_plural)] += found
    return counts


def records_blocking_delete(obj) -> dict[str, int]:
    """The records that would stop `obj` being deleted, counted by kind ("supervision
    sessions": 13). Empty when nothing protects it. Reads only; deletes nothing."""
    direct = _protecting_counts(obj)
    if direct:
        return dict(sorted(direct.items()))
    # Nothing points at it directly: ask Django's delete collector, which follows cascades to
    # whatever protects the rows they would take (a module's page revisions, say).
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
    singular = {
        str(model._meta.verbose_name_plural): str(model._meta.verbose_name)
        for model in apps.get_models()
    }
    parts = [
        f"{count:,} {singular.get(kind, kind) if count == 1 else kind}"
        for kind, count in counts.items()
    ]
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def refuse_delete(request, message: str, to: str, *args):
    """Say why the delete is refused and go back; nothing is deleted."""
    messages.error(request, message)
    return redirect(to, *args)
