"""Steps more than one flow asks: the customer's name and their city (at first contact,
in an order when they are missing, and when the customer changes them). Each flow says
where to go on from a good answer; the question, the checks and the words are these."""

from __future__ import annotations

from bot.conversation.states import Handler
from bot.conversation.turn import Turn
from crm_core.customers.cities import read_city
from crm_core.models import Customer

MAX_NAME = 80


def clean_name(text: str) -> str | None:
    name = " ".join(text.split())
    if not 1 <= len(name) <= MAX_NAME or not any(ch.isalpha() for ch in name):
        return None
    if any(ch in "{}<>" for ch in name):
        return None
    return name


def clean_city(text: str) -> str | None:
    """What the customer typed as their city, if it can be one; crm_core.customers.cities turns
    it into the name the shop counts by."""
    return clean_name(text)


def set_city(customer: Customer, typed: str) -> None:
    customer.city, customer.city_typed = read_city(typed)


def offered_names(turn: Turn) -> tuple[str, ...]:
    """The channel's name for them, as a button, when it would be accepted as a name."""
    suggestion = clean_name(turn.customer.display_name or "")
    return (suggestion,) if suggestion else ()


async def name_prompt(turn: Turn) -> None:
    turn.say("ask_name", choices=offered_names(turn))


async def city_prompt(turn: Turn) -> None:
    turn.say("ask_city")


def name_answer(then: Handler) -> Handler:
    """Read a name; a good one is kept and ``then`` goes on."""

    async def answer(turn: Turn) -> None:
        name = clean_name(turn.text)
        if name is None:
            turn.say("bad_name", max=MAX_NAME)
            return
        turn.customer.name = name
        await then(turn)

    return answer


def city_answer(then: Handler) -> Handler:
    """Read a city; a good one is kept (as the shop counts it) and ``then`` goes on."""

    async def answer(turn: Turn) -> None:
        city = clean_city(turn.text)
        if city is None:
            turn.say("bad_city")
            return
        set_city(turn.customer, city)
        await then(turn)

    return answer
