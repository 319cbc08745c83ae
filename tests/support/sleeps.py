"""A fake asyncio.sleep and the clock it moves, for the senders' rate limits."""

from __future__ import annotations


class Sleeps(list[float]):
    """A stand-in for asyncio.sleep, and the clock it moves: each wait asked for is
    remembered and passes at once, moving ``clock`` on by as much. Senders keep their
    pace on it (their rate limits read ``clock``), and no test waits for them."""

    now = 1_000.0

    async def __call__(self, seconds: float) -> None:
        self.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now
