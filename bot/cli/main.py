"""The ``langgan`` command: the composition root. Each command reads the settings,
opens the store and calls one function; errors are printed as sentences, not tracebacks."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import threading
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from bot import logs
from bot.cli import backup as cli_backup
from bot.cli import keys as cli_keys
from bot.cli import privacy as cli_privacy
from bot.cli import report as cli_report
from bot.cli import sheets as cli_sheets
from bot.cli import shop as cli_shop
from bot.cli import staff as cli_staff
from bot.cli.language import in_words, language, say, speak
from bot.cli.routing import Needs, auto_migrate, runs
from bot.settings import Settings
from crm_core.errors import LangganError

if TYPE_CHECKING:
    from bot.bootstrap import Langgan

console = Console()
errors = Console(stderr=True)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="langgan", description="Chat-first CRM for shops that sell on WhatsApp and Telegram."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    service = commands.add_parser("run", help="the service: channels, web server and scheduler")
    runs(service, _run, Needs.KEY)
    chat = commands.add_parser("chat", help="chat with the engine in this terminal")
    chat.add_argument(
        "--as",
        dest="as_who",
        metavar="PHONE_OR_NAME",
        help="who you are: a phone number, an agent's name, or any name (default: demo)",
    )
    runs(chat, _chat, Needs.STORE)
    migration = commands.add_parser("migrate", help="bring the database schema up to date")
    runs(migration, _migrate, Needs.KEY)

    products = commands.add_parser("products", help="the catalog")
    product_commands = products.add_subparsers(dest="products_command", required=True)
    product_import = product_commands.add_parser(
        "import", help="load products from a CSV file: name,price,colours,sizes"
    )
    source = product_import.add_mutually_exclusive_group(required=True)
    source.add_argument("file", nargs="?", type=Path, help="the CSV file")
    source.add_argument("--sample", action="store_true", help="load the sample catalog")
    runs(product_import, _import_products, Needs.STORE)
    runs(product_commands.add_parser("list", help="show the catalog"), _list_products, Needs.STORE)
    cli_staff.add_parsers(commands)
    cli_report.add_parsers(commands)
    cli_privacy.add_parsers(commands)
    cli_backup.add_parsers(commands)
    cli_sheets.add_parsers(commands)
    cli_keys.add_parsers(commands)
    cli_shop.add_parsers(commands)
    sweep = commands.add_parser("sweep", help="run every campaign once, as of --now")
    sweep.add_argument("--now", type=_moment, help="ISO-8601 time to stand at (default: now)")
    sweep.add_argument(
        "--dry-run", action="store_true", help="say who would get what; send nothing"
    )
    runs(sweep, _sweep_command, Needs.STORE)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = speak(build_parser()).parse_args(argv)
    logs.configure()
    try:
        settings = Settings.load()
        return asyncio.run(route(args, settings))
    except LangganError as exc:
        # The message may hold [brackets] (a campaign's name): never read it as markup.
        errors.print(f"[red]langgan:[/] {escape(in_words(exc))}", highlight=False, soft_wrap=True)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader left early (`langgan report --format csv | head`): not an error.
        # Point stdout at nothing, so Python's own flush at exit has nowhere to fail.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


async def route(args: argparse.Namespace, settings: Settings) -> int:
    """Make ready what the command needs (see ``routing.Needs``), then run it."""
    from crm_core.store import open_store  # the ORM loads only for commands that use it

    needs: Needs = args.needs
    if needs is Needs.NOTHING:
        return await args.run(args, settings)
    if needs is Needs.BACKUP_KEY:
        return await args.run(args, cli_keys.with_data_key(settings, make=False))
    settings = cli_keys.with_data_key(settings)
    if needs is Needs.KEY:
        return await args.run(args, settings)
    async with open_store(
        settings.db_url,
        settings.data_key,
        bring_up_to_date=auto_migrate(settings),
        require_current=True,
    ):
        return await args.run(args, settings)


async def _migrate(args: argparse.Namespace, settings: Settings) -> int:
    from crm_core.store import load_keys, migrate, open_store, redact

    async with open_store(settings.db_url, settings.data_key, bring_up_to_date=False):
        applied = await migrate(settings.db_url)
        await load_keys(settings.db_url, seal=True)
    console.print(
        say("migrated", applied=", ".join(applied)) if applied else say("up_to_date"),
        f"({redact(settings.db_url)})",
    )
    return 0


async def _run(args: argparse.Namespace, settings: Settings) -> int:
    from bot.service import run

    await run(settings)
    return 0


def _moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO-8601 time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


async def _sweep_command(args: argparse.Namespace, settings: Settings) -> int:
    return await _sweep(settings, args.now, dry_run=args.dry_run)


async def _sweep(settings: Settings, now: datetime | None, *, dry_run: bool) -> int:
    from bot.bootstrap import assemble
    from scheduler.sweep import sweep

    moment = now or datetime.now(UTC)
    # The sweep stands at its moment: what it queues is sent as of then, too.
    langgan = assemble(settings, clock=lambda: moment)
    outcomes = await sweep(moment, langgan.campaigns, langgan.rules, langgan.texts,
                           dry_run=dry_run)  # fmt: skip
    ended: dict[str, tuple[str, str | None, datetime]] = {}
    if not dry_run and any(o.status in ("queued", "waiting") for o in outcomes):
        # What this sweep queued, and what an earlier one queued but never sent.
        ended = await _send_queued(langgan, [o.key for o in outcomes if o.key])
    lang = language()
    table = Table(*say("sweep_columns").split("|"))
    for o in outcomes:
        status, why = say("outcome_" + o.status), o.why(lang, settings.tz)
        if o.key in ended:  # how its send ended, or why it still waits
            status, why = _send_ended(status, why, *ended[o.key], settings)
        table.add_row(o.campaign, f"#{o.customer_id} {o.customer}", o.channel or "-", status, why)
    local = moment.astimezone(settings.tz).strftime("%Y-%m-%d %H:%M")
    console.print(say("sweep_title", dry_run=dry_run, moment=local, zone=settings.timezone))
    console.print(table if outcomes else say("nobody_due"))
    if ended:
        counts = Counter(status for status, _, _ in ended.values())
        words = ", ".join(f"{n} {say('sent_' + status)}" for status, n in sorted(counts.items()))
        console.print(say("sent_counts", counts=words))
    return 0


def _send_ended(
    status: str, why: str, ended: str, error: str | None, next_at: datetime, settings: Settings
) -> tuple[str, str]:
    """The outcome's words once its message was sent, or was not: never "sent" for a
    message still in the outbox."""
    shown = f"{status}, {say('sent_' + ended)}"
    if ended == "pending":
        at = next_at.astimezone(settings.tz).strftime("%Y-%m-%d %H:%M")
        return shown, say("sent_retry_at", at=at, error=error or "")
    if ended == "unknown":
        return shown, say("held_send_unknown")
    if ended in ("failed", "needs_template", "cancelled"):
        return shown, error or why
    return shown, why


async def _send_queued(
    langgan: Langgan, keys: list[str]
) -> dict[str, tuple[str, str | None, datetime]]:
    """Send what waits in the outbox through the configured channels (made to send: no
    engine behind them), as of the sweep's moment, and say how each of the sweep's
    messages (by key) stands after: its status, error and next try. A running `langgan
    run` may be sending from the same outbox at once: each message is still claimed by
    exactly one of them."""
    from crm_core.models import OutboxMessage

    if not langgan.channels:  # they wait, as queued, for a `langgan run` with a channel
        console.print(say("no_channel"))
        return {}
    try:
        dispatcher = langgan.dispatcher(with_jobs=False)
        while await dispatcher.run_once():
            pass
    finally:
        await langgan.close()
    ended: dict[str, tuple[str, str | None, datetime]] = {}
    for start in range(0, len(keys), 500):  # a big sweep's keys, a page at a time
        rows = await OutboxMessage.filter(dedupe_key__in=keys[start : start + 500]).values_list(
            "dedupe_key", "status", "error", "next_attempt_at"
        )
        ended.update({key: (status, error, at) for key, status, error, at in rows})
    return ended


async def _chat(args: argparse.Namespace, settings: Settings) -> int:
    as_who: str | None = args.as_who
    from bot.bootstrap import assemble
    from bot.terminal_chat import chat, identity, styled
    from crm_core.models import Product

    engine = assemble(settings).engine
    if not await Product.filter(active=True).exists():
        console.print(f"[yellow]{say('chat_no_catalog')}[/]\n")

    def show(text: str) -> None:
        # Bold on a terminal; piped or redirected, the text as the channels get it.
        console.print(
            styled(text) if console.is_terminal else Text(text), highlight=False, soft_wrap=True
        )

    await chat(engine, await identity(as_who), _read_line, show)
    return 0


async def _read_line(prompt: str) -> str:
    """A line from the keyboard, read in a thread of its own while the loop waits.

    A blocking input() on the loop's thread hung on Ctrl-C: the terminal's SIGINT may
    land on another thread (the SQLite driver's), and then nothing interrupts the read
    until Enter. The loop is always woken by a signal, so Ctrl-C cancels this wait and
    asyncio.run ends the command (exit 130). The thread is a daemon, left blocked in its
    read: the process exits without waiting for it."""
    loop = asyncio.get_running_loop()
    line: asyncio.Future[str] = loop.create_future()

    def read() -> None:
        try:
            text = input(prompt)
        except BaseException as exc:  # EOFError (Ctrl-D) and the like, to the chat
            loop.call_soon_threadsafe(_settle, line, None, exc)
        else:
            loop.call_soon_threadsafe(_settle, line, text, None)

    threading.Thread(target=read, name="keyboard", daemon=True).start()
    return await line


def _settle(line: asyncio.Future[str], text: str | None, exc: BaseException | None) -> None:
    if line.done():  # cancelled by Ctrl-C meanwhile
        return
    if exc is not None:
        line.set_exception(exc)
    else:
        line.set_result(text or "")


async def _import_products(args: argparse.Namespace, settings: Settings) -> int:
    from crm_core.sales.catalog_import import import_products

    path: Path | None = args.file
    sample: bool = args.sample
    if sample:
        with resources.as_file(resources.files("bot") / "samples" / "catalog.csv") as sample_path:
            report = await import_products(sample_path, datetime.now(UTC))
    else:
        assert path is not None
        report = await import_products(path, datetime.now(UTC))
    console.print(say("products_loaded", created=len(report.created), updated=len(report.updated)))
    for error in report.errors:
        errors.print(
            f"[yellow]{say('skipped')}[/] {escape(in_words(error))}",
            highlight=False,
            soft_wrap=True,
        )
    return 1 if report.errors and not (report.created or report.updated) else 0


async def _list_products(args: argparse.Namespace, settings: Settings) -> int:
    from crm_core.models import Product
    from crm_core.sales.money import rupiah

    products = await Product.all().order_by("name")
    if not products:
        console.print(say("catalog_empty"))
        return 0
    table = Table(*say("product_columns").split("|"))
    for p in products:
        table.add_row(
            p.name,
            rupiah(p.price),
            ", ".join(p.colours or []) or "-",
            ", ".join(p.sizes or []) or "-",
            say("yes" if p.active else "no"),
        )
    console.print(table)
    return 0
