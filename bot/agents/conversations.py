"""Talking with a handed-off customer from the agent's chat. Each message the customer
writes arrives relayed ("💬 Tiket #5 · #12 Budi: ..."); the agent answers by replying
to it (Telegram's reply, WhatsApp's reply) or with /balas, and ends the conversation
with /selesai. The first agent to answer handles the ticket, and the others are told
who did."""

from __future__ import annotations

import re
from datetime import timedelta

from bot.agents.commands import Usage
from bot.agents.outreach import MAX_TEXT, chat_of, target
from bot.agents.turn import AgentTurn
from bot.inbound import Inbound
from crm_core.customers.lookup import resolve
from crm_core.errors import InputError
from crm_core.models import Customer, Message, OutboxMessage, Ticket
from crm_core.outreach.contact_policy import Service
from crm_core.outreach.outbox import enqueue
from crm_core.staff.agents import agent_address
from crm_core.staff.audit import audit
from crm_core.staff.tickets import (
    DATA_REQUESTS,
    NOTICE,
    RELAY,
    close_ticket,
    current_ticket,
    take,
    who_to_tell,
)

# The outbox key of a ticket's notice or of a relayed message: its ticket, its agent.
_KEY = re.compile(rf"(?:{NOTICE}(\d+)|{RELAY}(\d+):\d+):agent:(\d+)")


async def replied_ticket(turn: AgentTurn) -> Ticket | None:
    """The ticket of the bot's message this one replies to: the message log names the
    sent message, and the outbox row it went out as names its ticket and the agent it
    was for. Never read from the words of the message, which hold a customer's own."""
    sent = await _quoted(turn.inbound)
    key = (sent.dedupe_key or "") if sent is not None else ""
    found = _KEY.fullmatch(key)
    if found is None or int(found.group(3)) != turn.agent.id:
        return None
    number = int(found.group(1) or found.group(2))
    return await Ticket.filter(id=number).select_related("customer").first()


# A Telegram message logged before ids named their bot (``chat:message``) may be another
# bot's: a shop that moved to a new bot has two messages of each number in a chat. The
# older row is the one quoted only if it went out when Telegram says the quoted one did
# (Telegram's clock against ours, with room for a slow send).
SAME_SEND = timedelta(minutes=5)


async def _quoted(inbound: Inbound) -> OutboxMessage | None:
    """The outbox row the quoted message went out as: by its id, or by the id the log
    gave it before ids named their bot."""
    if inbound.reply_to is None:
        return None
    sent = Message.filter(channel=inbound.channel, direction="out")
    quoted = await sent.filter(external_id=inbound.reply_to).first()
    if quoted is not None:
        return await OutboxMessage.filter(message_id=quoted.id).first()
    if inbound.reply_to_legacy is None or inbound.reply_to_sent_at is None:
        return None
    quoted = await sent.filter(external_id=inbound.reply_to_legacy).first()
    row = await OutboxMessage.filter(message_id=quoted.id).first() if quoted else None
    if row is None or row.sent_at is None:
        return None
    return row if abs(row.sent_at - inbound.reply_to_sent_at) <= SAME_SEND else None


async def answer_by_reply(turn: AgentTurn) -> None:
    """A reply (not a command) to one of the bot's messages: an answer to the customer
    of the ticket it relayed."""
    ticket = await replied_ticket(turn)
    if ticket is None:
        turn.say("agent_reply_unknown")
        return
    await answer(turn, ticket, turn.inbound.text)


async def answer(turn: AgentTurn, ticket: Ticket, text: str) -> None:
    customer: Customer = ticket.customer
    if ticket.status != "open":
        turn.say("agent_ticket_ended", ticket=ticket, customer=customer)
        return
    text = text.strip()
    if not text:
        raise InputError("reply_text_only")
    if len(text) > MAX_TEXT:
        raise InputError("text_too_long", length=len(text), most=MAX_TEXT)
    chat = await chat_of(turn, customer, service=True)
    await enqueue(
        chat.channel, chat.address, text, turn.now, service=Service.ANSWER,
        customer_id=customer.id, dedupe_key=_key(turn),
    )  # fmt: skip
    await audit(turn.agent, "customer.reply", turn.now, customer_id=customer.id)
    if await take(ticket, turn.agent, turn.now):
        await _tell_the_others(turn, ticket, customer)
    turn.say("agent_sent", customer=customer, channel=chat.channel)


