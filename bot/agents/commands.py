"""What every agent command shares: its entry in the table (``command_table``), and
the guard that turns domain errors into answers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.agents.turn import AgentTurn
from crm_core.customers.lookup import resolve
from crm_core.errors import Ambiguous, InputError, NotFound
from crm_core.models import Customer

Handler = Callable[[AgentTurn, str], Awaitable[None]]


@dataclass(frozen=True)
class Command:
    name: str  # Indonesian, as listed in /bantuan
    alias: str  # English
    handler: Handler
    admin_only: bool = False
    # Runs after the engine's transaction has committed, reading the store statement by
    # statement: a report over a year of orders takes seconds, and inside the transaction
    # SQLite's one connection would be held for every other chat meanwhile.
    reads_only: bool = False


class Usage(Exception):
    """The command was given without what it needs: show how it is used."""


async def guarded(turn: AgentTurn, entry: Command, work: Awaitable[None]) -> None:
    """Run a command's work, turning what it refuses into an answer: how it is used,
    which customers a name could be, what is wrong."""
    try:
        await work
    except Usage:
        turn.say("agent_usage", command=entry)
    except Ambiguous as exc:
        # Each candidate as the exact command, to tap (Telegram) or copy (WhatsApp).
        choices = (
            [f"/{entry.name} #{c.id}: {exc.rest}" for c in exc.matches[:5]]  # type: ignore[attr-defined]
            if exc.rest
            else []
        )
        turn.say("agent_ambiguous", reference=exc.reference, matches=exc.matches, choices=choices)
    except NotFound as exc:
        turn.say("agent_not_found", reference=exc.reference)
    except InputError as exc:
        turn.say("agent_refused", reason=turn.texts.error(exc, turn.agent.language))


MAX_NAME_WORDS = 6  # a customer named by more words than this is named by number


async def customer_and_text(args: str) -> tuple[Customer, str]:
    """``CUSTOMER: text`` as the exact form, or without the colon as a busy agent types
    it (``budi suka warna gelap``, ``0812 3456 7890 halo``): the longest run of first
    words that names exactly one customer is the customer, the rest the text. Words
    that could name several raise Ambiguous with the rest, so the answer offers each
    candidate as the exact command; words that name nobody raise NotFound."""
    if ":" in args:
        reference, text = split_reference(args)
        try:
            return await resolve(reference), text
        except NotFound:
            pass  # the colon was in the text ("besok 10:00"), not after the customer
    words = args.split()
    unsure: Ambiguous | None = None
    for count in range(min(len(words) - 1, MAX_NAME_WORDS), 0, -1):
        reference, text = " ".join(words[:count]), " ".join(words[count:])
        try:
            return await resolve(reference), text
        except Ambiguous as exc:
            unsure = unsure or Ambiguous(exc.reference, exc.matches, text)
        except NotFound:
            continue
    if unsure is not None:
        raise unsure
    if len(words) < 2:
        raise Usage
    raise NotFound(words[0])


def split_reference(args: str) -> tuple[str, str]:
    """``CUSTOMER: text``: the customer, then the rest. The colon is required: without it
    "0812 3456 7890 halo" or "Ani Wijaya paketnya" cannot be split safely, and a guess
    could file a note, or send a message, to the wrong person. Only the first colon
    counts, so the text may hold more ("jam 10:00", links)."""
    reference, colon, rest = args.partition(":")
    if not colon:
        raise Usage
    return reference.strip(), rest.strip()
