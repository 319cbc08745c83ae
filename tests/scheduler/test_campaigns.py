"""Campaigns: each trigger, once per event, every refusal, and the sweep command."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.conversation.engine import Engine
from bot.dispatcher import Dispatcher
from crm_core.errors import SettingsError
from crm_core.models import Customer, CustomerTag, OutboxMessage
from crm_core.outreach.contact_policy import Rules
from crm_core.staff.agents import add_agent
from message_templates import Texts
from scheduler.campaigns import load_campaigns
from scheduler.sweep import sweep
from tests.fakes.telegram_api import FakeTelegram
from tests.support.chat import Chat

RULES = Rules()


@pytest.fixture
def texts() -> Texts:
    return Texts()


@pytest.fixture
def campaigns(texts: Texts) -> list[Any]:
    return load_campaigns(None, texts)


async def ordered(chat: Chat, name: str = "Budi Santoso") -> Customer:
    await chat.onboard(name=name)
    await chat.to_confirmation("kaos hitam L 1")
    await chat.send("ya")
    await chat.send("lewati")
    return await Customer.get(name=name)


async def test_nurture_three_days_after_an_order_then_the_cooldown_holds(
    engine: Engine, chat: Chat, campaigns: list[Any], texts: Texts, driver: Any,
    fake_telegram: FakeTelegram,
):  # fmt: skip
    await ordered(chat)
    early = await sweep(chat.now + timedelta(days=2), campaigns, RULES, texts)
    assert [o for o in early if o.status == "queued"] == []
    day3 = chat.now + timedelta(days=3, minutes=1)
    outcomes = await sweep(day3, campaigns, RULES, texts)
    assert [(o.campaign, o.status) for o in outcomes] == [("nurture", "queued")]
    await Dispatcher({"telegram": driver}, clock=lambda: day3).run_once()
    assert "Pesanan INV-2026-0001 sudah sampai?" in fake_telegram.to(1001)[-1].text
    again = await sweep(day3 + timedelta(minutes=5), campaigns, RULES, texts)
    # Held, with the cooldown that message started: by whom, and until when.
    until = day3 + RULES.cooldown
    assert [o.why() for o in again] == [
        f"already sent for this event; cooldown: campaign:nurture at {day3:%Y-%m-%d %H:%M}, "
        f"until {until:%Y-%m-%d %H:%M}"
    ]

    # An agent's /kirim right after is refused by the same gate, with who and until when.
    await add_agent("Ani", chat.now, telegram_id=9001)
    ani = Chat(engine, sender="9001", telegram_id=9001)
    ani.now = day3 + timedelta(hours=1)
    await ani.send("/kirim budi: halo")
    assert "campaign:nurture sudah menghubunginya" in ani.text


async def test_winback_after_sixty_quiet_days_names_what_they_bought(
    engine: Engine, chat: Chat, campaigns: list[Any], texts: Texts
):
    await ordered(chat)
    other = Chat(engine, sender="2002", telegram_id=2002, display_name="Siti")
    await other.onboard(name="Siti")
    await other.to_confirmation("kaos hitam L 1", phone="0813-2222-3333")
    await other.send("ya")
    await other.send("lewati")
    await other.send("hijab voal mocca 2")
    await other.send("ya")
    day60 = chat.now + timedelta(days=60, hours=1)
    outcomes = [
        o for o in await sweep(day60, campaigns, RULES, texts) if o.customer == "Budi Santoso"
    ]
    assert [(o.campaign, o.status) for o in outcomes] == [("winback", "queued")]
    budi = await Customer.get(name="Budi Santoso")
    body = (await OutboxMessage.get(dedupe_key__startswith="winback", customer_id=budi.id)).body
    assert "Kaos Polos" in body and "Hijab Voal" in body  # bought, and what Siti also bought


async def winbacks_to(customer: Customer) -> list[str]:
    return list(
        await OutboxMessage.filter(customer_id=customer.id, dedupe_key__startswith="winback:")
        .order_by("id")
        .values_list("body", flat=True)
    )


async def test_a_customer_quiet_for_200_days_gets_one_winback_per_dormant_spell(
    chat: Chat, campaigns: list[Any], texts: Texts
):
    """Only customers whose last order was 60 to 67 days old were ever due: a customer
    whose last order was 200 days back (imported, or the service was off) never got one."""
    budi = await ordered(chat)
    day200 = chat.now + timedelta(days=200)
    outcomes = await sweep(day200, campaigns, RULES, texts)
    assert [(o.campaign, o.customer, o.status) for o in outcomes] == [
        ("winback", "Budi Santoso", "queued")
    ]
    [message] = await winbacks_to(budi)
    assert "sudah lama tidak mampir" in message and "Kaos Polos" in message

    # The next sweep, and the next week's, send nothing more: it was this spell's.
    for later in (timedelta(minutes=5), timedelta(days=7)):
        await sweep(day200 + later, campaigns, RULES, texts)
    assert len(await winbacks_to(budi)) == 1

    # A new order ends the spell; 60 quiet days after it, a new one has begun.
    chat.now = day200 + timedelta(days=8)
    await chat.send("tote bag 1")
    await chat.send("ya")
    assert "Pesanan INV-2027-0001" in chat.text  # a new year, a new series
    await sweep(chat.now + timedelta(days=59), campaigns, RULES, texts)
    assert len(await winbacks_to(budi)) == 1  # not dormant yet
    await sweep(chat.now + timedelta(days=60, minutes=5), campaigns, RULES, texts)
    _, second = await winbacks_to(budi)
    assert "Tote Bag Kanvas" in second  # what they bought last, this time


async def test_no_winback_for_someone_who_is_talking_to_us(
    chat: Chat, campaigns: list[Any], texts: Texts
):
    await ordered(chat)
    chat.now += timedelta(days=58)
    await chat.send("menu")
    outcomes = await sweep(chat.now + timedelta(days=2, hours=1), campaigns, RULES, texts)
    assert [o.why() for o in outcomes if o.campaign == "winback"] == [
        "wrote to us in the last 7 days"
    ]


async def test_loyalty_on_the_fifth_order(chat: Chat, campaigns: list[Any], texts: Texts):
    await ordered(chat)
    for _ in range(4):
        await chat.send("tote bag 1")
        await chat.send("ya")
    assert (await Customer.get()).orders_count == 5
    outcomes = await sweep(chat.now + timedelta(hours=1), campaigns, RULES, texts)
    assert [(o.campaign, o.status) for o in outcomes] == [("loyalty", "queued")]
    assert "pesanan Anda yang ke-5" in (await OutboxMessage.get()).body


async def test_unfinished_order_gets_one_reminder(chat: Chat, campaigns: list[Any], texts: Texts):
    await chat.onboard()
    await chat.send("pesan")
    await chat.send("kaos polos")
    later = chat.now + timedelta(hours=24, minutes=5)
    first = await sweep(later, campaigns, RULES, texts)
    assert [(o.campaign, o.status) for o in first] == [("unfinished", "queued")]
    second = await sweep(later + timedelta(days=4), campaigns, RULES, texts)
    assert [(o.status, o.why()) for o in second] == [("waiting", "queued before, not sent yet")]


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"blacklisted": True}, "blacklisted"),
        ({"consent_marketing": False}, "no consent to offers"),
    ],
)
async def test_refusals_are_held_with_the_reason(
    chat: Chat, campaigns: list[Any], texts: Texts, change: dict[str, Any], reason: str
):
    customer = await ordered(chat)
    await Customer.filter(id=customer.id).update(**change)
    outcomes = await sweep(chat.now + timedelta(days=3, minutes=1), campaigns, RULES, texts)
    assert [o.why() for o in outcomes] == [reason]
    assert await OutboxMessage.filter(kind="marketing").count() == 0


async def test_stop_ends_all_of_it(chat: Chat, campaigns: list[Any], texts: Texts):
    await ordered(chat)
    await chat.send("STOP")
    for days in (3, 60):
        outcomes = await sweep(chat.now + timedelta(days=days, minutes=1), campaigns, RULES, texts)
        assert all(o.status == "held" for o in outcomes)
    assert await OutboxMessage.filter(kind="marketing").count() == 0


async def test_quiet_hours_defer_a_campaign_to_the_next_sweep(
    chat: Chat, campaigns: list[Any], texts: Texts
):
    await ordered(chat)
    # START is 10:00 in Jakarta; 3 days and 12 hours later is 22:00, inside quiet hours.
    night = chat.now + timedelta(days=3, hours=12)
    outcomes = await sweep(night, campaigns, RULES, texts)
    assert outcomes[0].status == "held" and outcomes[0].why().startswith("quiet hours until")
    morning = chat.now + timedelta(days=3, hours=22, minutes=30)  # 08:30 the next day
    assert [o.status for o in await sweep(morning, campaigns, RULES, texts)] == ["queued"]


async def test_a_dry_run_sends_nothing_and_says_why(chat: Chat, campaigns: list[Any], texts: Texts):
    await ordered(chat)
    outcomes = await sweep(
        chat.now + timedelta(days=3, minutes=1), campaigns, RULES, texts, dry_run=True
    )
    assert [o.status for o in outcomes] == ["would_send"]
    assert await OutboxMessage.filter(kind="marketing").count() == 0
    assert (await Customer.get()).last_contacted_at is None


async def test_a_campaign_limited_to_a_tag(chat: Chat, texts: Texts, tmp_path: Path):
    path = tmp_path / "campaigns.toml"
    path.write_text('[vip_nurture]\nkind = "nurture"\ntemplate = "campaign_nurture"\n'
                    'days_after_order = 3\ntag = "vip"\n')  # fmt: skip
    campaigns = load_campaigns(path, texts)
    customer = await ordered(chat)
    day3 = chat.now + timedelta(days=3, minutes=1)
    assert [o.why() for o in await sweep(day3, campaigns, RULES, texts)] == ["no tag vip"]
    await CustomerTag.create(customer=customer, name="vip", created_at=chat.now)
    assert [o.status for o in await sweep(day3, campaigns, RULES, texts)] == ["queued"]


NURTURE = 'kind = "nurture"\ntemplate = "campaign_nurture"\ndays_after_order = 3\n'
BAD_FILES = [
    ('[a]\nkind = "nurture"\ntemplate = "nope"\ndays_after_order = 3\n',
     ":1 [a]: there is no template “nope”"),
    ('\n[b]\nkind = "winback"\ntemplate = "campaign_winback"\ndays_without_order = 0\n',
     ":2 [b]: days_without_order must be a whole number above 0"),
    ('[c]\nkind = "loyalty"\ntemplate = "campaign_loyalty"\nnth_order = 5\nsegment = "VIP"\n',
     "unknown segment “VIP”; choose one of champions, loyal"),
    ('[d]\nkind = "birthday"\n', "kind must be one of"),
    ("[e]\n" + NURTURE + "every = 2\n", "unknown setting every"),
    ("[f\n", "campaigns.toml"),
    ("[g]\n" + NURTURE + "per_day = 50\n", "per_day limits win-back campaigns only"),
    ('[h]\nkind = "winback"\ntemplate = "campaign_winback"\ndays_without_order = 60\n'
     "per_day = 0\n", "per_day must be a whole number from 1 to 10000"),
]  # fmt: skip


def test_a_campaign_may_target_a_segment(tmp_path: Path, texts: Texts):
    path = tmp_path / "campaigns.toml"
    path.write_text('[back]\nkind = "winback"\ntemplate = "campaign_winback"\n'
                    'days_without_order = 60\nsegment = "at_risk"\n')  # fmt: skip
    [campaign] = load_campaigns(path, texts)
    assert campaign.segment == "at_risk"


@pytest.mark.parametrize(("content", "problem"), BAD_FILES)
def test_a_bad_campaigns_file_names_file_line_and_problem(
    tmp_path: Path, texts: Texts, content: str, problem: str
):
    path = tmp_path / "campaigns.toml"
    path.write_text(content)
    with pytest.raises(SettingsError, match=r"campaigns\.toml") as caught:
        load_campaigns(path, texts)
    assert problem in str(caught.value)


def test_a_template_that_does_not_fit_its_campaign_is_refused_at_start_up(
    tmp_path: Path, texts: Texts
):
    """A loyalty campaign with the nurture text (which needs an order) passed the check
    and then failed every sweep."""
    path = tmp_path / "campaigns.toml"
    path.write_text('[vip]\nkind = "loyalty"\ntemplate = "campaign_nurture"\nnth_order = 1\n')
    with pytest.raises(SettingsError, match="does not fit a loyalty campaign"):
        load_campaigns(path, texts)


async def test_loyalty_names_the_real_count(chat: Chat, campaigns: list[Any], texts: Texts):
    await ordered(chat)
    for _ in range(5):
        await chat.send("tote bag 1")
        await chat.send("ya")
    await sweep(chat.now + timedelta(hours=1), campaigns, RULES, texts)
    assert "pesanan Anda yang ke-6" in (await OutboxMessage.get()).body
