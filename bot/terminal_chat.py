"""``langgan chat``: the real engine in a terminal, so anyone can try Langgan with no
tokens. Choices are shown as a numbered list; typing the number picks one."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from bot.conversation import Engine
from bot.inbound import Inbound, Reply
from bot.plain_text import numbered
from crm_core.phones import try_normalize_phone

QUIT_WORDS = {"/quit", "/exit", "/keluar", "keluar"}


def render(reply: Reply) -> str:
    text = numbered(reply)
    if reply.contact_button:
        text += "\n(type your phone number)"
    return text


def identity(as_who: str | None) -> tuple[str, str | None]:
    """The terminal sender and, when ``--as`` is a phone number, that phone (the person
    at the keyboard is vouching for it, as WhatsApp vouches for its sender)."""
    if not as_who:
        return "demo", None
    phone = try_normalize_phone(as_who)
    return (phone, phone) if phone else (as_who.strip()[:64], None)


async def chat(
    engine: Engine,
    as_who: str | None,
    read: Callable[[str], str],
    write: Callable[[str], None],
) -> None:
    sender, phone = identity(as_who)
    write(f"Langgan chat as {sender}. Type /quit to leave.\n")
    while True:
        try:
            text = read("> ")
        except (EOFError, KeyboardInterrupt):
            write("")
            return
        if text.strip().casefold() in QUIT_WORDS:
            return
        inbound = Inbound(
            channel="terminal",
            sender=sender,
            text=text,
            external_id=uuid.uuid4().hex,
            received_at=datetime.now(UTC),
            verified_phone=phone,
        )
        for reply in await engine.handle(inbound):
            write(render(reply) + "\n")
