"""The language the ``langgan`` command speaks: the shop's (``LANGGAN_LOCALE``), read
from the environment and ``.env`` on its own, so that even a setting refused at start
is explained in it."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from dotenv import dotenv_values

from crm_core.errors import LangganError
from message_templates.error_texts import LANGUAGES, catalog, describe, phrase


def language() -> str:
    # Read each time (a few lines a command): no state to go stale between commands
    # run in one process.
    dotenv = Path.cwd() / ".env"
    env = {k: v for k, v in dotenv_values(dotenv).items() if v} if dotenv.is_file() else {}
    env.update(os.environ)
    wanted = (env.get("LANGGAN_LOCALE") or "id").strip().lower()
    return wanted if wanted in LANGUAGES else "id"


def in_words(error: LangganError) -> str:
    """The error as the owner reads it, in the shop's language."""
    return describe(error, language())


def say(key: str, /, **values: Any) -> str:
    """A line the command prints, in the shop's language (``message_templates/*/cli.toml``)."""
    return phrase(key, language(), **values)


def speak(parser: argparse.ArgumentParser, lang: str | None = None) -> argparse.ArgumentParser:
    """The command's own help in the shop's language. Each help text is written once, in
    English, in the code; ``cli_help.toml`` of the language holds it in other words,
    keyed by the English (a text missing there stays English)."""
    lang = lang or language()
    words = help_texts(lang)
    if words:
        for each in _parsers(parser):
            each.description = words.get(each.description or "", each.description)
            for action in each._actions:
                action.help = words.get(action.help or "", action.help)
                for choice in getattr(action, "_choices_actions", ()):
                    choice.help = words.get(choice.help or "", choice.help)
    return parser


def help_texts(lang: str) -> dict[str, str]:
    return catalog(lang, None, "cli_help.toml") if lang != "en" else {}


def _parsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    """The command and every subcommand under it."""
    found = [parser]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in dict.fromkeys(action.choices.values()):
                found += _parsers(sub)
    return found
