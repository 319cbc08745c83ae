"""Backups that restore: every table comes back, on SQLite and PostgreSQL; a damaged,
foreign or newer file, or a key that does not open it, is refused and changes nothing; old
backups and old chat text go."""

from __future__ import annotations

import contextlib
import json
import sqlite3
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from cryptography.fernet import Fernet

from crm_core import migrations
from crm_core.backups.rotation import backup_and_prune, backup_name, prune
from crm_core.backups.snapshot import MAGIC, make_backup, read_header, restore_backup
from crm_core.errors import InputError, SettingsError
from crm_core.models import Customer, Message, Order
from crm_core.privacy.erasure import erase_customer
from crm_core.privacy.retention import PURGED, purge_old_messages
from crm_core.privacy.sealing import WrongKey, key_id
from crm_core.settings import Settings
from tests.support.chat import START, Chat
from tests.support.data_key import DATA_KEY
from tests.support.langgan_cli import langgan
from tests.support.stores import POSTGRES_URL

# The newest migration: what a backup of a store brought up to date says it holds.
LATEST = max(p.stem for p in Path(migrations.__file__).parent.glob("0*.py"))


@pytest.fixture
async def shop(chat: Chat) -> Chat:
    """A store with something in every kind of table: orders, messages, consent, an
    erased customer's hashes."""
    await chat.onboard(name="Budi Santoso")
    await chat.to_confirmation("tote bag 2", phone="0812-3456-7890")
    await chat.send("ya")
    other = Chat(chat.engine, sender="2002", telegram_id=2002, display_name="Sari")
    await other.onboard(name="Sari Dewi")
    await erase_customer(
        await Customer.get(name="Sari Dewi"), other.now, reason="asked", agent=None, actor="cli"
    )
    return chat


