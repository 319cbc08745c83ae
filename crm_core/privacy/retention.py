"""Keeping chat text no longer than the shop needs it (UU PDP art. 16: data kept only as
long as its purpose needs). Message bodies older than the retention age are emptied;
the rows stay (who wrote when, on which channel), and so do orders and consent events,
which the shop must keep as proof."""

from __future__ import annotations

from datetime import datetime, timedelta

from crm_core.models import Message, OutboxMessage

PURGED = "[expired]"


async def purge_old_messages(now: datetime, keep: timedelta) -> int:
    """Empty the text of messages older than ``keep``; returns how many were emptied."""
    cutoff = now - keep
    # Bodies are sealed and cannot be compared in SQL: expired_at marks what is done.
    emptied = await Message.filter(created_at__lt=cutoff, expired_at__isnull=True).update(
        body=PURGED, media_url=None, expired_at=now
    )
    # The outbox holds a copy of each text sent; a finished row's copy goes too.
    await OutboxMessage.filter(
        created_at__lt=cutoff, status__in=("sent", "failed"), expired_at__isnull=True
    ).update(body=PURGED, expired_at=now)
    return emptied
