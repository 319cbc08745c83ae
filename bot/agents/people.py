"""Records the team makes and mends: /baru adds a customer who ordered by phone or at
the counter, /gabung merges the two records of one person (admins only)."""

from __future__ import annotations

from bot.agents.commands import Usage
from bot.agents.turn import AgentTurn
from bot.conversation.ordering import MAX_ADDRESS, clean_address
from bot.conversation.steps import MAX_NAME, clean_city, clean_name
from crm_core.customers.cities import read_city
from crm_core.customers.lookup import resolve
from crm_core.customers.phones import try_normalize_phone
from crm_core.customers.records import merge_customers
from crm_core.errors import InputError
from crm_core.models import Customer
from crm_core.privacy.sealing import phone_index
from crm_core.staff.audit import audit


async def new_customer(turn: AgentTurn, args: str) -> None:
    """``/baru NAMA, HP, KOTA, ALAMAT``: a customer the shop vouches for. Their phone
    counts as proven, so when they write from it on WhatsApp this record is theirs,
    order history and all. The address may hold commas; it is everything after the
    city."""
    parts = [part.strip() for part in args.split(",", 3)]
    if len(parts) < 4 or not all(parts):
        raise Usage
    name, phone_text, city_text, address_text = parts
    if (shown := clean_name(name)) is None:
        raise InputError("customer_name_unusable", most=MAX_NAME)
    phone = try_normalize_phone(phone_text)
    if phone is None:
        raise InputError("phone_unreadable", text=phone_text)
    if (city := clean_city(city_text)) is None:
        raise InputError("city_unreadable", text=city_text)
    if (address := clean_address(address_text)) is None:
        raise InputError("address_unusable", most=MAX_ADDRESS)
    existing = await Customer.filter(phone_index=phone_index(phone), merged_into_id=None).first()
    if existing is not None:
        raise InputError(
            "customer_phone_taken", phone=phone, id=existing.id,
            name=existing.name or existing.display_name or "",
        )  # fmt: skip
    counted, typed = read_city(city)
    customer = await Customer.create(
        name=shown, phone=phone, phone_verified=True, city=counted, city_typed=typed,
        address=address, language=turn.agent.language, created_at=turn.now, updated_at=turn.now,
    )  # fmt: skip
    await audit(turn.agent, "customer.add", turn.now, customer_id=customer.id)
    turn.say("agent_customer_added", customer=customer)


async def merge(turn: AgentTurn, args: str) -> None:
    """``/gabung 12 30``: one person with two records (they wrote from two numbers).
    The older record stays; orders, chats, notes, tags and consent move to it; its own
    details win and the other's fill the gaps. Recorded and audited."""
    words = args.split()
    if len(words) != 2:
        raise Usage
    first, second = await resolve(words[0]), await resolve(words[1])
    if first.id == second.id:
        raise InputError("merge_same_record")
    keep, fold = (first, second) if first.id < second.id else (second, first)
    await merge_customers(keep, fold, turn.now, reason=f"agent:{turn.agent.name}", current=keep)
    await audit(turn.agent, "customer.merge", turn.now, customer_id=keep.id, merged=fold.id)
    turn.say("agent_customers_merged", customer=keep, folded=fold)
