"""The report as PNG charts, drawn to be read on a phone: revenue and orders over time,
top products, cities and segments.

Each picture is 1080 px wide, the width a phone shows a chat picture at full screen,
with text no smaller than 11 pt at 200 dpi (about 30 px): smaller than that is
unreadable once the picture is shrunk to the chat's width. Dates, amounts and titles are
in the reader's language. Drawn with matplotlib's object API on the Agg canvas: no
display, no pyplot or rcParams global state, so charts can be drawn from a thread while
the event loop serves chats."""

from __future__ import annotations

import io
import textwrap
from collections.abc import Callable, Collection
from typing import Literal

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.layout_engine import ConstrainedLayoutEngine
from matplotlib.ticker import FuncFormatter, MaxNLocator, NullLocator

from bot.chart_data import (
    DAILY_UP_TO,
    Series,
    count_label,
    day_label,
    full_day_label,
    over_time,
    period_label,
    tick_positions,
)
from crm_core.insight.analytics import Report, Sales
from crm_core.insight.segments import SEGMENTS
from crm_core.sales.money import rupiah_short

DPI = 200
WIDTH = 5.4  # inches: 1080 px at 200 dpi
TALL = 6.75  # revenue and orders over time: 1080×1350, a phone's portrait picture
BAR_HEIGHT = 0.6  # inches a bar of a ranking takes, its gap included
BARS = 10  # products or cities on one chart
NAME_WIDTH = 16  # characters a product or city name wraps at, two lines at most
TEXT = 11  # points: tick labels, values, notes (30 px at 200 dpi)
TITLE = 15
SUBTITLE = 12
REVENUE_COLOUR = "#2a7f62"
ORDERS_COLOUR = "#c8702a"
GREY = "#555555"
HEADING = 0.75  # inches above the axes for the title and the period
MARGIN = 0.03  # the heading's left edge, a share of the width

Label = Callable[[str], str]


def charts(
    report: Report, label: Label, lang: str = "id", only: Collection[str] | None = None
) -> list[tuple[str, bytes]]:
    """(file name, PNG bytes) for each chart (or those named in ``only``), in the order
    an agent would read them. ``label`` gives a text of labels.toml in ``lang``."""
    return [
        (name, _png(figure))
        for name, figure in figures(report, label, lang)
        if only is None or name in only
    ]


def figures(report: Report, label: Label, lang: str = "id") -> list[tuple[str, Figure]]:
    period = period_label(report.period, lang)
    today = report.now.astimezone(report.period.tz).date()
    as_of = f"{label('chart_as_of')} {full_day_label(today, lang)}"
    return [
        ("revenue.png", over_time_figure(over_time(report), label, lang, period)),
        ("products.png", _ranking(label("chart_products"), period, report.products[:BARS],
                                  label, lang)),
        ("cities.png", _ranking(label("chart_cities"), period, report.cities[:BARS], label,
                                lang)),
        ("segments.png", _segments(label("chart_segments"), as_of, report.segments, label,
                                  lang)),
    ]  # fmt: skip


def over_time_figure(series: Series, label: Label, lang: str, period: str) -> Figure:
    """Revenue above, a point a day (week, month) with quiet ones on the zero line;
    orders below, a bar a day."""
    figure = _figure(TALL)
    revenue, orders = figure.subplots(2, 1, sharex=True, height_ratios=(3, 2))
    _heading(figure, label(f"chart_revenue_by_{series.step}"), period)
    positions = range(len(series.points))
    amounts = [p.revenue for p in series.points]
    revenue.fill_between(positions, amounts, color=REVENUE_COLOUR, alpha=0.15, linewidth=0)
    # Markers while each can be told apart; on a long series the line says enough.
    marker = "o" if len(amounts) <= DAILY_UP_TO else None
    revenue.plot(positions, amounts, color=REVENUE_COLOUR, linewidth=2, marker=marker,
                 markersize=4)  # fmt: skip
    revenue.set_ylim(0, max(amounts, default=0) * 1.1 or 1)
    revenue.yaxis.set_major_locator(MaxNLocator(nbins=4, steps=[1, 2, 2.5, 5, 10]))
    revenue.yaxis.set_major_formatter(FuncFormatter(lambda v, _: rupiah_short(int(v), lang)))
    orders.bar(positions, [p.orders for p in series.points], color=ORDERS_COLOUR, width=0.8)
    orders.set_title(label(f"chart_orders_by_{series.step}"), loc="left", fontsize=SUBTITLE,
                     fontweight="bold")  # fmt: skip
    # Orders are whole: never a tick at 2.5 orders, even on a quiet month's axis.
    orders.yaxis.set_major_locator(MaxNLocator(nbins=3, integer=True))
    orders.yaxis.set_major_formatter(FuncFormatter(lambda v, _: count_label(v, lang)))
    orders.set_ylim(0, max(1, *(p.orders for p in series.points)) * 1.1)
    ticks = tick_positions(len(series.points), series.step)
    orders.set_xticks(ticks, [day_label(series.points[i].day, lang, series.step) for i in ticks])
    orders.set_xlim(-0.7, len(series.points) - 0.3)
    for axes in (revenue, orders):
        _style(axes, grid="y")
    if not any(amounts):
        revenue.yaxis.set_major_locator(NullLocator())
        _note(revenue, label("chart_no_sales"))
    return figure


