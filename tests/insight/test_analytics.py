"""Every report figure and segment, against answers worked out by hand on a small shop,
on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from crm_core.errors import InputError
from crm_core.insight.analytics import Sales, Source, build_report
from crm_core.insight.periods import parse_period
from crm_core.insight.segments import churn_risk, in_segment, members, segment_of, segment_sizes
from crm_core.models import Customer, Order
from tests.support.chat import Chat
from tests.support.report_shop import JAKARTA, NOW, customer, local, order, small_shop, utc


async def test_the_report_of_a_month_matches_the_hand_count(store: str):
    await small_shop()
    report = await build_report(parse_period("2026-11", NOW, JAKARTA), NOW)

    assert (report.orders, report.revenue, report.buyers) == (3, 410_000, 2)
    assert (report.new_buyers, report.returning_buyers, report.repeat_buyers) == (1, 1, 1)
    assert report.repeat_rate == 0.5
    assert report.average_order == 136_667
    assert report.products == [
        Sales("Kaos Polos", 2, 3, 2, 225_000),
        Sales("Kemeja Batik", 1, 1, 1, 150_000),
        Sales("Tote Bag Kanvas", 1, 1, 1, 35_000),
    ]
    assert [(s.label, s.quantity, s.revenue) for s in report.colours] == [
        ("Hitam", 2, 150_000), ("Biru", 1, 150_000), ("Putih", 1, 75_000), ("", 1, 35_000),
    ]  # fmt: skip
    assert [(s.label, s.quantity, s.revenue) for s in report.sizes] == [
        ("M", 2, 225_000), ("L", 2, 150_000), ("", 1, 35_000),
    ]  # fmt: skip
    assert [(s.label, s.orders, s.revenue) for s in report.weeks] == [
        ("2026-11-02", 1, 150_000), ("2026-11-09", 1, 110_000), ("2026-11-30", 1, 150_000),
    ]  # fmt: skip
    assert [(s.label, s.orders, s.revenue) for s in report.months] == [("2026-11-01", 3, 410_000)]
    assert [(s.label, s.orders, s.buyers, s.revenue) for s in report.cities] == [
        ("Bandung", 2, 1, 300_000), ("Jakarta", 1, 1, 110_000),
    ]  # fmt: skip
    assert [(s.label, s.revenue) for s in report.genders] == [("f", 300_000), ("m", 110_000)]
    assert [(s.label, s.revenue) for s in report.age_bands] == [("25-34", 300_000), ("", 110_000)]
    assert report.sources == [Source("tiktok", 1, 1), Source("", 1, 0), Source("instagram", 1, 0)]
    assert report.tags == {"vip": 1}  # the merged-away record's tag is not counted


async def test_segments_and_churn_risk_match_the_hand_count(store: str):
    await small_shop()
    assert await segment_sizes(NOW) == {
        "champions": 0, "loyal": 1, "potential_loyalist": 1, "new": 0, "at_risk": 0,
        "cant_lose": 1, "hibernating": 0, "lost": 1,
    }  # fmt: skip
    names = {c.id: c.name for c in await Customer.all()}
    assert {names[i]: s for i, s in (await segment_of(list(names), NOW)).items()} == {
        "Ani": "loyal", "Budi": "potential_loyalist", "Eko": "lost", "Fajar": "cant_lose",
    }  # fmt: skip
    assert [names[i] for i in await in_segment("cant_lose", NOW)] == ["Fajar"]
    page = await members("Can't lose", NOW)
    assert [(m.name, m.orders_count, m.total_spent) for m in page.members] == [
        ("Fajar", 5, 2_500_000)
    ]
    [risk] = await churn_risk(NOW, JAKARTA)
    assert (risk.name, risk.orders_count, risk.usual_gap_days, risk.days_since) == (
        "Fajar", 5, 30.5, 122.0,
    )  # fmt: skip


async def test_cities_and_sources_count_as_one_however_they_were_typed(store: str, chat: Chat):
    """A customer who typed "bdg" and "dr ig kak" in the chat made a city Bdg beside
    Bandung and a source of their own, each counted apart in the report."""
    await small_shop()
    for said in ("halo", "ya", "Gita", "bdg", "dr ig kak"):
        await chat.send(said)  # 2 November, in the report's month
    await chat.to_confirmation("kaos hitam L 1")
    await chat.send("ya")
    report = await build_report(parse_period("2026-11", NOW, JAKARTA), NOW)

    assert [(s.label, s.orders, s.buyers, s.revenue) for s in report.cities] == [
        ("Bandung", 3, 2, 375_000), ("Jakarta", 1, 1, 110_000),
    ]  # fmt: skip
    assert report.sources == [Source("instagram", 2, 1), Source("tiktok", 1, 1), Source("", 1, 0)]
    # What she typed is kept beside what is counted.
    gita = await Customer.get(name="Gita")
    assert (gita.city, gita.city_typed, gita.lead_source, gita.lead_source_typed) == (
        "Bandung", "bdg", "instagram", "dr ig kak",
    )  # fmt: skip
    placed = await Order.get(customer_id=gita.id)
    assert (placed.ship_city, placed.ship_city_typed) == ("Bandung", "bdg")


async def test_a_customer_who_ordered_today_is_not_overdue(store: str):
    """Two orders this morning, half an hour apart, made a habit of half an hour: by
    ten o'clock the report listed her as overdue to reorder."""
    await small_shop()
    this_morning = [local(2026, 12, 1, 8, 0), local(2026, 12, 1, 8, 30)]
    hana = await customer("Hana", this_morning[0], this_morning, 150_000)
    for at in this_morning:
        await order(hana, at, "Bandung", ("Kaos Polos", 75_000, 1, "Hitam", "M"))
    report = await build_report(parse_period("7d", NOW, JAKARTA), NOW)
    assert [r.name for r in report.churn] == ["Fajar"]


