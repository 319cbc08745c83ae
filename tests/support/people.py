"""An agent writing from their own chat, and a customer who has been through onboarding,
as the agents' tests set them up."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.conversation.engine import Engine
from crm_core.models import Customer
from crm_core.staff.agents import add_agent
from tests.support.chat import START, Chat


async def agent(engine: Engine, name: str = "Ani", telegram_id: int = 9001, **kw: Any) -> Chat:
    await add_agent(name, START, telegram_id=telegram_id, **kw)
    chat = Chat(engine, sender=str(telegram_id), telegram_id=telegram_id)
    chat.now = START + timedelta(hours=1)
    return chat


async def customer(engine: Engine, sender: str, name: str, **kw: Any) -> Customer:
    chat = Chat(engine, sender=sender, telegram_id=int(sender), display_name=name)
    await chat.onboard(name=name)
    if kw:
        await Customer.filter(name=name).update(**kw)
    return await Customer.get(name=name)
