"""Looking customers up: /cari, /pelanggan, /riwayat."""

from __future__ import annotations

from bot.agents.commands import Usage
from bot.agents.turn import AgentTurn
from crm_core.customers.lookup import resolve, search
from crm_core.errors import NotFound
from crm_core.models import Customer
from crm_core.staff.actions import card, history
from crm_core.staff.audit import audit


async def find(turn: AgentTurn, args: str) -> None:
    words = args.split()
    page = 1
    if len(words) > 1 and words[-1].isdecimal() and int(words[-1]) <= 999:
        page = int(words.pop())
    text = " ".join(words)
    if not text:
        raise Usage
    found = await search(text, page)
    await audit(turn.agent, "customer.search", turn.now, text=text, results=found.total)
    turn.say("agent_search", text=text, found=found)


async def show_card(turn: AgentTurn, args: str) -> None:
    if not args:
        raise Usage
    customer = await resolve(args)
    turn.say("agent_card", card=await card(turn.agent, customer, turn.now, turn.rules.cooldown))


async def show_history(turn: AgentTurn, args: str) -> None:
    """``/riwayat budi``; ``/riwayat budi 2`` for the page before."""
    if not args:
        raise Usage
    customer, page = await _customer_and_page(args)
    orders, messages, pages = await history(turn.agent, customer, turn.now, page)
    turn.say(
        "agent_history", customer=customer, orders=orders, messages=messages, page=page,
        pages=pages,
    )  # fmt: skip


async def _customer_and_page(args: str) -> tuple[Customer, int]:
    """A short number after the customer is the page ("budi 2"), unless the whole is
    the customer (a phone's last group, "#12")."""
    words = args.split()
    if len(words) > 1 and words[-1].isdecimal() and len(words[-1]) <= 3:
        try:
            return await resolve(" ".join(words[:-1])), max(1, int(words[-1]))
        except NotFound:
            pass
    return await resolve(args), 1
