"""Every text renders in both languages; a shop's own folder overrides any of them."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from crm_core.insight.analytics import ChurnRisk, Report, Sales, Source
from crm_core.insight.periods import between
from crm_core.sales.catalog import CatalogItem, OrderLine
from message_templates import LANGUAGES, TemplateProblem, Texts

KAOS = CatalogItem(1, "Kaos Polos", 75_000, ("Hitam", "Putih"), ("S", "M"))
ITEM = SimpleNamespace(quantity=2, product_name="Kaos Polos", colour="Hitam", size="M")
ORDER = SimpleNamespace(
    id=12,
    total=150_000,
    status="dikirim",
    shipping_fee=15_000,
    grand_total=165_000,
    number="INV-2026-0012",
    external_ref=None,
    ref="INV-2026-0012",
    courier="J&T",
    tracking="JT0012345678",
    payment_claimed_at=None,
    payment_proof_id=77,
    ship_city="Bandung",
    created_at=datetime(2026, 11, 1, 20, 0, tzinfo=UTC),
    items=[ITEM],
)
CUSTOMER = SimpleNamespace(
    id=7, name="Budi", display_name="Budi", city="Bandung", address="Jl. Merdeka 10",
    phone="+6281234567890", phone_verified=True, email="budi@contoh.com", language="id",
    lead_source="instagram", lead_source_typed="dr ig kak", gender="f", age_band="25-34",
    consent_marketing=True, opted_out_at=None, blacklisted=True,
    blacklist_reason="fake buyer", orders_count=1, total_spent=150_000,
    last_order_at=datetime(2026, 11, 1, 20, 0, tzinfo=UTC), last_contacted_by="Ani",
    last_contacted_at=datetime(2026, 11, 1, 21, 0, tzinfo=UTC),
    consent_at=datetime(2026, 10, 1, tzinfo=UTC), consent_channel="telegram", erased_at=None,
)  # fmt: skip
ORDER.customer = CUSTOMER
COMMAND = SimpleNamespace(name="cari", alias="find", admin_only=True)
NOTE = SimpleNamespace(
    created_at=datetime(2026, 11, 1, tzinfo=UTC), author="Ani", body="suka hitam"
)
CARD = SimpleNamespace(
    customer=CUSTOMER, tags=["vip"], notes=[NOTE], assigned=None, tickets=[],
    cooldown_until=datetime(2026, 11, 4, 21, 0, tzinfo=UTC),
)  # fmt: skip
MESSAGE = SimpleNamespace(
    created_at=datetime(2026, 11, 1, tzinfo=UTC), direction="in", body="halo", kind="text"
)
REPORT = Report(
    between(date(2026, 11, 1), date(2026, 11, 30), ZoneInfo("Asia/Jakarta")),
    datetime(2026, 12, 1, tzinfo=UTC), orders=3, revenue=410_000, buyers=2, new_buyers=1,
    repeat_buyers=1, products=[Sales("Kaos Polos", 2, 3, 2, 225_000)] * 6,
    cities=[Sales("Bandung", 2, 0, 1, 300_000)], sources=[Source("", 1, 0)],
    churn=[ChurnRisk(7, "Budi", 3, 30.5, 60.0)],
)  # fmt: skip
CONTEXT = {
    "customer": CUSTOMER,
    "orders": [ORDER],
    "order": ORDER,
    "products": [KAOS],
    "product": KAOS,
    "line": OrderLine(KAOS, "Hitam", "M", 2),
    "lines": [OrderLine(KAOS, "Hitam", "M", 2), OrderLine(KAOS, "Putih", "S", 1)],
    "first": 0,
    "goods": 150_000,
    "shipping_fee": 15_000,
    "amount": 165_000,
    "how": "BCA 123",
    "receipt": True,
    "product_name": "Kaos Polos",
    "more": True,
    "sold_out": ["Putih"],
    "unavailable": {"Kaos Polos": ["Putih"]},
    "names": ["Kaos Polos"],
    "asked": "stock",
    "stock": {
        "product": KAOS,
        "asked": "Hitam XL",
        "ready": False,
        "missing": ["XL"],
        "sold_out": [],
        "colours": ["Hitam", "Putih"],
        "sizes": ["S", "M"],
    },
    "total": 150_000,
    "phone": "+6281234567890",
    "options": ["S", "M"],
    "reason": "too_large",
    "max": 100,
    "kind": "photo",
    "merged": True,
    "field": "city",
    "field_label": "Kota",
    "value": "Cimahi",
    "command": COMMAND,
    "commands": [COMMAND],
    "word": "x",
    "matches": [CUSTOMER],
    "reference": "budi",
    "text": "budi",
    "card": CARD,
    "messages": [MESSAGE],
    "action": "note",
    "tag": "vip",
    "before": None,
    "found": SimpleNamespace(customers=[CUSTOMER], total=11, page=1, pages=2),
    "channel": "telegram",
    "refusal": SimpleNamespace(
        reason="cooldown",
        by="Ani",
        at=datetime(2026, 11, 1, tzinfo=UTC),
        until=datetime(2026, 11, 4, tzinfo=UTC),
    ),
    "ticket": SimpleNamespace(
        id=3,
        reason="complaint",
        excerpt="barang rusak",
        opened_at=datetime(2026, 11, 1, tzinfo=UTC),
        customer=CUSTOMER,
        closed_by="Dewi",
    ),
    "tickets": [
        SimpleNamespace(
            id=3,
            reason="complaint",
            excerpt="barang rusak",
            opened_at=datetime(2026, 11, 1, tzinfo=UTC),
            customer=CUSTOMER,
        )
    ],
    "told": True,
    "reminder": SimpleNamespace(
        note="tanya ukuran", due_at=datetime(2026, 11, 3, 3, tzinfo=UTC), customer=CUSTOMER
    ),
    "reminders": [
        SimpleNamespace(
            note="tanya ukuran", due_at=datetime(2026, 11, 3, 3, tzinfo=UTC), customer=CUSTOMER
        )
    ],
    "unassigned": [],
    "agent": SimpleNamespace(id=1, name="Ani", language="id"),
    "folded": SimpleNamespace(id=30),
    "requests": [
        SimpleNamespace(
            id=4,
            reason="data_erasure",
            opened_at=datetime(2026, 11, 1, tzinfo=UTC),
            customer=CUSTOMER,
        )
    ],
    "to_check": ([ORDER], 1),
    "unsure": [
        (
            SimpleNamespace(
                id=41, body="Halo, ada promo", next_attempt_at=datetime(2026, 11, 1, tzinfo=UTC)
            ),
            CUSTOMER,
        )
    ],
    "to_price": ([ORDER], 3),
    "to_ship": ([ORDER], 1),
    "on": True,
    "usage": False,
    "order_waits": True,
    "body": "gimana kak?",
    "handler": SimpleNamespace(id=2, name="Dewi"),
    "cancel_at": datetime(2026, 11, 4, 3, tzinfo=UTC),
    "bought": ["Kaos Polos"],
    "suggestion": "Hijab Voal",
    "voucher": "BALIK10",
    "nth": 5,
    "report": REPORT,
    "segments": [("Juara", 3), ("Hilang", 0)],
    "charts": False,
    "sizes": [("champions", "Juara", 3)],
    "segment_page": SimpleNamespace(
        segment="loyal",
        total=21,
        page=1,
        pages=2,
        members=[
            SimpleNamespace(
                id=7,
                name="Budi",
                orders_count=3,
                total_spent=450_000,
                last_order_at=datetime(2026, 11, 2, 3, 0, tzinfo=UTC),
            )
        ],
    ),
    "title": "Setia",
    "summary": SimpleNamespace(
        customer=CUSTOMER, orders=1, messages=20, notes=1, tickets=0, consent_events=2
    ),
    "erasure": None,
    "events": [
        SimpleNamespace(
            at=datetime(2026, 11, 1, tzinfo=UTC),
            kind="marketing",
            given=True,
            channel="telegram",
            recorded_by="customer",
            wording="Bolehkah kami...",
        )
    ],
    "sent": True,
    "page": 1,
    "pages": 3,
}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_template_renders_in_both_languages(lang: str):
    texts = Texts()
    names = texts.names(lang)
    assert names == texts.names("id") and len(names) > 40
    for name in names:
        rendered = texts.render(name, lang, **CONTEXT)
        assert rendered.strip(), name
        assert "{{" not in rendered and "{%" not in rendered, name


def test_money_and_dates_are_written_the_local_way():
    texts = Texts()
    listing = texts.render("orders_list", "id", **CONTEXT)
    # 20:00 UTC on 1 November is 03:00 on 2 November in Jakarta.
    assert "INV-2026-0012 · 2 Nov 2026 · Dikirim · Rp165.000 · J&T JT0012345678" in listing
    assert "Shipped" in texts.render("orders_list", "en", **CONTEXT)


def test_a_missing_variable_is_an_error_not_a_blank(tmp_path: Path):
    with pytest.raises(TemplateProblem, match="order_placed"):
        Texts().render("order_placed", "id", customer=CUSTOMER)


def test_the_shops_folder_overrides_a_text_and_a_label(tmp_path: Path):
    (tmp_path / "id").mkdir()
    (tmp_path / "id" / "menu.j2").write_text("Selamat datang di Toko Ani, {{ customer.name }}!")
    (tmp_path / "id" / "labels.toml").write_text('btn_order = "Belanja"\n')
    texts = Texts(tmp_path)
    assert texts.render("menu", "id", customer=CUSTOMER) == "Selamat datang di Toko Ani, Budi!"
    assert texts.label("btn_order", "id") == "Belanja"
    assert texts.label("btn_help", "id") == "Bantuan"  # the rest stay built-in
    assert texts.render("menu", "en", customer=CUSTOMER).startswith("Budi, how")


def test_a_broken_shop_template_is_found_at_start_up(tmp_path: Path):
    (tmp_path / "id").mkdir()
    (tmp_path / "id" / "help.j2").write_text("{% if %}")
    (tmp_path / "id" / "menu.j2").write_text("x" * 30_000)
    problems = Texts(tmp_path).check()
    assert any("help.j2" in p for p in problems) and any(
        "menu.j2" in p and "larger" in p for p in problems
    )


def test_a_missing_shop_folder_is_named(tmp_path: Path):
    with pytest.raises(TemplateProblem, match="not a folder"):
        Texts(tmp_path / "nope")


def test_the_sandbox_refuses_escapes_and_caps_length(tmp_path: Path):
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "help.j2").write_text("{{ customer.__class__.__mro__ }}")
    (tmp_path / "en" / "menu.j2").write_text("{{ 'a' * 100000 }}")
    texts = Texts(tmp_path)
    with pytest.raises(TemplateProblem):
        texts.render("help", "en", customer=CUSTOMER)
    assert len(texts.render("menu", "en", customer=CUSTOMER)) <= 4_000


# Two labelled fields run together ("Budi SantosoHP: ...", "Tiket terbuka: -Tag: vip")
# or a bullet glued to the line before ("setuju promo• 2 Des"): a line break lost.
_RUN_TOGETHER = re.compile(r"[a-z0-9)\]-][A-Z][A-Za-z]*(?: [a-z]+)?: |\S•")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_text_runs_two_lines_together(lang: str):
    texts = Texts()
    for name in texts.names(lang):
        for line in texts.render(name, lang, **CONTEXT).splitlines():
            assert not _RUN_TOGETHER.search(line), f"{lang}/{name}: {line!r}"


def test_a_line_of_text_ending_in_a_tag_keeps_its_line_break(tmp_path: Path):
    """The cause, for the shop's own texts too: trim_blocks is for lines that are only
    tags; a line of words ending in one keeps its line break."""
    (tmp_path / "id").mkdir()
    (tmp_path / "id" / "agent_card.j2").write_text(
        "{{ card.customer.name }}{% if card.customer.city %}, {{ card.customer.city }}{% endif %}\n"
        "{% for t in ['a', 'b'] %}\n"
        "Tag: {{ t }}{% if t == 'a' %} (pertama){% endif %}\n"
        "{% endfor %}\n"
        "Selesai.",
        encoding="utf-8",
    )
    rendered = Texts(shop_dir=tmp_path).render("agent_card", "id", **CONTEXT)
    assert rendered == "Budi, Bandung\nTag: a (pertama)\nTag: b\nSelesai."
