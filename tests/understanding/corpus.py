"""The understanding corpus: reading its files and scoring the language layer on them.
See SPEC.md beside this file for the format."""

from __future__ import annotations

import re
import shlex
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from bot.understanding.reading import Mention, Reading

HERE = Path(__file__).parent
FILES = {"id": HERE / "corpus_id.txt", "en": HERE / "corpus_en.txt"}
_ITEM = re.compile(r"\[([^\]]*)\]")


@dataclass(frozen=True)
class Expected:
    intent: str
    items: tuple[tuple[str, str, str, str], ...] = ()
    topic: str | None = None


@dataclass(frozen=True)
class Case:
    language: str
    category: str
    line: int
    message: str
    expected: Expected


def parse_expected(text: str) -> Expected:
    items = []
    for raw in _ITEM.findall(text):
        fields = [f.strip() for f in raw.split("|")]
        fields += ["-"] * (4 - len(fields))
        items.append((fields[0], fields[1], fields[2], fields[3]))
    rest = _ITEM.sub(" ", text)
    words = shlex.split(rest)
    topic = None
    for word in words[1:]:
        name, _, value = word.partition("=")
        if name == "topic":
            topic = value
    return Expected(words[0], tuple(items), topic)


def cases(language: str) -> Iterator[Case]:
    category = ""
    path = FILES[language]
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        stripped = line.strip()
        if stripped.startswith("## "):
            category = stripped[3:].strip()
            continue
        if not stripped or stripped.startswith("#"):
            continue
        message, sep, expected = line.rpartition("=>")
        if not sep:
            raise ValueError(f"{path.name}:{number}: no '=>' in {line!r}")
        yield Case(language, category, number, message.strip(), parse_expected(expected.strip()))


def describe(mention: Mention) -> tuple[str, str, str, str]:
    product = "~".join(p.name for p in mention.products) or "-"
    quantity = (
        f"+{mention.more}"
        if mention.more
        else (str(mention.quantity) if mention.quantity is not None else "-")
    )
    return (product, mention.colour or "-", mention.size or "-", quantity)


def agrees(reading: Reading, expected: Expected) -> bool:
    if reading.intent.value != expected.intent:
        return False
    if expected.topic is not None and reading.topic != expected.topic:
        return False
    got = tuple(describe(m) for m in reading.items if not m.empty)
    want = tuple(i for i in expected.items if i != ("-", "-", "-", "-"))
    return [_key(g) for g in got] == [_key(w) for w in want]


def _key(item: tuple[str, str, str, str]) -> tuple[frozenset[str], str, str, str]:
    """An item compared without case, its candidate products in any order."""
    product, colour, size, quantity = (f.casefold() for f in item)
    return frozenset(product.split("~")), colour, size, quantity


def shown(reading: Reading) -> str:
    items = " ".join("[" + "|".join(describe(m)) + "]" for m in reading.items if not m.empty)
    topic = f" topic={reading.topic}" if reading.topic else ""
    return f"{reading.intent.value}{(' ' + items) if items else ''}{topic}"


@dataclass
class Score:
    right: int = 0
    total: int = 0
    misses: list[tuple[Case, str]] = field(default_factory=list)

    @property
    def share(self) -> float:
        return self.right / self.total if self.total else 0.0


def score(read, language: str) -> tuple[Score, dict[str, Score]]:  # type: ignore[no-untyped-def]
    overall = Score()
    by_category: dict[str, Score] = defaultdict(Score)
    for case in cases(language):
        reading = read(case.message)
        ok = agrees(reading, case.expected)
        for s in (overall, by_category[case.category]):
            s.total += 1
            s.right += ok
            if not ok:
                s.misses.append((case, shown(reading)))
    return overall, dict(by_category)
