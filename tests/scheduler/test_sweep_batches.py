"""The sweep takes the due a batch at a time: every due customer is still checked,
claimed and queued exactly once, and a batch that meets another instance's work is
rolled back and checked again."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

import scheduler.sweep as sweep_module
from bot.dispatcher import Dispatcher
from crm_core.models import Contact, Conversation, Customer, Message, Order, OutboxMessage
from crm_core.outreach.contact_policy import Rules, Service
from crm_core.outreach.outbox import enqueue, finish, take_next
from crm_core.privacy.erasure import erase_customer
from message_templates import Texts
from scheduler.campaigns import Campaign
from scheduler.sweep import sweep
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.twilio_api import FakeTwilio
from tests.support.sleeps import Sleeps
from tests.support.whatsapp_channel import make_channel

NOW = datetime(2026, 11, 5, 3, 0, tzinfo=UTC)  # 10:00 in Jakarta: not quiet hours
ORDERED = NOW - timedelta(days=3, hours=1)
NURTURE = [Campaign("nurture", "nurture", "campaign_nurture", 3)]
RULES = Rules()


async def customer_who_ordered(
    i: int,
    *,
    orders: int = 1,
    channel: str = "telegram",
    address: str | None = None,
    ordered: datetime = ORDERED,
) -> Customer:
    last = ordered + timedelta(minutes=orders - 1)
    customer = await Customer.create(
        name=f"Pelanggan {i}", consent_marketing=True, consent_at=ordered, language="id",
        orders_count=orders, total_spent=35_000 * orders, first_order_at=ordered,
        last_order_at=last, created_at=ordered, updated_at=ordered,
    )  # fmt: skip
    await Conversation.create(
        channel=channel, address=address or str(1000 + i), customer=customer, state="idle", data={},
        last_inbound_at=ordered, created_at=ordered, updated_at=ordered,
    )  # fmt: skip
    for n in range(orders):
        at = ordered + timedelta(minutes=n)
        await Order.create(
            customer=customer, channel="telegram", total=35_000, ship_name="x",
            ship_address="Jl. Merdeka 1", ship_city="Bandung", created_at=at, updated_at=at,
        )  # fmt: skip
    return customer


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sweep_module, "BATCH", 3)


async def test_every_due_customer_is_queued_once_across_batches(
    store: str, texts: Texts, small_batches: None
):
    people = [await customer_who_ordered(i) for i in range(8)]
    outcomes = await sweep(NOW, NURTURE, RULES, texts)
    assert sorted(o.customer_id for o in outcomes if o.status == "queued") == [c.id for c in people]
    queued = await OutboxMessage.all().order_by("customer_id")
    assert [(m.customer_id, m.address) for m in queued] == [
        (c.id, str(1000 + i)) for i, c in enumerate(people)
    ]
    assert all(f"Halo Pelanggan {i}!" in m.body for i, m in enumerate(queued))
    assert await Contact.filter(by="campaign:nurture").count() == 8
    for c in people:
        await c.refresh_from_db()
        assert (c.last_contacted_at, c.last_contacted_by) == (NOW, "campaign:nurture")
    # A second sweep finds every event already queued, in every batch, and not sent
    # yet (nothing sent them): it says so, and queues nothing again.
    again = await sweep(NOW + timedelta(minutes=5), NURTURE, RULES, texts)
    until = NOW + RULES.cooldown
    assert {(o.status, o.why()) for o in again} == {
        (
            "waiting",
            f"queued before, not sent yet; cooldown: campaign:nurture at {NOW:%Y-%m-%d %H:%M}, "
            f"until {until:%Y-%m-%d %H:%M}",
        )
    }
    assert await OutboxMessage.all().count() == 8


async def test_two_orders_on_one_day_bring_one_message(store: str, texts: Texts):
    twice = await customer_who_ordered(1, orders=2)
    outcomes = await sweep(NOW, NURTURE, RULES, texts)
    assert [o.status for o in outcomes] == ["queued", "held"]
    until = NOW + RULES.cooldown
    assert outcomes[1].why() == (
        f"cooldown: campaign:nurture at {NOW:%Y-%m-%d %H:%M}, until {until:%Y-%m-%d %H:%M}"
    )
    assert await OutboxMessage.filter(customer_id=twice.id).count() == 1


async def test_a_batch_that_meets_another_instances_message_is_checked_again(
    store: str, texts: Texts, monkeypatch: pytest.MonkeyPatch
):
    people = [await customer_who_ordered(i) for i in range(3)]
    first_order = await Order.get(customer_id=people[0].id)
    real = sweep_module._reachable_chats
    raced = []

    async def another_instance_queues_first(ids: list[int]) -> Any:
        # Between this batch's check of the outbox and its insert, another instance
        # queues the first customer's message (and claims them).
        if not raced:
            raced.append(True)
            await OutboxMessage.create(
                channel="telegram", address="1000", customer_id=people[0].id, kind="marketing",
                body="dari instans lain", next_attempt_at=NOW,
                dedupe_key=f"nurture:order:{first_order.id}", created_at=NOW,
            )  # fmt: skip
        return await real(ids)

    monkeypatch.setattr(sweep_module, "_reachable_chats", another_instance_queues_first)
    outcomes = await sweep(NOW, NURTURE, RULES, texts)
    assert [(o.customer_id, o.status, o.why()) for o in outcomes] == [
        (people[0].id, "waiting", "queued before, not sent yet"),
        (people[1].id, "queued", ""),
        (people[2].id, "queued", ""),
    ]
    # The rolled-back attempt left no claim behind: one message, one contact each.
    assert await OutboxMessage.all().count() == 3
    assert await Contact.filter(customer_id=people[0].id).count() == 0
    assert sorted(await Contact.all().values_list("customer_id", flat=True)) == [
        people[1].id, people[2].id,
    ]  # fmt: skip


async def test_the_weekly_cap_in_a_batch_says_who_came_last_and_until_when(
    store: str, texts: Texts
):
    capped = await customer_who_ordered(1)
    free = await customer_who_ordered(2)
    for days, by in ((6, "Ani"), (4, "campaign:winback")):
        await Contact.create(customer_id=capped.id, by=by, kind="x", at=NOW - timedelta(days=days))
    await Customer.filter(id=capped.id).update(
        last_contacted_at=NOW - timedelta(days=4), last_contacted_by="campaign:winback"
    )
    dry = await sweep(NOW, NURTURE, RULES, texts, dry_run=True)
    real = await sweep(NOW, NURTURE, RULES, texts)
    until = NOW - timedelta(days=6) + timedelta(days=7)
    at = NOW - timedelta(days=4)
    reason = f"weekly cap: campaign:winback at {at:%Y-%m-%d %H:%M}, until {until:%Y-%m-%d %H:%M}"
    for outcomes, sent in ((dry, "would_send"), (real, "queued")):
        assert [(o.customer_id, o.status, o.why()) for o in outcomes] == [
            (capped.id, "held", reason),
            (free.id, sent, ""),
        ]
    assert await OutboxMessage.all().values_list("customer_id", flat=True) == [free.id]


async def test_a_message_queued_in_a_batch_is_in_the_log_once_sent(
    store: str, texts: Texts, driver: Any, fake_telegram: FakeTelegram
):
    customer = await customer_who_ordered(1)
    await sweep(NOW, NURTURE, RULES, texts)
    assert await Message.filter(direction="out").count() == 0  # queued, not yet sent
    await Dispatcher({"telegram": driver}, clock=lambda: NOW).run_once()
    received = fake_telegram.to(1001)[-1].text
    logged = await Message.get(direction="out", customer_id=customer.id)
    assert logged.body == received
    assert logged.status == "sent" and logged.external_id
    assert (await OutboxMessage.get(customer_id=customer.id)).status == "sent"


NURTURE_TEMPLATE = "HX" + "b" * 32


async def test_a_whatsapp_customer_past_the_window_gets_the_approved_template(
    store: str, fake_twilio: FakeTwilio, sleeps: Sleeps, tmp_path: Path
):
    (tmp_path / "whatsapp.toml").write_text(
        f'[campaign_nurture]\nid = "{NURTURE_TEMPLATE}"\n'
        'variables = ["customer.name", "order.id"]\n'
    )
    texts = Texts(tmp_path)
    siti = await customer_who_ordered(1, channel="whatsapp", address="+6281200000001")
    order = await Order.get(customer_id=siti.id)
    # Three days after her last message the 24-hour window is long closed.
    [outcome] = await sweep(NOW, NURTURE, RULES, texts)
    assert (outcome.status, outcome.channel) == ("queued", "whatsapp")
    whatsapp = make_channel(fake_twilio, sleeps, texts)
    await Dispatcher({"whatsapp": whatsapp}, clock=lambda: NOW).run_once()
    await whatsapp.close()
    [sent] = fake_twilio.to("+6281200000001")
    assert sent.content_sid == NURTURE_TEMPLATE and sent.body is None
    assert json.loads(sent.content_variables or "") == {"1": "Pelanggan 1", "2": str(order.id)}
    logged = await Message.get(direction="out", customer_id=siti.id)
    assert (logged.status, logged.external_id) == ("queued", sent.sid)


async def test_without_an_approved_template_a_whatsapp_customer_is_held_with_the_reason(
    store: str, fake_twilio: FakeTwilio, sleeps: Sleeps, texts: Texts
):
    await customer_who_ordered(1, channel="whatsapp", address="+6281200000001")
    [outcome] = await sweep(NOW, NURTURE, RULES, texts)
    assert (outcome.status, outcome.why()) == (
        "held", "needs_template: outside WhatsApp's 24-hour window",
    )  # fmt: skip
    assert await OutboxMessage.all().count() == 0


# A dispatcher's claim on another machine: taken as lost once older than five minutes.
ELSEWHERE = "another-machine:4242:0"


async def test_a_campaign_message_cut_off_mid_send_is_never_sent_again_by_itself(
    store: str, texts: Texts, driver: Any, fake_telegram: FakeTelegram
):
    """Telegram takes no idempotency key: a claim lost with its process may have been
    sent. An offer is then marked unknown (for a person to decide), never sent twice."""
    await customer_who_ordered(1)
    await sweep(NOW, NURTURE, RULES, texts)
    # A dispatcher on another machine takes the message and dies during its send.
    taken = await take_next(NOW)
    assert taken is not None and taken.status == "sending"
    await OutboxMessage.filter(id=taken.id).update(claimed_by=ELSEWHERE)
    # A minute later another dispatcher leaves it alone: the first may still be sending.
    later = NOW + timedelta(minutes=1)
    assert await Dispatcher({"telegram": driver}, clock=lambda: later).run_once() == 0
    assert (await OutboxMessage.get()).status == "sending"
    # Once the claim is stale, it is not sent again: its outcome is unknown.
    stale = NOW + timedelta(minutes=6)
    assert await Dispatcher({"telegram": driver}, clock=lambda: stale).run_once() == 0
    assert fake_telegram.to(1001) == []
    row = await OutboxMessage.get()
    assert row.status == "unknown" and "may or may not have arrived" in (row.error or "")
    # The dead claim can no longer end the message: its token is spent.
    assert not await finish(taken, "sent", stale)
    # And the next sweep says so, rather than "already sent" or queueing it again.
    [again] = await sweep(stale, NURTURE, RULES, texts)
    assert again.status == "held" and again.why().startswith("its send was cut off")
    assert await OutboxMessage.all().count() == 1


async def test_a_service_message_cut_off_mid_send_goes_again(
    store: str, texts: Texts, driver: Any, fake_telegram: FakeTelegram
):
    """An order's news is sent at least once: a claim lost with its process is taken
    back and sent, once."""
    await customer_who_ordered(1)
    await enqueue("telegram", "1001", "Pesanan Anda sudah dikirim", NOW, service=Service.ANSWER)
    taken = await take_next(NOW)
    assert taken is not None
    await OutboxMessage.filter(id=taken.id).update(claimed_by=ELSEWHERE)
    later = NOW + timedelta(minutes=1)
    assert await Dispatcher({"telegram": driver}, clock=lambda: later).run_once() == 0
    stale = NOW + timedelta(minutes=6)
    assert await Dispatcher({"telegram": driver}, clock=lambda: stale).run_once() == 1
    assert await Dispatcher({"telegram": driver}, clock=lambda: stale).run_once() == 0
    assert [m.text for m in fake_telegram.to(1001)] == ["Pesanan Anda sudah dikirim"]
    row = await OutboxMessage.get()
    assert (row.status, row.attempts) == ("sent", 2)
    assert not await finish(taken, "failed", stale, "late")
    assert (await OutboxMessage.get()).status == "sent"


async def test_a_campaign_for_one_segment_reaches_only_that_segment(store: str, texts: Texts):
    newcomer = await customer_who_ordered(1)  # one order, three days ago: "new"
    regular = await customer_who_ordered(2, orders=5)  # five orders, recent: "champions"
    for_new = [Campaign("welcome", "nurture", "campaign_nurture", 3, segment="new")]
    outcomes = await sweep(NOW, for_new, RULES, texts)
    held = "not in segment new (in champions)"
    assert [(o.customer_id, o.status, o.why()) for o in outcomes] == [
        (newcomer.id, "queued", ""),
        *[(regular.id, "held", held)] * 5,
    ]
    assert await OutboxMessage.all().values_list("customer_id", flat=True) == [newcomer.id]


async def test_a_customer_erased_after_the_sweep_is_sent_nothing(
    store: str, texts: Texts, driver: Any, fake_telegram: FakeTelegram
):
    budi = await customer_who_ordered(1)
    [outcome] = await sweep(NOW, NURTURE, RULES, texts)
    assert outcome.status == "queued"
    later = NOW + timedelta(minutes=1)
    await erase_customer(budi, later, reason="asked in chat", agent=None, actor="cli")
    # A message queued for them afterwards (an order's news, say) is stopped at the door.
    await enqueue("telegram", "1001", "Pesanan dikirim", later, service=Service.ANSWER,
                  customer_id=budi.id)  # fmt: skip
    await Dispatcher({"telegram": driver}, clock=lambda: later).run_once()
    assert fake_telegram.to(1001) == []
    reasons = await OutboxMessage.filter(kind="service").values_list("status", "error")
    assert reasons == [("cancelled", "the customer's data was erased since it was queued")]
    assert await OutboxMessage.filter(status="sent").count() == 0
    # And no later sweep claims them again.
    assert all(o.status == "held" for o in await sweep(later, NURTURE, RULES, texts))
    assert await OutboxMessage.filter(kind="marketing").count() == 1


async def test_the_first_sweep_after_deploying_reaches_the_long_quiet_a_few_a_day(
    store: str, texts: Texts, small_batches: None
):
    """Win-backs now reach customers however long ago they last ordered, so on the first
    day every quiet customer is due: at most the campaign's per_day go out in 24 hours,
    the most recently lapsed first, and the rest on the days after."""
    winback = [Campaign("winback", "winback", "campaign_winback", 60, per_day=4)]
    quiet = {
        days: await customer_who_ordered(days, ordered=NOW - timedelta(days=days))
        for days in (400, 61, 200, 90, 75, 365, 120)
    }
    await customer_who_ordered(30, ordered=NOW - timedelta(days=30))  # not quiet long enough

    async def reached() -> list[int]:
        ids = await OutboxMessage.filter(kind="marketing").values_list("customer_id", flat=True)
        days = {c.id: d for d, c in quiet.items()}
        return sorted((days[i] for i in ids), reverse=True)  # type: ignore[index]

    await sweep(NOW, winback, RULES, texts)
    assert await reached() == [120, 90, 75, 61]
    await sweep(NOW + timedelta(hours=6), winback, RULES, texts)  # 16:00 in Jakarta
    assert await reached() == [120, 90, 75, 61]  # the day's four are spent
    await sweep(NOW + timedelta(days=1, minutes=5), winback, RULES, texts)
    assert await reached() == [400, 365, 200, 120, 90, 75, 61]


async def test_with_two_winbacks_the_long_quiet_get_the_longer_one_alone(store: str, texts: Texts):
    """A 60-day and a 180-day win-back: someone quiet for 200 days is due both, and is
    sent the 180-day one, not the 60-day one first and the other three days later."""
    campaigns = [
        Campaign("winback", "winback", "campaign_winback", 60),
        Campaign("kangen", "winback", "campaign_winback", 180, voucher="BALIK20"),
    ]
    long_quiet = await customer_who_ordered(1, ordered=NOW - timedelta(days=200))
    lately = await customer_who_ordered(2, ordered=NOW - timedelta(days=70))
    for later in (timedelta(0), timedelta(days=4), timedelta(days=8)):  # cooldowns pass
        await sweep(NOW + later, campaigns, RULES, texts)
    sent = await OutboxMessage.all().order_by("customer_id").values_list("customer_id", "body")
    assert [(cid, "BALIK20" in body) for cid, body in sent] == [
        (long_quiet.id, True), (lately.id, False),
    ]  # fmt: skip


async def test_a_winback_sent_before_upgrading_is_not_sent_again(store: str, texts: Texts):
    """On the first sweep after the upgrade, a customer who had their win-back for this
    quiet spell under the old 60-to-67-day rule is found in the outbox, not sent another."""
    budi = await customer_who_ordered(1, ordered=NOW - timedelta(days=65))
    assert budi.last_order_at is not None
    await OutboxMessage.create(
        channel="telegram", address="1001", customer_id=budi.id, kind="marketing",
        body="Halo Pelanggan 1, sudah lama tidak mampir!", next_attempt_at=NOW, status="sent",
        dedupe_key=f"winback:{budi.id}:{budi.last_order_at:%Y%m%d%H%M%S}", created_at=NOW,
    )  # fmt: skip
    winback = [Campaign("winback", "winback", "campaign_winback", 60)]
    first = await sweep(NOW + timedelta(days=1), winback, RULES, texts)
    assert [(o.status, o.why()) for o in first] == [("held", "already sent for this event")]
    assert await sweep(NOW + timedelta(days=2), winback, RULES, texts) == []
    assert await OutboxMessage.filter(customer_id=budi.id).count() == 1
