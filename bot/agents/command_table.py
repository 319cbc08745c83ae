"""Every command an agent can give, declared in one table: its Indonesian name, its
English alias, the function that does it, and whether it is for admins only or only
reads the store. /bantuan lists them in this order."""

from __future__ import annotations

from bot.agents import (
    conversations,
    lookup,
    order_updates,
    orders,
    outreach,
    people,
    privacy,
    records,
    reports,
    tasks,
)
from bot.agents.commands import Command, guarded
from bot.agents.turn import AgentTurn


async def show_help(turn: AgentTurn, args: str) -> None:
    """/bantuan: the commands this agent may give."""
    turn.say("agent_help", commands=[c for c in TABLE if turn.agent.is_admin or not c.admin_only])


TABLE: tuple[Command, ...] = (
    Command("kirim", "send", outreach.send),
    Command("paksakirim", "forcesend", outreach.force_send, admin_only=True),
    Command("balas", "reply", conversations.reply),
    Command("selesai", "done", conversations.end),
    Command("bantuan", "help", show_help),
    Command("cari", "find", lookup.find),
    Command("pelanggan", "customer", lookup.show_card),
    Command("riwayat", "history", lookup.show_history),
    Command("status", "status", order_updates.status),
    Command("lunas", "paid", order_updates.paid),
    Command("resi", "ship", order_updates.shipped),
    Command("ongkir", "shipping", order_updates.shipping),
    Command("order", "order", orders.record_order),
    Command("baru", "new", people.new_customer),
    Command("gabung", "merge", people.merge, admin_only=True),
    Command("setujui", "approve", privacy.approve_request),
    Command("izin", "consent", privacy.consent),
    Command("catat", "note", records.note),
    Command("tag", "tag", records.tag),
    Command("untag", "untag", records.untag),
    Command("blacklist", "blacklist", records.blacklist),
    Command("unblacklist", "unblacklist", records.unblacklist, admin_only=True),
    Command("klaim", "claim", records.take),
    Command("tiket", "tickets", records.tickets),
    Command("laporan", "report", reports.report, reads_only=True),
    Command("segmen", "segments", reports.segments, reads_only=True),
    Command("ingatkan", "remind", tasks.remind),
    Command("tugas", "tasks", tasks.tasks),
    Command("kirimulang", "resend", tasks.resend),
    Command("notif", "notify", tasks.notify),
)

# Each command by its name and by its alias.
COMMANDS: dict[str, Command] = {word: c for c in TABLE for word in (c.name, c.alias)}


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
