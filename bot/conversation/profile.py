"""``ubah data``: the customer changes their name, city, address or phone."""

from __future__ import annotations

import re

from bot.conversation.menu import show_menu
from bot.conversation.ordering import MAX_ADDRESS, advance, clean_address, use_phone
from bot.conversation.steps import MAX_NAME, clean_city, clean_name, set_city
from bot.conversation.turn import Turn, pick
from crm_core.customers.phones import try_normalize_phone

FIELDS = ("name", "city", "address", "phone")


def field_labels(turn: Turn) -> tuple[str, ...]:
    return turn.labels(*(f"field_{f}" for f in FIELDS))


async def start(turn: Turn, resume: str | None = None) -> None:
    """Ask which detail to change. ``resume``: the order step to go back to after it,
    with the order kept ("alamatnya salah kak" at the confirmation)."""
    if resume is None:
        turn.go("update_field", field=None)
    else:
        turn.go("update_field")
        turn.data.update(field=None, resume=resume)
    named = _named_field(turn.text)
    if named is not None:
        # "alamatnya salah kak": straight to the address.
        turn.go("update_value")
        turn.data["field"] = named
        await value_prompt(turn)
        return
    await field_prompt(turn)


FIELD_WORDS = {
    "address": ("alamat", "address"),
    "phone": ("nomor", "hp", "telepon", "phone", "number", "wa"),
    "city": ("kota", "city"),
    "name": ("nama", "name"),
}


def _named_field(text: str) -> str | None:
    words = set(re.findall(r"[a-z]+", text.casefold()))
    named = [
        f
        for f, keys in FIELD_WORDS.items()
        if any(k in w for w in words for k in keys if len(k) > 2 or k == w)
    ]
    return named[0] if len(named) == 1 else None


async def finish(turn: Turn) -> None:
    """Back to the order the change interrupted, or to the menu."""
    resume = turn.data.pop("resume", None)
    turn.data.pop("field", None)
    if resume in turn.flows.states:
        turn.go(resume)
        await advance(turn)
        return
    await show_menu(turn)


async def field_prompt(turn: Turn) -> None:
    turn.say("update_menu", choices=(*field_labels(turn), turn.label("btn_cancel")))


async def field_answer(turn: Turn) -> None:
    labels = field_labels(turn)
    chosen = pick(turn.text, labels)
    if chosen is None:
        turn.say("choose_from_list")
        await field_prompt(turn)
        return
    turn.go("update_value")  # the order being changed, if any, stays in the data
    turn.data["field"] = FIELDS[labels.index(chosen)]
    await value_prompt(turn)


async def value_prompt(turn: Turn) -> None:
    field = turn.data.get("field") or "name"
    turn.say(
        "update_ask",
        field=field,
        field_label=turn.label(f"field_{field}"),
        ask_contact=field == "phone",
    )


async def value_answer(turn: Turn) -> None:
    field = turn.data.get("field") or "name"
    text = turn.text
    if field == "phone":
        phone = try_normalize_phone(text)  # typed: unproven (a contact goes to the engine)
        if phone is None:
            turn.say("bad_phone")
            return
        if not await use_phone(turn, phone, verified=False):
            # Not linked (someone else's, or over a proven number), and not said why.
            turn.say("phone_not_linked")
        await finish(turn)
        return
    if field == "address":
        value = clean_address(text)
        if value is None:
            turn.say("bad_address", max=MAX_ADDRESS)
            return
    else:
        value = clean_city(text) if field == "city" else clean_name(text)
        if value is None:
            turn.say("bad_city" if field == "city" else "bad_name", max=MAX_NAME)
            return
    if field == "city":
        set_city(turn.customer, value)
        value = turn.customer.city or value  # said back as it is counted: "Sby" is Surabaya
    else:
        setattr(turn.customer, field, value)
    turn.say("update_done", field_label=turn.label(f"field_{field}"), value=value)
    await finish(turn)