def store_url(store: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if store == "sqlite":
        return f"sqlite://{tmp_path / 'langgan.db'}"
    return str(request.getfixturevalue("postgres_url"))


def sqlite_rows(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    conn = sqlite3.connect(path)
    try:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {n: sorted(map(tuple, conn.execute(f'SELECT * FROM "{n}"'))) for n in names}
    finally:
        conn.close()


async def postgres_rows(url: str) -> dict[str, list[tuple[Any, ...]]]:
    conn = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
    try:
        names = await conn.fetch(
            "SELECT table_name FROM information_schema.tables WHERE table_schema='public'"
        )
        rows = {}
        for r in names:
            n = r["table_name"]
            rows[n] = sorted(
                (tuple(row.values()) for row in await conn.fetch(f'SELECT * FROM "{n}"')), key=repr
            )
        return rows
    finally:
        await conn.close()


async def test_backup_then_restore_brings_back_every_row_of_every_table(
    store: str, shop: Chat, request: pytest.FixtureRequest, tmp_path: Path
):
    url = store_url(store, request, tmp_path)
    backup = tmp_path / "shop.backup"
    header = await make_backup(url, backup, shop.now)
    assert backup.read_bytes().startswith(MAGIC)
    assert header.schema == LATEST and header.tables["customer"] == 2
    assert header.tables["erased_identity"] == 2 and header.tables["order"] == 1

    if store == "sqlite":
        target = tmp_path / "restored.db"
        await restore_backup(f"sqlite://{target}", backup, DATA_KEY)
        assert sqlite_rows(target) == sqlite_rows(tmp_path / "langgan.db")
        return
    async with empty_postgres() as target_url:
        await restore_backup(target_url, backup, DATA_KEY)
        restored = await postgres_rows(target_url)
        assert restored == await postgres_rows(url)
        assert len(restored["message"]) > 10


@contextlib.asynccontextmanager
async def empty_postgres() -> AsyncIterator[str]:
    """A new, empty database on the test server, to restore into; dropped after."""
    assert POSTGRES_URL
    name = f"langgan_restore_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(POSTGRES_URL)
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{POSTGRES_URL.rpartition('/')[0]}/{name}"
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def test_a_store_with_data_is_replaced_only_with_force(sqlite_store: str, tmp_path: Path):
    url = f"sqlite://{tmp_path / 'langgan.db'}"
    await Customer.create(name="Ani", created_at=START, updated_at=START)
    backup = tmp_path / "one.backup"
    await make_backup(url, backup, START)
    await Customer.create(name="Later", created_at=START, updated_at=START)
    with pytest.raises(InputError, match=r"is not empty .*customer 2.*--force"):
        await restore_backup(url, backup, DATA_KEY)
    assert await Customer.all().count() == 2
    await restore_backup(url, backup, DATA_KEY, force=True)
    assert [c.name for c in await Customer.all()] == ["Ani"]


async def test_a_backup_is_restored_only_with_the_key_it_was_made_with(
    store: str, shop: Chat, request: pytest.FixtureRequest, tmp_path: Path
):
    """A restore with another key used to replace the store and only then fail (or leave
    data that no key at hand opens): it is refused first, naming the key id needed."""
    url = store_url(store, request, tmp_path)
    backup = tmp_path / "shop.backup"
    header = await make_backup(url, backup, shop.now)
    assert header.keys == [key_id(DATA_KEY)]
    other = Fernet.generate_key().decode()
    needed = f"sealed with data key {key_id(DATA_KEY)}, and LANGGAN_DATA_KEY"

    if store == "sqlite":
        target = tmp_path / "target.db"
        await Customer.create(name="Later", created_at=START, updated_at=START)
        await make_backup(url, target_backup := tmp_path / "target.backup", START)
        await restore_backup(f"sqlite://{target}", target_backup, DATA_KEY)
        before = sqlite_rows(target)
        for key, given in ((other, f"holds key {key_id(other)}"), (None, "is not set")):
            # The English words of the refusal (str of an error); the CLI speaks the shop's.
            with pytest.raises(WrongKey, match=f"{needed} {given}. Nothing was changed"):
                await restore_backup(f"sqlite://{target}", backup, key, force=True)
            assert sqlite_rows(target) == before
        await restore_backup(f"sqlite://{target}", backup, f"{other},{DATA_KEY}", force=True)
        assert sqlite_rows(target) != before
        return
    async with empty_postgres() as target_url:
        with pytest.raises(WrongKey, match=f"{needed} holds key {key_id(other)}"):
            await restore_backup(target_url, backup, other)
        assert await postgres_rows(target_url) == {}
        await restore_backup(target_url, backup, DATA_KEY)
        assert await postgres_rows(target_url) == await postgres_rows(url)


@pytest.mark.parametrize(
    "damage, reason",
    [
        (lambda b: b[: len(b) - 100], "truncated or damaged"),
        (lambda b: b[:-5] + b"xxxxx", "checksum does not match"),
        (lambda b: b"SQLite format 3\x00" + b[20:], "is not a Langgan backup"),
        (lambda b: MAGIC + b"{not json\n" + b[200:], "header is unreadable"),
    ],
)
async def test_a_damaged_or_foreign_file_is_refused_and_changes_nothing(
    sqlite_store: str, tmp_path: Path, damage: Any, reason: str
):
    url = f"sqlite://{tmp_path / 'langgan.db'}"
    await Customer.create(name="Ani", created_at=START, updated_at=START)
    good = tmp_path / "good.backup"
    await make_backup(url, good, START)
    bad = tmp_path / "bad.backup"
    bad.write_bytes(damage(good.read_bytes()))
    target = tmp_path / "target.db"
    with pytest.raises(InputError, match=reason):
        await restore_backup(f"sqlite://{target}", bad, DATA_KEY)
    assert not target.exists()


async def test_a_backup_from_a_newer_langgan_or_another_backend_is_refused(
    sqlite_store: str, tmp_path: Path
):
    url = f"sqlite://{tmp_path / 'langgan.db'}"
    good = tmp_path / "good.backup"
    await make_backup(url, good, START)
    lines = good.read_bytes().split(b"\n", 2)
    header = json.loads(lines[1])
    header["migrations"].append("0099_future")
    newer = tmp_path / "newer.backup"
    newer.write_bytes(b"\n".join([lines[0], json.dumps(header).encode(), lines[2]]))
    with pytest.raises(InputError, match=r"newer Langgan .*0099_future"):
        read_header(newer)
    with pytest.raises(InputError, match="sqlite backup and LANGGAN_DB_URL is a postgres"):
        await restore_backup("postgres://nobody@127.0.0.1:1/none", good, DATA_KEY)


def test_old_backups_are_pruned_by_the_time_in_their_name(tmp_path: Path):
    for days in (1, 13, 15, 40):
        (tmp_path / backup_name(START - timedelta(days=days))).write_text("x")
    (tmp_path / "notes.txt").write_text("mine")
    removed = prune(tmp_path, timedelta(days=14), START)
    assert sorted(p.name for p in removed) == sorted(
        backup_name(START - timedelta(days=d)) for d in (15, 40)
    )
    assert (tmp_path / "notes.txt").exists() and len(list(tmp_path.iterdir())) == 3


async def test_the_daily_job_backs_up_and_prunes(sqlite_store: str, tmp_path: Path):
    folder = tmp_path / "backups"
    folder.mkdir()
    (folder / backup_name(START - timedelta(days=30))).write_text("old")
    url = f"sqlite://{tmp_path / 'langgan.db'}"
    header, removed = await backup_and_prune(url, folder, timedelta(days=14), START)
    assert len(removed) == 1
    [kept] = list(folder.iterdir())
    assert kept.name == "langgan-20261102-030000.backup"
    assert read_header(kept).tables == header.tables


async def test_message_text_older_than_the_retention_is_emptied(shop: Chat):
    emptied = await purge_old_messages(shop.now + timedelta(days=29), timedelta(days=30))
    assert emptied == 0
    emptied = await purge_old_messages(shop.now + timedelta(days=31), timedelta(days=30))
    assert emptied > 10
    assert set(await Message.all().values_list("body", flat=True)) == {PURGED}
    assert await Order.all().count() == 1  # orders stay


def test_backup_and_retention_settings():
    settings = Settings.from_mapping(
        {"LANGGAN_BACKUP_DIR": "/var/backups/langgan", "LANGGAN_BACKUP_KEEP": "30",
         "LANGGAN_MESSAGE_RETENTION": "365d"}
    )  # fmt: skip
    assert settings.backup_dir == "/var/backups/langgan"
    assert settings.backup_keep == timedelta(days=30)
    assert settings.message_retention == timedelta(days=365)
    assert Settings.from_mapping({}).message_retention is None
    with pytest.raises(SettingsError, match="LANGGAN_BACKUP_KEEP must be a number of days"):
        Settings.from_mapping({"LANGGAN_BACKUP_KEEP": "two weeks"})
    with pytest.raises(SettingsError, match="LANGGAN_MESSAGE_RETENTION"):
        Settings.from_mapping({"LANGGAN_MESSAGE_RETENTION": "forever"})


def test_backup_and_restore_from_the_command_line(tmp_path: Path):
    assert langgan(tmp_path, "products", "import", "--sample").returncode == 0
    made = langgan(tmp_path, "backup", "shop.backup")
    assert made.returncode == 0, made.stderr
    assert f"skema {LATEST}" in made.stdout
    assert (
        f"Kunci data tidak ikut di backup: untuk memulihkannya perlu kunci {key_id(DATA_KEY)}"
        in (" ".join(made.stdout.split()))
    )
    refused = langgan(tmp_path, "restore", "shop.backup")
    assert refused.returncode == 2 and "tidak kosong" in refused.stderr
    assert "Traceback" not in refused.stderr
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    (fresh / "shop.backup").write_bytes((tmp_path / "shop.backup").read_bytes())
    other = {"LANGGAN_DATA_KEY": Fernet.generate_key().decode()}
    wrong = langgan(fresh, "restore", "shop.backup", env=other)
    assert wrong.returncode == 2 and f"disegel dengan kunci data {key_id(DATA_KEY)}" in wrong.stderr
    assert not (fresh / "langgan.db").exists()
    restored = langgan(fresh, "restore", "shop.backup")
    assert restored.returncode == 0, restored.stderr
    assert "semua terhitung" in restored.stdout
    assert "Kaos Polos" in langgan(fresh, "products", "list").stdout
    missing = langgan(fresh, "restore", "nothing.backup")
    assert missing.returncode == 2 and "nothing.backup: file itu tidak ada" in missing.stderr
