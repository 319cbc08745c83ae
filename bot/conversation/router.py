"""Where a message goes: the step the customer is on, and what the message says.

The step gets first say over a tapped button or a typed number, and over the answer it
asked for (a name, an address). Otherwise what the message says decides: a request or a
question is served wherever the customer is, and the step's question is asked again;
a change of mind inside an order changes the order; and what the bot cannot read is
said once, with suggestions, and handed to a person on the second miss in a row."""

from __future__ import annotations

import re

from bot.conversation import after_sale, handoff, menu, onboarding, ordering, privacy, profile
from bot.conversation.questions import answer
from bot.conversation.states import State
from bot.conversation.turn import Turn, pick
from bot.understanding import QUESTIONS, Intent, Reading
from bot.understanding.understanding import OPT_OUT_WHEN_IDLE
from crm_core.customers.records import set_opted_out
from crm_core.sales.catalog import parse_quantity

# Served wherever the customer is; the step's question is then asked again.
ANYWHERE = {
    Intent.OPT_OUT_ASK, Intent.OPT_IN, Intent.LANG_EN, Intent.LANG_ID, Intent.HELP,
    Intent.DATA_ACCESS, Intent.DATA_ERASURE, Intent.MY_ORDERS, Intent.ORDER_STATUS,
    Intent.CANCEL_ORDER, Intent.PAYMENT_SENT, Intent.PERSON, Intent.COMPLAINT, Intent.CANCEL,
    Intent.MENU, Intent.THANKS, Intent.CATALOG, Intent.UPDATE, Intent.ORDER, Intent.START,
    *QUESTIONS,
}  # fmt: skip
# Answered with the menu again when nothing is in progress, as the menu's own words are.
MENU_AFTER = {
    Intent.OPT_IN, Intent.LANG_EN, Intent.LANG_ID, Intent.HELP, Intent.DATA_ACCESS,
    Intent.DATA_ERASURE, Intent.MY_ORDERS,
}  # fmt: skip
# A plain answer to a yes-or-no step, whatever else its words could mean.
ANSWERS = {Intent.YES, Intent.NO, Intent.UNKNOWN, Intent.THANKS, Intent.SMALL_TALK, Intent.CANCEL,
           Intent.CANCEL_ORDER, Intent.GREETING}  # fmt: skip
# A step that asks for free text (a name, an address) gives way only to these, and only
# when the message is nothing else ("menu", "batal") or plainly asks something.
FREE_TEXT_GIVES_WAY = {
    Intent.OPT_OUT_ASK, Intent.LANG_EN, Intent.LANG_ID, Intent.HELP, Intent.MENU,
    Intent.CANCEL, Intent.PERSON, Intent.GREETING, Intent.DATA_ACCESS, Intent.DATA_ERASURE,
    Intent.MY_ORDERS, Intent.ORDER_STATUS, Intent.THANKS, Intent.ORDER, Intent.START,
    Intent.CATALOG,
}  # fmt: skip
PLAIN_REQUESTS = {
    Intent.PERSON, Intent.LANG_EN, Intent.LANG_ID, Intent.DATA_ACCESS, Intent.DATA_ERASURE,
    Intent.OPT_OUT_ASK, Intent.MY_ORDERS, Intent.ORDER_STATUS,
}  # fmt: skip
EDITS = {Intent.CHANGE, Intent.ORDER, Intent.ADD, Intent.REMOVE}
# What a suggested button does.
BUTTONS = {
    "btn_order": Intent.ORDER,
    "btn_my_orders": Intent.MY_ORDERS,
    "btn_update": Intent.UPDATE,
    "btn_help": Intent.HELP,
    "btn_person": Intent.PERSON,
}
SUGGESTED = {
    Intent.ORDER: "btn_order", Intent.CATALOG: "btn_order", Intent.ADD: "btn_order",
    Intent.MY_ORDERS: "btn_my_orders", Intent.ORDER_STATUS: "btn_my_orders",
    Intent.CANCEL_ORDER: "btn_my_orders", Intent.UPDATE: "btn_update", Intent.HELP: "btn_help",
    Intent.FAQ: "btn_help", Intent.PERSON: "btn_person", Intent.COMPLAINT: "btn_person",
}  # fmt: skip
MISSES_BEFORE_A_PERSON = 2
# Words that ask, and words that only an address has: at a free-text step a question
# without a "?" gives way only when it has the first and none of the second.
ASKING_WORDS = {"berapa", "brp", "brapa", "gimana", "gmn", "bagaimana", "kapan", "kpn", "apakah",
                "bisa", "bs", "how", "what", "when", "can", "ongkir", "harga", "hrg"}  # fmt: skip
