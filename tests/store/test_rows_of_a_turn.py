"""The rows each message writes without building a model (``crm_core.models.rows``): the
message itself, and each reply in the log and held in the outbox. They must read back
exactly as the models would have written them, sealed in the store, on both stores."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from tortoise import Tortoise
from tortoise.exceptions import IntegrityError

from bot.conversation.engine import Engine
from bot.inbound import buttons
from crm_core.models import Conversation, Customer, Message, OutboxMessage
from crm_core.models.rows import ROWS_AT_ONCE, insert, insert_all, update
from crm_core.models.sealed import seal_once
from crm_core.outreach.message_log import log_replies
from crm_core.privacy.sealing import is_sealed
from crm_core.sales.catalog import CatalogCache
from message_templates import Texts
from tests.support.chat import START, Chat
from tests.support.sample_catalog import add_sample_catalog


@pytest.fixture
async def holding_engine(store: str) -> Engine:
    """As ``langgan run`` has it: each reply to a Telegram chat held in the outbox."""
    await add_sample_catalog()
    return Engine(Texts(), catalog=CatalogCache(check_every=0), hold_replies=lambda: START)


async def stored(store: str, table: str, columns: str) -> list[dict[str, object]]:
    """Rows as the database returns them, columns unopened."""
    _, rows = await Tortoise.get_connection(store).execute_query(
        f'SELECT {columns} FROM "{table}" ORDER BY id'
    )
    return [dict(r) for r in rows]


async def test_a_message_and_its_replies_are_kept_sealed_and_read_back_as_sent(
    store: str, holding_engine: Engine
):
    chat = Chat(holding_engine, sender="5550001")
    await chat.send("kak mau tanya dong")
    replies = chat.replies
    assert replies and all(r.message_id and r.outbox_id for r in replies)

    logged = await Message.filter(direction="in").get()
    assert (logged.body, logged.kind, logged.status) == ("kak mau tanya dong", "text", "received")
    assert logged.customer_id is not None and logged.created_at == chat.now

    out = await Message.filter(direction="out").order_by("id")
    assert [m.body for m in out] == [r.text for r in replies]
    assert {(m.status, m.kind, m.customer_id) for m in out} == {
        ("queued", "text", logged.customer_id)
    }
    held = await OutboxMessage.all().order_by("id")
    assert [(h.body, h.address, h.message_id) for h in held] == [
        (r.text, "5550001", m.id) for r, m in zip(replies, out, strict=True)
    ]
    assert {(h.kind, h.status, h.attempts, h.channel) for h in held} == {
        ("reply", "sending", 1, "telegram")
    }
    assert [h.keyboard for h in held] == [buttons(r) for r in replies]
    assert any(h.keyboard for h in held)  # the consent question's buttons

    # In the store itself, every personal column is sealed; none holds the words.
    for row in await stored(store, "message", "body"):
        assert is_sealed(str(row["body"])) and "tanya" not in str(row["body"])
    for row in await stored(store, "outbox", "address, body"):
        assert is_sealed(str(row["address"])) and is_sealed(str(row["body"]))
        assert "5550001" not in str(row["address"])


async def test_a_second_delivery_of_one_update_is_refused_by_the_log(store: str):
    first = await insert(
        Message, channel="telegram", direction="in", body="halo", external_id="u1",
        status="received", created_at=START,
    )  # fmt: skip
    with pytest.raises(IntegrityError):
        await insert(
            Message, channel="telegram", direction="in", body="halo", external_id="u1",
            status="received", created_at=START,
        )  # fmt: skip
    assert [m.id for m in await Message.all()] == [first]


async def test_a_column_left_out_takes_its_default_and_a_wrong_one_is_named(store: str):
    row = await insert(
        Message, channel="whatsapp", direction="out", body="Terima kasih", status="queued",
        created_at=START,
    )  # fmt: skip
    kept = await Message.get(id=row)
    assert (kept.kind, kept.external_id, kept.error) == ("text", None, None)
    with pytest.raises(TypeError, match="Message has no column colour"):
        await insert(Message, channel="telegram", colour="hitam")
    with pytest.raises(TypeError, match=r"Message\.direction needs a value"):
        await insert(Message, channel="telegram", body="x", status="queued", created_at=START)


async def test_one_sealing_serves_two_rows_and_still_cannot_be_searched_for(
    sqlite_store: str,
):
    body = seal_once("Total Rp 150.000")
    row = await insert(
        Message, channel="telegram", direction="out", body=body, status="queued",
        created_at=START,
    )  # fmt: skip
    assert (await Message.get(id=row)).body == "Total Rp 150.000"
    with pytest.raises(TypeError, match="sealed and cannot be compared in SQL"):
        await Message.filter(body=body).first()


async def test_a_chat_s_quick_messages_write_the_customer_once_a_minute(
    store: str, holding_engine: Engine, caplog: pytest.LogCaptureFixture
):
    """Every message writes its chat (the exact time WhatsApp's 24-hour window is counted
    from); the customer's own last-message time is kept to the minute, so messages a few
    seconds apart leave the customer's row alone unless something of theirs changed."""
    chat = Chat(holding_engine, sender="5550002")
    await chat.onboard(name="Budi")
    caplog.set_level(logging.DEBUG, logger="tortoise.db_client")
    await chat.send("kak mau tanya")
    await chat.send("yg item ada?")
    writes = [r.getMessage() for r in caplog.records if r.getMessage().startswith("UPDATE")]
    assert writes and not [w for w in writes if w.startswith('UPDATE "customer"')], writes
    budi = await Customer.get(name="Budi")
    assert (await Conversation.get(customer_id=budi.id)).last_inbound_at == chat.now
    assert budi.last_inbound_at is not None
    assert timedelta(0) < chat.now - budi.last_inbound_at < timedelta(minutes=1)

    chat.now += timedelta(minutes=5)
    await chat.send("halo?")
    budi = await Customer.get(name="Budi")
    assert budi.last_inbound_at == budi.updated_at == chat.now


