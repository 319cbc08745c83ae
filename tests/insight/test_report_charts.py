"""The report's charts as an owner reads them on a phone: every day of the period on the
axis (quiet days at zero, not skipped), days in the shop's time zone, dates and rupiah
as the reader writes them, whole numbers of orders, and text big enough at 1080 px."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.text import Text

from bot.chart_data import Point, day_label, over_time, period_label, tick_positions
from bot.report_charts import figures
from crm_core.insight.analytics import build_report
from crm_core.insight.periods import parse_period
from crm_core.sales.money import rupiah_short
from message_templates import Texts
from tests.support.report_shop import JAKARTA, NOW, small_shop

NBSP = "\u00a0"  # Babel keeps "1,2 jt" on one line


async def test_every_day_of_the_month_is_a_point_quiet_days_at_zero(store: str):
    await small_shop()
    report = await build_report(parse_period("2026-11", NOW, JAKARTA), NOW)

    series = over_time(report)

    assert series.step == "day"
    assert [p.day for p in series.points] == [
        date(2026, 11, 1) + timedelta(days=n) for n in range(30)
    ]
    sales = {p.day.day: (p.orders, p.revenue) for p in series.points if p.revenue}
    # Citra's order on the 21st was cancelled: that day is quiet too.
    assert sales == {3: (1, 150_000), 10: (1, 110_000), 30: (1, 150_000)}
    assert all(p == Point(p.day, 0, 0) for p in series.points if p.day.day not in sales)


async def test_a_sale_late_in_the_evening_is_on_that_local_day(store: str):
    """Ani's order at 23:30 in Jakarta on 30 November is 16:30 UTC; Budi's at 00:30 on
    1 December is still 30 November in UTC. Each is on its own local day."""
    await small_shop()
    report = await build_report(parse_period("2026-11-30..2026-12-01", NOW, JAKARTA), NOW)

    assert over_time(report).points == [
        Point(date(2026, 11, 30), 1, 150_000),
        Point(date(2026, 12, 1), 1, 90_000),
    ]


async def test_a_long_period_goes_by_week_with_quiet_weeks_at_zero(store: str):
    await small_shop()
    report = await build_report(parse_period("2026-03-01..2026-08-31", NOW, JAKARTA), NOW)

    series = over_time(report)

    assert series.step == "week"
    # The first week began on Monday 23 February; it is shown from the period's first day.
    assert series.points[0] == Point(date(2026, 3, 1), 1, 50_000)
    assert [p.day for p in series.points[1:3]] == [date(2026, 3, 2), date(2026, 3, 9)]
    assert len(series.points) == 28  # every Monday from 2 March to 31 August, and 1 March
    busy = [(p.day, p.revenue) for p in series.points if p.revenue]
    assert busy == [
        (date(2026, 3, 1), 50_000), (date(2026, 3, 30), 500_000), (date(2026, 4, 27), 500_000),
        (date(2026, 6, 1), 500_000), (date(2026, 6, 29), 500_000), (date(2026, 7, 27), 500_000),
    ]  # fmt: skip


def test_dates_are_short_and_in_the_readers_language():
    assert day_label(date(2026, 12, 2), "id") == "2 Des"
    assert day_label(date(2026, 12, 2), "en") == "2 Dec"
    assert day_label(date(2026, 8, 17), "id") == "17 Agu"
    assert day_label(date(2026, 12, 1), "id", "month") == "Des 2026"
    period = parse_period("2026-11", NOW, JAKARTA)
    assert period_label(period, "id") == "1–30 Nov 2026"
    assert period_label(parse_period("2026-10-01..2026-11-30", NOW, JAKARTA), "id") == (
        "1 Okt–30 Nov 2026"
    )


@pytest.mark.parametrize(
    "amount, indonesian, english",
    [(0, "Rp0", "Rp0"), (500, "Rp500", "Rp500"), (150_000, "Rp150 rb", "Rp150K"),
     (1_200_000, "Rp1,2 jt", "Rp1.2M"), (1_250_000, "Rp1,25 jt", "Rp1.25M"),
     (12_345_678, "Rp12,3 jt", "Rp12.3M"), (999_999, "Rp1 jt", "Rp1M"),
     (2_500_000_000, "Rp2,5 M", "Rp2.5B")],
)  # fmt: skip
def test_amounts_are_short_rupiah(amount: int, indonesian: str, english: str):
    assert rupiah_short(amount, "id") == indonesian.replace(" ", NBSP)
    assert rupiah_short(amount, "en") == english


def test_long_periods_label_fewer_dates():
    assert tick_positions(7) == [0, 1, 2, 3, 4, 5, 6]  # a week: every day
    assert tick_positions(30) == [0, 7, 14, 21, 28]  # a month: every week
    assert tick_positions(62) == [0, 14, 28, 42, 56]
    assert tick_positions(53, "week") == [0, 8, 16, 24, 32, 40, 48]
    assert tick_positions(37, "month") == [0, 12, 24, 36]


def texts_of(figure: Figure) -> list[Text]:
    figure.draw_without_rendering()  # tick labels are written when the figure is laid out
    return [t for t in figure.findobj(Text) if t.get_visible() and t.get_text()]


def ticks(axes: Axes, which: str) -> list[str]:
    """The tick labels drawn: those inside the axis's limits."""
    axis = axes.xaxis if which == "x" else axes.yaxis
    low, high = sorted(axis.get_view_interval())
    return [
        t.get_text()
        for t in axis.get_majorticklabels()
        if low <= t.get_position()[0 if which == "x" else 1] <= high
    ]


