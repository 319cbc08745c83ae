"""The store's side of encryption at rest: checking the data key against the store before
anything changes, the store's own secrets, and sealing rows again under the first key of
``LANGGAN_DATA_KEY`` (rows written before encryption, and key rotation).

Resealing goes a batch of rows at a time, each batch its own transaction, in key order.
Every row is, at any moment, under the old key or the new one, and the keyring holds
both: a pass cut off halfway leaves nothing unreadable, and running it again carries on
with the rows still under the old key. The store's secrets go last, and the mark that the
pass finished after them."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tortoise.connection import connections
from tortoise.exceptions import IntegrityError, OperationalError
from tortoise.transactions import in_transaction

from crm_core.errors import StoreError
from crm_core.privacy.sealing import TAIL, Keyring, StoreKeys, WrongKey, is_sealed

INDEX_KEY = "index_key"
SEALED_WITH = "sealed_with"  # the key id the last finished pass sealed every row with
BATCH = 500

Indexes = Callable[[StoreKeys, dict[str, Any]], dict[str, str | None]]


def _customer(keys: StoreKeys, row: dict[str, Any]) -> dict[str, str | None]:
    phone, email = row["phone"], row["email"]
    return {
        "phone_index": keys.blind("phone", phone) if phone else None,
        "phone_tail_index": keys.blind("phone_tail", phone[-TAIL:]) if phone else None,
        "email_index": keys.blind("email", email.lower()) if email else None,
    }


def _agent(keys: StoreKeys, row: dict[str, Any]) -> dict[str, str | None]:
    return {"phone_index": keys.blind("phone", row["phone"]) if row["phone"] else None}


def _chat(keys: StoreKeys, row: dict[str, Any]) -> dict[str, str | None]:
    return {"address_index": keys.blind("chat", f"{row['channel']}:{row['address']}")}


@dataclass(frozen=True)
class SealedTable:
    table: str
    key: str
    columns: tuple[str, ...]
    indexes: Indexes | None = None
    extra: tuple[str, ...] = ()  # read to compute the indexes, never changed


# Every sealed column in the store; tests check this list against the models.
SEALED_TABLES = (
    SealedTable("customer", "id", ("phone", "email", "address"), _customer),
    SealedTable("agent", "id", ("phone",), _agent),
    SealedTable("conversation", "id", ("address", "data"), _chat, ("channel",)),
    SealedTable("order", "id", ("ship_phone", "ship_address")),
    SealedTable("message", "id", ("body",)),
    SealedTable("outbox", "id", ("address", "body")),
    SealedTable("note", "id", ("body",)),
    SealedTable("ticket", "id", ("excerpt",)),
    SealedTable("reminder", "id", ("note",)),
    SealedTable("contact", "id", ("override_reason",)),
    SealedTable("audit_event", "id", ("detail",)),
    SealedTable("store_secret", "name", ("value",)),  # last: see the module's docstring
)


def _connection(name: str) -> Any:
    return connections.get(name)


def _marks(dialect: str, count: int, start: int = 1) -> list[str]:
    return (
        ["?"] * count if dialect != "postgres" else [f"${n}" for n in range(start, start + count)]
    )


async def check_key(connection_name: str, keyring: Keyring) -> None:
    """Refuse, before migrating or writing anything, a key that does not open this
    store's secrets. A store that holds none yet (new, or from before encryption) takes
    the key it is given."""
    connection = _connection(connection_name)
    try:
        _, rows = await connection.execute_query('SELECT "name", "value" FROM "store_secret"')
    except OperationalError:
        return  # a new store: no table yet
    except Exception as exc:  # asyncpg's UndefinedTableError on a new PostgreSQL store
        if "store_secret" in str(exc) and "exist" in str(exc):
            return
        raise
    for row in rows:
        value = str(row["value"])
        if not is_sealed(value):
            continue
        kid = value.split(":", 1)[0]
        if kid not in keyring.ids:
            raise WrongKey("data_key_wrong", needed=kid, held=", ".join(keyring.ids))
        keyring.open(value)  # the same id but a different key fails here


async def load_keys(keyring: Keyring) -> StoreKeys:
    """The store's index key, made on first use."""
    return StoreKeys(keyring, await store_secret(INDEX_KEY))


async def store_secret(name: str) -> bytes:
    """One of the store's random keys (kept sealed, like every secret in it), made on
    first use."""
    from crm_core.models import StoreSecret

    row = await StoreSecret.filter(name=name).first()
    if row is None:
        try:
            async with in_transaction():
                row = await StoreSecret.create(name=name, value=secrets.token_hex(32))
        except IntegrityError:  # another process made it a moment ago
            row = await StoreSecret.get(name=name)
    return bytes.fromhex(row.value)