ADDRESS_WORDS = {"jl", "jln", "jalan", "gg", "gang", "blok", "rt", "rw", "no", "nomor", "komplek",
                 "perum", "perumahan", "kel", "kec", "kelurahan", "kecamatan", "desa", "dusun",
                 "kav", "lantai", "apartemen", "ruko"}  # fmt: skip
OPTION_STEPS = {"order_product", "order_colour", "order_size", "order_quantity"}


def state_of(turn: Turn) -> State:
    return turn.flows.state(turn.state)


async def respond(turn: Turn) -> None:
    reading = turn.reading
    assert reading is not None
    step = state_of(turn)
    if reading.intent is Intent.OPT_OUT:
        if turn.text.casefold().strip(" .!,~*_-?") in OPT_OUT_WHEN_IDLE and step.in_flow:
            await act(turn, Reading(Intent.CANCEL))
            return
        await opt_out(turn)
        return
    if turn.state == "idle" and (chosen := _button(turn)) is not None:
        await act(turn, Reading(chosen))
        return
    if _picks_shown(turn) or (step.yes_no and reading.intent in ANSWERS):
        await step.answer(turn)
        return
    if turn.state == "order_quantity" and _just_a_number(turn, reading):
        await step.answer(turn)  # "-5", "0": the step says what is wrong with it
        return
    if step.free_text and not _gives_way(reading, turn.text):
        await step.answer(turn)
        return
    if turn.state in ("new", "consent"):
        await _before_consent(turn, reading)
        return
    if (
        turn.state in OPTION_STEPS
        and reading.intent is Intent.COMPLAINT
        and (reading.strength < 2 and _names_an_option(turn))
    ):
        # "yang L aja takut kekecilan": a worry about the choice, not a complaint.
        reading = Reading(Intent.UNKNOWN)
        turn.reading = reading
    if ordering.in_order(turn.state) and reading.intent is Intent.ORDER and not reading.items:
        await step.answer(turn)  # "pesan" at the confirmation: order it
        return
    if ordering.in_order(turn.state) and reading.intent is Intent.CANCEL:
        if await ordering.drop_current(turn, reading):
            return  # "yang ini ga jadi": this item, not the whole basket
    if ordering.in_order(turn.state) and reading.intent in EDITS:
        if reading.intent is not Intent.ORDER or reading.items:
            await ordering.edit(turn, reading)
            return
    if turn.state != "idle" and reading.intent not in ANYWHERE:
        await step.answer(turn)
        return
    await act(turn, reading)


async def opt_out(turn: Turn) -> None:
    if turn.customer.opted_out_at is None:
        await set_opted_out(turn.customer, True, turn.text, turn.inbound.channel, turn.now)
    turn.say("opted_out")


