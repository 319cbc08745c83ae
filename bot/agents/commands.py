"""The agents' commands: Indonesian names with English aliases, one registry, one
dispatcher that turns domain errors into answers."""

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


COMMANDS: dict[str, Command] = {}


def command(
    name: str, alias: str, *, admin_only: bool = False, reads_only: bool = False
) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        entry = Command(name, alias, handler, admin_only, reads_only)
        COMMANDS[name] = COMMANDS[alias] = entry
        return handler

    return register


class Usage(Exception):
    """The command was given without what it needs: show how it is used."""


def parse(text: str) -> tuple[str, str] | None:
    """``/cari budi`` -> ("cari", "budi"); Telegram's ``/cari@toko_bot`` form too. A busy
    agent's ``cari budi`` reads the same when its first word names a command; any other
    text without the slash is no command (None)."""
    stripped = text.strip()
    slash = stripped.startswith("/")
    if len(stripped) < 2 or (slash and stripped[1].isspace()):
        return None
    parts = stripped.removeprefix("/").split(maxsplit=1)
    word = parts[0].split("@", 1)[0].casefold() if slash else parts[0].casefold().rstrip(":")
    if not slash and word not in COMMANDS:
        return None
    return word, parts[1].strip() if len(parts) > 1 else ""


def may_be_command(text: str) -> bool:
    """Whether an agent could have meant ``text`` as a command: the one look-up of who
    is writing is done for these alone, not for every customer's message."""
    return text.lstrip().startswith("/") or parse(text) is not None


def reads_only(text: str) -> bool:
    """Whether ``text`` calls a command that only reads the store."""
    parsed = parse(text)
    entry = COMMANDS.get(parsed[0]) if parsed else None
    return entry is not None and entry.reads_only


async def run(turn: AgentTurn, word: str, args: str) -> None:
    entry = COMMANDS.get(word)
    if entry is None:
        turn.say("agent_unknown", word=word)
        return
    if entry.admin_only and not turn.agent.is_admin:
        turn.say("agent_admin_only", command=entry)
        return
    await guarded(turn, entry, entry.handler(turn, args))


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
