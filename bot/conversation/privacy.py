"""A customer asks for a copy of their data, or for its erasure: a ticket, and the team
hears about it in their own chats. Nothing is sent or erased until an agent approves."""

from __future__ import annotations

from bot.conversation.turn import Turn
from crm_core.agents import agent_address
from crm_core.outbox import enqueue
from crm_core.privacy_requests import open_request
from crm_core.tickets import who_to_tell


async def request(turn: Turn, kind: str) -> None:
    ticket = await open_request(turn.customer, kind, turn.text, turn.now)
    if ticket is None:
        turn.say("privacy_request_waiting", kind=kind)
        return
    for agent in await who_to_tell(turn.customer):
        chat = agent_address(agent)
        if chat is None:
            continue
        text = turn.texts.render(
            "agent_privacy_request", agent.language, ticket=ticket, customer=turn.customer,
            agent=agent,
        )  # fmt: skip
        await enqueue(
            *chat, text, turn.now, kind="staff", dedupe_key=f"ticket:{ticket.id}:agent:{agent.id}"
        )
    turn.say("privacy_request_opened", kind=kind)
