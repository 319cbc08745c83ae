"""The report where people read it: `langgan report` as a table, CSV and JSON, and the
charts as real PNG files."""

from __future__ import annotations

import csv
import json
import re
from datetime import datetime
from pathlib import Path

import pytest

from bot.cli.main import build_parser
from bot.cli.report import route
from bot.report_charts import charts
from crm_core.insight.analytics import build_report
from crm_core.insight.periods import parse_period
from crm_core.models import Customer
from crm_core.sheets.export import export_customers
from message_templates import Texts
from message_templates.error_texts import phrase
from tests.support.langgan_cli import langgan
from tests.support.report_shop import JAKARTA, NOW, png_size, small_shop


async def test_charts_are_real_pngs(store: str):
    await small_shop()
    report = await build_report(parse_period("2026-11", NOW, JAKARTA), NOW)
    texts = Texts()
    drawn = charts(report, texts.label_for("id"), "id")
    assert [name for name, _ in drawn] == [
        "revenue.png", "products.png", "cities.png", "segments.png",
    ]  # fmt: skip
    for _, png in drawn:
        width, height = png_size(png)
        assert width == 1080  # what a phone shows a chat picture at, full width
        assert 600 <= height <= 2000
        assert 30_000 < len(png) < 500_000  # bars and text drawn, not an empty canvas


def listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


async def report(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    await route(build_parser().parse_args(["report", *args]), JAKARTA, NOW)
    return capsys.readouterr().out


async def test_langgan_report_as_a_table_csv_and_json(
    store: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
):
    await small_shop()
    month = ("--from", "2026-11-01", "--to", "2026-11-30")
    table = await report(capsys, *month)
    assert "Penjualan 1 Nov 2026 – 30 Nov 2026 (30 hari, Asia/Jakarta" in table
    assert "Rp410.000" in table and "Kaos Polos" in table and "Can't lose" in table

    rows = (
        await report(capsys, *month, "--format", "csv", "--charts", str(tmp_path / "c"))
    ).splitlines()
    assert rows[0] == "section,label,measure,value"
    assert "summary,revenue,value,410000" in rows
    assert "products,Kaos Polos,quantity,3" in rows
    assert "segments,cant_lose,customers,1" in rows
    assert listing(tmp_path / "c") == [
        "cities.png", "products.png", "revenue.png", "segments.png",
    ]  # fmt: skip

    data = json.loads(await report(capsys, *month, "--format", "json"))
    assert data["period"] == {"from": "2026-11-01", "to": "2026-11-30", "timezone": "Asia/Jakarta"}
    assert (data["orders"], data["average_order"], data["repeat_rate"]) == (3, 136_667, 0.5)


@pytest.mark.parametrize(
    ("language", "months", "genders"),
    [("id", ("Nov 2026", "Des 2026"), ("Perempuan", "Laki-laki")),
     ("en", ("Nov 2026", "Dec 2026"), ("Female", "Male"))],
)  # fmt: skip
async def test_months_and_genders_are_named_in_the_shops_language(
    store: str, capsys: pytest.CaptureFixture[str], language: str, months: tuple, genders: tuple
):
    """The owner read months as 2026-12-01 and genders as f and m."""
    await small_shop()
    args = build_parser().parse_args(["report", "--from", "2026-11-01", "--to", "2026-12-01"])
    await route(args, JAKARTA, NOW, language=language)
    table = capsys.readouterr().out

    def at(key: str) -> int:  # where a section starts, in the report's language
        return table.index(phrase(key, language))

    by_month = table[at("report_by_month") : at("report_by_city")]
    assert [m for m in months if m in by_month] == list(months)
    assert "2026-11-01" not in by_month and "2026-12-01" not in by_month
    by_gender = table[at("report_by_gender") : at("report_by_age")]
    assert all(word in by_gender for word in genders)
    assert not re.search(r"│ [fm] +│", by_gender)


async def test_segments_and_the_export_show_the_same_local_day(
    store: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
):
    """`langgan segments` showed the UTC day of the last order, the export the shop's:
    an order at 00:30 in Jakarta (17:30 UTC the day before) was on two different days."""
    after_midnight = datetime(2026, 12, 1, 0, 30, tzinfo=JAKARTA)
    before_midnight = datetime(2026, 11, 30, 23, 30, tzinfo=JAKARTA)  # 16:30 UTC
    for name, at, spent in (("Rina", after_midnight, 200_000), ("Sari", before_midnight, 100_000)):
        await Customer.create(name=name, orders_count=1, total_spent=spent, first_order_at=at,
                              last_order_at=at, created_at=at, updated_at=at)  # fmt: skip

    await route(build_parser().parse_args(["segments", "new"]), JAKARTA, NOW)
    listed = re.findall(r"#\d+ (\w+) .*?(\d{4}-\d{2}-\d{2})", capsys.readouterr().out)
    await export_customers(tmp_path / "pelanggan.csv", JAKARTA, language="en")
    with (tmp_path / "pelanggan.csv").open(encoding="utf-8-sig", newline="") as sheet:
        exported = [(row["Name"], row["Last order"]) for row in csv.DictReader(sheet)]

    assert listed == [("Rina", "2026-12-01"), ("Sari", "2026-11-30")]
    assert sorted(exported) == sorted(listed)


async def test_the_default_period_is_said(store: str, capsys: pytest.CaptureFixture[str]):
    out = await report(capsys)
    assert "Penjualan 2 Nov 2026 – 1 Des 2026 (30 hari" in out


@pytest.mark.parametrize(
    "args, says",
    [(("report", "--from", "2026-11-30", "--to", "2026-11-01"), "mulai (2026-11-30) setelah"),
     (("report", "--from", "kemarin"), "“kemarin” bukan periode"),
     (("segments", "vip"), "Tidak ada segmen “vip”; pilih salah satu: champions")],
)  # fmt: skip
def test_bad_report_input_is_explained(tmp_path: Path, args: tuple[str, ...], says: str):
    done = langgan(tmp_path, *args)
    assert done.returncode == 2
    assert says in " ".join(done.stderr.split())
    assert "Traceback" not in done.stderr
