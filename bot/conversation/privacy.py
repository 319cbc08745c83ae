"""A customer asks for a copy of their data, or for its erasure: a ticket, and the team
hears about it in their own chats. Nothing is sent or erased until an agent approves."""

from __future__ import annotations

from bot.conversation.handoff import tell_agents
from bot.conversation.turn import Turn
from crm_core.privacy.requests import open_request


async def request(turn: Turn, kind: str) -> None:
    ticket = await open_request(turn.customer, kind, turn.text, turn.now)
    if ticket is None:
        turn.say("privacy_request_waiting", kind=kind)
        return
    await tell_agents(turn, ticket, "agent_privacy_request")
    turn.say("privacy_request_opened", kind=kind)