@pytest.mark.parametrize("lang", ["id", "en"])
async def test_a_quiet_months_chart_reads_in_the_shops_words(store: str, lang: str):
    await small_shop()
    report = await build_report(parse_period("2026-11", NOW, JAKARTA), NOW)
    drawn = dict(figures(report, Texts().label_for(lang), lang))

    revenue = drawn["revenue.png"]
    words = [t.get_text() for t in texts_of(revenue)]
    title, orders_title = {"id": ("Omzet per hari", "Pesanan per hari"),
                           "en": ("Revenue per day", "Orders per day")}[lang]  # fmt: skip
    assert title in words and orders_title in words and "1–30 Nov 2026" in words
    money_axes, orders_axes = revenue.axes
    k = {"id": f"{NBSP}rb", "en": "K"}[lang]
    assert ticks(money_axes, "y") == ["Rp0", f"Rp50{k}", f"Rp100{k}", f"Rp150{k}"]
    # One or two orders a day: the axis counts whole orders, never 0.5.
    assert ticks(orders_axes, "y") == ["0", "1"]
    assert ticks(orders_axes, "x") == ["1 Nov", "8 Nov", "15 Nov", "22 Nov", "29 Nov"]

    products = texts_of(drawn["products.png"])
    amounts = {"id": ["Rp225 rb", "Rp150 rb", "Rp35 rb"], "en": ["Rp225K", "Rp150K", "Rp35K"]}
    shown = [t.get_text() for t in products]
    assert all(a.replace(" ", NBSP) in shown for a in amounts[lang])
    segments = drawn["segments.png"]
    texts_of(segments)
    assert all(label.isdecimal() for label in ticks(segments.axes[0], "x"))
    assert ("Per 1 Des 2026" if lang == "id" else "As of 1 Dec 2026") in [
        t.get_text() for t in texts_of(segments)
    ]


async def test_every_text_is_legible_on_a_phone(store: str):
    """At least 28 px tall at 1080 px wide: the size below which a chat picture's text
    cannot be read on a phone without zooming."""
    await small_shop()
    report = await build_report(parse_period("2026-09-01..2026-11-30", NOW, JAKARTA), NOW)
    for name, figure in figures(report, Texts().label_for("id"), "id"):
        assert figure.get_figwidth() * figure.dpi == 1080, name
        for text in texts_of(figure):
            assert text.get_fontsize() * figure.dpi / 72 >= 28, (name, text.get_text())
