"""``langgan agent`` and ``langgan audit``: the shop's people, from the command line."""

from __future__ import annotations

import argparse
from datetime import UTC, date, datetime, time
from typing import Any

from rich.console import Console
from rich.table import Table

from bot.cli.language import in_words, say
from bot.cli.routing import Needs, runs
from bot.settings import Settings
from crm_core.customers.lookup import resolve
from crm_core.errors import InputError
from crm_core.insight.periods import parse_day
from crm_core.models import Agent, AuditEvent
from crm_core.staff.agents import add_agent, find_agent_by_reference, remove_agent

console = Console()


def add_parsers(commands: Any) -> None:
    agent = commands.add_parser("agent", help="the shop's sales agents")
    agent_commands = agent.add_subparsers(dest="agent_command", required=True)
    add = agent_commands.add_parser("add", help="register an agent")
    add.add_argument("--name", required=True)
    who = add.add_mutually_exclusive_group(required=True)
    who.add_argument("--telegram-id", type=int, help="their Telegram user id")
    who.add_argument("--phone", help="their WhatsApp number")
    add.add_argument("--role", choices=("admin", "agent"), default="agent")
    add.add_argument("--language", choices=("id", "en"), default=None)
    agent_commands.add_parser("list", help="the active agents")
    remove = agent_commands.add_parser("remove", help="stop an agent's access (history stays)")
    remove.add_argument("agent", help="the agent's id, name, Telegram id or phone")

    audit = commands.add_parser("audit", help="who did what to whom, and when")
    audit.add_argument("--agent", help="only this agent (id, name, Telegram id or phone)")
    audit.add_argument("--customer", help="only this customer (id, phone or name)")
    audit.add_argument("--from", dest="since", type=_day, help="first day: 2026-12-02, 02/12/2026")
    audit.add_argument("--to", dest="until", type=_day, help="last day, written the same ways")
    audit.add_argument(
        "--action", help="only these actions: customer.view, or a prefix such as customer."
    )
    audit.add_argument("--limit", type=int, default=100)
    runs(agent, _route, Needs.STORE)
    runs(audit, _route, Needs.STORE)


async def _route(args: argparse.Namespace, settings: Settings) -> int:
    return await route(args, settings.locale, settings.tz)


async def route(args: argparse.Namespace, locale: str, tz: Any) -> int:
    now = datetime.now(UTC)
    if args.command == "agent" and args.agent_command == "add":
        agent = await add_agent(
            args.name, now, telegram_id=args.telegram_id, phone=args.phone, role=args.role,
            language=args.language or locale,
        )  # fmt: skip
        console.print(say("agent_added", role=agent.role, id=agent.id, name=agent.name))
        return 0
    if args.command == "agent" and args.agent_command == "remove":
        agent = await remove_agent(args.agent, now)
        console.print(say("agent_removed", id=agent.id, name=agent.name))
        return 0
    if args.command == "agent":
        return await _list_agents()
    return await _audit(args, tz)


async def _list_agents() -> int:
    agents = await Agent.filter(active=True).order_by("id")
    if not agents:
        console.print(say("agents_none"))
        return 0
    table = Table("#", *say("agents_columns").split("|"))
    for a in agents:
        table.add_row(
            str(a.id), a.name, a.role, str(a.telegram_id or "-"), a.phone or "-", a.language
        )
    console.print(table)
    return 0


async def _audit(args: argparse.Namespace, tz: Any) -> int:
    query = AuditEvent.all()
    if args.agent:
        agent = await find_agent_by_reference(args.agent, include_removed=True)
        query = query.filter(agent_id=agent.id)
    if args.customer:
        query = query.filter(customer_id=(await resolve(args.customer)).id)
    if args.action:
        # "customer." lists every look at or change to customers: views, exports, erasures.
        query = query.filter(action__startswith=args.action.strip())
    if args.since:
        query = query.filter(at__gte=datetime.combine(args.since, time(), tz))
    if args.until:
        query = query.filter(at__lt=datetime.combine(args.until, time(23, 59, 59, 999999), tz))
    if args.limit < 1:
        raise InputError("limit_below_one")
    events = await query.order_by("-at", "-id").limit(args.limit)
    table = Table(*say("audit_columns").split("|"))
    for e in reversed(events):
        detail = ", ".join(f"{k}={v}" for k, v in (e.detail or {}).items() if v is not None)
        when = e.at.astimezone(tz).strftime("%Y-%m-%d %H:%M")
        table.add_row(
            when, e.actor, e.action, f"#{e.customer_id}" if e.customer_id else "-", detail
        )
    console.print(table if events else say("audit_none"))
    return 0


def _day(text: str) -> date:
    try:
        return parse_day(text)
    except InputError as exc:
        raise argparse.ArgumentTypeError(in_words(exc)) from None
