"""``ubah data``: the customer changes their name, city, address or phone."""

from __future__ import annotations

from bot.conversation.menu import show_menu
from bot.conversation.onboarding import clean_city, clean_name
from bot.conversation.ordering import MAX_ADDRESS, clean_address, use_phone
from bot.conversation.states import STATES, State
from bot.conversation.turn import Turn, pick
from crm_core.phones import try_normalize_phone

FIELDS = ("name", "city", "address", "phone")


def field_labels(turn: Turn) -> tuple[str, ...]:
    return turn.labels(*(f"field_{f}" for f in FIELDS))


async def start(turn: Turn) -> None:
    turn.go("update_field", field=None)
    await field_prompt(turn)


async def field_prompt(turn: Turn) -> None:
    turn.say("update_menu", choices=(*field_labels(turn), turn.label("btn_cancel")))


async def field_answer(turn: Turn) -> None:
    labels = field_labels(turn)
    chosen = pick(turn.text, labels)
    if chosen is None:
        turn.say("choose_from_list")
        await field_prompt(turn)
        return
    turn.go("update_value", field=FIELDS[labels.index(chosen)])
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
        await show_menu(turn)
        return
    if field == "address":
        value = clean_address(text)
        if value is None:
            turn.say("bad_address", max=MAX_ADDRESS)
            return
    else:
        value = clean_city(text) if field == "city" else clean_name(text)
        if value is None:
            turn.say("bad_city" if field == "city" else "bad_name", max=80)
            return
    setattr(turn.customer, field, value)
    turn.say("update_done", field_label=turn.label(f"field_{field}"), value=value)
    await show_menu(turn)


STATES.update(
    {
        "update_field": State(field_prompt, field_answer),
        "update_value": State(value_prompt, value_answer, free_text=True),
    }
)
