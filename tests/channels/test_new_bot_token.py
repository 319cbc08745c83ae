"""A shop that moves to a new Telegram bot (a new TELEGRAM_BOT_TOKEN) on a store with
history. Telegram numbers a bot's messages per chat, and a new bot starts again at 1:
the message log once named sent messages ``chat:message`` only, so the new bot's first
replies met the old bot's ids and `langgan sweep` ended in "UNIQUE constraint failed:
message.channel, message.direction, message.external_id". Both drivers, against two
fake Bot API servers, one per bot; the store's older rows are rewritten to the old form,
as a store from before the change holds them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from bot.cli.main import _sweep
from bot.dispatcher import Dispatcher
from bot.settings import Settings
from bot.telegram.aiogram_driver import AiogramDriver
from bot.telegram.ptb_driver import PtbDriver
from crm_core.models import Message, Order, OutboxMessage, Ticket
from crm_core.staff.agents import add_agent
from tests.fakes.telegram_api import (
    SECOND_BOT,
    SECOND_TOKEN,
    TOKEN,
    FakeTelegram,
    Sent,
    handled,
    message_update,
)
from tests.support.chat import START
from tests.support.shop_catalog import add_catalog, shop_engine
from tests.support.sleeps import Sleeps

BUDI, ANI = 5001, 9001
OLD, NEW = "123456", "654321"  # the two bots' ids: the numbers before their tokens' colons


class ShopBot:
    """One bot: a driver of the library under test and the fake Bot API it talks to,
    on a clock the test sets (the dispatcher's and Telegram's agree)."""

    def __init__(self, kind: str, fake: FakeTelegram, token: str, sleeps: Sleeps) -> None:
        cls = AiogramDriver if kind == "aiogram" else PtbDriver
        channel = cls(token, fake.url, sleep=sleeps, clock=sleeps.clock)
        self.driver = channel.receive_with(shop_engine())
        self.fake = fake

    async def say(self, user: int, text: str | None, at: datetime, **fields: Any) -> str:
        """``user`` writes at ``at``; what the bot answered them."""
        before = len(self.fake.to(user))
        self.fake.clock = at.timestamp
        update = message_update(user, text, date=int(at.timestamp()), **fields)
        await handled(self.driver, update)
        return "\n".join(s.text for s in self.fake.to(user)[before:])

    async def dispatch(self, at: datetime) -> None:
        self.fake.clock = at.timestamp
        await Dispatcher({"telegram": self.driver}, clock=lambda: at).run_once()


@pytest.fixture(params=["aiogram", "ptb"])
async def bots(
    request: pytest.FixtureRequest, store: str, sleeps: Sleeps
) -> AsyncIterator[tuple[str, ShopBot, ShopBot]]:
    """The shop's old bot and its new one, each on its own fake Bot API."""
    await add_catalog()
    old_api = await FakeTelegram().start()
    new_api = await FakeTelegram(token=SECOND_TOKEN, bot=dict(SECOND_BOT)).start()
    old = ShopBot(request.param, old_api, TOKEN, sleeps)
    new = ShopBot(request.param, new_api, SECOND_TOKEN, sleeps)
    yield request.param, old, new
    for bot in (old, new):
        await bot.driver.close()
        await bot.fake.stop()


async def as_before_bot_ids() -> set[str]:
    """The old bot's sent messages as the log named them before ids named the bot:
    ``chat:message``. Returns those ids."""
    rows = Message.filter(channel="telegram", direction="out", external_id__startswith=f"{OLD}:")
    for row in await rows:
        await Message.filter(id=row.id).update(external_id=row.external_id.split(":", 1)[1])
    ids = Message.filter(channel="telegram", direction="out", external_id__not_isnull=True)
    return {i for i in await ids.values_list("external_id", flat=True) if i.count(":") == 1}


def quoting(sent: Sent, bot_id: str) -> dict[str, Any]:
    """A Telegram reply to the bot's message ``sent``, as Telegram quotes it."""
    return {
        "message_id": sent.message_id,
        "date": sent.date,
        "chat": {"id": sent.chat_id, "type": "private"},
        "from": {"id": int(bot_id), "is_bot": True, "first_name": "Toko"},
        "text": sent.text,
    }


ORDER = ("/start", "Ya, boleh", "Budi", "Bandung", "Lewati", "kaos polos hitam L 2",
         "Jl. Merdeka No. 10, Sumur Bandung", "0812-3456-7890", "ya")  # fmt: skip