async def test_a_chat_is_written_by_one_update_sealed_and_an_indexed_field_is_refused(
    store: str,
):
    budi = await Customer.create(name="Budi", created_at=START, updated_at=START)
    chat = await Conversation.create(
        channel="whatsapp", address="+6281234567890", customer=budi,
        created_at=START, updated_at=START,
    )  # fmt: skip
    later = START + timedelta(minutes=3)
    cart = {"cart": [{"product": "Kaos Polos", "colour": "hitam", "size": "L", "qty": 2}]}
    assert await update(Conversation, chat.id, state="ordering", data=cart, updated_at=later) == 1
    kept = await Conversation.get(id=chat.id)
    assert (kept.state, kept.data, kept.updated_at, kept.address) == (
        "ordering", cart, later, "+6281234567890",
    )  # fmt: skip
    [row] = await stored(store, "conversation", "data")
    assert is_sealed(str(row["data"])) and "Kaos" not in str(row["data"])
    assert await update(Conversation, chat.id + 1, state="done") == 0  # no such chat
    with pytest.raises(TypeError, match=r"Conversation\.address has a blind index"):
        await update(Conversation, chat.id, address="+6289999999999")
    with pytest.raises(TypeError, match="Conversation cannot update colour"):
        await update(Conversation, chat.id, colour="hitam")
    with pytest.raises(TypeError, match=r"Conversation cannot update id$"):
        await update(Conversation, chat.id, state="done", id=chat.id + 1)
    assert (await Conversation.get(id=chat.id)).address == "+6281234567890"


async def test_many_rows_in_one_statement_get_their_own_ids_in_order(store: str):
    """A turn's replies are written in one statement each for the log and the outbox;
    each must get its own row's id back, past one statement's worth too."""
    count = ROWS_AT_ONCE * 2 + 3
    await insert(Message, channel="telegram", direction="in", body="sela", status="received",
                 created_at=START)  # fmt: skip
    budi = await Customer.create(name="Budi", created_at=START, updated_at=START)
    bodies = [f"balasan {i}" for i in range(count)]
    given = [seal_once(b) for b in bodies[:2]] + bodies[2:]
    ids = await log_replies(budi.id, "telegram", given, START)
    assert len(set(ids)) == count and ids == sorted(ids)
    by_id = {m.id: m for m in await Message.filter(direction="out")}
    assert [by_id[i].body for i in ids] == bodies
    assert {(m.status, m.customer_id) for m in by_id.values()} == {("queued", budi.id)}
    assert await insert_all(Message, []) == []