async def test_each_segment_rule(store: str):
    # (orders, spent, days since the last order) -> segment
    cases = {
        (5, 800_000, 10): "champions", (3, 300_000, 90): "loyal", (1, 75_000, 5): "new",
        (2, 150_000, 50): "potential_loyalist", (1, 60_000, 100): "potential_loyalist",
        (5, 400_000, 200): "cant_lose", (1, 1_500_000, 300): "cant_lose",
        (3, 300_000, 150): "at_risk", (1, 50_000, 200): "hibernating",
        (2, 100_000, 400): "hibernating", (1, 50_000, 400): "lost",
    }  # fmt: skip
    ids = {}
    for (n, spent, days), _ in cases.items():
        last = NOW - timedelta(days=days)
        made = await customer(f"{n}-{spent}-{days}", last, [last] * n, spent)
        ids[made.id] = cases[(n, spent, days)]
    assert await segment_of(list(ids), NOW) == ids


@pytest.mark.parametrize(
    "text, first, last",
    [("2026-11", "2026-11-01", "2026-11-30"), ("7d", "2026-11-25", "2026-12-01"),
     ("", "2026-11-02", "2026-12-01"), ("2026-11-05", "2026-11-05", "2026-11-05"),
     ("2026-02-01..2026-02-28", "2026-02-01", "2026-02-28")],
)  # fmt: skip
def test_periods_people_write(text: str, first: str, last: str):
    period = parse_period(text, NOW, JAKARTA)
    assert (period.first.isoformat(), period.last.isoformat()) == (first, last)


@pytest.mark.parametrize(
    "text, says",
    [("kemarin-lusa", "is not a period"), ("2026-11-30..2026-11-01", "starts (2026-11-30) after"),
     ("2026-13", "is not a period"), ("0d", "between 1 and"), ("2020-01-01..2026-01-01", "longer")],
)  # fmt: skip
def test_bad_periods_are_explained(text: str, says: str):
    with pytest.raises(InputError, match=says.replace("(", r"\(").replace(")", r"\)")):
        parse_period(text, NOW, JAKARTA)


async def test_an_empty_shop_reports_zeroes(store: str):
    report = await build_report(parse_period("30d", NOW, JAKARTA), NOW)
    assert (report.orders, report.revenue, report.average_order) == (0, 0, 0)
    assert report.repeat_rate == 0.0
    assert report.products == [] and set(report.segments.values()) == {0}


