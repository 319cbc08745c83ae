"""Which statements PostgreSQL plans for their own values each time, and which keep the
plan made once: an import's batches and a report's statements re-plan (a plan kept from
a small table or a short period could scan everything), a message's statements keep
theirs (planning them again on every message cost PostgreSQL a third of its work). And
what the pool still undoes when a connection comes back, now that it sends no reset."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from tortoise.transactions import in_transaction

from crm_core.insight.report_sql import Sql
from crm_core.models import Customer, InvoiceSeries
from crm_core.sheets import customers as customer_sheets
from crm_core.sheets import orders as order_sheets
from crm_core.sheets.customers import import_customers
from crm_core.sheets.orders import import_orders
from tests.support.chat import START
from tests.support.shop_sheets import customers_xlsx, orders_xlsx

MODE = "SELECT current_setting('plan_cache_mode') AS mode"
JAKARTA = ZoneInfo("Asia/Jakarta")


async def mode_now() -> str:
    """The setting on the connection the next statement here goes to."""
    _, rows = await Customer._meta.db.execute_query(MODE)
    return str(rows[0]["mode"])


def noting_mode(
    seen: list[str], look_up: Callable[..., Awaitable[Any]]
) -> Callable[..., Awaitable[Any]]:
    async def noted(*args: Any) -> Any:
        seen.append(await mode_now())
        return await look_up(*args)

    return noted


async def test_a_message_s_statements_keep_the_plan_postgresql_made_once(
    postgres_store: str,
):
    async with in_transaction():  # one connection, as a message's turn has
        for _ in range(8):
            await Customer.filter(id=1).first()
        assert await mode_now() == "auto"
        _, rows = await Customer._meta.db.execute_query(
            "SELECT generic_plans FROM pg_prepared_statements WHERE statement LIKE "
            '\'SELECT%FROM "customer" WHERE "id"=$1 LIMIT $2\''
        )
    assert rows and rows[0]["generic_plans"] > 0


async def test_every_batch_of_an_import_plans_its_look_ups_for_its_own_rows(
    postgres_store: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    seen: list[str] = []
    monkeypatch.setattr(customer_sheets, "_existing", noting_mode(seen, customer_sheets._existing))
    monkeypatch.setattr(order_sheets, "_customers", noting_mode(seen, order_sheets._customers))

    customers = await import_customers(customers_xlsx(tmp_path / "c.xlsx"), START, batch_size=1)
    orders = await import_orders(orders_xlsx(tmp_path / "o.xlsx"), START, JAKARTA, batch_size=1)

    assert (customers.added, orders.added) == (3, 2)
    assert len(seen) == 5  # a batch for each row that loads (the bad ones never reach one)
    assert set(seen) == {"force_custom_plan"}
    assert await mode_now() == "auto"  # the batches' setting ended with them


async def test_a_report_s_statements_are_planned_for_the_period_asked(postgres_store: str):
    assert await Sql().rows(MODE) == [{"mode": "force_custom_plan"}]
    assert await mode_now() == "auto"


async def test_a_transaction_left_open_is_rolled_back_before_its_connection_serves_again(
    postgres_store: str,
):
    # The pool's reset sends nothing (a round trip a transaction saved); what must still
    # happen on release is asyncpg's own rollback of a transaction someone left open.
    pool = Customer._meta.db._pool
    async with pool.acquire() as connection:
        await connection.execute("BEGIN")
        await connection.execute("INSERT INTO invoice_series (series, issued) VALUES ('X', 7)")
    async with pool.acquire() as connection:
        assert not connection.is_in_transaction()
    assert not await InvoiceSeries.exists()
    async with in_transaction():
        await InvoiceSeries.create(series="X", issued=1)  # nothing held its row
    assert (await InvoiceSeries.get(series="X")).issued == 1
