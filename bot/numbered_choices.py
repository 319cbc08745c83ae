"""Replies for channels without buttons (WhatsApp free text, the terminal): the choices
become a numbered list, and the engine accepts the number as well as the words."""

from __future__ import annotations

from bot.inbound import Reply


def numbered(reply: Reply) -> str:
    if not reply.choices:
        return reply.text
    options = "\n".join(f"{i}. {choice}" for i, choice in enumerate(reply.choices, start=1))
    return f"{reply.text}\n\n{options}"
