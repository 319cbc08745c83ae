"""One person typing to the engine on one channel, on a fake clock that starts at
``START``."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from bot.conversation.engine import Engine
from bot.inbound import Inbound, Reply

START = datetime(2026, 11, 2, 3, 0, tzinfo=UTC)  # 10:00 in Jakarta, a Monday


class Chat:
    """One person typing to the engine on one channel, one second apart."""

    _ids = itertools.count(1)

    def __init__(
        self, engine: Engine, channel: str = "telegram", sender: str = "1001", **who: object
    ):
        self.engine = engine
        self.channel = channel
        self.sender = sender
        self.who = who
        self.now = START
        self.replies: list[Reply] = []

    async def send(self, text: str = "", **extra: object) -> list[Reply]:
        self.now += timedelta(seconds=1)
        fields = {**self.who, **extra}
        external_id = str(fields.pop("external_id", f"u{next(self._ids)}"))
        inbound = Inbound(
            channel=self.channel,
            sender=self.sender,
            text=text,
            external_id=external_id,
            received_at=self.now,
            **fields,  # type: ignore[arg-type]
        )
        self.replies = await self.engine.handle(inbound)
        return self.replies

    @property
    def text(self) -> str:
        """Everything the customer just received, as one string."""
        return "\n".join(r.text for r in self.replies)

    @property
    def choices(self) -> tuple[str, ...]:
        return self.replies[-1].choices if self.replies else ()

    async def onboard(
        self, *, consent: str = "ya", name: str = "Budi Santoso", city: str = "Bandung"
    ) -> None:
        await self.send("halo")
        await self.send(consent)
        await self.send(name)
        await self.send(city)
        if consent == "ya":
            await self.send("lewati")  # how did you find us?

    async def to_confirmation(
        self,
        order: str,
        address: str = "Jl. Merdeka No. 10, Sumur Bandung",
        phone: str = "081234567890",
    ) -> None:
        """From the menu of an onboarded customer with no address or phone yet, to the
        order's confirmation question."""
        await self.send(order)
        await self.send(address)
        await self.send(phone)
