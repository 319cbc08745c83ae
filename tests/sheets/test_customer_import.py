"""Customers from a shop's messy spreadsheet: what the store holds afterwards, what the
report says, and that loading the same file again changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from tortoise.exceptions import IntegrityError

from bot.conversation.engine import Engine
from crm_core.customers.records import snapshot
from crm_core.errors import InputError
from crm_core.models import ConsentEvent, Conversation, Customer, CustomerTag
from crm_core.privacy.erasure import erase_customer
from crm_core.privacy.sealing import email_index, phone_index
from crm_core.sheets.customers import import_customers
from crm_core.sheets.tally import ImportSummary
from tests.support.chat import START, Chat
from tests.support.shop_sheets import customers_cp1252_csv, customers_xlsx


def problems(summary: ImportSummary) -> list[tuple[int, str]]:
    return [(p.row, str(p.reason)) for p in summary.problems]


async def customer(phone: str) -> Customer:
    return await Customer.get(phone_index=phone_index(phone))


async def test_a_workbook_with_a_title_merged_cells_and_indonesian_headers(
    store: str, tmp_path: Path
):
    summary = await import_customers(customers_xlsx(tmp_path / "pelanggan.xlsx"), START)

    assert (summary.added, summary.merged, summary.skipped, summary.bad) == (3, 0, 1, 2)
    assert summary.header_row == 4
    assert summary.unknown_columns == ["Catatan"]  # "No." is the export's, known
    assert problems(summary) == [
        (9, "The same as row 5; skipped."),
        (10, "Phone “12345” is not a valid number; write it like 0812-3456-7890."),
        (11, "Gender “X” is not L/P, laki-laki/perempuan or M/F."),
    ]
    siti = await customer("+6281234567890")
    assert (siti.name, siti.address, siti.city) == ("Siti Aminah", "Jl. Darmo 12", "Surabaya")
    assert (siti.gender, siti.age_band, siti.lead_source) == ("f", "25-34", "instagram")
    # The shop's own records vouch for the number (she finds this record when she
    # writes from it), but she never said yes to offers.
    assert siti.phone_verified is True
    assert siti.consent_marketing is None and siti.consent_at is None
    budi = await customer("+6281311112222")  # a number cell: 6281311112222
    assert (budi.gender, budi.age_band, budi.lead_source) == ("m", "35-44", "teman")
    dewi = await customer("+6285777778888")
    assert (dewi.name, dewi.gender, dewi.age_band, dewi.address) == ("Dewi", "f", None, None)
    assert await Customer.all().count() == 3
    assert not await ConsentEvent.exists()


async def test_importing_the_same_workbook_again_changes_nothing(store: str, tmp_path: Path):
    path = customers_xlsx(tmp_path / "pelanggan.xlsx")
    await import_customers(path, START)
    before = [snapshot(c) for c in await Customer.all().order_by("id")]

    again = await import_customers(path, START.replace(year=2027))

    assert (again.added, again.merged, again.unchanged, again.skipped, again.bad) == (0, 0, 3, 1, 2)
    assert [snapshot(c) for c in await Customer.all().order_by("id")] == before


async def test_a_windows_csv_with_semicolons_merges_by_phone_and_by_email(
    store: str, tmp_path: Path
):
    await Customer.create(name="Siti", phone="+6281234567890", city="Sidoarjo",
                          created_at=START, updated_at=START)  # fmt: skip
    await Customer.create(name="Zoe", email="zoe@example.com", created_at=START, updated_at=START)

    summary = await import_customers(customers_cp1252_csv(tmp_path / "excel.csv"), START)

    assert (summary.added, summary.merged, summary.bad) == (0, 2, 1)
    assert problems(summary) == [
        (5, "No phone and no email: nothing to recognise the customer by.")
    ]
    siti = await customer("+6281234567890")
    # What the record held stays; only its gaps are filled.
    assert (siti.name, siti.city) == ("Siti", "Sidoarjo")
    assert (siti.email, siti.gender, siti.age_band) == ("andres@example.com", "m", "25-34")
    zoe = await Customer.get(email_index=email_index("zoe@example.com"))
    assert (zoe.name, zoe.phone, zoe.city) == ("Zoe", "+6282122223333", "Denpasar")
    assert zoe.phone_verified is True


async def test_what_a_customer_told_the_bot_is_never_overwritten(store: str, tmp_path: Path):
    await Customer.create(
        name="Siti A.", phone="+6281234567890", phone_verified=True, city="Sidoarjo",
        gender="f", consent_marketing=False, consent_at=START, created_at=START, updated_at=START,
    )  # fmt: skip
    path = tmp_path / "sheet.csv"
    path.write_text("Nama,WhatsApp,Kota,Gender,Izin promosi\nSiti,0812-3456-7890,Malang,L,ya\n")

    summary = await import_customers(path, START)

    assert (summary.added, summary.merged, summary.unchanged) == (0, 0, 1)
    siti = await customer("+6281234567890")
    assert (siti.name, siti.city, siti.gender) == ("Siti A.", "Sidoarjo", "f")
    assert siti.phone_verified is True  # proven by WhatsApp, and stays so
    assert siti.consent_marketing is False  # her own no stands over the sheet's yes


async def test_consent_only_from_an_explicit_column_and_recorded_as_an_event(
    store: str, tmp_path: Path
):
    path = tmp_path / "sheet.csv"
    path.write_text(
        "name,phone,consent\nAni,0812-1000-0001,ya\nBeni,0812-1000-0002,tidak\nCici,0812-1000-0003,\n"
    )
    await import_customers(path, START)

    answers = {c.name: c.consent_marketing for c in await Customer.all()}
    assert answers == {"Ani": True, "Beni": False, "Cici": None}
    events = await ConsentEvent.all().order_by("id").prefetch_related("customer")
    assert [(e.customer.name, e.given, e.channel, e.wording) for e in events] == [
        ("Ani", True, "import", "imported from sheet.csv"),
        ("Beni", False, "import", "imported from sheet.csv"),
    ]


async def test_a_row_whose_phone_and_email_are_two_customers_is_refused(store: str, tmp_path: Path):
    a = await Customer.create(phone="+6281234567890", created_at=START, updated_at=START)
    b = await Customer.create(email="b@example.com", created_at=START, updated_at=START)
    path = tmp_path / "sheet.csv"
    path.write_text("name,phone,email\nX,081234567890,B@example.com\n")

    summary = await import_customers(path, START)

    assert problems(summary) == [
        (
            2,
            f"The phone is customer #{a.id}'s and the email is customer #{b.id}'s; correct "
            "the row, or merge the two customers first.",
        )
    ]
    assert await Customer.all().count() == 2


async def test_rows_repeating_a_customer_across_batches_make_one_record(store: str, tmp_path: Path):
    path = tmp_path / "sheet.csv"
    lines = ["nama,hp,kota"] + [f"P{i},0812-2000-{i:04d},Kota {i}" for i in range(30)]
    lines += ["Lagi,0812-2000-0005,", "Lagi,0812-2000-0031,Baru"]
    path.write_text("\n".join(lines) + "\n")

    summary = await import_customers(path, START, batch_size=7)

    assert (summary.added, summary.unchanged) == (31, 1)
    assert await Customer.all().count() == 31
    assert (await customer("+6281220000005")).name == "P5"


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"", "kosong.csv", "the file is empty"),
        (b"\x00\x01\x02binary\x00", "foto.csv", "this is not a spreadsheet"),
        (b"PK\x03\x04not really a zip", "rusak.xlsx", "not an Excel workbook that can be read"),
        (b"\xd0\xcf\x11\xe0", "lama.xls", "this is the old Excel format"),
        (b"halo\napa kabar\n", "surat.txt", "no header row in the first 20 rows"),
        (b"nama,kota\nSiti,Solo\n", "tanpa-hp.csv", "has no phone (no hp, whatsapp) or email"),
    ],
)
async def test_files_that_cannot_be_read_say_why(
    store: str, tmp_path: Path, content: bytes, name: str, message: str
):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        await import_customers(path, START)
    assert not await Customer.exists()


async def test_a_workbook_saved_with_a_csv_name_is_read_as_a_workbook(store: str, tmp_path: Path):
    path = customers_xlsx(tmp_path / "pelanggan.xlsx").rename(tmp_path / "pelanggan.csv")
    summary = await import_customers(path, START)
    assert summary.added == 3


async def test_a_batch_the_store_refuses_leaves_nothing_half_imported(
    store: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    path = tmp_path / "sheet.csv"
    path.write_text("name,phone,consent\nAni,0812-1000-0001,ya\nBeni,0812-1000-0002,\n")

    async def refuse(*args: object, **kwargs: object) -> None:
        raise IntegrityError("the disk is full")

    # The last write of the batch fails: the customers written before it go too.
    monkeypatch.setattr(ConsentEvent, "bulk_create", refuse)
    summary = await import_customers(path, START)

    assert (summary.added, summary.bad) == (0, 2)
    assert problems(summary)[0] == (
        2,
        "Not loaded: the store refused the batch (the disk is full); import the file again.",
    )
    assert not await Customer.exists()


async def test_an_imported_customer_who_writes_on_whatsapp_finds_their_record(
    engine: Engine, tmp_path: Path
):
    sheet = tmp_path / "pelanggan.csv"
    sheet.write_text("nama,no hp,kota\nSiti Aminah,0812-3456-7890,Surabaya\n", "utf-8")
    await import_customers(sheet, START)
    [imported] = await Customer.all()
    siti = Chat(engine, channel="whatsapp", sender="+6281234567890",
                verified_phone="+6281234567890")  # fmt: skip
    await siti.send("halo")
    # WhatsApp proves the number; the shop's sheet vouched for it: one record, hers.
    assert await Customer.all().count() == 1
    conversation = await Conversation.get(channel="whatsapp")
    assert conversation.customer_id == imported.id  # type: ignore[attr-defined]
    assert (await Customer.get(id=imported.id)).city == "Surabaya"


async def test_a_sheet_never_brings_back_an_erased_customer(store: str, tmp_path: Path):
    budi = await Customer.create(
        name="Budi", phone="+6281311112222", phone_verified=True, created_at=START,
        updated_at=START,
    )  # fmt: skip
    await erase_customer(budi, START, reason="asked in chat", agent=None, actor="cli")
    sheet = tmp_path / "pelanggan.csv"
    sheet.write_text("nama,no hp\nBudi,0813-1111-2222\nDewi,0857-7777-8888\n", "utf-8")
    summary = await import_customers(sheet, START)
    assert problems(summary) == [
        (2, "This phone belonged to a customer whose data was erased at their request; "
            "they are not added again."),
    ]  # fmt: skip
    assert await Customer.filter(phone_index=phone_index("+6281311112222")).count() == 0
    assert await Customer.filter(phone_index=phone_index("+6285777778888")).count() == 1


async def test_a_50_mb_sheet_loads_every_good_row_and_names_each_bad_one(
    sqlite_store: str, tmp_path: Path
):
    """The size of a shop's whole history, with a long notes column: read as a stream,
    loaded in batches, every bad row reported by its number, nothing lost."""
    path = tmp_path / "pelanggan-lengkap.csv"
    notes = "pelanggan lama, suka warna gelap, minta dikirim sore hari. " * 14
    rows, bad_rows = 0, []
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write("Nama,No HP,Kota,Alamat,Catatan\n")
        while handle.tell() < 50 * 1024 * 1024:
            rows += 1
            phone = f"0812{rows:08d}"
            if rows % 10_000 == 0:
                phone = "12345"
                bad_rows.append(rows + 1)  # the header is row 1
            handle.write(f"Pelanggan {rows},{phone},Bandung,Jl. Mawar {rows},{notes}\n")
    assert path.stat().st_size >= 50 * 1024 * 1024

    summary = await import_customers(path, START)

    assert summary.unknown_columns == ["Catatan"]
    assert [p.row for p in summary.problems] == bad_rows
    assert (summary.added, summary.bad) == (rows - len(bad_rows), len(bad_rows))
    assert await Customer.all().count() == rows - len(bad_rows)
    last = await customer(f"+62812{rows:08d}")
    assert (last.name, last.address) == (f"Pelanggan {rows}", f"Jl. Mawar {rows}")


async def test_tags_in_the_sheet_are_added_and_never_taken_away(store: str, tmp_path: Path):
    path = tmp_path / "pelanggan.csv"
    path.write_text(
        "Nama,No HP,Label\n"
        'Siti,0812-3456-7890,"VIP, reseller"\n'
        "Budi,0813-1111-2222,\n"
        "Rina,0857-7777-8888,langganan | Reseller\n"
        f"Tono,0858-1234-5678,{'x' * 50}\n",
        encoding="utf-8",
    )
    summary = await import_customers(path, START)
    assert (summary.added, summary.bad) == (3, 1)
    assert problems(summary)[0][0] == 5 and "tag" in problems(summary)[0][1]

    async def tags(phone: str) -> list[str]:
        owner = await customer(phone)
        return sorted(await CustomerTag.filter(customer=owner).values_list("name", flat=True))

    assert await tags("+6281234567890") == ["reseller", "vip"]
    assert await tags("+6281311112222") == []
    assert await tags("+6285777778888") == ["langganan", "reseller"]

    # An agent's own tag stays, and the sheet's new one for Budi is added to him.
    budi = await customer("+6281311112222")
    await CustomerTag.create(customer=budi, name="komplain", created_at=START)
    path.write_text("Nama,No HP,Tags\nSiti,0812-3456-7890,vip\nBudi,0813-1111-2222,grosir\n",
                    encoding="utf-8")  # fmt: skip
    again = await import_customers(path, START)
    assert (again.added, again.merged, again.unchanged) == (0, 1, 1)
    assert await tags("+6281234567890") == ["reseller", "vip"]
    assert await tags("+6281311112222") == ["grosir", "komplain"]
    assert (await import_customers(path, START)).unchanged == 2  # the same file: nothing