def _ranking(title: str, period: str, rows: list[Sales], label: Label, lang: str) -> Figure:
    """Bars by revenue, the largest at the top as a list is read, each with its amount."""
    figure = _figure(_height(len(rows)))
    axes = figure.add_subplot()
    _heading(figure, title, period)
    names = [_name(row.label or label("chart_unknown")) for row in rows]
    values = [row.revenue for row in rows]
    _bars(axes, names, values, REVENUE_COLOUR, lambda v: rupiah_short(v, lang))
    axes.xaxis.set_major_locator(MaxNLocator(nbins=3, steps=[1, 2, 2.5, 5, 10]))
    axes.xaxis.set_major_formatter(FuncFormatter(lambda v, _: rupiah_short(int(v), lang)))
    axes.set_xlabel(label("chart_revenue"), fontsize=TEXT, color=GREY)
    if not rows:
        axes.xaxis.set_major_locator(NullLocator())
        axes.yaxis.set_major_locator(NullLocator())
        _note(axes, label("chart_no_sales"))
    return figure


def _segments(title: str, as_of: str, sizes: dict[str, int], label: Label, lang: str) -> Figure:
    figure = _figure(_height(len(SEGMENTS)))
    axes = figure.add_subplot()
    _heading(figure, title, as_of)
    names = [_name(label(f"segment_{name}")) for name in SEGMENTS]
    counted = [sizes.get(name, 0) for name in SEGMENTS]
    _bars(axes, names, counted, REVENUE_COLOUR, lambda n: count_label(n, lang))
    # Customers are whole: no tick at half a customer.
    axes.xaxis.set_major_locator(MaxNLocator(nbins=4, integer=True))
    axes.xaxis.set_major_formatter(FuncFormatter(lambda v, _: count_label(v, lang)))
    axes.set_xlabel(label("chart_customers"), fontsize=TEXT, color=GREY)
    return figure


def _bars(
    axes: Axes, names: list[str], values: list[int], colour: str, shown: Callable[[int], str]
) -> None:
    top = max(values, default=0) or 1
    # By position, not by name: two names cut to the same words stay two bars.
    rows = range(len(values))
    axes.barh(rows, values[::-1], color=colour, height=0.7)
    axes.set_yticks(rows, names[::-1])
    for y, value in enumerate(values[::-1]):
        # The amount just past the bar's end, so nobody reads it off the axis.
        axes.text(value + top * 0.02, y, shown(value), va="center", fontsize=TEXT)
    # Room on the right for the longest amount.
    axes.set_xlim(0, top * 1.35)
    _style(axes, grid="x")


def _figure(height: float) -> Figure:
    """A phone-wide figure whose axes are laid out below the heading's band."""
    figure = Figure(figsize=(WIDTH, height), dpi=DPI)
    figure.set_layout_engine(
        ConstrainedLayoutEngine(rect=(0, 0, 1, 1 - HEADING / height), h_pad=0.08, w_pad=0.08)
    )
    return figure


def _heading(figure: Figure, title: str, subtitle: str) -> None:
    """The title and, below it in grey, the period: both from the picture's left edge,
    where the eye starts, above the axes' band."""
    top = 1 - 0.12 / figure.get_figheight()
    figure.text(MARGIN, top, title, ha="left", va="top", fontsize=TITLE, fontweight="bold")
    below = top - 0.32 / figure.get_figheight()
    figure.text(MARGIN, below, subtitle, ha="left", va="top", fontsize=SUBTITLE, color=GREY)


def _style(axes: Axes, *, grid: Literal["x", "y"]) -> None:
    axes.tick_params(labelsize=TEXT, length=0, pad=6)
    axes.grid(axis=grid, color="#dddddd", linewidth=1)
    axes.set_axisbelow(True)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)


def _note(axes: Axes, text: str) -> None:
    axes.text(0.5, 0.5, text, ha="center", va="center", fontsize=SUBTITLE, color=GREY,
              transform=axes.transAxes)  # fmt: skip


def _height(bars: int) -> float:
    return 1.8 + BAR_HEIGHT * max(bars, 3)


def _name(text: str) -> str:
    lines = textwrap.wrap(text, NAME_WIDTH, max_lines=2, placeholder="…")
    return "\n".join(lines) or text[:NAME_WIDTH]


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", facecolor="white")
    return buffer.getvalue()
