"""The language the ``langgan`` command speaks: the shop's (``LANGGAN_LOCALE``), read
from the environment and ``.env`` on its own, so that even a setting refused at start
is explained in it."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from dotenv import dotenv_values

from crm_core.errors import LangganError
from message_templates.error_texts import LANGUAGES, describe, phrase


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
