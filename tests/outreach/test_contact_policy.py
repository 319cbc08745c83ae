"""The contact policy: cooldown, weekly cap, quiet hours, and the customer's own no."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.conversation.engine import Engine
from crm_core.errors import SettingsError
from crm_core.models import Conversation, Customer, OutboxMessage
from crm_core.outreach.contact_policy import (
    Candidate,
    Gate,
    Permit,
    Refusal,
    Rules,
    Service,
    claim,
    quiet_until,
)
from crm_core.settings import Settings
from crm_core.staff.agents import add_agent
from tests.support.chat import START, Chat

JAKARTA = ZoneInfo("Asia/Jakarta")
QUIET = (time(21, 0), time(8, 0))


@pytest.mark.parametrize(
    ("local", "until"),
    [(datetime(2026, 11, 2, 23, 0), datetime(2026, 11, 3, 8, 0)),
     (datetime(2026, 11, 3, 2, 30), datetime(2026, 11, 3, 8, 0)),
     (datetime(2026, 11, 2, 21, 0), datetime(2026, 11, 3, 8, 0)),
     (datetime(2026, 11, 2, 20, 59), None),
     (datetime(2026, 11, 3, 8, 0), None),
     (datetime(2026, 11, 3, 12, 0), None)],
)  # fmt: skip
def test_quiet_hours_across_midnight_in_jakarta(local: datetime, until: datetime | None):
    now = local.replace(tzinfo=JAKARTA).astimezone(UTC)
    expected = until.replace(tzinfo=JAKARTA) if until else None
    assert quiet_until(now, JAKARTA, QUIET) == expected


def test_quiet_hours_within_one_day():
    now = datetime(2026, 11, 2, 13, 30, tzinfo=JAKARTA)
    assert quiet_until(now, JAKARTA, (time(13, 0), time(14, 0))) == datetime(
        2026, 11, 2, 14, 0, tzinfo=JAKARTA
    )


@pytest.fixture
async def budi(engine: Engine) -> Customer:
    chat = Chat(engine, sender="1001", telegram_id=1001, display_name="Budi")
    await chat.onboard(name="Budi")
    return await Customer.get(name="Budi")


async def test_the_weekly_cap_holds_over_a_rolling_seven_days(budi: Customer):
    rules = Rules(cooldown=timedelta(hours=1), weekly_cap=2)
    assert await claim(budi.id, "Ani", "agent", START, rules) is None
    assert await claim(budi.id, "Dewi", "agent", START + timedelta(hours=2), rules) is None
    refused = await claim(budi.id, "Ani", "agent", START + timedelta(days=3), rules)
    assert refused is not None and refused.reason == "weekly_cap"
    assert (refused.by, refused.until) == ("Dewi", START + timedelta(days=7))
    assert await claim(budi.id, "Ani", "agent", START + timedelta(days=7, minutes=1), rules) is None
    override = await claim(budi.id, "Owner", "agent", START + timedelta(days=7, minutes=2), rules,
                           override_reason="paket tertukar")  # fmt: skip
    assert override is None


async def test_a_send_in_quiet_hours_waits_for_the_morning(engine: Engine, budi: Customer):
    await add_agent("Ani", START, telegram_id=9001)
    ani = Chat(engine, sender="9001", telegram_id=9001)
    ani.now = datetime(2026, 11, 2, 23, 15, tzinfo=JAKARTA).astimezone(UTC)
    await Customer.filter(id=budi.id).update(last_inbound_at=ani.now)
    from crm_core.models import Conversation

    await Conversation.filter(customer_id=budi.id).update(last_inbound_at=ani.now)
    await ani.send(f"/kirim {budi.id}: Promo besok pagi")
    assert "Jam tenang" in ani.text
    row = await OutboxMessage.get()
    assert row.next_attempt_at == datetime(2026, 11, 3, 8, 0, tzinfo=JAKARTA)


def test_contact_settings():
    s = Settings.from_mapping({"LANGGAN_WEEKLY_CAP": "3", "LANGGAN_QUIET_HOURS": "22:00-07:30"})
    assert (s.weekly_cap, s.quiet_hours) == (3, (time(22, 0), time(7, 30)))
    bad = [
        {"LANGGAN_WEEKLY_CAP": "0"},
        {"LANGGAN_QUIET_HOURS": "malam"},
        {"LANGGAN_QUIET_HOURS": "25:00-08:00"},
        {"LANGGAN_CONTACT_COOLDOWN": "0h"},
    ]
    for env in bad:
        with pytest.raises(SettingsError):
            Settings.from_mapping(env)


async def test_a_late_marketing_message_waits_out_quiet_hours_in_the_outbox(
    engine: Engine, budi: Customer, driver: object, fake_telegram: object
):
    from bot.dispatcher import Dispatcher
    from crm_core.outreach.outbox import enqueue, enqueue_permitted

    chat = await Conversation.get(customer_id=budi.id)
    permit = await Gate(Rules()).permit(budi.id, chat, "Ani", "agent", START)
    assert isinstance(permit, Permit) and permit.not_before is None  # START is by day
    await enqueue_permitted(permit, "promo", START, dedupe_key="promo")
    await enqueue(
        "telegram", "1001", "pesanan dikirim", START, service=Service.ANSWER, customer_id=budi.id
    )
    night = datetime(2026, 11, 2, 22, 0, tzinfo=JAKARTA).astimezone(UTC)
    dispatcher = Dispatcher({"telegram": driver}, clock=lambda: night)  # type: ignore[dict-item]
    await dispatcher.run_once()
    promo = await OutboxMessage.get(kind="marketing")
    assert promo.status == "pending" and promo.attempts == 0
    assert promo.next_attempt_at == datetime(2026, 11, 3, 8, 0, tzinfo=JAKARTA)
    assert (await OutboxMessage.get(kind="service")).status == "sent"  # service is not held


async def test_no_message_the_shop_starts_is_queued_without_the_gates_permit(budi: Customer):
    from crm_core.outreach.outbox import Queued, enqueue, enqueue_many, enqueue_permitted

    with pytest.raises(TypeError, match="given only by the gate"):
        Permit(budi.id, "telegram", "1001")
    with pytest.raises(ValueError, match="marketing"):
        await enqueue("telegram", "1001", "promo", START, service="marketing")  # type: ignore[arg-type]
    forged = Candidate(budi.id, "telegram", "1001")  # looks like a permit, is not one
    with pytest.raises(TypeError, match="Permit"):
        await enqueue_permitted(forged, "promo", START, dedupe_key="promo")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="Permit"):
        await enqueue_many([Queued(forged, "promo", "promo")], START)  # type: ignore[arg-type]
    assert await OutboxMessage.all().count() == 0


async def test_the_gates_permit_names_the_customers_chat_and_waits_out_quiet_hours(
    budi: Customer,
):
    chat = await Conversation.get(customer_id=budi.id)
    night = datetime(2026, 11, 2, 23, 0, tzinfo=JAKARTA).astimezone(UTC)
    gate = Gate(Rules())
    permit = await gate.permit(budi.id, chat, "Ani", "agent", night)
    assert isinstance(permit, Permit)
    assert (permit.customer_id, permit.channel, permit.address) == (budi.id, "telegram", "1001")
    assert permit.not_before == datetime(2026, 11, 3, 8, 0, tzinfo=JAKARTA)
    again = await gate.permit(budi.id, chat, "Dewi", "agent", night + timedelta(minutes=1))
    assert isinstance(again, Refusal) and (again.reason, again.by) == ("cooldown", "Ani")


async def test_a_copy_of_a_permit_for_another_chat_is_refused(budi: Customer):
    import dataclasses

    from crm_core.outreach.outbox import enqueue_permitted

    chat = await Conversation.get(customer_id=budi.id)
    permit = await Gate(Rules()).permit(budi.id, chat, "Ani", "agent", START)
    assert isinstance(permit, Permit)
    elsewhere = dataclasses.replace(permit, address="9999")  # someone else's chat
    with pytest.raises(TypeError, match="Permit"):
        await enqueue_permitted(elsewhere, "promo", START, dedupe_key="promo")
    await enqueue_permitted(permit, "promo", START, dedupe_key="promo")
    assert [row.address for row in await OutboxMessage.all()] == ["1001"]
