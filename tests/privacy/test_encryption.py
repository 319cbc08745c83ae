"""Encryption at rest: what a copy of the store shows without the key (nothing personal),
look-ups that still work, a missing or wrong key refused before anything changes, and a
key rotation that can be cut off and carried on."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from tortoise import Tortoise
from tortoise.context import TortoiseContext
from tortoise.migrations.api.migrate import migrate as tortoise_migrate
from tortoise.models import Model

from bot.cli.main import main
from bot.conversation.engine import Engine
from crm_core.customers.lookup import resolve, search
from crm_core.errors import SettingsError
from crm_core.models import (
    Agent,
    AuditEvent,
    Conversation,
    Customer,
    CustomerMerge,
    Message,
    Note,
    Order,
    OutboxMessage,
    Reminder,
)
from crm_core.models.sealed import Sealable, SealedText
from crm_core.outreach.contact_policy import Service
from crm_core.outreach.outbox import enqueue
from crm_core.privacy import sealed_rows
from crm_core.privacy.sealing import KeyMissing, Keyring, StoreKeys, WrongKey, key_id, store_keys
from crm_core.settings import Settings
from crm_core.staff.agents import add_agent
from crm_core.store import connection_name, open_store, tortoise_config
from tests.support.chat import START, Chat
from tests.support.data_key import DATA_KEY

PHONE, PHONE_DIGITS = "0812-3456-7890", "81234567890"
WA_PHONE = "+6281399998888"
TYPED_PHONE = "0813-5555-4444"
AGENT_PHONE = "+6281277776666"
EMAIL, STREET = "budi.santoso@contoh.id", "Kenanga"
OTHER_KEY = Fernet.generate_key().decode()


def raw_bytes(path: Path) -> bytes:
    """The store's file and its write-ahead log, as a copy taken off the machine holds them."""
    wal = path.with_name(path.name + "-wal")
    return path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


async def budi_orders_and_the_team_talks(engine: Engine) -> Customer:
    """A customer who ordered with a phone and an address, a WhatsApp customer, an agent
    with a number, a note and a waiting WhatsApp message."""
    chat = Chat(engine, sender="1001", telegram_id=1001, display_name="Budi")
    await chat.onboard(name="Budi Santoso", city="Bandung")
    await chat.to_confirmation("tote bag 2", address="Jl. Kenanga No. 7", phone=PHONE)
    await chat.send("ya")
    budi = await Customer.get(name="Budi Santoso")
    budi.email = EMAIL
    await budi.save()
    whatsapp = Chat(engine, channel="whatsapp", sender=WA_PHONE, verified_phone=WA_PHONE)
    await whatsapp.onboard(name="Sari", city="Medan")
    await whatsapp.send(f"nomor saya {WA_PHONE}, kirim ke Jl. {STREET} 9")
    # Sari on Telegram shares her own contact: the two records are one person, merged.
    sari = Chat(engine, sender="1002", telegram_id=1002, display_name="Sari")
    await sari.onboard(name="Sari", city="Medan")
    await sari.send("", kind="contact", verified_phone=WA_PHONE)
    # Someone halfway through an order: the number typed waits in the chat's state.
    halfway = Chat(engine, sender="1003", telegram_id=1003, display_name="Tono")
    await halfway.onboard(name="Tono", city="Depok")
    await halfway.to_confirmation("tote bag 1", address="Jl. Anggrek 3", phone=TYPED_PHONE)
    await add_agent("Ani", START, phone=AGENT_PHONE)
    await add_agent("Dewi", START, telegram_id=9001)
    dewi = Chat(engine, sender="9001", telegram_id=9001)
    await dewi.send(f"/cari {PHONE}")  # the search is audited, with what was searched
    await dewi.send(f"/ingatkan {budi.id}: besok 10:00 telepon {PHONE}")
    await Note.create(customer=budi, author="Ani", body=f"telp {PHONE}", created_at=START)
    await enqueue("whatsapp", WA_PHONE, "Halo Sari", START, service=Service.ANSWER)
    return budi


