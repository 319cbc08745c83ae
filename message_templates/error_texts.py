"""Short texts kept one per line, per language: the words for every error Langgan
raises (``errors.toml``) and what the ``langgan`` command prints (``cli.toml``).

Each line is a Jinja2 text filled with values (``refused = "..."``). A shop's own folder
is read first, line by line, so a shop may reword one line and keep the rest. An error
given as the value of another (a row of an import, say) is put in words in the same
language.
"""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import StrictUndefined, Template, TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from crm_core.errors import LangganError
from crm_core.sales.money import rupiah

BUILTIN_DIR = Path(__file__).parent
LANGUAGES = ("id", "en")
FILE = "errors.toml"
CLI_FILE = "cli.toml"

_env = ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=False)
_env.filters["rupiah"] = rupiah


@lru_cache(maxsize=16)
def catalog(lang: str, shop_dir: Path | None = None, file: str = FILE) -> dict[str, str]:
    """Every line's text in ``lang``: Langgan's own, with the shop's lines over them."""
    texts: dict[str, str] = {}
    for base in (BUILTIN_DIR, shop_dir):
        path = base / lang / file if base is not None else None
        if path is not None and path.is_file():
            try:
                data = tomllib.loads(path.read_text("utf-8"))
            except tomllib.TOMLDecodeError:
                if base is BUILTIN_DIR:
                    raise
                continue  # a shop's broken file: Langgan's own words still serve
            texts.update({str(k): str(v) for k, v in data.items() if isinstance(v, str)})
    return texts


def _in_words(value: Any, lang: str, shop_dir: Path | None) -> Any:
    if isinstance(value, LangganError):
        return describe(value, lang, shop_dir)
    if isinstance(value, tuple) and value and all(isinstance(v, LangganError) for v in value):
        return " ".join(describe(v, lang, shop_dir) for v in value)
    return value


@lru_cache(maxsize=1024)
def _compiled(source: str) -> Template:
    return _env.from_string(source)


def describe(error: LangganError, lang: str = "en", shop_dir: Path | None = None) -> str:
    """The error as a sentence in ``lang`` (Indonesian when the language is unknown)."""
    lang = lang if lang in LANGUAGES else "id"
    source = catalog(lang, shop_dir).get(error.code)
    if source is None:  # a code with no words yet: the other language, then the code
        other = next(x for x in LANGUAGES if x != lang)
        source = catalog(other, shop_dir).get(error.code)
    values = {key: _in_words(value, lang, shop_dir) for key, value in error.values.items()}
    if source is None:
        return error.code + (f" ({values})" if values else "")
    try:
        return _compiled(source).render(**values).strip()
    except TemplateError:
        if shop_dir is not None:  # the shop's wording is broken: Langgan's own
            return describe(error, lang)
        raise


def phrase(key: str, lang: str, /, **values: Any) -> str:
    """One line of what the command line prints (``cli.toml``), in ``lang``."""
    lang = lang if lang in LANGUAGES else "id"
    source = catalog(lang, None, CLI_FILE).get(key)
    if source is None:
        source = catalog("en", None, CLI_FILE)[key]
    return _compiled(source).render(**values).strip()