async def sealed_with(keys: StoreKeys) -> str | None:
    """The key id every row was last sealed with, or None before the first pass."""
    from crm_core.models import StoreSecret

    row = await StoreSecret.filter(name=SEALED_WITH).first()
    return None if row is None else row.value


@dataclass
class Resealed:
    rows: dict[str, int]  # rows sealed again, by table
    left: int = 0  # rows the service changed while this pass ran: the next pass has them

    @property
    def total(self) -> int:
        return sum(self.rows.values())


async def reseal(
    connection_name: str,
    keys: StoreKeys,
    progress: Callable[[str, int], None] | None = None,
) -> Resealed:
    """Seal every value not yet under the first key, table by table, a batch at a time;
    then mark the store as sealed with it."""
    from crm_core.models import StoreSecret

    connection = _connection(connection_name)
    dialect = connection.capabilities.dialect
    prefix = f"{keys.keyring.primary}:"
    done: dict[str, int] = {}
    for spec in SEALED_TABLES:
        done[spec.table] = await _reseal_table(connection, dialect, spec, keys, prefix, progress)
    left = 0
    for spec in SEALED_TABLES:
        _, rows = await connection.execute_query(
            f'SELECT count(*) AS n FROM "{spec.table}" WHERE {_stale(spec, dialect, prefix, 1)}',
            [prefix] * len(spec.columns),
        )
        left += int(rows[0]["n"])
    if not left:
        async with in_transaction(connection_name):
            await StoreSecret.filter(name=SEALED_WITH).delete()
            await StoreSecret.create(name=SEALED_WITH, value=keys.keyring.primary)
    return Resealed(done, left)


def _stale(spec: SealedTable, dialect: str, prefix: str, start: int) -> str:
    """A row holding a value not under the first key."""
    return " OR ".join(
        f'("{c}" IS NOT NULL AND substr("{c}", 1, {len(prefix)}) <> {m})'
        for c, m in zip(spec.columns, _marks(dialect, len(spec.columns), start), strict=True)
    )


async def _reseal_table(
    connection: Any,
    dialect: str,
    spec: SealedTable,
    keys: StoreKeys,
    prefix: str,
    progress: Callable[[str, int], None] | None,
) -> int:
    table, key = f'"{spec.table}"', f'"{spec.key}"'
    columns = [*spec.columns, *spec.extra]
    select = (
        f"SELECT {key}, {', '.join(f'{chr(34)}{c}{chr(34)}' for c in columns)} FROM {table} "
        f"WHERE {key} > {_marks(dialect, 1)[0]} AND ({_stale(spec, dialect, prefix, 2)}) "
        f"ORDER BY {key} LIMIT {BATCH}"
    )
    low, high = _marks(dialect, 2)
    still = (
        f"SELECT count(*) AS n FROM {table} WHERE {key} >= {low} AND {key} <= {high} "
        f"AND ({_stale(spec, dialect, prefix, 3)})"
    )
    count, last = 0, "" if spec.key == "name" else 0
    while True:
        _, rows = await connection.execute_query(select, [last, *[prefix] * len(spec.columns)])
        if not rows:
            return count
        updates = []
        for row in rows:
            plain = {
                c: (None if row[c] is None else keys.keyring.open(str(row[c]))) for c in columns
            }
            values: dict[str, Any] = {
                c: None if (text := plain[c]) is None else keys.keyring.seal(text)
                for c in spec.columns
            }
            if spec.indexes is not None:
                values.update(spec.indexes(keys, plain))
            updates.append((values, row[spec.key]))
        names = list(updates[0][0])
        marks = _marks(dialect, len(names) + 1 + len(spec.columns))
        sets = ", ".join(f'"{n}" = {m}' for n, m in zip(names, marks, strict=False))
        # Only if the row still holds what was read: a value the service wrote meanwhile
        # (sealed with the new key already) is never put back to the one read before.
        same = " IS NOT DISTINCT FROM " if dialect == "postgres" else " IS "
        unchanged = " AND ".join(
            f'"{c}"{same}{m}' for c, m in zip(spec.columns, marks[len(names) + 1 :], strict=True)
        )
        statement = f"UPDATE {table} SET {sets} WHERE {key} = {marks[len(names)]} AND {unchanged}"
        first, last = rows[0][spec.key], rows[-1][spec.key]
        async with in_transaction(connection.connection_name) as tx:
            await tx.execute_many(
                statement,
                [
                    [*v.values(), k, *(row[c] for c in spec.columns)]
                    for (v, k), row in zip(updates, rows, strict=True)
                ],
            )
            # Rows the service changed meanwhile were not written: a later pass has them.
            _, left = await tx.execute_query(still, [first, last, *[prefix] * len(spec.columns)])
        count += len(rows) - int(left[0]["n"])
        if progress is not None:
            progress(spec.table, count)


def require_sealed(marker: str | None) -> None:
    if marker is None:
        raise StoreError("store_unsealed")