async def test_a_copy_of_the_store_shows_no_phone_email_address_or_message(
    store: str, engine: Engine, tmp_path: Path
):
    budi = await budi_orders_and_the_team_talks(engine)
    # What the shop sees is the plain text, and the look-ups by number still work.
    assert (budi.phone, budi.email) == ("+6281234567890", EMAIL)
    assert (await resolve("+62 812 3456 7890")).id == budi.id
    assert [c.id for c in (await search(PHONE)).customers] == [budi.id]
    assert [c.id for c in (await search("567890")).customers] == [budi.id]  # its end
    assert (await search("3456")).customers == []  # the middle of a number: not found
    assert (await Order.get(customer_id=budi.id)).ship_address == "Jl. Kenanga No. 7"
    assert await Conversation.filter(channel="whatsapp").count() == 1
    assert (await Agent.get(name="Ani")).phone == AGENT_PHONE
    assert any(STREET in m.body for m in await Message.all())
    assert await CustomerMerge.exists()  # Sari's two records became one
    assert (await AuditEvent.get(action="customer.search")).detail["text"] == PHONE
    assert PHONE in (await Reminder.get()).note

    stored = await everything_as_stored(store, tmp_path / "langgan.db")
    assert b"Budi Santoso" in stored  # names are not sealed: this is the right store
    for secret in (PHONE_DIGITS, PHONE, WA_PHONE[3:], AGENT_PHONE[3:], "81355554444", "5555-4444",
                   EMAIL, STREET, "Anggrek"):  # fmt: skip
        assert secret.encode() not in stored, secret


async def everything_as_stored(store: str, path: Path) -> bytes:
    """SQLite: the file and its write-ahead log, as a copy taken off the machine holds
    them. PostgreSQL: every row of every table as the server returns it."""
    connection = Tortoise.get_connection(store)
    if store == "sqlite":
        await connection.execute_script("PRAGMA wal_checkpoint(TRUNCATE)")
        return raw_bytes(path)
    rows = []
    for model in Tortoise.apps["langgan"].values():
        table = model._meta.db_table
        _, found = await connection.execute_query(f'SELECT t::text AS row FROM "{table}" t')
        rows.extend(str(r["row"]) for r in found)
    return "\n".join(rows).encode()


async def test_postgres_holds_the_phone_sealed_and_finds_it_by_its_index(postgres_store: str):
    customer = await Customer.create(
        name="Budi", phone="+6281234567890", email=EMAIL, address="Jl. Kenanga 7",
        created_at=START, updated_at=START,
    )  # fmt: skip
    connection = Tortoise.get_connection("postgres")
    _, rows = await connection.execute_query(
        "SELECT phone, email, address, phone_index FROM customer WHERE id = $1", [customer.id]
    )
    row = dict(rows[0])
    kid = Keyring.from_setting(DATA_KEY).primary
    for column in ("phone", "email", "address"):
        assert row[column].startswith(f"{kid}:gcm.") and PHONE_DIGITS not in row[column]
    assert len(row["phone_index"]) == 64 and PHONE_DIGITS not in row["phone_index"]
    assert (await resolve(PHONE)).id == customer.id


async def test_filtering_on_a_sealed_column_fails_loudly_instead_of_finding_nothing(
    sqlite_store: str,
):
    with pytest.raises(TypeError, match="sealed and cannot be compared in SQL"):
        await Customer.filter(phone="+6281234567890").first()


@pytest.mark.parametrize("shape", ["gAAAAAB", "gcm."], ids=["fernet", "gcm"])
async def test_text_that_looks_sealed_is_kept_and_read_back_as_the_customer_wrote_it(
    store: str, engine: Engine, tmp_path: Path, shape: str
):
    """A sealed value is ``KID:gcm....`` (``KID:gA...`` from older Langgan). A customer
    who writes either shape (by chance or to see what breaks), with the shop's own key id
    even, is answered as usual, and their words are sealed and read back like any others,
    in the log, the chat and a note."""
    lookalike = f"{key_id(DATA_KEY)}:{shape}halo kak, ini alamat saya"
    chat = Chat(engine)
    await chat.onboard(name="Budi")
    await chat.send("pesan")
    await chat.send(lookalike)
    assert "gangguan" not in chat.text, chat.text  # not the apology for a failed turn
    assert lookalike in [m.body for m in await Message.filter(direction="in")]
    budi = await Customer.get(name="Budi")
    note = await Note.create(customer=budi, author="Ani", body=lookalike, created_at=START)
    assert (await Note.get(id=note.id)).body == lookalike
    await Conversation.filter(customer_id=budi.id).first()  # the chat's state still opens
    stored = await everything_as_stored(store, tmp_path / "langgan.db")
    assert b"ini alamat saya" not in stored  # sealed, like any other text


