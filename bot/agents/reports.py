"""What sells and who buys: /laporan (the sales report, with charts where the channel
shows pictures) and /segmen (segment sizes, or one segment's customers)."""

from __future__ import annotations

import asyncio

from bot.agents.turn import AgentTurn
from bot.inbound import Image
from crm_core.errors import InputError
from crm_core.insight.analytics import build_report
from crm_core.insight.periods import parse_period
from crm_core.insight.segments import SEGMENTS, members, segment_sizes
from message_templates import LANGUAGES

# Channels that take the pictures themselves; WhatsApp takes them by link (Twilio fetches
# each chart from the web server, see bot/report_links.py).
PICTURE_CHANNELS = ("telegram", "terminal")
LINKED_PICTURE_CHANNELS = ("whatsapp",)


async def report(turn: AgentTurn, args: str) -> None:
    period = parse_period(args, turn.now, turn.texts.tz)
    built = await build_report(period, turn.now)
    images: tuple[Image, ...] = ()
    if turn.inbound.channel in PICTURE_CHANNELS:
        from bot.report_charts import charts  # matplotlib loads slowly: only when asked

        # Drawing takes a few hundred milliseconds: off the event loop, so other chats
        # are answered meanwhile.
        drawn = await asyncio.to_thread(charts, built, turn.label, turn.agent.language)
        images = tuple(Image(name, png) for name, png in drawn)
    linked = turn.inbound.channel in LINKED_PICTURE_CHANNELS
    turn.say(
        "agent_report",
        report=built,
        segments=[(turn.label(f"segment_{n}"), built.segments[n]) for n in SEGMENTS],
        charts=bool(images) or linked,
        images=images,
        chart_days=(period.first, period.last) if linked else None,
    )


async def segments(turn: AgentTurn, args: str) -> None:
    words = args.split()
    if not words:
        sizes = await segment_sizes(turn.now)
        turn.say(
            "agent_segments", sizes=[(n, turn.label(f"segment_{n}"), sizes[n]) for n in SEGMENTS]
        )
        return
    page = int(words.pop()) if len(words) > 1 and words[-1].isdecimal() else 1
    name = _segment(turn, " ".join(words))
    found = await members(name, turn.now, min(page, 999))
    turn.say("agent_segment", segment_page=found, title=turn.label(f"segment_{name}"))


def _segment(turn: AgentTurn, text: str) -> str:
    """A segment by its machine name or its name in either language ("juara")."""
    wanted = text.strip().casefold()
    for name in SEGMENTS:
        labels = {turn.texts.label(f"segment_{name}", lang).casefold() for lang in LANGUAGES}
        if wanted in labels or wanted.replace(" ", "_") == name:
            return name
    known = ", ".join(turn.label(f"segment_{n}") for n in SEGMENTS)
    raise InputError("segment_unknown", name=text, known=known)
