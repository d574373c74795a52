"""Rows written straight to a table, for bulk loads of made-up data (the population generator).

`bulk_create` makes a model instance for every row and runs every field's `pre_save`; for the
millions of rows a regional workforce needs (50,000 people, some 80 rows each) that Python work,
not the database, was most of the time, and a sanitised text field ran bleach on every row. Here
each row is a tuple, each column's values are converted for the database by the field's own
`get_db_prep_save`, and the rows go in with one `executemany` a batch.

What this skips, and so what callers must not need: model instances, signals, `pre_save` (values
must already be clean, as sanitised fields expect) and the new rows' ids (nothing is returned).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import islice

from django.db import connections, models, router
from django.utils import timezone

ROWS_A_STATEMENT = 2000

# Fields whose Python value is already what the database driver takes (ids, numbers, text,
# booleans): converting millions of them one by one was a third of a load's time.
_TAKEN_AS_THEY_ARE = {
    "AutoField",
    "BigAutoField",
    "BigIntegerField",
    "BooleanField",
    "CharField",
    "EmailField",
    "ForeignKey",
    "IntegerField",
    "OneToOneField",
    "PositiveBigIntegerField",
    "PositiveIntegerField",
    "PositiveSmallIntegerField",
    "SlugField",
    "SmallIntegerField",
    "TextField",
}


def insert_rows(model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence]) -> int:
    """Insert `rows` (tuples in the order of `columns`, field names) into `model`'s table; every
    other column gets its field's default. Returns how many rows were written."""
    database = router.db_for_write(model)
    connection = connections[database]
    given = [model._meta.get_field(name) for name in columns]
    defaulted = _defaulted_fields(model, set(columns))
    fields = given + defaulted
    # Only the model's own table and column names, quoted; every value is a parameter.
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608
        connection.ops.quote_name(model._meta.db_table),
        ", ".join(connection.ops.quote_name(field.column) for field in fields),
        ", ".join(["%s"] * len(fields)),
    )
    defaults = tuple(_default(field, connection) for field in defaulted)
    converters = [_converter(field) for field in given]
    written = 0
    rows = iter(rows)
    with connection.cursor() as cursor:
        while batch := list(islice(rows, ROWS_A_STATEMENT)):
            cursor.executemany(
                sql,
                [
                    tuple(
                        value if convert is None else convert(value, connection)
                        for convert, value in zip(converters, row, strict=True)
                    )
                    + defaults
                    for row in batch
                ],
            )
            written += len(batch)
    return written


def _converter(field: models.Field):
    """None for a field whose values go to the driver as they are, else its conversion."""
    if field.get_internal_type() in _TAKEN_AS_THEY_ARE:
        return None
    return field.get_db_prep_save


def _defaulted_fields(model, columns: set[str]) -> list[models.Field]:
    return [
        field
        for field in model._meta.concrete_fields
        if field.name not in columns
        and field.attname not in columns
        and not field.primary_key
        and field.db_default is models.NOT_PROVIDED  # the database fills those itself
    ]


def _default(field: models.Field, connection):
    """The value a new row gets for a column it was not given, as a model instance would get
    it, prepared for the database once for the whole load (so a default that must differ per
    row, a unique code say, has to be given as a column)."""
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return field.get_db_prep_save(timezone.now(), connection)
    return field.get_db_prep_save(field.get_default(), connection)
