"""``langgan consent``, ``langgan export customer`` and ``langgan erase``: a person's
rights over their data (UU PDP No. 27/2022; GDPR), from the command line."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from bot.cli.groups import subcommands
from bot.cli.language import say
from bot.cli.routing import Needs, runs
from bot.settings import Settings
from crm_core.customers.lookup import resolve
from crm_core.errors import InputError
from crm_core.privacy.consent import consent_history, consent_state
from crm_core.privacy.data_export import customer_data
from crm_core.privacy.erasure import erase_customer

console = Console(soft_wrap=True)


def add_parsers(commands: Any) -> None:
    consent = commands.add_parser("consent", help="a customer's consent: state and history")
    consent.add_argument("customer", help="the customer's id (#12), phone or name")
    runs(consent, _route, Needs.STORE)

    export = subcommands(commands, "export", "write the shop's data to files")
    one = export.add_parser(
        "customer", help="everything held about one person (their right of access)"
    )
    one.add_argument("customer", help="the customer's id (#12), phone or name")
    one.add_argument("--format", choices=("json",), default="json")
    one.add_argument("--output", type=Path, help="the file to write (default: print it)")
    runs(one, _route, Needs.STORE)

    erase = commands.add_parser(
        "erase", help="erase one person's data for good (their right to erasure)"
    )
    erase.add_argument("customer", help="the customer's id (#12), phone or name")
    erase.add_argument("--reason", required=True, help="why, for the audit log")
    runs(erase, _route, Needs.STORE)


async def _route(args: argparse.Namespace, settings: Settings) -> int:
    return await route(args, settings.tz)


async def route(args: argparse.Namespace, tz: Any) -> int:
    now = datetime.now(UTC)
    customer = await resolve(args.customer)
    if args.command == "consent":
        return await _consent(customer, now, tz)
    if args.command == "erase":
        done = await erase_customer(customer, now, reason=args.reason, agent=None, actor="cli")
        console.print(
            say("erased", id=done.customer_id, messages=done.messages, notes=done.notes,
                chats=done.chats, waiting=done.outbox_cancelled, orders=done.orders)
        )  # fmt: skip
        return 0
    return await _export(customer, now, args.output)


async def _consent(customer: Any, now: datetime, tz: Any) -> int:
    events = await consent_history(customer, now)
    console.print(
        f"#{customer.id} {escape(str(customer))}: {say('consent_' + consent_state(customer))}"
    )
    if not events:
        console.print(say("consent_none"))
        return 0
    table = Table(*say("consent_columns").split("|"))
    for e in events:
        table.add_row(
            e.at.astimezone(tz).strftime("%Y-%m-%d %H:%M"), e.kind, say("yes" if e.given else "no"),
            e.channel, escape(e.recorded_by), escape(e.wording),
        )  # fmt: skip
    console.print(table)
    return 0


async def _export(customer: Any, now: datetime, output: Path | None) -> int:
    if output is not None:
        _check_writable(output)
    data = await customer_data(customer, now)
    text = json.dumps(data, ensure_ascii=False, indent=2)
    if output is None:
        print(text)
        return 0
    _write(output, text + "\n")
    console.print(say("customer_exported", id=customer.id, file=str(output)))
    return 0


def _check_writable(output: Path) -> None:
    # Checked before the export, so a wrong path does not leave an audited export behind.
    if output.is_dir():
        raise InputError("output_is_folder", file=str(output))
    if not output.parent.is_dir():
        raise InputError("output_folder_missing", folder=str(output.parent))


def _write(output: Path, text: str) -> None:
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError("file_unwritable", file=str(output), detail=exc.strerror) from None
