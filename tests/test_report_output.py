"""The report where people read it: `langgan report` as a table, CSV and JSON, and the
charts as real PNG files."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest

from bot.cli import build_parser
from bot.cli_report import dispatch
from bot.report_charts import charts
from crm_core.analytics import build_report
from crm_core.periods import parse_period
from message_templates import Texts
from tests.test_analytics import JAKARTA, NOW, small_shop
from tests.test_cli import langgan

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_SIGNATURE
    assert data[12:16] == b"IHDR"  # the first chunk holds the dimensions
    width, height = struct.unpack(">II", data[16:24])
    return width, height


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
    await dispatch(build_parser().parse_args(["report", *args]), JAKARTA, NOW)
    return capsys.readouterr().out


async def test_langgan_report_as_a_table_csv_and_json(
    store: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
):
    await small_shop()
    month = ("--from", "2026-11-01", "--to", "2026-11-30")
    table = await report(capsys, *month)
    assert "Sales 01 Nov 2026 – 30 Nov 2026 (30 days, Asia/Jakarta" in table
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


async def test_the_default_period_is_said(store: str, capsys: pytest.CaptureFixture[str]):
    out = await report(capsys)
    assert "Sales 02 Nov 2026 – 01 Dec 2026 (30 days" in out


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
