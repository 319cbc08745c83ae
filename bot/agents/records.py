"""Changing a customer's record: /catat, /tag, /untag, /blacklist, /unblacklist, /klaim,
and the team's tickets: /tiket."""

from __future__ import annotations

from bot.agents.commands import Usage, customer_and_text
from bot.agents.conversations import end
from bot.agents.turn import AgentTurn
from crm_core.customers.lookup import resolve
from crm_core.staff.actions import add_note, add_tag, assign, remove_tag, set_blacklisted
from crm_core.staff.tickets import open_tickets


async def note(turn: AgentTurn, args: str) -> None:
    customer, text = await customer_and_text(args)
    if not text:
        raise Usage
    await add_note(turn.agent, customer, text, turn.now)
    turn.say("agent_done", action="note", customer=customer)


async def tag(turn: AgentTurn, args: str) -> None:
    """``/tag rina pelanggan setia``: the customer, then the tag (several words may be)."""
    customer, text = await customer_and_text(args)
    if not text:
        raise Usage
    name = await add_tag(turn.agent, customer, text, turn.now)
    turn.say("agent_done", action="tag", customer=customer, tag=name)


async def untag(turn: AgentTurn, args: str) -> None:
    customer, text = await customer_and_text(args)
    if not text:
        raise Usage
    removed = await remove_tag(turn.agent, customer, text, turn.now)
    turn.say("agent_done", action="untag" if removed else "untag_none", customer=customer, tag=text)


async def blacklist(turn: AgentTurn, args: str) -> None:
    customer, reason = await customer_and_text(args)
    if not reason:
        raise Usage
    await set_blacklisted(turn.agent, customer, True, reason, turn.now)
    turn.say("agent_done", action="blacklist", customer=customer)


async def unblacklist(turn: AgentTurn, args: str) -> None:
    if not args:
        raise Usage
    customer = await resolve(args)
    await set_blacklisted(turn.agent, customer, False, "", turn.now)
    turn.say("agent_done", action="unblacklist", customer=customer)


async def take(turn: AgentTurn, args: str) -> None:
    if not args:
        raise Usage
    customer = await resolve(args)
    before = await assign(turn.agent, customer, turn.now)
    turn.say("agent_done", action="claim", customer=customer, before=before)


async def tickets(turn: AgentTurn, args: str) -> None:
    words = args.split()
    if not words:
        turn.say("agent_tickets", tickets=await open_tickets())
        return
    if len(words) != 2 or words[0].casefold() not in ("tutup", "close"):
        raise Usage
    number = words[1].lstrip("#")
    if not number.isdecimal() or len(number) > 9:
        raise Usage
    await end(turn, number)  # the same as /selesai: the customer is told
