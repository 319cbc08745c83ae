"""The first run of a new SQLite store needs no key step: Langgan makes the data key, keeps
it in the user's configuration folder (owner-only, outside the store's folder), says once
where, and finds it on every later run. Everything else still needs LANGGAN_DATA_KEY."""

from __future__ import annotations

import asyncio
import shutil
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from bot.cli.main import main
from crm_core.models import Product
from crm_core.privacy import key_file
from crm_core.privacy.sealing import key_id
from crm_core.store import open_store

NOTICE = "kunci data untuk store baru ini sudah dibuat"


@pytest.fixture
def shop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The README's quick start: a folder with no `.env`, no LANGGAN_DATA_KEY, the default
    store (`langgan.db` here), and a configuration folder of its own."""
    folder = tmp_path / "shop"
    folder.mkdir()
    monkeypatch.chdir(folder)
    monkeypatch.delenv("LANGGAN_DATA_KEY")
    monkeypatch.delenv("LANGGAN_DB_URL", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    return folder


def keys_folder(tmp_path: Path) -> Path:
    return tmp_path / "config" / "langgan" / "keys"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_first_run_makes_the_key_keeps_it_private_and_says_where_once(
    shop: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    assert main(["products", "import", "--sample"]) == 0
    [kept] = keys_folder(tmp_path).iterdir()
    err = capsys.readouterr().err
    assert err.count(NOTICE) == 1 and str(kept) in " ".join(err.split())
    assert "Backup file itu terpisah dari store" in err
    assert mode(kept) == 0o600
    assert mode(kept.parent) == mode(kept.parent.parent) == 0o700
    assert not kept.is_relative_to(shop)  # a copy of the shop's folder carries no key
    key = kept.read_text().split("LANGGAN_DATA_KEY=", 1)[1].strip()
    Fernet(key.encode())
    assert key_id(key) in err

    # The quick start run again: the same key, found quietly; the store and its data stand.
    assert main(["products", "import", "--sample"]) == 0
    assert main(["products", "list"]) == 0
    out, err = capsys.readouterr()
    assert "0 produk dibuat, 5 diperbarui." in out and "Kaos Polos" in out
    assert "data key" not in err
    assert list(keys_folder(tmp_path).iterdir()) == [kept]


async def test_the_key_kept_is_the_one_that_opens_the_store(shop: Path, tmp_path: Path):
    assert await key_file_main("products", "import", "--sample") == 0
    [kept] = keys_folder(tmp_path).iterdir()
    key = kept.read_text().split("LANGGAN_DATA_KEY=", 1)[1].strip()
    async with open_store(f"sqlite://{shop / 'langgan.db'}", key):
        assert await Product.all().count() == 5


def test_an_existing_store_with_no_key_and_no_key_file_is_refused(
    shop: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    """A store copied from elsewhere (or a store whose key file is gone) is not new: a new
    key would not open it, so none is made."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    store = elsewhere / "langgan.db"
    assert main(["migrate"]) == 0  # a store, and its key file, in the shop's folder
    shutil.copy(shop / "langgan.db", store)
    before = store.read_bytes()
    capsys.readouterr()
    assert main_at(f"sqlite://{store}", "products", "list") == 2
    err = capsys.readouterr().err
    assert "LANGGAN_DATA_KEY belum diisi" in err and "langgan keygen" in err
    assert store.read_bytes() == before
    assert len(list(keys_folder(tmp_path).iterdir())) == 1  # the shop's own, no other


def test_a_postgres_store_with_no_key_is_refused_before_connecting(
    shop: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    # Nothing listens on port 1: a command that tried to connect would say it cannot.
    assert main_at("postgres://nobody@127.0.0.1:1/none", "migrate") == 2
    err = capsys.readouterr().err
    assert "LANGGAN_DATA_KEY belum diisi" in err and "tidak bisa dihubungi" not in err
    assert not (tmp_path / "config").exists()


def test_a_key_that_is_set_wins_over_the_key_file(
    shop: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    assert main(["migrate"]) == 0
    capsys.readouterr()
    other = Fernet.generate_key().decode()
    monkeypatch.setenv("LANGGAN_DATA_KEY", other)
    assert main(["products", "list"]) == 2  # the key set is used, and does not open it
    assert f"kunci yang diberikan {key_id(other)}" in capsys.readouterr().err

    # A new store with a key set keeps no key file.
    monkeypatch.setenv("LANGGAN_DB_URL", f"sqlite://{tmp_path / 'second.db'}")
    assert main(["migrate"]) == 0
    assert NOTICE not in capsys.readouterr().err
    assert len(list(keys_folder(tmp_path).iterdir())) == 1


def test_a_rotation_away_from_the_first_run_key_says_the_key_file_holds_the_old_one(
    shop: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    assert main(["products", "import", "--sample"]) == 0
    [kept] = keys_folder(tmp_path).iterdir()
    old = kept.read_text().split("LANGGAN_DATA_KEY=", 1)[1].strip()
    new = Fernet.generate_key().decode()
    capsys.readouterr()
    monkeypatch.setenv("LANGGAN_DATA_KEY", f"{new},{old}")
    assert main(["rotate-key"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert f"disegel ulang dengan kunci {key_id(new)}" in out
    assert f"{kept}, file kunci yang dibuat untuk store ini saat pertama dijalankan" in out


def test_an_empty_file_is_a_new_store_and_an_in_memory_store_keeps_no_key(
    shop: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    (shop / "langgan.db").touch()
    assert main(["migrate"]) == 0
    assert NOTICE in capsys.readouterr().err
    now = datetime.now(UTC)
    assert key_file.key_for("sqlite://:memory:", now) is None
    assert key_file.key_for("postgres://nobody@127.0.0.1:1/none", now) is None
    assert len(list(keys_folder(tmp_path).iterdir())) == 1


def test_two_stores_have_two_key_files_named_after_each_store(tmp_path: Path):
    config = tmp_path / "config"
    one = key_file.key_path(tmp_path / "a" / "langgan.db", config)
    two = key_file.key_path(tmp_path / "b" / "langgan.db", config)
    assert one != two and one.name.startswith("langgan.db-") and one.parent == two.parent
    relative = key_file.key_path(Path("langgan.db"), config)
    assert relative == key_file.key_path(Path.cwd() / "langgan.db", config)


def test_a_relative_xdg_config_home_is_ignored_as_the_xdg_rule_says(tmp_path: Path):
    home = {"HOME": str(tmp_path)}
    assert key_file.config_home(home) == tmp_path / ".config"
    assert key_file.config_home({**home, "XDG_CONFIG_HOME": "rel/cfg"}) == tmp_path / ".config"
    assert key_file.config_home({**home, "XDG_CONFIG_HOME": "/etc/x"}) == Path("/etc/x")


def main_at(db_url: str, *argv: str) -> int:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LANGGAN_DB_URL", db_url)
        return main(list(argv))


async def key_file_main(*argv: str) -> int:
    """`langgan ...` in this process, on a loop of its own (main() runs asyncio.run)."""
    return await asyncio.to_thread(main, list(argv))
