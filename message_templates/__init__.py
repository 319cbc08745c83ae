"""Every text Langgan sends, per language, and the one renderer for them.

Texts are Jinja2 files under ``id/`` and ``en/``; a shop's own folder
(``LANGGAN_TEMPLATES_DIR``, laid out the same way) is searched first, so a shop can
override any text without touching Langgan. Button labels and status names live in each
language's ``labels.toml``.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from jinja2 import (
    ChoiceLoader,
    FileSystemLoader,
    StrictUndefined,
    TemplateError,
    meta,
    pass_context,
)
from jinja2.sandbox import ImmutableSandboxedEnvironment

from crm_core.errors import LangganError, describe_with
from crm_core.sales.money import rupiah
from message_templates.error_texts import describe

BUILTIN_DIR = Path(__file__).parent
LANGUAGES = ("id", "en")
SUFFIX = ".j2"
# The sandbox stops attribute escapes but not "'a' * 10**7": cap sizes ourselves.
MAX_TEMPLATE_BYTES = 20_000
MAX_RENDERED_CHARS = 4_000  # under Telegram's 4,096 and WhatsApp's 4,096 per message


class TemplateProblem(LangganError):
    """A template that cannot be used: which one, and why (a sentence for the owner,
    never a traceback)."""


@dataclass(frozen=True)
class ContentTemplate:
    """An approved WhatsApp Content Template standing in for one of our texts."""

    sid: str
    variables: tuple[str, ...]  # dotted names, filling {{1}}, {{2}}, ... in order

    def values(self, context: Mapping[str, Any]) -> dict[str, str]:
        return {str(i): str(_lookup(context, name)) for i, name in enumerate(self.variables, 1)}


_TAGS = re.compile(r"\{%.*?%\}|\{#.*?#\}")


def keep_line_breaks(source: str) -> str:
    """Mark every line that holds text and ends in a block tag with Jinja's ``+%}``, so
    the line break after it stays. ``trim_blocks`` is meant for lines that are only
    tags ("{% for ... %}" on a line of its own); on a line of text it would join two
    lines of a message into one ("Budi SantosoHP: ...")."""
    lines = source.split("\n")
    for i, line in enumerate(lines):
        bare = line.rstrip()
        explicit = bare.endswith(("+%}", "-%}"))  # the author said what they wanted
        if bare.endswith("%}") and not explicit and _TAGS.sub("", bare).strip():
            lines[i] = bare[:-2] + "+%}"
    return "\n".join(lines)


class _TextLoader(FileSystemLoader):
    """Loads texts with their line breaks kept (see ``keep_line_breaks``), the shop's
    own folder included."""

    def get_source(self, environment: Any, template: str) -> tuple[str, str, Callable[[], bool]]:
        source, filename, uptodate = super().get_source(environment, template)
        return keep_line_breaks(source), filename, uptodate


def _lookup(context: Mapping[str, Any], dotted: str) -> Any:
    head, *rest = dotted.split(".")
    value = context[head]
    for part in rest:
        value = value[part] if isinstance(value, Mapping) else getattr(value, part)
    return value


class Texts:
    def __init__(self, shop_dir: str | Path | None = None, timezone: str = "Asia/Jakarta") -> None:
        self.tz = ZoneInfo(timezone)
        self.shop_dir = Path(shop_dir) if shop_dir else None
        if self.shop_dir is not None and not self.shop_dir.is_dir():
            raise TemplateProblem("templates_dir_missing", folder=str(self.shop_dir))
        search = [str(d) for d in (self.shop_dir, BUILTIN_DIR) if d is not None]
        self.env = ImmutableSandboxedEnvironment(
            loader=ChoiceLoader([_TextLoader(search)]),
            undefined=StrictUndefined,
            autoescape=False,  # plain chat text: "&" must stay "&"
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
            auto_reload=False,
        )
        self.env.filters["rupiah"] = rupiah
        self.env.filters["local"] = self._local_time
        self.env.filters["month"] = self._month
        self._labels = {lang: self._load_labels(lang) for lang in LANGUAGES}
        self._sources: dict[str, Any] = {}
        self._content, self._content_problems = self._load_content()

    def _load_content(self) -> tuple[dict[str, dict[str, Any]], list[str]]:
        path = (self.shop_dir or BUILTIN_DIR) / "whatsapp.toml"
        if not path.is_file():
            path = BUILTIN_DIR / "whatsapp.toml"
        try:
            data = tomllib.loads(path.read_text("utf-8"))
        except tomllib.TOMLDecodeError as exc:
            return {}, [f"{path}: {exc}"]
        problems = []
        for name, entry in data.items():
            where = f"{path} [{name}]"
            if not isinstance(entry, dict):
                problems.append(f"{where}: expected a table with id and variables")
            elif not (BUILTIN_DIR / "id" / f"{name}{SUFFIX}").is_file():
                problems.append(f"{where}: there is no text called {name!r}")
            elif not str(entry.get("id", "")).startswith("HX"):
                problems.append(f"{where}: id must be an approved content id (HX...)")
            elif not all(isinstance(v, str) for v in entry.get("variables", [])):
                problems.append(f"{where}: variables must be a list of names")
        return data, problems

    def whatsapp_content(self, name: str, lang: str) -> ContentTemplate | None:
        """The approved template for ``name`` in ``lang`` (else Indonesian), if mapped."""
        entry = self._content.get(name)
        if not isinstance(entry, dict):
            return None
        sid = entry.get(lang) or entry.get("id")
        if not isinstance(sid, str) or not sid.startswith("HX"):
            return None
        return ContentTemplate(sid, tuple(entry.get("variables", ())))

    def _load_labels(self, lang: str) -> dict[str, str]:
        labels: dict[str, str] = {}
        for base in (BUILTIN_DIR, self.shop_dir):
            if base is None:
                continue
            path = base / lang / "labels.toml"
            if path.is_file():
                try:
                    data = tomllib.loads(path.read_text("utf-8"))
                except tomllib.TOMLDecodeError as exc:
                    raise TemplateProblem(
                        "file_unreadable", file=str(path), detail=str(exc)
                    ) from None
                labels.update({str(k): str(v) for k, v in data.items()})
        return labels

    def render_source(self, source: str, lang: str, **context: Any) -> str:
        """A text that is not a file: the shop's answer to a question (``shop.toml``),
        run in the same sandbox, with the same filters and limits."""
        lang = lang if lang in LANGUAGES else "id"
        template = self._sources.get(source)
        try:
            if template is None:
                if len(source.encode()) > MAX_TEMPLATE_BYTES:
                    raise TemplateProblem("text_too_large", most=MAX_TEMPLATE_BYTES)
                template = self.env.from_string(source)
                self._sources[source] = template
            text = template.render(label=self.label_for(lang), lang=lang, **context)
        except TemplateError as exc:
            raise TemplateProblem("template_broken", detail=str(exc)) from exc
        text = text.strip()
        if len(text) > MAX_RENDERED_CHARS:
            text = text[: MAX_RENDERED_CHARS - 1] + "…"
        return text

    def check_source(self, source: str, **context: Any) -> str | None:
        """Why ``source`` cannot be used (it does not parse, or names a value that
        ``context`` lacks), or None."""
        try:
            self.render_source(source, "id", **context)
        except TemplateProblem as exc:
            return str(exc)
        return None

    def names(self, lang: str = "id") -> list[str]:
        return sorted(p.stem for p in (BUILTIN_DIR / lang).glob(f"*{SUFFIX}"))

    def render(self, name: str, lang: str, **context: Any) -> str:
        lang = lang if lang in LANGUAGES else "id"
        template_name = f"{lang}/{name}{SUFFIX}"
        try:
            template = self.env.get_template(template_name)
            text = template.render(label=self.label_for(lang), lang=lang, **context)
        except TemplateError as exc:
            raise TemplateProblem("template_unusable", name=template_name, detail=str(exc)) from exc
        text = text.strip()
        if len(text) > MAX_RENDERED_CHARS:
            text = text[: MAX_RENDERED_CHARS - 1] + "…"
        return text

    @pass_context
    def _local_time(self, context: Any, moment: datetime, pattern: str = "d MMM yyyy HH:mm") -> str:
        """A stored (UTC) time in the shop's time zone, in the reader's language."""
        return format_datetime(
            moment.astimezone(self.tz), pattern, locale=context.get("lang", "id")
        )

    def error(self, error: LangganError, lang: str) -> str:
        """What went wrong, in ``lang``, in the shop's words where it has its own."""
        return describe(error, lang, self.shop_dir)

    @pass_context
    def _month(self, context: Any, day: date | str) -> str:
        return self.month(day, context.get("lang", "id"))

    def day(self, day: date, lang: str) -> str:
        """A day as people read it, in ``lang``: ``2 Des 2026``, ``2 Dec 2026``."""
        return format_date(day, "d MMM y", locale=lang if lang in LANGUAGES else "id")

    def month(self, day: date | str, lang: str) -> str:
        """A month as people read it, in ``lang``: ``Des 2026``, ``Dec 2026`` (a report's
        month is its first day, ``2026-12-01``)."""
        first = date.fromisoformat(day) if isinstance(day, str) else day
        return format_date(first, "LLL y", locale=lang if lang in LANGUAGES else "id")

    def label(self, key: str, lang: str) -> str:
        table = self._labels.get(lang) or self._labels["id"]
        return table.get(key) or self._labels["id"].get(key) or key

    def label_for(self, lang: str) -> Any:
        return lambda key: self.label(key, lang)

    def labels(self, key: str) -> set[str]:
        """The label in every language, for matching what a customer tapped or typed."""
        return {self.label(key, lang).casefold() for lang in LANGUAGES}

    def check(self) -> list[str]:
        """Problems in the templates in use (built-in and the shop's), found at start-up
        rather than when a customer is waiting: unreadable, too large, or not parsing."""
        problems = list(self._content_problems)
        for lang in LANGUAGES:
            for name in self.names(lang):
                template_name = f"{lang}/{name}{SUFFIX}"
                try:
                    source, filename, _ = self.env.loader.get_source(self.env, template_name)  # type: ignore[union-attr]
                    if len(source.encode()) > MAX_TEMPLATE_BYTES:
                        problems.append(f"{filename}: larger than {MAX_TEMPLATE_BYTES} bytes")
                        continue
                    meta.find_undeclared_variables(self.env.parse(source))
                except TemplateError as exc:
                    problems.append(f"{template_name}: {exc}")
        return problems


# Every error Langgan raises reads as English in a log or a traceback; readers get
# their own language through Texts.error or describe.
describe_with(describe)
