"""One agent command being handled."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.inbound import Inbound, Reply
from crm_core.contact_policy import Rules
from crm_core.models import Agent
from message_templates import Texts


@dataclass
class AgentTurn:
    agent: Agent
    inbound: Inbound
    now: datetime
    texts: Texts
    rules: Rules
    replies: list[Reply] = field(default_factory=list)

    def say(self, template: str, **context: Any) -> None:
        context.setdefault("agent", self.agent)
        self.replies.append(Reply(self.texts.render(template, self.agent.language, **context)))

    def label(self, key: str) -> str:
        return self.texts.label(key, self.agent.language)