async def act(turn: Turn, reading: Reading) -> None:
    """Do what the message asks, then (inside a flow) ask the step's question again."""
    intent = reading.intent
    in_flow = state_of(turn).in_flow
    c = turn.customer
    if intent is Intent.OPT_OUT_ASK:
        turn.say("opt_out_confirm", choices=("STOP", turn.label("btn_keep_promo")))
    elif intent is Intent.OPT_IN and c.opted_out_at is not None:
        await set_opted_out(c, False, turn.text, turn.inbound.channel, turn.now)
        turn.say("opted_in")
    elif intent in (Intent.LANG_ID, Intent.LANG_EN):
        c.language = "id" if intent is Intent.LANG_ID else "en"
        turn.say("language_set")
    elif intent is Intent.HELP:
        turn.say("help")
    elif intent in (Intent.DATA_ACCESS, Intent.DATA_ERASURE):
        await privacy.request(turn, intent.value)  # a right from the first message on
    elif intent is Intent.MY_ORDERS:
        await menu.show_orders(turn)
    elif intent is Intent.ORDER_STATUS:
        await after_sale.show_status(turn, reading.order_ref)
    elif intent is Intent.CANCEL_ORDER and (
        not ordering.in_order(turn.state) or reading.order_ref is not None
    ):
        await after_sale.cancel_request(turn, reading.order_ref)
        return
    elif intent is Intent.REMOVE and not in_flow:
        await after_sale.cancel_request(turn, reading.order_ref)  # "yg topi kemarin batal"
        return
    elif intent is Intent.PAYMENT_SENT:
        await after_sale.payment_sent(turn)
    elif intent in (Intent.PERSON, Intent.COMPLAINT):
        await handoff.hand_off(turn, intent.value)
    elif intent in QUESTIONS:
        await answer(turn, reading)
    elif intent is Intent.CANCEL and turn.data.get("resume"):
        await profile.finish(turn)  # not changing a detail after all: back to the order
        return
    elif intent in (Intent.CANCEL, Intent.CANCEL_ORDER, Intent.MENU) and in_flow:
        turn.reset()
        turn.say("flow_cancelled")
        await menu.show_menu(turn)
        return
    elif intent is Intent.START and turn.state != "idle":
        pass  # Telegram's /start mid-question: the question again
    elif intent is Intent.THANKS:
        turn.say("thanks_reply")
    elif intent is Intent.SMALL_TALK:
        turn.say("small_talk_reply", choices=menu.menu_choices(turn) if not in_flow else ())
        if not in_flow:
            return
    elif intent is Intent.CATALOG and turn.state != "order_product":
        if in_flow:
            answer_list = Reading(Intent.PRICE)
            await answer(turn, answer_list)
        else:
            await ordering.start(turn)
            return
    elif intent in (Intent.ORDER, Intent.ADD, Intent.CHANGE) and not in_flow:
        if any(m.products or m.colour or m.size for m in reading.items):
            await ordering.start_with(turn, reading.items)
        elif intent is Intent.CHANGE:
            await not_understood(turn, reading)
        else:
            await ordering.start(turn)
        return
    elif intent is Intent.UPDATE:
        await profile.start(turn, resume=turn.state if ordering.in_order(turn.state) else None)
        return
    elif intent is Intent.NO and not in_flow:
        turn.say("ok_then")
        return
    elif intent is Intent.UNKNOWN or intent is Intent.REMOVE:
        if not in_flow:
            await not_understood(turn, reading)
            return
    elif not in_flow:
        # A greeting, "menu", "ya" with nothing asked, /start: the menu.
        await menu.show_menu(turn)
        return
    if turn.state != "idle" or intent in MENU_AFTER:
        await state_of(turn).prompt(turn)


async def _before_consent(turn: Turn, reading: Reading) -> None:
    """Nothing but the consent answer moves a first conversation on; a question is
    answered, an order is remembered for after, and rights work from the first word."""
    intent = reading.intent
    if turn.state == "consent" and intent in (Intent.YES, Intent.NO, Intent.UNKNOWN):
        await onboarding.consent_answer(turn)
        return
    if intent in QUESTIONS or intent in (
        Intent.MY_ORDERS, Intent.ORDER_STATUS, Intent.PERSON, Intent.COMPLAINT,
        Intent.DATA_ACCESS, Intent.DATA_ERASURE, Intent.LANG_EN, Intent.LANG_ID, Intent.HELP,
    ):  # fmt: skip
        await act(turn, reading)
        return
    if intent in (Intent.ORDER, Intent.ADD) and any(m.products for m in reading.items):
        # "kaos hitam L 2" as a first message: picked up after consent.
        turn.data["pending_text"] = turn.text
    if turn.state == "consent":
        turn.say("consent_first")
    await state_of(turn).prompt(turn)


