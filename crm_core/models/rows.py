"""New rows written without building their model objects.

Every incoming message writes rows that nothing reads back in that turn: its own entry
in the message log, and each reply's entry in the log and in the outbox. Building a
Tortoise model for each (its ``__init__`` sets and checks every field) and saving it
through the model's hooks took about a seventh of the engine's CPU a message (cProfile
over ``bench/inbound.py``'s conversation). ``insert`` goes straight to the table's own
INSERT, the one ``Model.save`` uses, each value through its field's conversion as
there: sealed columns are sealed, datetimes and JSON converted, the same errors raised
(a duplicate key is Tortoise's ``IntegrityError``)."""

from __future__ import annotations

import functools
from types import SimpleNamespace
from typing import Any

from tortoise.models import Model


async def insert(model: type[Model], **values: Any) -> int:
    """Write one new row of ``model`` in the current transaction and return its id.
    A column not given takes its field's default, or NULL where it may be null."""
    db = model._meta.db  # the transaction's connection inside ``in_transaction``
    columns, sql = _insert_statement(model, db.capabilities.dialect)
    fields = model._meta.fields_map
    unknown = values.keys() - set(columns)
    if unknown:
        raise TypeError(f"{model.__name__} has no column {', '.join(sorted(unknown))}")
    # What each field's conversion is given as the instance: a new row (never a model
    # class, which a sealed column takes for a filter and refuses).
    row: Any = SimpleNamespace(**values)
    params = []
    for name in columns:
        value = values[name] if name in values else _default(model, name)
        params.append(fields[name].to_db_value(value, row))
    result = await db.execute_insert(sql, params)
    # SQLite gives the new row's id; PostgreSQL the row its RETURNING clause names.
    return int(result if isinstance(result, int) else result[model._meta.db_pk_column])


@functools.cache
def _insert_statement(model: type[Model], dialect: str) -> tuple[tuple[str, ...], str]:
    """The columns Tortoise writes on a new row of ``model``, and its INSERT for them
    (built once per model and database, as Tortoise itself caches it)."""
    db = model._meta.db
    executor = db.executor_class(model=model, db=db)
    return tuple(executor.regular_columns), executor.insert_query


def _default(model: type[Model], name: str) -> Any:
    field = model._meta.fields_map[name]
    if field.default is not None:
        return field.default() if callable(field.default) else field.default
    if not field.null:
        raise TypeError(f"{model.__name__}.{name} needs a value")
    return None