def test_every_model_with_a_sealed_column_keeps_python_text_as_it_is():
    """A model made in Python must not take its own text for sealed values (Sealable)."""
    from crm_core import models

    with_sealed = [
        m for m in vars(models).values()
        if isinstance(m, type) and issubclass(m, Model) and not m._meta.abstract
        and any(isinstance(f, SealedText) for f in m._meta.fields_map.values())
    ]  # fmt: skip
    assert with_sealed and all(issubclass(m, Sealable) for m in with_sealed)


async def test_a_bulk_update_of_the_phone_keeps_its_index(sqlite_store: str):
    customer = await Customer.create(name="Budi", created_at=START, updated_at=START)
    await Customer.filter(id=customer.id).update(phone="+6281234567890")
    assert (await resolve(PHONE)).id == customer.id
    await Customer.filter(id=customer.id).update(phone=None)
    assert (await Customer.get(id=customer.id)).phone_index is None


def updates(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.getMessage().startswith("UPDATE")]


async def test_a_message_rewrites_no_blind_index_and_a_new_phone_rewrites_its_own(
    engine: Engine, caplog: pytest.LogCaptureFixture
):
    """Every message saves the chat and the customer; their keyed hashes are made and
    written again only when the number or address they are made from changes."""
    chat = Chat(engine)
    await chat.onboard(name="Budi")
    caplog.set_level(logging.DEBUG, logger="tortoise.db_client")
    await chat.send("halo kak, mau tanya")
    writes = updates(caplog)
    assert writes, "the chat and the customer are saved"
    assert not [w for w in writes if "_index" in w]
    caplog.clear()
    customer = await Customer.get(name="Budi")
    customer.phone = "+6281234567890"
    await customer.save(update_fields=["phone"])
    [write] = updates(caplog)
    assert "phone_index" in write and "address_index" not in write
    assert await resolve("0812-3456-7890") == customer


async def test_every_sealed_field_is_resealed_by_a_rotation(sqlite_store: str):
    """A sealed column the rotation does not know would be left under the old key."""
    declared = {
        (model._meta.db_table, field.source_field or name)
        for model in Tortoise.apps["langgan"].values()
        for name, field in model._meta.fields_map.items()
        if isinstance(field, SealedText)
    }
    resealed = {(t.table, c) for t in sealed_rows.SEALED_TABLES for c in t.columns}
    assert declared == resealed


# -- the key -----------------------------------------------------------------------------


