"""Reading and checking the campaigns file: a mistake stops the service at start-up,
naming the file, the line and the problem, instead of surfacing at 3 a.m."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from crm_core.errors import SettingsError
from crm_core.insight.segments import SEGMENTS
from message_templates import TemplateProblem, Texts

BUILTIN = Path(__file__).with_name("campaigns.toml")
# kind -> (its interval setting, what the number counts)
KINDS = {
    "nurture": "days_after_order",
    "winback": "days_without_order",
    "loyalty": "nth_order",
    "unfinished": "hours",
}
OPTIONAL = {"tag", "voucher", "segment", "per_day"}
# Win-backs a campaign sends in any 24 hours unless its file says otherwise: the day a
# shop starts (or imports its old customers), everyone quiet for months is due at once.
# Well under WhatsApp's first limit of 250 customers a day a business may start a chat
# with, and as many replies as a small team can answer.
WINBACK_PER_DAY = 100
MAX_PER_DAY = 10_000


@dataclass(frozen=True)
class Campaign:
    name: str
    kind: str
    template: str
    every: int  # the kind's number: days, hours, or the Nth order
    tag: str | None = None
    voucher: str | None = None
    segment: str | None = None  # one of crm_core.insight.segments.SEGMENTS, as of the sweep
    per_day: int | None = None  # win-backs only: at most this many in any 24 hours

    @property
    def daily_limit(self) -> int | None:
        """How many of its messages may go out in 24 hours; None: no limit."""
        if self.kind != "winback":
            return None
        return self.per_day if self.per_day is not None else WINBACK_PER_DAY


def load_campaigns(path: str | Path | None, texts: Texts) -> list[Campaign]:
    source = Path(path) if path else BUILTIN
    if not source.is_file():
        raise SettingsError("file_missing", file=str(source))
    text = source.read_text("utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError("file_unreadable", file=str(source), detail=str(exc)) from None
    campaigns = []
    for name, table in data.items():
        where = f"{source}:{_line_of(text, name)} [{name}]"
        if not isinstance(table, dict):
            raise SettingsError("campaign_table", where=where)
        kind = table.get("kind")
        if kind not in KINDS:
            raise SettingsError(
                "campaign_kind", where=where, kind=str(kind), known=", ".join(KINDS)
            )
        number_key = KINDS[kind]
        unknown = set(table) - {"kind", "template", number_key} - OPTIONAL
        if unknown:
            raise SettingsError(
                "campaign_unknown_setting", where=where, names=", ".join(sorted(unknown))
            )
        template = table.get("template")
        if not isinstance(template, str) or template not in texts.names("id"):
            raise SettingsError("campaign_template_missing", where=where, template=str(template))
        number = table.get(number_key)
        if not isinstance(number, int) or isinstance(number, bool) or number <= 0:
            raise SettingsError("campaign_number", where=where, name=number_key, value=str(number))
        segment = table.get("segment")
        if segment is not None and segment not in SEGMENTS:
            raise SettingsError(
                "campaign_segment", where=where, segment=str(segment), known=", ".join(SEGMENTS)
            )
        tag = table.get("tag")
        if tag is not None and (not isinstance(tag, str) or not tag.strip()):
            raise SettingsError("campaign_tag", where=where)
        voucher = table.get("voucher") or None
        per_day = table.get("per_day")
        if per_day is not None and kind != "winback":
            raise SettingsError("campaign_per_day_kind", where=where)
        if per_day is not None and (
            not isinstance(per_day, int) or isinstance(per_day, bool)
            or not 1 <= per_day <= MAX_PER_DAY
        ):  # fmt: skip
            raise SettingsError(
                "campaign_per_day", where=where, most=MAX_PER_DAY, value=str(per_day)
            )
        _try_render(texts, template, kind, where)
        campaigns.append(Campaign(name, kind, template, number, tag, voucher, segment, per_day))
    return campaigns


def _try_render(texts: Texts, template: str, kind: str, where: str) -> None:
    """Render the template, in both languages, with what its kind will give it: a
    template that needs something else fails now, not at the first customer."""
    customer = SimpleNamespace(name="Budi", display_name="Budi", language="id")
    order = SimpleNamespace(id=1, ref="INV-2026-0001", total=150_000, items=[])
    contexts: dict[str, dict[str, Any]] = {
        "nurture": {"order": order},
        "winback": {"bought": ["Kaos Polos"], "suggestion": "Hijab Voal", "voucher": None},
        "loyalty": {"nth": 5},
        "unfinished": {},
    }
    context = contexts[kind]
    for language in ("id", "en"):
        try:
            texts.render(template, language, customer=customer, **context)
        except TemplateProblem as exc:
            raise SettingsError(
                "campaign_template_unfit", where=where, kind=kind, detail=exc
            ) from None


def _line_of(text: str, name: str) -> int:
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip() in (f"[{name}]", f'["{name}"]'):
            return number
    return 1