def _key(turn: AgentTurn) -> str:
    """An agent's message, queued once however often the channel delivers the command."""
    return f"agent:{turn.inbound.channel}:{turn.inbound.external_id}"


async def _tell_the_others(turn: AgentTurn, ticket: Ticket, customer: Customer) -> None:
    """The agents who were told of the ticket learn who answers it."""
    for agent in await who_to_tell(customer):
        chat = agent_address(agent)
        if agent.id == turn.agent.id or chat is None:
            continue
        text = turn.texts.render(
            "agent_ticket_taken", agent.language, ticket=ticket, customer=customer,
            handler=turn.agent, agent=agent,
        )  # fmt: skip
        await enqueue(
            *chat,
            text,
            turn.now,
            service=Service.STAFF,
            dedupe_key=f"ticket:{ticket.id}:taken:{agent.id}",
        )


async def ticket_of(turn: AgentTurn, args: str) -> Ticket:
    """The ticket meant: the one replied to, a ticket number (``5``, ``#5``), or the
    open conversation of a customer named by phone or name."""
    reference = args.strip()
    if not reference:
        ticket = await replied_ticket(turn)
        if ticket is None:
            raise Usage
        return ticket
    number = reference.lstrip("#")
    if number.isdecimal() and len(number) <= 9:
        ticket = await Ticket.filter(id=int(number)).select_related("customer").first()
        if ticket is None:
            raise InputError("ticket_not_found", id=number)
        return ticket
    customer = await resolve(reference)
    ticket = await current_ticket(customer.id)
    if ticket is None:
        raise InputError("no_open_conversation", id=customer.id)
    await ticket.fetch_related("customer")
    return ticket


async def reply(turn: AgentTurn, args: str) -> None:
    """``/balas CUSTOMER: message``; or, replying to a relayed message, ``/balas
    message``. Answering a customer who waits for a person takes their ticket."""
    if turn.inbound.reply_to is not None:
        ticket = await replied_ticket(turn)
        if ticket is not None:  # the whole text is the answer, "jam 10:00" and all
            await answer(turn, ticket, args)
            return
    customer, chat, message = await target(turn, args, service=True)
    ticket = await current_ticket(customer.id)
    if ticket is not None:
        ticket.customer = customer
        await answer(turn, ticket, message)
        return
    await enqueue(
        chat.channel, chat.address, message, turn.now, service=Service.ANSWER,
        customer_id=customer.id, dedupe_key=_key(turn),
    )  # fmt: skip
    await audit(turn.agent, "customer.reply", turn.now, customer_id=customer.id)
    turn.say("agent_sent", customer=customer, channel=chat.channel)


async def end(turn: AgentTurn, args: str) -> None:
    """``/selesai 5``, ``/selesai budi``, or /selesai as a reply to a relayed message:
    the conversation ends, the customer is told the bot serves them again."""
    ticket = await ticket_of(turn, args)
    customer: Customer = ticket.customer
    if ticket.status != "open":
        turn.say("agent_ticket_ended", ticket=ticket, customer=customer)
        return
    ticket = await close_ticket(turn.agent, ticket.id, turn.now)
    if ticket.reason in DATA_REQUESTS:
        # A data request closed without /setujui: refused; no chat to end.
        turn.say("agent_ticket_closed", ticket=ticket, customer=None, told=False)
        return
    told = False
    try:
        chat = await chat_of(turn, customer, service=True)
    except InputError:
        chat = None  # WhatsApp's window closed: their next message finds the bot anyway
    if chat is not None:
        text = turn.texts.render("handoff_ended", customer.language, customer=customer)
        await enqueue(
            chat.channel, chat.address, text, turn.now, service=Service.ANSWER,
            customer_id=customer.id, dedupe_key=f"ticket:{ticket.id}:ended",
        )  # fmt: skip
        told = True
    turn.say("agent_ticket_closed", ticket=ticket, customer=customer, told=told)
