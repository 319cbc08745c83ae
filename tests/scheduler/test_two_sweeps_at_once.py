"""Two real `langgan sweep` processes on one PostgreSQL at the same moment: every due
message is queued exactly once."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from crm_core.models import Contact, Message, OutboxMessage
from tests.fakes.telegram_api import TOKEN, FakeTelegram
from tests.support.campaign_shop import DUE, due_customers, langgan_sweep


async def test_two_processes_sweeping_at_once_queue_each_message_once(
    postgres_store: str, tmp_path: Path
):
    await due_customers()
    results = await asyncio.gather(
        langgan_sweep(postgres_store, tmp_path), langgan_sweep(postgres_store, tmp_path)
    )
    assert all(code == 0 for code, _ in results), results
    # Between them the two queued each message once; the other found it waiting to go
    # (or held it, with a reason).
    outcomes = [re.findall(r"│ (queued|waiting to go|held) +│", out) for _, out in results]
    assert sum(found.count("queued") for found in outcomes) == DUE
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
