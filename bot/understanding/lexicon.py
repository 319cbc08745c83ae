"""The lexicon: how shoppers write, read from one TOML file per language.

The built-in files (``lexicon/id.toml``, ``lexicon/en.toml``) are read together, since
customers mix the two languages in one message; a shop's own
``LANGGAN_TEMPLATES_DIR/{id,en}/lexicon.toml`` extends them (its lists are added to the
built-in ones, its tables update them). Phrases are kept as written here and
normalised once, when the understanding is built."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crm_core.errors import InputError

BUILTIN = Path(__file__).parent / "lexicon"
LANGUAGES = ("id", "en")
FILE = "lexicon.toml"


class LexiconProblem(InputError):
    """A lexicon file that cannot be read: which one, and why."""


@dataclass
class Lexicon:
    particles: set[str] = field(default_factory=set)
    fillers: set[str] = field(default_factory=set)
    slang: dict[str, str] = field(default_factory=dict)
    numbers: dict[str, int] = field(default_factory=dict)
    multipliers: dict[str, int] = field(default_factory=dict)
    units: set[str] = field(default_factory=set)
    colours: dict[str, list[str]] = field(default_factory=dict)
    sizes: dict[str, list[str]] = field(default_factory=dict)
    products: dict[str, list[str]] = field(default_factory=dict)
    questions: set[str] = field(default_factory=set)
    intents: dict[str, list[str]] = field(default_factory=dict)
    edits: dict[str, list[str]] = field(default_factory=dict)
    product_questions: dict[str, list[str]] = field(default_factory=dict)
    topics: dict[str, list[str]] = field(default_factory=dict)

    def add(self, data: dict[str, Any], source: str) -> None:
        try:
            self.particles.update(_words(data.get("particles", [])))
            self.fillers.update(_words(data.get("fillers", [])))
            self.slang.update({str(k): str(v) for k, v in data.get("slang", {}).items()})
            self.numbers.update({str(k): int(v) for k, v in data.get("numbers", {}).items()})
            self.multipliers.update(
                {str(k): int(v) for k, v in data.get("multipliers", {}).items()}
            )
            self.units.update(_words(data.get("units", {}).get("pieces", [])))
            self.questions.update(_words(data.get("questions", {}).get("words", [])))
            for name in ("colours", "sizes", "products", "intents", "edits"):
                _extend(getattr(self, name), data.get(name, {}))
            _extend(self.product_questions, data.get("product_questions", {}))
            _extend(self.topics, data.get("topics", {}))
        except (TypeError, ValueError, AttributeError) as exc:
            raise LexiconProblem("lexicon_unusable", file=source, detail=str(exc)) from None


def _words(values: Any) -> list[str]:
    if not isinstance(values, list):
        raise TypeError(f"expected a list of words, not {values!r}")
    return [str(v).casefold() for v in values]


def _extend(target: dict[str, list[str]], table: Any) -> None:
    if not isinstance(table, dict):
        raise TypeError(f"expected a table, not {table!r}")
    for key, values in table.items():
        target.setdefault(str(key).casefold(), []).extend(_words(values))


def load_lexicon(shop_dir: str | Path | None = None) -> Lexicon:
    lexicon = Lexicon()
    folders = [(BUILTIN / f"{language}.toml") for language in LANGUAGES]
    if shop_dir is not None:
        folders += [Path(shop_dir) / language / FILE for language in LANGUAGES]
    for path in folders:
        if not path.is_file():
            continue
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise LexiconProblem("lexicon_unusable", file=str(path), detail=str(exc)) from None
        lexicon.add(data, str(path))
    return lexicon
