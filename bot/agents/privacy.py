"""Carrying out a customer's data request: /setujui (/approve) TICKET."""

from __future__ import annotations

from bot.agents.commands import Usage, command
from bot.agents.turn import AgentTurn
from crm_core.customers import reachable_chat
from crm_core.outbox import enqueue
from crm_core.privacy_requests import approve


@command("setujui", "approve")
async def approve_request(turn: AgentTurn, args: str) -> None:
    number = args.strip().lstrip("#")
    if not number.isdecimal() or len(number) > 9:
        raise Usage
    # Found before an erasure deletes the chats: nowhere to tell them afterwards.
    done = await approve(turn.agent, int(number), turn.now)
    if done.erasure is not None:
        turn.say("agent_privacy_done", erasure=done.erasure, ticket=done.ticket, sent=False)
        return
    chat = await reachable_chat(done.customer.id)
    if chat is not None:
        # Only to the chat the channel vouches is theirs, never to an address typed in.
        text = turn.texts.render(
            "customer_data_summary", done.customer.language, summary=done.summary,
            customer=done.customer,
        )  # fmt: skip
        await enqueue(
            chat.channel, chat.address, text, turn.now, kind="service",
            customer_id=done.customer.id, dedupe_key=f"ticket:{done.ticket.id}:summary",
        )  # fmt: skip
    turn.say("agent_privacy_done", erasure=None, ticket=done.ticket, sent=chat is not None)
