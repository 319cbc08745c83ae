"""One agent command being handled."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from bot.inbound import Image, Inbound, Reply
from bot.understanding import Reading
from crm_core.models import Agent
from crm_core.outreach.contact_policy import Rules
from crm_core.shop import ShopFile
from message_templates import Texts


@dataclass
class AgentTurn:
    agent: Agent
    inbound: Inbound
    now: datetime
    texts: Texts
    rules: Rules
    replies: list[Reply] = field(default_factory=list)
    # The customers' language layer, for orders an agent types as a customer would.
    reader: Callable[[str], Reading] | None = None
    shop: ShopFile = field(default_factory=ShopFile)  # the shop's rules: shipping, invoices

    def invoice_series(self) -> str:
        return self.shop.orders.invoice_series(self.now.astimezone(self.texts.tz).year)

    def say(
        self,
        template: str,
        *,
        images: tuple[Image, ...] = (),
        chart_days: tuple[date, date] | None = None,
        choices: list[str] | tuple[str, ...] = (),
        **context: Any,
    ) -> None:
        context.setdefault("agent", self.agent)
        text = self.texts.render(template, self.agent.language, **context)
        self.replies.append(
            Reply(text, choices=tuple(choices), images=images, chart_days=chart_days)
        )

    def label(self, key: str) -> str:
        return self.texts.label(key, self.agent.language)
