"""The schema's migrations: they match the models, a store behind them is refused with
what to do, and a store full of a shop's rows is brought up to date losing none."""

from __future__ import annotations

import sqlite3

import pytest
from tortoise.context import TortoiseContext
from tortoise.migrations.api.migrate import migrate as tortoise_migrate
from tortoise.migrations.autodetector import MigrationAutodetector

from crm_core.errors import StoreError
from crm_core.models import Conversation, Customer, Order
from crm_core.store import open_store, pending_migrations, tortoise_config
from tests.support.data_key import DATA_KEY


async def test_the_migrations_match_the_models():
    """A model change without its migration would pass on a test store and fail in a shop."""
    config = tortoise_config("sqlite://:memory:")
    async with TortoiseContext() as context:
        await context.init(config=config)
        writers = await MigrationAutodetector(context.apps, config["apps"]).changes()
    assert writers == [], "run `tortoise makemigrations` and commit the new migration"


async def test_a_store_behind_its_migrations_is_refused_with_what_to_do(tmp_path):
    url = f"sqlite://{tmp_path / 'old.db'}"
    lacks = r"lacks migrations 0001_initial(, \w+)*: run langgan migrate first"
    with pytest.raises(StoreError, match=lacks):
        async with open_store(url, DATA_KEY, bring_up_to_date=False, require_current=True):
            pass
    async with open_store(url, DATA_KEY):  # brought up to date
        pass
    async with open_store(url, DATA_KEY, bring_up_to_date=False, require_current=True):
        pass


@pytest.mark.parametrize("first", ["0001_initial", "0004_privacy"])
async def test_a_store_with_data_is_migrated_without_losing_a_row(tmp_path, first: str):
    """A shop's store, full of customers, chats, orders and messages, is brought up to
    date from an earlier schema: SQLite rebuilds changed tables, whose rows others point
    at, and nothing is lost or left pointing nowhere."""
    path = tmp_path / "shop.db"
    url = f"sqlite://{path}"
    async with TortoiseContext():  # closes the connection the migration opens
        await tortoise_migrate(
            config=tortoise_config(f"{url}?foreign_keys=OFF"), target=f"langgan.{first}"
        )
    at = "2026-11-01 03:00:00+00:00"
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA foreign_keys=ON")
        db.execute(
            "INSERT INTO customer (id, name, phone, email, language, phone_verified, blacklisted, "
            "orders_count, total_spent, created_at, updated_at) "
            "VALUES (1, 'Budi', '+6281234567890', 'budi@contoh.id', 'id', 1, 0, 1, 75000, ?, ?)",
            (at, at),
        )
        db.execute(
            "INSERT INTO conversation (id, channel, address, customer_id, state, data, "
            "created_at, updated_at) VALUES (1, 'telegram', '1001', 1, 'idle', '{}', ?, ?)",
            (at, at),
        )
        db.execute(
            'INSERT INTO "order" (id, customer_id, status, channel, total, ship_name, '
            "ship_address, ship_city, created_at, updated_at) "
            "VALUES (1, 1, 'baru', 'telegram', 75000, 'Budi', 'Jl. Merdeka 1', 'Bandung', ?, ?)",
            (at, at),
        )
        db.execute(
            "INSERT INTO order_item (order_id, product_name, unit_price, quantity) "
            "VALUES (1, 'Kaos Polos', 75000, 1)"
        )
    async with open_store(url, DATA_KEY):  # brought up to date
        customer = await Customer.get(id=1)
        order = await Order.get(id=1).prefetch_related("items")
        assert (customer.name, customer.phone, customer.email) == (
            "Budi", "+6281234567890", "budi@contoh.id",
        )  # fmt: skip
        assert [i.product_name for i in order.items] == ["Kaos Polos"]
        assert await Conversation.filter(customer_id=1).count() == 1
        assert await pending_migrations(url) == []
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []


