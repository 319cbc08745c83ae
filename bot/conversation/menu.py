"""The idle state: the menu, help, the customer's orders, and free text read as an order."""

from __future__ import annotations

from bot.conversation.states import STATES, State
from bot.conversation.turn import Turn
from crm_core.orders import recent_orders

MENU_KEYS = ("btn_order", "btn_my_orders", "btn_update", "btn_help")


def menu_choices(turn: Turn) -> tuple[str, ...]:
    return turn.labels(*MENU_KEYS)


async def show_menu(turn: Turn) -> None:
    turn.reset()
    turn.say("menu", choices=menu_choices(turn))


async def show_help(turn: Turn) -> None:
    turn.say("help")


async def show_orders(turn: Turn) -> None:
    orders = await recent_orders(turn.customer.id, limit=5)
    if not orders:
        turn.say("orders_none")
        return
    turn.say("orders_list", orders=orders)


async def idle_prompt(turn: Turn) -> None:
    turn.say("menu", choices=menu_choices(turn))


async def idle_answer(turn: Turn) -> None:
    # Free text in the menu may be an order ("kaos hitam L 2"); the ordering flow reads it.
    from bot.conversation.ordering import start_from_text

    if await start_from_text(turn, turn.text):
        return
    turn.say("not_understood", choices=menu_choices(turn))


STATES["idle"] = State(idle_prompt, idle_answer, in_flow=False)
