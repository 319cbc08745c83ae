"""Hand-off to a person: a customer who asks for one, or complains, gets a ticket, and the
team hears about it in their own chats (through the outbox)."""

from __future__ import annotations

from bot.conversation.turn import Turn
from crm_core.agents import agent_address
from crm_core.models import Ticket
from crm_core.outbox import enqueue
from crm_core.tickets import open_ticket, who_to_tell


async def hand_off(turn: Turn, reason: str) -> None:
    ticket = await open_ticket(turn.customer, reason, turn.text, turn.now)
    if ticket is None:
        turn.say("handoff_waiting")
        return
    await tell_agents(turn, ticket, "agent_ticket")
    turn.say("handoff_opened")


async def tell_agents(turn: Turn, ticket: Ticket, template: str) -> None:
    """Tell the customer's agent (or every agent, when nobody handles them) about a new
    ticket, each in their own chat and language, once per ticket."""
    for agent in await who_to_tell(turn.customer):
        chat = agent_address(agent)
        if chat is None:
            continue
        text = turn.texts.render(
            template, agent.language, ticket=ticket, customer=turn.customer, agent=agent
        )
        await enqueue(
            *chat, text, turn.now, kind="staff", dedupe_key=f"ticket:{ticket.id}:agent:{agent.id}"
        )