# Rows as the code before 0010 wrote them: the city and the source as the person typed.
OLD_ROWS = [
    "INSERT INTO customer (id, name, city, lead_source, language, phone_verified, blacklisted, "
    "orders_count, total_spent, created_at, updated_at) VALUES "
    "(1, 'Budi', 'Bdg', 'dr ig kak', 'id', false, false, 1, 75000, {at}, {at}), "
    "(2, 'Ani', 'Kota Bandung', 'instagram', 'id', false, false, 1, 45000, {at}, {at}), "
    "(3, 'Sri', 'Sby', 'dikasih tau temen', 'id', false, false, 1, 35000, {at}, {at}), "
    "(4, 'Eko', 'Rancaekek', NULL, 'id', false, false, 0, 0, {at}, {at})",
    'INSERT INTO "order" (id, customer_id, status, channel, total, ship_name, ship_address, '
    "ship_city, created_at, updated_at) VALUES "
    "(1, 1, 'selesai', 'telegram', 75000, 'Budi', 'Jl. Merdeka 1', 'Bdg', {at}, {at}), "
    "(2, 2, 'selesai', 'telegram', 45000, 'Ani', 'Jl. Braga 5', 'Bandung', {at}, {at}), "
    "(3, 3, 'selesai', 'telegram', 35000, 'Sri', 'Jl. Darmo 12', 'surabaya', {at}, {at})",
]


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
async def test_cities_and_sources_typed_before_are_counted_as_one_after_migrating(
    tmp_path, backend: str
):
    """A store from before holds cities and sources as they were typed ("Bdg", "Kota
    Bandung", "dr ig kak"): migrated, they count as one (Bandung, instagram), on each
    backend, and the typed words stay beside them."""
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    import asyncpg

    from crm_core.insight.analytics import build_report
    from crm_core.insight.periods import parse_period
    from tests.support.stores import NO_POSTGRES, POSTGRES_URL, admin, run_aside

    before = "langgan.0009_orders_to_delivery"
    at = "'2026-11-01 03:00:00+00:00'"
    if backend == "sqlite":
        path = tmp_path / "old.db"
        url = f"sqlite://{path}"
        async with TortoiseContext():
            await tortoise_migrate(config=tortoise_config(f"{url}?foreign_keys=OFF"), target=before)
        with sqlite3.connect(path) as db:
            for statement in OLD_ROWS:
                db.execute(statement.format(at=at).replace("false", "0"))
    else:
        if not POSTGRES_URL:
            pytest.skip(NO_POSTGRES)
        base, _, _ = POSTGRES_URL.rpartition("/")
        url = f"{base}/langgan_old_{datetime.now(UTC):%H%M%S%f}"

        run_aside(admin, f'CREATE DATABASE "{url.rpartition("/")[2]}"')
        async with TortoiseContext():
            await tortoise_migrate(config=tortoise_config(url), target=before)
        conn = await asyncpg.connect(url)
        try:
            for statement in OLD_ROWS:
                await conn.execute(statement.format(at=at))
        finally:
            await conn.close()
    try:
        async with open_store(url, DATA_KEY):  # brought up to date
            kept = await Customer.all().order_by("id")
            assert [(c.city, c.city_typed, c.lead_source, c.lead_source_typed) for c in kept] == [
                ("Bandung", "Bdg", "instagram", "dr ig kak"),
                ("Bandung", "Kota Bandung", "instagram", "instagram"),
                ("Surabaya", "Sby", "teman", "dikasih tau temen"),
                ("Kab. Bandung", "Rancaekek", None, None),
            ]
            orders = await Order.all().order_by("id")
            assert [(o.ship_city, o.ship_city_typed) for o in orders] == [
                ("Bandung", "Bdg"), ("Bandung", "Bandung"), ("Surabaya", "surabaya"),
            ]  # fmt: skip
            now = datetime(2026, 11, 5, 3, 0, tzinfo=UTC)
            report = await build_report(parse_period("2026-11", now, ZoneInfo("Asia/Jakarta")), now)
            assert [(s.label, s.orders, s.revenue) for s in report.cities] == [
                ("Bandung", 2, 120_000), ("Surabaya", 1, 35_000),
            ]  # fmt: skip
    finally:
        if backend == "postgres":
            run_aside(admin, f'DROP DATABASE IF EXISTS "{url.rpartition("/")[2]}" WITH (FORCE)')


async def test_every_declared_index_exists_after_migrating_sqlite(tmp_path):
    """SQLite rebuilds a table to change a column; a rebuild must never lose the table's
    indexes (the sweep and the segments read through them)."""
    from tortoise import Tortoise

    path = tmp_path / "fresh.db"
    async with open_store(f"sqlite://{path}", DATA_KEY):
        models = list(Tortoise.apps["langgan"].values())
    with sqlite3.connect(path) as db:
        for model in models:
            table = model._meta.db_table
            first_columns = set()
            for _, name, *_ in db.execute(f'PRAGMA index_list("{table}")'):
                columns = db.execute(f'PRAGMA index_info("{name}")').fetchall()
                first_columns.add(columns[0][2])
            wanted = {
                field.source_field or name
                for name, field in model._meta.fields_map.items()
                if getattr(field, "index", False) or getattr(field, "unique", False)
            } | {index.fields[0] for index in model._meta.indexes if hasattr(index, "fields")}
            wanted |= {i[0] for i in model._meta.indexes if isinstance(i, tuple)}
            missing = wanted - first_columns - {model._meta.db_pk_column}
            assert not missing, f"{table} lacks indexes on {sorted(missing)}"
