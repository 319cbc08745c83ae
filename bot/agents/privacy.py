"""A customer's rights, from the agents' side: /setujui (/approve) TICKET carries out a
data request; /izin (/consent) shows or records consent."""

from __future__ import annotations

from bot.agents.commands import Usage, split_reference
from bot.agents.turn import AgentTurn
from crm_core.customers.lookup import resolve
from crm_core.customers.records import reachable_chat
from crm_core.outreach.contact_policy import Service
from crm_core.outreach.outbox import enqueue
from crm_core.privacy.consent import consent_history, record_agent_consent
from crm_core.privacy.requests import approve


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
            chat.channel, chat.address, text, turn.now, service=Service.ANSWER,
            customer_id=done.customer.id, dedupe_key=f"ticket:{done.ticket.id}:summary",
        )  # fmt: skip
    turn.say("agent_privacy_done", erasure=None, ticket=done.ticket, sent=chat is not None)


async def consent(turn: AgentTurn, args: str) -> None:
    """``/izin CUSTOMER``: the consent history; ``/izin CUSTOMER: ya|tidak words``:
    record an answer the customer gave the agent."""
    if ":" not in args:
        if not args.strip():
            raise Usage
        customer = await resolve(args)
        events = await consent_history(customer, turn.now, agent=turn.agent, actor=turn.agent.name)
        turn.say("agent_consent", customer=customer, events=events)
        return
    reference, rest = split_reference(args)
    answer, _, wording = rest.partition(" ")
    # "ya, setuju promo" is as much a yes as "ya setuju promo".
    given = {"ya": True, "yes": True, "tidak": False, "no": False}.get(
        answer.strip(",.;:").casefold()
    )
    if not reference or given is None:
        raise Usage
    customer = await resolve(reference)
    await record_agent_consent(turn.agent, customer, given, wording, turn.inbound.channel, turn.now)
    events = await consent_history(customer, turn.now, agent=turn.agent, actor=turn.agent.name)
    turn.say("agent_consent", customer=customer, events=events)
