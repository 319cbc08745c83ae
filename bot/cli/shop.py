"""``langgan shop``: the shop's own answers file (``shop.toml``), started from the sample
and checked before customers ask."""

from __future__ import annotations

import argparse
import shutil
from importlib import resources
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from bot.bootstrap import check_shop_answers
from bot.cli.language import say
from bot.cli.routing import Needs, runs
from bot.settings import Settings
from bot.understanding import load_lexicon
from crm_core.errors import InputError
from crm_core.shop import load_shop_file
from message_templates import Texts

console = Console()


def add_parsers(commands: argparse._SubParsersAction) -> None:
    shop = commands.add_parser("shop", help="the shop's answers to customers' questions")
    shop_commands = shop.add_subparsers(dest="shop_command", required=True)
    shop_commands.add_parser("init", help="write a sample shop.toml to edit")
    shop_commands.add_parser("check", help="check shop.toml and list what it answers")
    runs(shop, _route, Needs.NOTHING)


async def _route(args: argparse.Namespace, settings: Settings) -> int:
    return route(args, settings)


def route(args: argparse.Namespace, settings: Settings) -> int:
    path = Path(settings.shop_file)
    if args.shop_command == "init":
        if path.exists():
            raise InputError("shop_file_exists", file=str(path))
        sample = resources.files("bot") / "samples" / "shop.toml"
        with resources.as_file(sample) as source:
            shutil.copyfile(source, path)
        console.print(say("shop_file_written", file=escape(str(path))), highlight=False)
        return 0
    return _check(path, settings)


def _check(path: Path, settings: Settings) -> int:
    if not path.is_file():
        raise InputError("shop_file_missing", file=str(path))
    shop = load_shop_file(path)
    problems = check_shop_answers(Texts(settings.templates_dir, settings.timezone), shop)
    if problems:
        raise InputError("shop_answers_broken", problems="; ".join(problems))
    known = set(load_lexicon(settings.templates_dir).topics)
    table = Table(*say("shop_columns").split("|"), title=f"{path}")
    for topic, answers in shop.answers.items():
        asked = ", ".join(shop.phrases.get(topic, [])[:4]) or say("shop_builtin_words")
        if topic not in known and topic not in shop.phrases:
            asked = f"[red]{say('shop_never_asked')}[/]"
        table.add_row(topic, ", ".join(sorted(answers)), asked)
    console.print(table)
    missing = sorted(known - set(shop.answers))
    if missing:
        console.print(say("shop_unanswered", topics=", ".join(missing)))
    return 0
