"""A shop with customers due a campaign's message, and `langgan sweep` run as a shop
runs it: a real process, for the tests that need two at once or one killed."""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from crm_core.models import Conversation, Customer, Order
from tests.support.data_key import DATA_KEY

NOW = datetime(2026, 11, 5, 3, 0, tzinfo=UTC)  # 10:00 in Jakarta: not quiet hours
DUE = 30


def langgan_env(db_url: str, **settings: str) -> dict[str, str]:
    """The environment a shop's `langgan` runs with, on this store."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LANGGAN_", "TELEGRAM_"))}
    env["LANGGAN_DATA_KEY"] = DATA_KEY
    env["LANGGAN_DB_URL"] = db_url
    env["LANGGAN_LOCALE"] = "en"  # the outcomes counted below, in English
    env.update(settings)
    return env


async def start_sweep(
    db_url: str, cwd: Path, now: datetime = NOW, **settings: str
) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "sweep", "--now", now.isoformat(), cwd=cwd,
        env=langgan_env(db_url, **settings), stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip


async def langgan_sweep(
    db_url: str, cwd: Path, now: datetime = NOW, **settings: str
) -> tuple[int, str]:
    process = await start_sweep(db_url, cwd, now, **settings)
    out, err = await process.communicate()
    return process.returncode or 0, out.decode() + err.decode()


async def due_customers(count: int = DUE) -> None:
    """Customers who ordered three days and an hour ago: due the nurture message."""
    ordered = NOW - timedelta(days=3, hours=1)
    for i in range(count):
        customer = await Customer.create(
            name=f"Pelanggan {i}", consent_marketing=True, consent_at=ordered, language="id",
            orders_count=1, total_spent=35_000, first_order_at=ordered, last_order_at=ordered,
            created_at=ordered, updated_at=ordered,
        )  # fmt: skip
        await Conversation.create(
            channel="telegram", address=str(10_000 + i), customer=customer, state="idle",
            data={}, last_inbound_at=ordered, created_at=ordered, updated_at=ordered,
        )  # fmt: skip
        await Order.create(
            customer=customer, channel="telegram", total=35_000, ship_name="x",
            ship_address="Jl. Merdeka 1", ship_city="Bandung", created_at=ordered,
            updated_at=ordered,
        )  # fmt: skip
