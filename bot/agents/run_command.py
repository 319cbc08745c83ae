"""Running one agent command: inside the engine's transaction, or after it for a command
that only reads (``reads_only``)."""

from __future__ import annotations

from collections.abc import Callable

from bot.agents.command_table import COMMANDS, parse, reads_only, run
from bot.agents.commands import guarded
from bot.agents.conversations import answer_by_reply
from bot.agents.turn import AgentTurn
from bot.inbound import Inbound, Reply
from bot.understanding import Reading
from crm_core.models import Agent
from crm_core.outreach.contact_policy import Rules
from crm_core.shop import ShopFile
from message_templates import Texts

__all__ = ["handle_command", "reads_only"]


async def handle_command(
    agent: Agent,
    inbound: Inbound,
    texts: Texts,
    rules: Rules,
    reader: Callable[[str], Reading] | None = None,
    shop: ShopFile | None = None,
) -> list[Reply]:
    turn = AgentTurn(
        agent, inbound, inbound.received_at, texts, rules, reader=reader, shop=shop or ShopFile()
    )
    parsed = parse(inbound.text)
    slash = inbound.text.lstrip().startswith("/")
    if inbound.reply_to is not None and not slash:
        # A reply to a relayed customer message: /balas without the command, whatever
        # its first word ("kirim besok ya kak" answers the customer; it is no /kirim).
        await guarded(turn, COMMANDS["balas"], answer_by_reply(turn))
    elif parsed is None:
        turn.say("agent_unknown", word="")
    else:
        await run(turn, *parsed)
    return turn.replies
