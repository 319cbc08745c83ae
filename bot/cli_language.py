"""The language the ``langgan`` command speaks: the shop's (``LANGGAN_LOCALE``), read
from the environment and ``.env`` on its own, so that even a setting refused at start
is explained in it."""

from __future__ import annotations

import os
from pathlib import Path

from dotenv import dotenv_values

from crm_core.errors import LangganError
from message_templates.error_texts import LANGUAGES, describe

_chosen: str | None = None


def language() -> str:
    global _chosen
    if _chosen is None:
        env = dict(dotenv_values(Path.cwd() / ".env")) if (Path.cwd() / ".env").is_file() else {}
        env.update(os.environ)
        wanted = (env.get("LANGGAN_LOCALE") or "id").strip().lower()
        _chosen = wanted if wanted in LANGUAGES else "id"
    return _chosen


def reset() -> None:
    """Forget the language read, for a process that runs the command more than once."""
    global _chosen
    _chosen = None


def in_words(error: LangganError) -> str:
    """The error as the owner reads it, in the shop's language."""
    return describe(error, language())