async def test_the_new_bot_answers_sends_and_sweeps_on_the_old_bots_history(
    bots: tuple[str, ShopBot, ShopBot],
):
    kind, old, new = bots
    for second, text in enumerate(ORDER):
        await old.say(BUDI, text, START + timedelta(seconds=second))
    assert await Order.exists()
    history = await as_before_bot_ids()
    assert f"{BUDI}:1" in history and f"{BUDI}:2" in history

    # The new bot numbers its messages in Budi's chat from 1 again.
    answer = await new.say(BUDI, "menu", START + timedelta(hours=1))
    assert answer and new.fake.to(BUDI)[0].message_id == 1
    mine = await Message.filter(direction="out", external_id__startswith=f"{NEW}:").order_by("id")
    assert [(m.external_id, m.status) for m in mine] == [
        (f"{NEW}:{BUDI}:{i}", "sent") for i in range(1, len(new.fake.to(BUDI)) + 1)
    ]

    # Three days after the order, the sweep's follow-up goes out through the new bot.
    settings = Settings.from_mapping(
        {"TELEGRAM_BOT_TOKEN": SECOND_TOKEN, "TELEGRAM_API_URL": new.fake.url,
         "TELEGRAM_DRIVER": kind}
    )  # fmt: skip
    sweep_at = START + timedelta(days=3, hours=1)
    new.fake.clock = sweep_at.timestamp
    before = len(new.fake.to(BUDI))
    assert await _sweep(settings, sweep_at, dry_run=False) == 0
    followed_up = new.fake.to(BUDI)[before:]
    assert len(followed_up) == 1
    assert (await OutboxMessage.get(kind="marketing")).status == "sent"
    logged = await Message.get(external_id=f"{NEW}:{BUDI}:{followed_up[0].message_id}")
    assert logged.status == "sent" and logged.body == followed_up[0].text
    assert history <= await as_before_bot_ids()  # the old bot's rows are all still there
    assert not await Message.filter(external_id__contains="token").exists()  # no secret


async def test_an_agents_reply_finds_the_relayed_message_before_and_after_the_new_bot(
    bots: tuple[str, ShopBot, ShopBot],
):
    _, old, new = bots
    await add_agent("Ani", START, telegram_id=ANI)
    for second, text in enumerate(("/start", "Ya", "Budi Santoso", "Bandung", "Lewati")):
        await old.say(BUDI, text, START + timedelta(seconds=second))
    assert "teruskan ke tim kami" in await old.say(BUDI, "kak kaosnya sobek 😭", START)
    await old.dispatch(START + timedelta(minutes=1))
    await old.say(BUDI, "gimana ini kak", START + timedelta(minutes=2))
    await old.dispatch(START + timedelta(minutes=3))
    relayed_by_old = old.fake.to(ANI)[-1]
    assert relayed_by_old.text.endswith("gimana ini kak")

    # The same bot, after the upgrade: the relay's row is in the old form, and Ani's
    # reply to it still reaches Budi.
    await as_before_bot_ids()
    said = await old.say(
        ANI, "Maaf kak, kami kirim gantinya", START + timedelta(minutes=4),
        reply_to_message=quoting(relayed_by_old, OLD),
    )  # fmt: skip
    assert "masuk antrean" in said
    await old.dispatch(START + timedelta(minutes=5))
    assert old.fake.to(BUDI)[-1].text == "Maaf kak, kami kirim gantinya"
    history = await as_before_bot_ids()
    assert f"{ANI}:{relayed_by_old.message_id}" in history

    # The next day the shop runs its new bot. A message of the new bot that the log
    # does not know (a chart, say) with the number of the old bot's relay is not taken
    # for it: the old relay went out a day before the quoted message did.
    day = START + timedelta(days=1)
    unknown = Sent(ANI, "📊", None, None, relayed_by_old.message_id, int(day.timestamp()))
    said = await new.say(ANI, "ini untuk siapa?", day, reply_to_message=quoting(unknown, NEW))
    assert "bukan pesan pelanggan yang diteruskan" in said
    assert new.fake.to(BUDI) == []

    # Budi writes again: relayed by the new bot, whose numbers start again; Ani's
    # reply to it reaches Budi through the new bot.
    await new.say(BUDI, "kak kapan dikirim?", day + timedelta(minutes=1))
    await new.dispatch(day + timedelta(minutes=2))
    relayed_by_new = new.fake.to(ANI)[-1]
    assert relayed_by_new.text.endswith("kak kapan dikirim?")
    assert f"{ANI}:{relayed_by_new.message_id}" in history  # the old bot used it too
    said = await new.say(
        ANI, "Besok sampai kak", day + timedelta(minutes=3),
        reply_to_message=quoting(relayed_by_new, NEW),
    )  # fmt: skip
    assert "masuk antrean" in said
    await new.dispatch(day + timedelta(minutes=4))
    assert new.fake.to(BUDI)[-1].text == "Besok sampai kak"
    assert (await Ticket.get()).status == "open"
    failed = await Message.filter(direction="out", status="failed").count()
    assert failed == 0


async def test_the_new_bots_update_ids_may_repeat_the_old_ones(
    bots: tuple[str, ShopBot, ShopBot],
):
    """Update ids are each bot's own: the new bot's first update may carry an id the
    old bot used, and it is still a new message, answered, not dropped as seen."""
    _, old, new = bots
    await old.say(BUDI, "/start", START, update_id=777)
    answer = await new.say(BUDI, "halo", START + timedelta(hours=1), update_id=777)
    assert answer
    assert await Message.filter(direction="in").count() == 2
