"""Sending no faster than a channel allows: overall, and per chat. Telegram takes about 30
messages a second from a bot and about 1 a second into one chat; past that it answers
429 and makes everyone wait."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable


class RateLimits:
    def __init__(
        self,
        overall: float,
        per_chat: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.overall_gap = 1.0 / overall
        self.chat_gap = 1.0 / per_chat
        self.clock = clock
        self.sleep = sleep
        self._next_any = 0.0
        self._next_chat: dict[str, float] = {}

    async def wait(self, chat: str) -> None:
        """Until this chat's turn. The slot is taken at once (nothing awaits in between,
        so no lock is needed) and waited for after: one chat's gap never holds up a
        message to another chat."""
        now = self.clock()
        ready = max(now, self._next_any, self._next_chat.get(chat, 0.0))
        self._next_any = ready + self.overall_gap
        self._next_chat[chat] = ready + self.chat_gap
        if len(self._next_chat) > 10_000:  # forget chats whose gap has long passed
            self._next_chat = {k: v for k, v in self._next_chat.items() if v > ready}
        if ready > now:
            await self.sleep(ready - now)

    async def wait_overall(self) -> None:
        """The overall gap alone: for replies, which a chat's own order already paces."""
        now = self.clock()
        ready = max(now, self._next_any)
        self._next_any = ready + self.overall_gap
        if ready > now:
            await self.sleep(ready - now)


def telegram_limits(
    overall: float = 30,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> RateLimits:
    return RateLimits(overall=overall, per_chat=1, clock=clock, sleep=sleep)
