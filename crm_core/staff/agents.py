"""The shop's agents: registering them, removing them, recognising them, and the chat that
reaches each."""

from __future__ import annotations

from datetime import datetime

from crm_core.customers.phones import normalize_phone
from crm_core.errors import InputError
from crm_core.models import Agent, Customer
from crm_core.models.staff import ROLES
from crm_core.privacy.sealing import phone_index
from crm_core.staff.audit import audit


async def add_agent(
    name: str,
    now: datetime,
    *,
    telegram_id: int | None = None,
    phone: str | None = None,
    role: str = "agent",
    language: str = "id",
) -> Agent:
    name = " ".join(name.split())
    if not 1 <= len(name) <= 80:
        raise InputError("agent_name_length", most=80)
    if role not in ROLES:
        raise InputError("agent_role_unknown", role=role, known=", ".join(ROLES))
    if (telegram_id is None) == (phone is None):
        raise InputError("agent_one_identity")
    if telegram_id is not None and telegram_id <= 0:
        raise InputError("agent_telegram_id")
    e164 = normalize_phone(phone) if phone is not None else None
    taken = (
        await Agent.filter(active=True)
        .filter(
            **(
                {"telegram_id": telegram_id}
                if telegram_id is not None
                else {"phone_index": phone_index(e164)}
            )
        )
        .first()
    )
    if taken is not None:
        raise InputError(
            "agent_telegram_taken" if telegram_id else "agent_phone_taken", name=taken.name
        )
    if await Agent.filter(active=True, name__iexact=name).exists():
        # Commands, the audit log and "handled by" name agents: two Anis would be one.
        raise InputError("agent_name_taken", name=name)
    if e164 is not None:
        customer = await Customer.filter(phone_index=phone_index(e164), merged_into_id=None).first()
        if customer is not None:
            # The bot tells agents and customers apart by their number: one number
            # cannot be both, or the customer's chat would become a staff console.
            raise InputError("agent_phone_is_customer", phone=e164, id=customer.id)
    # A removed agent's row keeps its history; the identity is freed for a new one.
    if telegram_id is not None:
        await Agent.filter(active=False, telegram_id=telegram_id).update(telegram_id=None)
    else:
        await Agent.filter(active=False, phone_index=phone_index(e164)).update(
            phone=None, phone_index=None
        )
    agent = await Agent.create(
        name=name, role=role, telegram_id=telegram_id, phone=e164, language=language,
        created_at=now,
    )  # fmt: skip
    await audit(None, "agent.add", now, actor="cli", agent_id=agent.id, name=name, role=role)
    return agent


async def remove_agent(reference: str, now: datetime) -> Agent:
    agent = await find_agent_by_reference(reference)
    agent.active, agent.removed_at = False, now
    await agent.save(update_fields=["active", "removed_at"])
    await audit(None, "agent.remove", now, actor="cli", agent_id=agent.id, name=agent.name)
    return agent


async def find_agent_by_reference(reference: str, *, include_removed: bool = False) -> Agent:
    """An active agent by id, Telegram id, phone or exact name (for the command line);
    ``include_removed`` finds former agents too, for the audit log."""
    text = reference.strip()
    query = Agent.all() if include_removed else Agent.filter(active=True)
    candidates = []
    if text.lstrip("#").isdecimal():
        number = int(text.lstrip("#"))
        candidates = await query.filter(id=number) or await query.filter(telegram_id=number)
    if not candidates and any(ch.isdigit() for ch in text):
        try:
            candidates = await query.filter(phone_index=phone_index(normalize_phone(text)))
        except InputError:
            candidates = []
    if not candidates:
        candidates = [a for a in await query if a.name.casefold() == text.casefold()]
    if len(candidates) != 1:
        raise InputError("agent_not_found", reference=reference)
    return candidates[0]


async def recognise(telegram_id: int | None, phone: str | None) -> Agent | None:
    """The active agent behind a chat, by what the channel vouches for: the Telegram
    user id, or the number (a WhatsApp sender)."""
    if telegram_id is not None:
        return await Agent.filter(active=True, telegram_id=telegram_id).first()
    if phone is not None:
        return await Agent.filter(active=True, phone_index=phone_index(phone)).first()
    return None


def agent_address(agent: Agent) -> tuple[str, str] | None:
    """Where an agent is reached: their Telegram chat (a private chat's id is the user's
    id), else their WhatsApp number."""
    if agent.telegram_id is not None:
        return "telegram", str(agent.telegram_id)
    if agent.phone is not None:
        return "whatsapp", agent.phone
    return None
