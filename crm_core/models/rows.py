"""Rows written without going through their model objects' machinery.

Every incoming message writes rows that nothing reads back in that turn: its own entry
in the message log, and each reply's entry in the log and in the outbox. Building a
Tortoise model for each (its ``__init__`` sets and checks every field) and saving it
through the model's hooks took about a seventh of the engine's CPU a message (cProfile
over ``bench/inbound.py``'s conversation). ``insert`` goes straight to the table's own
INSERT, the one ``Model.save`` uses, each value through its field's conversion as
there: sealed columns are sealed, datetimes and JSON converted, the same errors raised
(a duplicate key is Tortoise's ``IntegrityError``). ``insert_all`` writes a turn's
replies in one statement: on SQLite each statement is a trip to its own thread and
back, which costs the event loop more than the statement itself.

``update`` is the same for the one row every message rewrites, its chat's (state, data,
times): ``Model.save`` chose its connection, ran its hooks and checked each field name
and value again for each message, about a third of the time the save took (py-spy on
the live service, ``bench/webhook.py --profile``)."""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from types import SimpleNamespace
from typing import Any

from tortoise.models import Model


async def insert(model: type[Model], **values: Any) -> int:
    """Write one new row of ``model`` in the current transaction and return its id.
    A column not given takes its field's default, or NULL where it may be null."""
    db = model._meta.db  # the transaction's connection inside ``in_transaction``
    columns, sql = _insert_statement(model, db.capabilities.dialect)
    result = await db.execute_insert(sql, _params(model, columns, values))
    # SQLite gives the new row's id; PostgreSQL the row its RETURNING clause names.
    return int(result if isinstance(result, int) else result[model._meta.db_pk_column])


async def update(model: type[Model], pk: int, **values: Any) -> int:
    """Write ``values`` (fields by name, as ``Model.save``'s ``update_fields`` names them)
    to the row of ``model`` whose primary key is ``pk``, in the current transaction, each
    through its field's conversion; how many rows changed (0: there is no such row). A
    field with a blind index is refused: ``save`` keeps the index in step."""
    db = model._meta.db
    names = tuple(values)
    sql = _update_statement(model, db.capabilities.dialect, names)
    fields = model._meta.fields_map
    row: Any = SimpleNamespace(**values)  # as in ``_params``: a row, never a filter
    params = [fields[name].to_db_value(values[name], row) for name in names]
    changed, _ = await db.execute_query(sql, [*params, pk])
    return int(changed)


@functools.cache
def _update_statement(model: type[Model], dialect: str, names: tuple[str, ...]) -> str:
    meta = model._meta
    unknown = set(names) - meta.fields_db_projection.keys()
    if unknown or meta.pk_attr in names:
        named = unknown or {meta.pk_attr}  # the unknown ones, or the primary key
        raise TypeError(f"{model.__name__} cannot update {', '.join(sorted(named))}")
    indexed = set(names) & getattr(model, "INDEXED_BY", {}).keys()
    if indexed:  # its blind index would be left behind: the model's save keeps it
        raise TypeError(f"{model.__name__}.{', '.join(sorted(indexed))} has a blind index")
    if dialect == "postgres":
        marks = [f"${i}" for i in range(1, len(names) + 2)]
    else:
        marks = ["?"] * (len(names) + 1)
    sets = ", ".join(
        f'"{meta.fields_db_projection[name]}" = {mark}'
        for name, mark in zip(names, marks, strict=False)
    )
    return f'UPDATE "{meta.db_table}" SET {sets} WHERE "{meta.db_pk_column}" = {marks[-1]}'


ROWS_AT_ONCE = 50  # rows in one statement at most: its parameters stay well under limits


async def insert_all(model: type[Model], rows: Sequence[Mapping[str, Any]]) -> list[int]:
    """Write new rows of ``model``, as ``insert`` does, in one statement (up to
    ``ROWS_AT_ONCE``); their ids, in the order given."""
    if len(rows) == 1:
        return [await insert(model, **rows[0])]
    ids: list[int] = []
    db = model._meta.db
    dialect = db.capabilities.dialect
    columns, _ = _insert_statement(model, dialect)
    for start in range(0, len(rows), ROWS_AT_ONCE):
        chunk = rows[start : start + ROWS_AT_ONCE]
        params = [p for values in chunk for p in _params(model, columns, values)]
        sql = _many_statement(model, dialect, len(chunk))
        if dialect == "postgres":
            # (Tortoise's execute_query keeps no rows of an INSERT; this one does.)
            found = await db.execute_query_dict(sql, params)
            # The ids come from the table's sequence row by row, in the order of VALUES.
            ids += sorted(int(r[model._meta.db_pk_column]) for r in found)
        else:
            # SQLite numbers a statement's rows one after another (one writer at a
            # time), and tells the last one's id.
            last = int(await db.execute_insert(sql, params))
            ids += range(last - len(chunk) + 1, last + 1)
    return ids


def _params(model: type[Model], columns: tuple[str, ...], values: Mapping[str, Any]) -> list[Any]:
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
    return params


@functools.cache
def _insert_statement(model: type[Model], dialect: str) -> tuple[tuple[str, ...], str]:
    """The columns Tortoise writes on a new row of ``model``, and its INSERT for them
    (built once per model and database, as Tortoise itself caches it)."""
    db = model._meta.db
    executor = db.executor_class(model=model, db=db)
    return tuple(executor.regular_columns), executor.insert_query


@functools.cache
def _many_statement(model: type[Model], dialect: str, count: int) -> str:
    """One INSERT of ``count`` rows of ``model``'s columns (on PostgreSQL, returning
    their ids)."""
    columns, _ = _insert_statement(model, dialect)
    names = ", ".join(f'"{model._meta.fields_db_projection[c]}"' for c in columns)
    width = len(columns)
    if dialect == "postgres":
        groups = (
            "(" + ", ".join(f"${row * width + i + 1}" for i in range(width)) + ")"
            for row in range(count)
        )
        tail = f' RETURNING "{model._meta.db_pk_column}"'
    else:
        groups = ("(" + ", ".join("?" * width) + ")" for _ in range(count))
        tail = ""
    return f'INSERT INTO "{model._meta.db_table}" ({names}) VALUES {", ".join(groups)}{tail}'


def _default(model: type[Model], name: str) -> Any:
    field = model._meta.fields_map[name]
    if field.default is not None:
        return field.default() if callable(field.default) else field.default
    if not field.null:
        raise TypeError(f"{model.__name__}.{name} needs a value")
    return None
