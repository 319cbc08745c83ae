"""The menu, help and the customer's orders: what the idle state shows."""

from __future__ import annotations

from bot.conversation.turn import Turn
from crm_core.sales.orders import recent_orders

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
