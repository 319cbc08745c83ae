"""Hand-off to a person. A customer who asks for one, complains, or whom the bot cannot
help gets a ticket; the team hears about it in their own chats (through the outbox),
and from then on the chat is a conversation with a person: what the customer writes
is relayed to the agent handling the ticket (to every agent until one answers) and the
bot stays quiet, until an agent ends it (/selesai) or it goes quiet for the shop's
``handoff_timeout``. A customer who plainly orders meanwhile is served by the bot."""

from __future__ import annotations

from bot.conversation.states import State
from bot.conversation.turn import Turn
from bot.understanding import Intent
from crm_core.models import Agent, OutboxMessage, Ticket
from crm_core.outreach.contact_policy import Service
from crm_core.outreach.outbox import enqueue
from crm_core.sales.orders import claim_payment, recent_orders
from crm_core.shop import ShopFile
from crm_core.staff.agents import agent_address
from crm_core.staff.tickets import (
    NOTICE,
    RELAY,
    current_ticket,
    gone_quiet,
    open_ticket,
    touch,
    who_to_tell,
)

# What the customer can still ask of the bot while a person has the chat: their rights
# (STOP, MULAI, a copy or erasure of their data) and their language.
BOT_STILL_SERVES = {
    Intent.OPT_OUT, Intent.OPT_IN, Intent.LANG_EN, Intent.LANG_ID, Intent.DATA_ACCESS,
    Intent.DATA_ERASURE,
}  # fmt: skip
# An order the customer plainly places is taken by the bot even then.
ORDERING = {Intent.ORDER, Intent.ADD}
# Asked mid-order, a question the shop's file does not answer goes to the team, but
# the order carries on with the bot.
KEEPS_THE_FLOW = {"question"}


async def hand_off(turn: Turn, reason: str, text: str | None = None) -> None:
    """Open a ticket with the customer's words (``text``, else this message), tell the
    team, and tell the customer a person will answer here, in words that fit why."""
    ticket = await open_ticket(turn.customer, reason, text or turn.text, turn.now)
    if ticket is None:
        ticket = await current_ticket(turn.customer.id)
        if ticket is not None and turn.state != "handoff" and await relay(turn, ticket):
            _pause(turn, ticket)
        turn.say("handoff_waiting")
        return
    told = await tell_agents(turn, ticket, "agent_ticket")
    in_a_flow = turn.state not in ("idle", "handoff") and turn.state in turn.flows.states
    # With no agent to relay to, the bot keeps the chat: the ticket waits in the store.
    if told and not (reason in KEEPS_THE_FLOW and in_a_flow):
        _pause(turn, ticket)
    paused = turn.data.get("paused") if turn.state == "handoff" else None
    order_waits = isinstance(paused, dict) and str(paused.get("state")).startswith("order_")
    turn.say("handoff_opened", reason=reason, order_waits=order_waits)


def _pause(turn: Turn, ticket: Ticket) -> None:
    """The chat goes to a person; a step in progress (an order, the consent question)
    waits, and is where the customer finds themselves when the hand-off ends."""
    paused = None
    if turn.state not in ("idle", "handoff"):
        keep = {k: v for k, v in turn.data.items() if k not in ("shown", "misses", "missed_text")}
        paused = {"state": turn.state, "data": keep}
    turn.go("handoff", ticket=ticket.id, paused=paused)


def _resume(turn: Turn) -> State | None:
    """Back to the step the hand-off paused (or idle); that step, if any."""
    paused = turn.data.get("paused")
    if isinstance(paused, dict) and paused.get("state") in turn.flows.states:
        turn.go(str(paused["state"]), **(paused.get("data") or {}))
        if not paused.get("data"):
            turn.conversation.data = {}
        return turn.flows.states[str(paused["state"])]
    turn.reset()
    return None