async def test_without_the_key_nothing_opens_and_the_answer_says_how_to_make_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    with pytest.raises(KeyMissing, match=r"LANGGAN_DATA_KEY is not set.*langgan keygen"):
        async with open_store(f"sqlite://{tmp_path / 'a.db'}", None):
            pass
    assert not (tmp_path / "a.db").exists()
    # From the command line: a store that exists (a new SQLite store gets a key made for
    # it: tests/privacy/test_first_run_key.py).
    path = tmp_path / "b.db"
    async with open_store(f"sqlite://{path}", DATA_KEY):
        pass
    before = raw_bytes(path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("LANGGAN_DATA_KEY")
    monkeypatch.setenv("LANGGAN_DB_URL", f"sqlite://{path}")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    assert await _main("products", "list") == 2
    assert "LANGGAN_DATA_KEY belum diisi" in capsys.readouterr().err
    assert raw_bytes(path) == before


async def test_keygen_prints_a_key_that_opens_a_store(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    assert await _main("keygen") == 0
    key = capsys.readouterr().out.strip()
    Fernet(key.encode())  # raises if it is not a Fernet key
    async with open_store(f"sqlite://{tmp_path / 'a.db'}", key):
        await Customer.create(phone="+6281234567890", created_at=START, updated_at=START)


@pytest.mark.parametrize("text", ["not-a-key", "abc,", DATA_KEY[:-2]])
def test_a_key_that_is_not_a_fernet_key_is_refused_with_what_one_looks_like(text: str):
    with pytest.raises(SettingsError, match=r"not a Fernet key.*langgan keygen"):
        Keyring.from_setting(text)


async def test_the_wrong_key_is_refused_and_changes_nothing(tmp_path: Path):
    path = tmp_path / "shop.db"
    url = f"sqlite://{path}"
    async with open_store(url, DATA_KEY):
        await Customer.create(phone="+6281234567890", created_at=START, updated_at=START)
    before = hashlib.sha256(raw_bytes(path)).hexdigest()
    with pytest.raises(WrongKey, match=f"sealed with key {key_id(DATA_KEY)}.*Nothing was changed"):
        async with open_store(url, OTHER_KEY):
            pass
    assert hashlib.sha256(raw_bytes(path)).hexdigest() == before


# -- rotation ----------------------------------------------------------------------------


async def fill(url: str, key: str) -> dict[int, tuple[str | None, ...]]:
    """Customers with chats and messages, sealed with ``key``; what each one holds."""
    async with open_store(url, key):
        for n in range(12):
            customer = await Customer.create(
                name=f"Pelanggan {n}", phone=f"+62812000000{n:02d}", email=f"p{n}@contoh.id",
                address=f"Jl. Mawar {n}", created_at=START, updated_at=START,
            )  # fmt: skip
            await Conversation.create(
                channel="whatsapp", address=customer.phone, customer=customer,
                created_at=START, updated_at=START,
            )  # fmt: skip
            await Message.create(
                customer=customer, channel="whatsapp", direction="in", body=f"halo {n}",
                status="received", created_at=START,
            )  # fmt: skip
        return await holdings()


async def holdings() -> dict[int, tuple[str | None, ...]]:
    held = {}
    for c in await Customer.all().prefetch_related("messages", "conversations"):
        held[c.id] = (
            c.phone, c.email, c.address, *[m.body for m in c.messages],
            *[v.address for v in c.conversations],
        )  # fmt: skip
    return held


def keys_in(path: Path) -> set[str]:
    with sqlite3.connect(path) as db:
        rows = db.execute(
            "SELECT substr(phone, 1, 8) FROM customer UNION SELECT substr(body, 1, 8) FROM message "
            "UNION SELECT substr(address, 1, 8) FROM conversation "
            "UNION SELECT substr(value, 1, 8) FROM store_secret"
        )
        return {r[0] for r in rows}


class CutOff(Exception):
    pass


async def test_a_rotation_cut_off_halfway_loses_nothing_and_carries_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    path = tmp_path / "shop.db"
    url = f"sqlite://{path}"
    held = await fill(url, DATA_KEY)
    old, new = DATA_KEY, OTHER_KEY
    both = f"{new},{old}"

    monkeypatch.setattr(sealed_rows, "BATCH", 5)
    batches = 0

    def power_cut(table: str, done: int) -> None:
        nonlocal batches
        batches += 1
        if batches == 2:
            raise CutOff

    async with open_store(url, both):
        with pytest.raises(CutOff):
            await sealed_rows.reseal(connection_name(url), store_keys(), power_cut)
    assert keys_in(path) == {key_id(old), key_id(new)}  # halfway: rows under each key
    async with open_store(url, both):
        assert await holdings() == held  # nothing unreadable
        assert (await resolve("+6281200000003")).name == "Pelanggan 3"
    with pytest.raises(WrongKey, match=f"sealed with key {key_id(old)}"):
        async with open_store(url, new):  # the old key is still needed
            pass

    monkeypatch.setenv("LANGGAN_DB_URL", url)
    monkeypatch.setenv("LANGGAN_DATA_KEY", both)
    assert await _main("rotate-key") == 0
    out = " ".join(capsys.readouterr().out.split())
    assert f"disegel ulang dengan kunci {key_id(new)}" in out
    assert "isi LANGGAN_DATA_KEY dengan kunci itu saja" in out
    assert keys_in(path) == {key_id(new)}
    async with open_store(url, new):
        assert await holdings() == held
        assert (await resolve("+6281200000011")).name == "Pelanggan 11"
        assert await Conversation.filter(channel="whatsapp").count() == 12
    with pytest.raises(WrongKey):
        async with open_store(url, old):
            pass
    monkeypatch.setenv("LANGGAN_DATA_KEY", new)
    assert await _main("rotate-key") == 0
    assert "sudah disegel dengan kunci" in capsys.readouterr().out


async def test_a_rotation_on_postgres_reseals_every_row(postgres_store: str):
    postgres_url, new = postgres_store, Fernet.generate_key().decode()
    async with open_store(postgres_url, DATA_KEY, bring_up_to_date=False):
        customer = await Customer.create(phone="+6281234567890", address="Jl. Kenanga 7",
                                         created_at=START, updated_at=START)  # fmt: skip
        await Order.create(customer=customer, channel="telegram", total=1, ship_name="B",
                           ship_phone="+6281234567890", ship_address="Jl. Kenanga 7",
                           ship_city="Bandung", created_at=START, updated_at=START)  # fmt: skip
        await OutboxMessage.create(channel="whatsapp", address=WA_PHONE, body="Halo",
                                   next_attempt_at=START, created_at=START)  # fmt: skip
    try:
        async with open_store(postgres_url, f"{new},{DATA_KEY}", bring_up_to_date=False):
            result = await sealed_rows.reseal("postgres", store_keys())
            assert result.rows["customer"] >= 1 and result.rows["order"] >= 1
        async with open_store(postgres_url, new, bring_up_to_date=False):
            order = await Order.get(customer_id=customer.id)
            assert (order.ship_phone, order.ship_address) == ("+6281234567890", "Jl. Kenanga 7")
            assert (await resolve(PHONE)).id == customer.id
    finally:  # the session's other tests seal with the test key
        async with open_store(postgres_url, f"{DATA_KEY},{new}", bring_up_to_date=False):
            await sealed_rows.reseal("postgres", store_keys())


# -- a store from before encryption ------------------------------------------------------


async def test_a_store_from_before_encryption_is_sealed_on_its_first_open(tmp_path: Path):
    path = tmp_path / "old.db"
    url = f"sqlite://{path}"
    async with TortoiseContext():
        await tortoise_migrate(
            config=tortoise_config(f"{url}?foreign_keys=OFF"), target="langgan.0005_spreadsheet"
        )
    at = (START - timedelta(days=30)).isoformat(sep=" ")
    with sqlite3.connect(path) as db:
        db.execute(
            "INSERT INTO customer (id, name, phone, email, address, language, phone_verified, "
            "blacklisted, orders_count, total_spent, created_at, updated_at) VALUES "
            "(1, 'Budi', '+6281234567890', ?, 'Jl. Kenanga 7', 'id', 1, 0, 0, 0, ?, ?)",
            (EMAIL, at, at),
        )
        db.execute(
            "INSERT INTO conversation (id, channel, address, customer_id, state, data, "
            "created_at, updated_at) VALUES (1, 'whatsapp', '+6281234567890', 1, 'idle', '{}', "
            "?, ?)",
            (at, at),
        )
        db.execute(
            "INSERT INTO message (customer_id, channel, direction, kind, body, status, "
            "created_at) VALUES (1, 'whatsapp', 'in', 'text', 'rumah saya di Kenanga', "
            "'received', ?)",
            (at,),
        )
    assert PHONE_DIGITS.encode() in raw_bytes(path)
    async with open_store(url, DATA_KEY):
        assert (await resolve(PHONE)).email == EMAIL
        chat = await Conversation.get(id=1)
        assert chat.address == "+6281234567890" and chat.address_index is not None
        assert (await Message.get(customer_id=1)).body == "rumah saya di Kenanga"
    stored = raw_bytes(path)
    for secret in (PHONE_DIGITS, EMAIL, STREET):
        assert secret.encode() not in stored, secret


async def _main(*argv: str) -> int:
    """`langgan ...` in this process, on a loop of its own (main() runs asyncio.run)."""
    return await asyncio.to_thread(main, list(argv))


def test_no_key_or_token_shows_in_a_log_line_or_a_traceback():
    settings = Settings.from_mapping(
        {"LANGGAN_DATA_KEY": DATA_KEY, "TELEGRAM_BOT_TOKEN": "123:secret-token"}
    )
    ring = Keyring.from_setting(f"{OTHER_KEY},{DATA_KEY}")
    shown = repr(settings) + repr(ring) + repr(StoreKeys(ring, b"k" * 32))
    for secret in (DATA_KEY, OTHER_KEY, "secret-token", "kkkk"):
        assert secret not in shown


async def test_a_rotation_never_puts_back_a_value_the_service_changed_meanwhile(
    tmp_path: Path,
):
    """Between the rotation reading a batch and writing it back, the service changes a
    customer's address (sealed with the new key already): the new address stays."""
    path = tmp_path / "shop.db"
    url = f"sqlite://{path}"
    await fill(url, DATA_KEY)
    both = Keyring.from_setting(f"{OTHER_KEY},{DATA_KEY}")
    moved = both.seal("Jl. Baru 99")
    written = []

    class ServiceWritesMeanwhile(Keyring):
        def open(self, value: str) -> str:
            if not written:  # the batch has been read: another connection writes now
                with sqlite3.connect(path) as db:
                    db.execute("UPDATE customer SET address = ? WHERE id = 1", (moved,))
                written.append(True)
            return super().open(value)

    async with open_store(url, f"{OTHER_KEY},{DATA_KEY}"):
        ring = ServiceWritesMeanwhile.from_setting(f"{OTHER_KEY},{DATA_KEY}")
        result = await sealed_rows.reseal(
            connection_name(url), StoreKeys(ring, store_keys().index_key)
        )
        assert (await Customer.get(id=1)).address == "Jl. Baru 99"
        assert result.rows["customer"] == 11  # customer 1 was left to the service's write
        assert result.left == 1 and await sealed_rows.sealed_with(store_keys()) != ring.primary
        # Its phone is still under the old key: the next pass seals it.
        again = await sealed_rows.reseal(connection_name(url), store_keys())
        assert (again.rows["customer"], again.left) == (1, 0)
        assert await sealed_rows.sealed_with(store_keys()) == ring.primary
        assert (await Customer.get(id=1)).address == "Jl. Baru 99"
        assert (await resolve("+6281200000000")).id == 1


# -- the sealed format -------------------------------------------------------------------


def test_a_sealed_value_is_gcm_new_each_time_and_opens_only_as_it_was_made():
    ring = Keyring.from_setting(f"{DATA_KEY},{OTHER_KEY}")
    first, second = ring.seal("Jl. Kenanga 7"), ring.seal("Jl. Kenanga 7")
    kid = key_id(DATA_KEY)
    assert first.startswith(f"{kid}:gcm.") and first != second  # equal texts do not show
    fresh = Keyring.from_setting(f"{DATA_KEY},{OTHER_KEY}")  # nothing remembered
    assert fresh.open(first) == fresh.open(second) == "Jl. Kenanga 7"
    token = first.split(":", 1)[1]
    flipped = token[:-3] + ("A" if token[-3] != "A" else "B") + token[-2:]
    for changed in (
        f"{kid}:{flipped}",  # one character of the sealed text changed
        f"{key_id(OTHER_KEY)}:{token}",  # moved behind the other key's id
        f"{kid}:gcm.AAAA",  # too short to hold a nonce and a tag
        f"{kid}:gcm.not base64!",
    ):
        with pytest.raises(WrongKey, match="changed outside Langgan"):
            fresh.open(changed)


def as_older_langgan_sealed_it(path: Path, key: str) -> int:
    """Every sealed value in the file made again as a Fernet token, the format Langgan
    sealed with before GCM; how many."""
    ring, fernet = Keyring.from_setting(key), Fernet(key.encode())
    tables = {"customer": "id", "message": "id", "conversation": "id", "store_secret": "name"}
    count = 0
    with sqlite3.connect(path) as db:
        for table, pk in tables.items():
            columns = [c[1] for c in db.execute(f"PRAGMA table_info({table})")]
            for row in db.execute(f"SELECT * FROM {table}").fetchall():
                for column, value in zip(columns, row, strict=True):
                    if isinstance(value, str) and ":gcm." in value[:13]:
                        old = f"{key_id(key)}:{fernet.encrypt(ring.open(value).encode()).decode()}"
                        db.execute(
                            f"UPDATE {table} SET {column} = ? WHERE {pk} = ?",
                            (old, row[columns.index(pk)]),
                        )
                        count += 1
    return count


async def test_a_store_sealed_by_older_langgan_opens_and_is_sealed_with_gcm_as_it_is_written(
    tmp_path: Path,
):
    path = tmp_path / "shop.db"
    url = f"sqlite://{path}"
    before = await fill(url, DATA_KEY)
    assert as_older_langgan_sealed_it(path, DATA_KEY) >= 12 * 5  # phone, email, address...
    kid = key_id(DATA_KEY)
    async with open_store(url, DATA_KEY):
        assert await holdings() == before
        customer = await Customer.get(id=1)
        customer.address = "Jl. Baru 99"
        await customer.save()
    with sqlite3.connect(path) as db:
        rows = dict(db.execute("SELECT id, address FROM customer WHERE id IN (1, 2)").fetchall())
    assert rows[1].startswith(f"{kid}:gcm.") and rows[2].startswith(f"{kid}:gA")
    # A rotation seals the older values, under the new key, with GCM.
    now = {**before, 1: (*before[1][:2], "Jl. Baru 99", *before[1][3:])}
    async with open_store(url, f"{OTHER_KEY},{DATA_KEY}"):
        await sealed_rows.reseal(connection_name(url), store_keys())
        assert await holdings() == now
    with sqlite3.connect(path) as db:
        values = [
            r[0]
            for r in db.execute("SELECT phone FROM customer UNION ALL SELECT body FROM message")
        ]
    assert values and all(v.startswith(f"{key_id(OTHER_KEY)}:gcm.") for v in values)
