"""The audit log: who did what to which record, and when. Every change an agent makes
(and each the system makes on its own, as "system") is one row."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from crm_core.models import Agent, AuditEvent


async def audit(
    agent: Agent | None,
    action: str,
    now: datetime,
    *,
    customer_id: int | None = None,
    actor: str | None = None,
    **detail: Any,
) -> None:
    await AuditEvent.create(
        agent=agent, actor=actor or (agent.name if agent else "system"), action=action,
        customer_id=customer_id, detail=detail, at=now,
    )  # fmt: skip