async def with_a_person(turn: Turn) -> bool:
    """In a handed-off chat: relay this message to the team and stay quiet (True), or
    let the bot answer it (False): the hand-off ended, or the customer plainly orders,
    stops, or changes language. A payment said or shown meanwhile is recorded on the
    order awaiting it, as outside a hand-off, and relayed too."""
    ticket = await current_ticket(turn.customer.id)
    quiet = (turn.shop or ShopFile()).orders.handoff_timeout
    if (
        ticket is None
        or ticket.id != turn.data.get("ticket")
        or gone_quiet(ticket, turn.now, quiet)
    ):
        # Ended by an agent or by the quiet timeout: the bot is back. A step that takes
        # free text (an address) asks again rather than take "oke makasih kak" as one.
        step = _resume(turn)
        if step is not None and step.free_text:
            await step.prompt(turn)
            return True
        return False
    reading = turn.reading
    if reading is not None and (
        reading.intent in BOT_STILL_SERVES or (reading.intent in ORDERING and reading.items)
    ):
        if reading.intent in ORDERING:
            _resume(turn)  # the order flow takes the chat; the ticket stays with the team
        return False
    await _payment_meanwhile(turn)
    if not await relay(turn, ticket):
        _resume(turn)  # nobody left to relay to (every agent removed): the bot answers
        return False
    if reading is not None and reading.intent is Intent.PERSON and ticket.handler_id is None:  # type: ignore[attr-defined]
        turn.say("handoff_waiting")  # "admin??" while nobody has answered yet: we know
    return True


async def _payment_meanwhile(turn: Turn) -> None:
    """A receipt photo or "udah tf" sent to a person still stops the unpaid clock."""
    photo = turn.inbound.kind in ("photo", "document")
    said = turn.reading is not None and turn.reading.intent is Intent.PAYMENT_SENT
    if not (photo or said):
        return
    orders = await recent_orders(turn.customer.id, limit=1)
    if orders and orders[0].status == "baru":
        await claim_payment(orders[0], turn.now, proof_id=turn.message_id if photo else None)


async def relay(turn: Turn, ticket: Ticket) -> bool:
    """The customer's message, to the agent handling the ticket or, until one answers,
    to every agent told of it. Each message is its own outbox row: the channel's rate
    limits pace a customer who writes thirty in a minute, and none is lost. False when
    there is nobody to relay to."""
    await touch(ticket.id, turn.now)
    handler = ticket.handler if isinstance(ticket.handler, Agent) else None
    photo = turn.inbound.media_url if turn.inbound.kind == "photo" else None
    agents = [handler] if handler is not None and handler.active else None
    relayed = False
    for agent in agents or await who_to_tell(turn.customer, notice=False):
        chat = agent_address(agent)
        if chat is None:
            continue
        relayed = True
        text = turn.texts.render(
            "agent_relay", agent.language, ticket=ticket, customer=turn.customer,
            kind=turn.inbound.kind, body=turn.text, handler=handler, agent=agent,
        )  # fmt: skip
        await enqueue(
            *chat, text, turn.now, service=Service.STAFF, media_url=photo,
            dedupe_key=f"{RELAY}{ticket.id}:{turn.message_id}:agent:{agent.id}",
        )  # fmt: skip
    return relayed


async def tell_agents_about(
    turn: Turn, template: str, key: str, *, media_url: str | None = None, **context: object
) -> None:
    """Tell the customer's agent (or every agent) something that needs no ticket: an
    order placed or cancelled, a payment to check (with the receipt's photo, where the
    agent's channel can show it). Once per ``key`` and agent."""
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
        await enqueue(
            *chat, text, turn.now, service=Service.STAFF, dedupe_key=dedupe_key, media_url=media_url
        )


async def tell_agents(turn: Turn, ticket: Ticket, template: str) -> bool:
    """Tell the customer's agent (or every agent, when nobody handles them) about a new
    ticket, each in their own chat and language, once per ticket; a customer waiting
    for a person is news no agent mutes. False when nobody could be told."""
    told = False
    for agent in await who_to_tell(turn.customer, notice=False):
        chat = agent_address(agent)
        if chat is None:
            continue
        told = True
        text = turn.texts.render(
            template, agent.language, ticket=ticket, customer=turn.customer, agent=agent
        )
        await enqueue(
            *chat, text, turn.now, service=Service.STAFF,
            dedupe_key=f"{NOTICE}{ticket.id}:agent:{agent.id}",
        )  # fmt: skip
    return told


async def quiet(turn: Turn) -> None:
    """Nothing to ask: a person answers. (The engine relays before any step is asked,
    see ``with_a_person``; this only follows a language switch or the opening.)"""
