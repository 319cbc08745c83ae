"""A small shop with a known history, counted by hand, for the reports' tests: customers
in several cities and segments, orders across months and time zones' day boundaries;
and reading the size of a chart's picture."""

from __future__ import annotations

import struct
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from crm_core.models import Customer, CustomerTag, Order, OrderItem

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

JAKARTA = ZoneInfo("Asia/Jakarta")

NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)  # 10:00 on 1 December in Jakarta


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def local(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=JAKARTA).astimezone(UTC)


async def customer(name: str, created: datetime, orders: list[datetime], spent: int,
                   **profile: object) -> Customer:  # fmt: skip
    """A customer with the running figures the order code would have kept."""
    return await Customer.create(
        name=name, created_at=created, updated_at=created, orders_count=len(orders),
        total_spent=spent, first_order_at=min(orders, default=None),
        last_order_at=max(orders, default=None), **profile,
    )  # fmt: skip


async def order(
    who: Customer, at: datetime, city: str, *items: tuple, status: str = "selesai"
) -> None:
    total = sum(price * qty for _, price, qty, _, _ in items)
    placed = await Order.create(
        customer=who, status=status, channel="telegram", total=total, ship_name=who.name,
        ship_address="Jl. Merdeka 1", ship_city=city, created_at=at, updated_at=at,
    )  # fmt: skip
    for name, price, qty, colour, size in items:
        await OrderItem.create(order=placed, product_name=name, unit_price=price, quantity=qty,
                               colour=colour, size=size)  # fmt: skip


async def small_shop() -> None:
    ani_orders = [utc(2026, 9, 15, 3), local(2026, 11, 3, 10), local(2026, 11, 30, 23, 30)]
    ani = await customer("Ani", utc(2026, 10, 1), ani_orders, 345_000, city="Bandung",
                         gender="f", age_band="25-34", lead_source="instagram")  # fmt: skip
    await order(ani, ani_orders[0], "Bandung", ("Hijab Voal", 45_000, 1, "Mocca", None))
    await order(ani, ani_orders[1], "Bandung", ("Kaos Polos", 75_000, 2, "Hitam", "L"))
    # 23:30 on the period's last day, local time: inside the period.
    await order(ani, ani_orders[2], "Bandung", ("Kemeja Batik", 150_000, 1, "Biru", "M"))

    budi_orders = [local(2026, 11, 10, 12), local(2026, 12, 1, 0, 30)]
    budi = await customer("Budi", local(2026, 11, 10, 11), budi_orders, 200_000,
                          city="Jakarta", gender="m", lead_source="tiktok")  # fmt: skip
    await order(budi, budi_orders[0], "Jakarta", ("Kaos Polos", 75_000, 1, "Putih", "M"),
                ("Tote Bag Kanvas", 35_000, 1, None, None))  # fmt: skip
    # 00:30 the next morning, local time (still 30 November in UTC): outside.
    await order(budi, budi_orders[1], "Jakarta", ("Hijab Voal", 45_000, 2, "Hitam", None),
                status="baru")  # fmt: skip

    citra = await customer("Citra", local(2026, 11, 20, 9), [], 0, lead_source="instagram")
    await order(citra, local(2026, 11, 21, 9), "Bandung", ("Hijab Voal", 45_000, 3, "Hitam", None),
                status="batal")  # fmt: skip
    await customer("Dedi", local(2026, 11, 25, 9), [], 0)
    eko = await customer("Eko", utc(2026, 2, 1), [utc(2026, 3, 1)], 50_000)
    await order(eko, utc(2026, 3, 1), "Solo", ("Tote Bag Kanvas", 50_000, 1, None, None))
    fajar_orders = [utc(2026, month, 1, 3) for month in (4, 5, 6, 7, 8)]
    fajar = await customer("Fajar", utc(2026, 3, 1), fajar_orders, 2_500_000)
    for at in fajar_orders:
        await order(fajar, at, "Medan", ("Kemeja Batik", 500_000, 1, "Coklat", "XL"))
    gone = await customer("Ani (lama)", utc(2026, 1, 1), [utc(2026, 11, 29)], 9_000_000)
    await Customer.filter(id=gone.id).update(merged_into_id=ani.id)
    await CustomerTag.create(customer=ani, name="vip", created_at=NOW)
    await CustomerTag.create(customer=gone, name="vip", created_at=NOW)


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_SIGNATURE
    assert data[12:16] == b"IHDR"  # the first chunk holds the dimensions
    width, height = struct.unpack(">II", data[16:24])
    return width, height
