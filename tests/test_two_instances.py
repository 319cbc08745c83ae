"""Two real `langgan sweep` processes on one PostgreSQL at the same moment: every due
message is queued exactly once."""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from crm_core.models import Contact, Conversation, Customer, Message, Order, OutboxMessage
from tests.data_key import DATA_KEY
from tests.fakes.telegram_api import TOKEN, FakeTelegram

NOW = datetime(2026, 11, 5, 3, 0, tzinfo=UTC)  # 10:00 in Jakarta: not quiet hours
DUE = 30


async def langgan_sweep(db_url: str, cwd: Path, **settings: str) -> tuple[int, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LANGGAN_", "TELEGRAM_"))}
    env["LANGGAN_DATA_KEY"] = DATA_KEY
    env["LANGGAN_DB_URL"] = db_url
    env["LANGGAN_LOCALE"] = "en"  # the outcomes counted below, in English
    env.update(settings)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "sweep", "--now", NOW.isoformat(), cwd=cwd, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await process.communicate()
    return process.returncode or 0, out.decode() + err.decode()


async def due_customers() -> None:
    ordered = NOW - timedelta(days=3, hours=1)
    for i in range(DUE):
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


async def test_two_processes_sweeping_at_once_queue_each_message_once(
    postgres_store: str, tmp_path: Path
):
    await due_customers()
    results = await asyncio.gather(
        langgan_sweep(postgres_store, tmp_path), langgan_sweep(postgres_store, tmp_path)
    )
    assert all(code == 0 for code, _ in results), results
    # Between them the two queued each message once (and held the rest, with a reason).
    assert sum(output.count("queued") for _, output in results) == DUE
    assert await OutboxMessage.filter(kind="marketing").count() == DUE
    assert await Contact.all().count() == DUE
    keys = await OutboxMessage.all().values_list("dedupe_key", flat=True)
    assert len(set(keys)) == DUE


async def test_two_processes_sweeping_and_sending_at_once_send_each_message_once(
    postgres_store: str, tmp_path: Path, fake_telegram: FakeTelegram
):
    await due_customers()
    telegram = {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_URL": fake_telegram.url}
    results = await asyncio.gather(
        langgan_sweep(postgres_store, tmp_path, **telegram),
        langgan_sweep(postgres_store, tmp_path, **telegram),
    )
    assert all(code == 0 for code, _ in results), results
    # Every due customer received their message exactly once, whichever process sent it.
    received = sorted(m.chat_id for m in fake_telegram.sent)
    assert received == [10_000 + i for i in range(DUE)]
    assert all("sudah sampai?" in m.text for m in fake_telegram.sent)
    assert await OutboxMessage.filter(status="sent").count() == DUE
    assert await Message.filter(direction="out", status="sent").count() == DUE
