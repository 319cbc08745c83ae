"""The report as PNG charts: revenue over time, top products, cities and segments.

Drawn with matplotlib's object API on the Agg canvas: no display, no pyplot global
state, so charts can be drawn from a thread while the event loop serves chats."""

from __future__ import annotations

import io
from collections.abc import Callable

from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from crm_core.analytics import Report, Sales
from crm_core.segments import SEGMENTS

SIZE = (8, 4.5)  # inches; at 100 dpi an 800×450 image, readable on a phone
DPI = 100
BARS = 10  # products or cities on one chart
COLOUR = "#2a7f62"

Label = Callable[[str], str]


def charts(report: Report, label: Label) -> list[tuple[str, bytes]]:
    """(file name, PNG bytes) for each chart, in the order an agent would read them."""
    over_time = report.days if report.period.days <= 62 else report.weeks
    return [
        ("revenue.png", _bars(label("chart_revenue"), over_time, label, vertical=True)),
        ("products.png", _bars(label("chart_products"), report.products[:BARS], label)),
        ("cities.png", _bars(label("chart_cities"), report.cities[:BARS], label)),
        ("segments.png", _segments(label("chart_segments"), report.segments, label)),
    ]


def _bars(title: str, rows: list[Sales], label: Label, *, vertical: bool = False) -> bytes:
    figure = Figure(figsize=SIZE, dpi=DPI)
    axes = figure.add_subplot()
    names = [row.label or "?" for row in rows]
    values = [row.revenue for row in rows]
    millions = FuncFormatter(lambda value, _: f"{value / 1e6:g} jt")
    if vertical:
        axes.bar(names, values, color=COLOUR)
        axes.yaxis.set_major_formatter(millions)
        axes.tick_params(axis="x", labelrotation=60, labelsize=7)
    else:
        # Largest at the top, as a list is read.
        axes.barh(names[::-1], values[::-1], color=COLOUR)
        axes.xaxis.set_major_formatter(millions)
    if not rows:
        axes.text(0.5, 0.5, "-", ha="center", va="center", transform=axes.transAxes)
    axes.set_title(title)
    return _png(figure)


def _segments(title: str, sizes: dict[str, int], label: Label) -> bytes:
    figure = Figure(figsize=SIZE, dpi=DPI)
    axes = figure.add_subplot()
    names = [label(f"segment_{name}") for name in SEGMENTS]
    axes.barh(names[::-1], [sizes.get(name, 0) for name in SEGMENTS][::-1], color=COLOUR)
    axes.set_title(title)
    return _png(figure)


def _png(figure: Figure) -> bytes:
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
