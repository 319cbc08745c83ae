"""Hand-off to a person: a customer who asks for one, or complains, gets a ticket, and the
team hears about it in their own chats (through the outbox)."""

from __future__ import annotations

from bot.conversation.turn import Turn
from crm_core.agents import agent_address
from crm_core.models import OutboxMessage, Ticket
from crm_core.outbox import enqueue
from crm_core.tickets import open_ticket, who_to_tell


async def hand_off(turn: Turn, reason: str, text: str | None = None) -> None:
    """Open a ticket with the customer's words (``text``, else this message), tell the
    team, and tell the customer a person will answer here, in words that fit why."""
    ticket = await open_ticket(turn.customer, reason, text or turn.text, turn.now)
    if ticket is None:
        turn.say("handoff_waiting")
        return
    await tell_agents(turn, ticket, "agent_ticket")
    turn.say("handoff_opened", reason=reason)


async def tell_agents_about(turn: Turn, template: str, key: str, **context: object) -> None:
    """Tell the customer's agent (or every agent) something that needs no ticket: an
    order the customer cancelled, a payment to check. Once per ``key`` and agent."""
    for agent in await who_to_tell(turn.customer):
        chat = agent_address(agent)
        if chat is None:
            continue
        dedupe_key = f"{key}:agent:{agent.id}"
        if await OutboxMessage.filter(dedupe_key=dedupe_key).exists():
            continue  # told already ("udah tf" said twice)
        text = turn.texts.render(
            template, agent.language, customer=turn.customer, agent=agent, **context
        )
        await enqueue(*chat, text, turn.now, kind="staff", dedupe_key=dedupe_key)


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
