"""The agents' commands: Indonesian names with English aliases, one registry, one
dispatcher that turns domain errors into answers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.agents.turn import AgentTurn
from crm_core.errors import Ambiguous, InputError, NotFound

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
    """``/cari budi`` -> ("cari", "budi"); Telegram's ``/cari@toko_bot`` form too."""
    stripped = text.strip()
    if not stripped.startswith("/") or len(stripped) < 2:
        return None
    parts = stripped[1:].split(maxsplit=1)
    word = parts[0] if parts else ""
    rest = parts[1] if len(parts) > 1 else ""
    return word.split("@", 1)[0].casefold(), rest.strip()


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
        turn.say("agent_ambiguous", reference=exc.reference, matches=exc.matches)
    except NotFound as exc:
        turn.say("agent_not_found", reference=exc.reference)
    except InputError as exc:
        turn.say("agent_refused", reason=str(exc))


def split_reference(args: str) -> tuple[str, str]:
    """``CUSTOMER: text``: the customer, then the rest. The colon is required: without it
    "0812 3456 7890 halo" or "Ani Wijaya paketnya" cannot be split safely, and a guess
    could file a note, or send a message, to the wrong person. Only the first colon
    counts, so the text may hold more ("jam 10:00", links)."""
    reference, colon, rest = args.partition(":")
    if not colon:
        raise Usage
    return reference.strip(), rest.strip()
