"""``langgan chat``: the real engine in a terminal, so anyone can try Langgan with no
tokens. Choices are shown as a numbered list; typing the number picks one."""

from __future__ import annotations

import re
import tempfile
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from rich.text import Text

from bot.cli.language import say
from bot.conversation.engine import Engine
from bot.inbound import Inbound, Reply
from bot.numbered_choices import numbered
from crm_core.customers.phones import try_normalize_phone
from crm_core.errors import InputError
from crm_core.outreach.outbox import take_for
from crm_core.staff.agents import agent_address, find_agent_by_reference

CHANNEL = "terminal"
_BOLD = re.compile(r"\*([^*\n]{1,200})\*")


def styled(text: str) -> Text:
    """Our texts mark bold as WhatsApp does (``*Ya*``); a terminal shows it bold, not
    as asterisks. Nothing else in the text is read as markup."""
    shown = Text()
    last = 0
    for match in _BOLD.finditer(text):
        shown.append(text[last : match.start()])
        shown.append(match.group(1), style="bold")
        last = match.end()
    shown.append(text[last:])
    return shown


QUIT_WORDS = {"/quit", "/exit", "/keluar", "keluar"}


def render(reply: Reply, folder: Path | None = None) -> str:
    # A "share my number" button has no terminal form; the question itself says to type
    # the number, in the customer's language.
    text = numbered(reply)
    if reply.images:
        # A terminal shows no pictures: save them where the person can open them.
        folder = folder or Path(tempfile.gettempdir()) / "langgan-charts"
        folder.mkdir(parents=True, exist_ok=True)
        for image in reply.images:
            (folder / image.filename).write_bytes(image.data)
            text += f"\n(chart saved: {folder / image.filename})"
    return text


@dataclass(frozen=True)
class Identity:
    """Who is at the keyboard, and what they vouch for, as a channel would."""

    sender: str
    phone: str | None = None
    telegram_id: int | None = None
    # Where messages for this person are queued: their terminal chat, or for an agent
    # their own Telegram or WhatsApp chat (shown here while they sit at this keyboard).
    inbox: tuple[str, str] | None = None

    def address(self) -> tuple[str, str]:
        return self.inbox or (CHANNEL, self.sender)


async def identity(as_who: str | None) -> Identity:
    """``--as``: an agent (by name, phone or Telegram id), a phone number (the person at
    the keyboard vouches for it, as WhatsApp vouches for its sender), or any name."""
    if not as_who:
        return Identity("demo")
    try:
        agent = await find_agent_by_reference(as_who)
    except InputError:
        agent = None
    if agent is not None:
        return Identity(f"agent:{agent.id}", agent.phone, agent.telegram_id, agent_address(agent))
    phone = try_normalize_phone(as_who)
    return Identity(phone, phone) if phone else Identity(as_who.strip()[:64])


async def chat(
    engine: Engine,
    who: Identity,
    read: Callable[[str], Awaitable[str]],
    write: Callable[[str], None],
) -> None:
    write(say("chat_banner", who=who.sender) + "\n")
    while True:
        for arrived in await take_for(who.address(), datetime.now(UTC)):
            write(f"» {arrived.body}\n")
        try:
            text = await read("> ")
        except (EOFError, KeyboardInterrupt):
            write("")
            return
        if text.strip().casefold() in QUIT_WORDS:
            return
        if not text.strip():
            continue  # nothing to send: only a look at what arrived
        inbound = Inbound(
            channel=CHANNEL,
            sender=who.sender,
            text=text,
            external_id=uuid.uuid4().hex,
            received_at=datetime.now(UTC),
            verified_phone=who.phone,
            telegram_id=who.telegram_id,
        )
        for reply in await engine.handle(inbound):
            write(render(reply) + "\n")