async def not_understood(turn: Turn, reading: Reading) -> None:
    turn.missed()
    keys: list[str] = []
    for guess in (*reading.guesses, Intent.ORDER, Intent.MY_ORDERS, Intent.PERSON):
        key = SUGGESTED.get(guess)
        if key and key not in keys:
            keys.append(key)
    turn.say("not_understood", choices=turn.labels(*keys[:3]))


async def after_miss(turn: Turn, misses: int, earlier: str | None) -> None:
    """Count misses in a row; on the second, a person takes over with both messages."""
    if not turn.missed_it:
        turn.data.pop("misses", None)
        turn.data.pop("missed_text", None)
        return
    if misses + 1 < MISSES_BEFORE_A_PERSON:
        turn.data["misses"] = misses + 1
        turn.data["missed_text"] = turn.text[:500]
        return
    turn.data.pop("misses", None)
    turn.data.pop("missed_text", None)
    words = "\n".join(t for t in (earlier, turn.text) if t)
    await handoff.hand_off(turn, "not_understood", text=words)


def _picks_shown(turn: Turn) -> bool:
    """A tapped button or the number of a shown choice."""
    shown = turn.data.get("shown") or []
    return bool(shown) and pick(turn.text, shown, loose=False) is not None


def _button(turn: Turn) -> Intent | None:
    shown = turn.data.get("shown") or menu.menu_choices(turn)
    chosen = pick(turn.text, shown, loose=False)
    if chosen is None:
        return None
    for key, intent in BUTTONS.items():
        if turn.is_label(chosen, key):
            return intent
    return None


def _just_a_number(turn: Turn, reading: Reading) -> bool:
    named = any(m.products or m.colour or m.size for m in reading.items)
    return not named and parse_quantity(turn.text) is not None


def _names_an_option(turn: Turn) -> bool:
    """The message names one of the current product's colours or sizes, or a number."""
    line = ordering.current_line(turn)
    words = set(re.findall(r"\w+", turn.text.casefold()))
    options = (
        {o.casefold() for o in (*line.product.colours, *line.product.sizes)} if line else set()
    )
    return bool(words & options) or any(w.isdecimal() for w in words)


def _plainly_asks(text: str) -> bool:
    words = set(re.findall(r"[a-z]+", text.casefold()))
    looks_like_an_address = bool(words & ADDRESS_WORDS) or any(ch.isdigit() for ch in text)
    return bool(words & ASKING_WORDS) and not looks_like_an_address


def _gives_way(reading: Reading, text: str) -> bool:
    if reading.intent in QUESTIONS:
        # "ongkir ke sby brp kak" asks, with or without a "?"; "Blok A no 5, masih di
        # Bekasi" has a question's word and is an address.
        return reading.marked or _plainly_asks(text)
    if reading.intent in PLAIN_REQUESTS and reading.strength >= 2:
        return True  # "minta admin", "pakai bahasa inggris": no name or address says that
    return reading.intent in FREE_TEXT_GIVES_WAY and reading.whole


async def idle_answer(turn: Turn) -> None:
    """A shown choice picked with nothing in progress."""
    chosen = pick(turn.text, turn.data.get("shown") or [], loose=False)
    if chosen is not None and turn.is_label(chosen, "btn_keep_promo"):
        turn.say("promo_kept")
        return
    if chosen == "STOP":
        await opt_out(turn)  # the confirmation's button, by its number
        return
    await not_understood(turn, turn.reading or Reading(Intent.UNKNOWN))