async def test_days_follow_a_zone_that_changes_its_clocks(store: str):
    """New York leaves daylight saving on 1 November 2026: each order must land on the
    day its own offset gives, not the offset of the period's start."""
    new_york = ZoneInfo("America/New_York")
    buyer = await customer("Gita", utc(2026, 10, 1), [utc(2026, 11, 1, 3, 30)], 100_000)
    # 23:30 on 31 October (EDT, UTC-4) and 23:30 on 1 November (EST, UTC-5).
    await order(buyer, utc(2026, 11, 1, 3, 30), "Bandung", ("Kaos Polos", 50_000, 1, None, None))
    await order(buyer, utc(2026, 11, 2, 4, 30), "Bandung", ("Kaos Polos", 50_000, 1, None, None))
    period = parse_period("2026-10-25..2026-11-07", NOW, new_york)
    report = await build_report(period, NOW)
    assert [d.label for d in report.days] == ["2026-10-31", "2026-11-01"]
    assert [(w.label, w.orders) for w in report.weeks] == [("2026-10-26", 2)]


async def test_segment_of_many_customers_at_once(store: str):
    await small_shop()
    found = await segment_of(list(range(1, 25_001)), NOW)
    assert sorted(found.values()) == ["cant_lose", "lost", "loyal", "potential_loyalist"]


async def test_an_order_or_a_buyer_counts_once_per_line_of_a_breakdown(store: str):
    """Products, colours and sizes come from one read of the items, counted with a key
    of customer and order: two lines of one product in one order are one order, and one
    buyer of two colours is one buyer of each."""
    sri = await customer("Sri", utc(2026, 10, 1), [local(2026, 11, 2, 9)], 0)
    tono = await customer("Tono", utc(2026, 10, 1), [local(2026, 11, 3, 9)], 0)
    await order(sri, local(2026, 11, 2, 9), "Bandung", ("Kaos Polos", 75_000, 1, "Hitam", "M"),
                ("Kaos Polos", 75_000, 2, "Putih", "M"))  # fmt: skip
    await order(sri, local(2026, 11, 4, 9), "Bandung", ("Kaos Polos", 75_000, 1, "Hitam", "L"))
    await order(tono, local(2026, 11, 3, 9), "Jakarta", ("Kaos Polos", 75_000, 1, "Hitam", "M"))
    report = await build_report(parse_period("2026-11", NOW, JAKARTA), NOW)
    assert report.products == [Sales("Kaos Polos", 3, 5, 2, 375_000)]
    assert report.colours == [Sales("Hitam", 3, 3, 2, 225_000), Sales("Putih", 1, 2, 1, 150_000)]
    assert report.sizes == [Sales("M", 2, 4, 2, 300_000), Sales("L", 1, 1, 1, 75_000)]
    assert (report.orders, report.buyers, report.repeat_buyers) == (3, 2, 1)


@pytest.mark.parametrize(
    "written",
    ["2026-12-02", "02/12/2026", "2/12/2026", "2-12-2026", "2 Des 2026", "2 December 2026"],
)
def test_a_day_is_read_as_people_write_it(written: str):
    from datetime import date

    from crm_core.insight.periods import parse_day

    assert parse_day(written) == date(2026, 12, 2)


@pytest.mark.parametrize("written", ["31/02/2026", "12/2026", "2 Foo 2026", "kemarin lusa"])
def test_a_day_that_is_not_one_says_how_to_write_it(written: str):
    from crm_core.errors import InputError
    from crm_core.insight.periods import parse_day

    with pytest.raises(InputError, match="a day such as 05/11/2026"):
        parse_day(written)


@pytest.mark.parametrize(
    ("said", "first", "last"),
    [("bulan ini", "2026-11-01", "2026-11-20"), ("bulan lalu", "2026-10-01", "2026-10-31"),
     ("minggu ini", "2026-11-16", "2026-11-20"), ("minggu lalu", "2026-11-09", "2026-11-15"),
     ("kemarin", "2026-11-19", "2026-11-19"), ("7 hari", "2026-11-14", "2026-11-20"),
     ("Hari Ini", "2026-11-20", "2026-11-20"), ("last month", "2026-10-01", "2026-10-31")],
)  # fmt: skip
def test_periods_as_people_say_them(said: str, first: str, last: str):

    friday = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)  # Friday 20 Nov, 10:00 in Jakarta
    period = parse_period(said, friday, JAKARTA)
    assert (period.first.isoformat(), period.last.isoformat()) == (first, last)
