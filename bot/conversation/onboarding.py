"""First contact: consent in plain words, then name and city, then (only with consent)
how they found the shop. Later, once, the optional questions."""

from __future__ import annotations

import re

from bot.conversation import steps
from bot.conversation.menu import show_menu
from bot.conversation.short_answers import SKIP, normalize
from bot.conversation.turn import Turn, pick
from crm_core.customers.lead_sources import SOURCES, read_source
from crm_core.customers.records import record_consent

GENDERS = ("f", "m")
AGE_BANDS = ("<18", "18-24", "25-34", "35-44", "45-54", "55+")
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")


async def welcome(turn: Turn) -> None:
    """A new chat: ask for consent, unless this person already answered in another chat
    (a WhatsApp number proven on their Telegram record): then carry on where they are."""
    if turn.customer.consent_at is not None:
        turn.say("welcome_back")
        await continue_profile(turn)
        return
    turn.go("consent")
    await consent_prompt(turn)


async def consent_prompt(turn: Turn) -> None:
    turn.say("consent_ask", choices=turn.labels("btn_consent_yes", "btn_consent_no"))


async def consent_answer(turn: Turn) -> None:
    given = turn.yes_or_no("btn_consent_yes", "btn_consent_no")
    if given is None:
        turn.say("consent_unclear")
        await consent_prompt(turn)
        return
    # The exact words the customer answered, in the language they read them in.
    wording = turn.texts.render("consent_ask", turn.lang, customer=turn.customer)
    await record_consent(
        turn.customer, given, wording, turn.inbound.channel, turn.now, by="customer"
    )
    turn.say("consent_yes" if given else "consent_no")
    await continue_profile(turn)


async def continue_profile(turn: Turn) -> None:
    """Ask the next missing thing the shop needs, or finish onboarding."""
    c = turn.customer
    if not c.name:
        turn.go("ask_name")
        await steps.name_prompt(turn)
    elif not c.city:
        turn.go("ask_city")
        await steps.city_prompt(turn)
    elif c.consent_marketing and not c.lead_source and c.source_asked_at is None:
        c.source_asked_at = turn.now  # asked once, whatever the answer, on any channel
        turn.go("ask_source")
        await source_prompt(turn)
    else:
        pending = turn.data.get("pending_text")
        asked = turn.state != "new"  # a returning person was asked nothing just now
        turn.reset()
        if pending:
            if await turn.flows.start_order(turn, pending):
                return
        if asked:
            turn.say("profile_done")
        await show_menu(turn)


def source_labels(turn: Turn) -> tuple[str, ...]:
    return (*turn.labels(*(f"source_{s}" for s in SOURCES)), turn.label("btn_skip"))


async def source_prompt(turn: Turn) -> None:
    turn.say("ask_source", choices=source_labels(turn))


async def source_answer(turn: Turn) -> None:
    options = source_labels(turn)
    chosen = pick(turn.text, options)
    c = turn.customer
    if chosen is None and normalize(turn.text) not in SKIP:
        # Whatever they wrote is how they found us, in their words ("dr ig kak"), and
        # counted as the source it names.
        c.lead_source, c.lead_source_typed = read_source(turn.text)
    elif chosen is not None and chosen != turn.label("btn_skip"):
        c.lead_source, c.lead_source_typed = SOURCES[options.index(chosen)], chosen
    await continue_profile(turn)


# -- the optional questions, offered once after the first order, only with consent --


async def ordered_instead(turn: Turn) -> bool:
    """An optional question answered with an order ("kaos hitam L 2"): the order wins."""
    return await turn.flows.start_order(turn, turn.text)


async def offer_optional(turn: Turn) -> bool:
    c = turn.customer
    if not c.consent_marketing or c.optional_offered_at is not None:
        return False
    c.optional_offered_at = turn.now
    turn.go("ask_gender")
    turn.say("optional_intro")
    await gender_prompt(turn)
    return True


def gender_labels(turn: Turn) -> tuple[str, ...]:
    return turn.labels("gender_f", "gender_m", "btn_skip")


async def gender_prompt(turn: Turn) -> None:
    turn.say("ask_gender", choices=gender_labels(turn))


async def gender_answer(turn: Turn) -> None:
    options = gender_labels(turn)
    chosen = pick(turn.text, options)
    if chosen is None and normalize(turn.text) not in SKIP:
        if await ordered_instead(turn):
            return
        turn.say("choose_from_list")
        await gender_prompt(turn)
        return
    if chosen in options[:2]:
        turn.customer.gender = GENDERS[options.index(chosen)]
    turn.go("ask_age")
    await age_prompt(turn)


async def age_prompt(turn: Turn) -> None:
    turn.say("ask_age", choices=(*AGE_BANDS, turn.label("btn_skip")))


async def age_answer(turn: Turn) -> None:
    options = (*AGE_BANDS, turn.label("btn_skip"))
    word = normalize(turn.text)
    chosen = pick(turn.text, options)
    if chosen is None and word.isdecimal() and len(word) <= 3:
        chosen = _band(int(word))  # "27": their age, not a list number
    if chosen is None and normalize(turn.text) not in SKIP:
        if await ordered_instead(turn):
            return
        turn.say("choose_from_list")
        await age_prompt(turn)
        return
    if chosen in AGE_BANDS:
        turn.customer.age_band = chosen
    turn.go("ask_email")
    await email_prompt(turn)


def _band(age: int) -> str | None:
    if not 5 <= age <= 120:
        return None
    for band, upper in (("<18", 17), ("18-24", 24), ("25-34", 34), ("35-44", 44), ("45-54", 54)):
        if age <= upper:
            return band
    return "55+"


async def email_prompt(turn: Turn) -> None:
    turn.say("ask_email", choices=(turn.label("btn_skip"),))


async def email_answer(turn: Turn) -> None:
    text = turn.text.strip()
    skipped = normalize(text) in SKIP or turn.is_label(text, "btn_skip")
    if not skipped and EMAIL.match(text) and len(text.lower()) <= 254:
        turn.customer.email = text.lower()
    elif not skipped:
        if not await ordered_instead(turn):
            turn.say("bad_email")
        return
    turn.say("optional_done")
    await show_menu(turn)
