"""Wiring the running service once, at the top: engine, channels, web server."""

from __future__ import annotations

from bot.conversation import Engine
from crm_core.settings import Settings
from message_templates import TemplateProblem, Texts


def build_engine(settings: Settings) -> Engine:
    texts = Texts(settings.templates_dir, settings.timezone)
    problems = texts.check()
    if problems:
        raise TemplateProblem("; ".join(problems))
    return Engine(texts, default_language=settings.locale)


async def run(settings: Settings) -> None:
    raise NotImplementedError
