"""The ``langgan`` command as a newcomer uses it, and ``langgan run`` end to end."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import signal
import socket
import sys
import threading
import time
from collections.abc import AsyncIterator, Awaitable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp
import pytest

from bot.service import run
from bot.settings import Settings
from tests.fakes.telegram_api import TOKEN, FakeTelegram, message_update
from tests.support.data_key import DATA_KEY
from tests.support.langgan_cli import langgan

NEWCOMER_CHAT = (
    "\n".join(
        [
            "halo",
            "ya",
            "Siti",
            "Surabaya",
            "lewati",
            "kaos hitam L 2",
            "Jl. Darmo No. 12, Wonokromo",
            "0812-3456-7890",
            "1",
            "/quit",
        ]
    )
    + "\n"
)


def test_a_newcomer_orders_in_langgan_chat(tmp_path: Path):
    loaded = langgan(tmp_path, "products", "import", "--sample")
    assert loaded.returncode == 0, loaded.stderr
    assert "5 produk dibuat" in loaded.stdout
    chat = langgan(tmp_path, "chat", stdin=NEWCOMER_CHAT)
    assert chat.returncode == 0, chat.stderr
    assert "Total: *Rp150.000*" in chat.stdout
    assert re.search(r"Pesanan INV-\d{4}-0001 sudah kami terima", chat.stdout)
    # The phone question asks to type it: a terminal has no contact button to press.
    assert "Ketik nomornya (misalnya 0812-3456-7890)." in chat.stdout
    assert "tombol" not in chat.stdout
    assert (tmp_path / "langgan.db").exists()
    listing = langgan(tmp_path, "products", "list")
    assert "Kaos Polos" in listing.stdout and "Rp75.000" in listing.stdout


SHOPPER_CHAT = "\n".join(
    ["P", "iya kak", "Siti", "sby", "skip", "1", "3", "yg item", "L nya", "2 pcs",
     "Jl. Darmo No. 12, Wonokromo", "0812-3456-7890", "iya", "/quit"]
) + "\n"  # fmt: skip


def test_a_shopper_writing_as_shoppers_do_orders_in_langgan_chat_by_numbers(tmp_path: Path):
    assert langgan(tmp_path, "products", "import", "--sample").returncode == 0
    chat = langgan(tmp_path, "chat", stdin=SHOPPER_CHAT)
    assert chat.returncode == 0, chat.stderr
    assert "Pilih produknya" in chat.stdout  # "1" picked Pesan from the main menu
    assert "2× Kaos Polos, Hitam, ukuran L" in chat.stdout
    assert re.search(r"Pesanan INV-\d{4}-0001 sudah kami terima", chat.stdout)
    assert "belum mengerti" not in chat.stdout


def test_chat_on_an_empty_catalog_says_how_to_load_one(tmp_path: Path):
    chat = langgan(tmp_path, "chat", stdin="/quit\n")
    assert "langgan products import --sample" in chat.stdout


def test_migrate_then_migrate_again(tmp_path: Path):
    first = langgan(tmp_path, "migrate")
    assert first.returncode == 0 and "Migrasi 0001_initial" in first.stdout
    again = langgan(tmp_path, "migrate")
    assert "sudah mutakhir" in again.stdout


def test_errors_are_sentences_not_tracebacks(tmp_path: Path):
    bad = langgan(tmp_path, "products", "import", "nope.csv")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert "nope.csv: file itu tidak ada." in bad.stderr  # the shop's language, Indonesian
    in_english = langgan(tmp_path, "products", "import", "nope.csv", env={"LANGGAN_LOCALE": "en"})
    assert "nope.csv: there is no such file." in in_english.stderr
    bad_setting = langgan(tmp_path, "chat", env={"TELEGRAM_DRIVER": "pyrogram"})
    assert bad_setting.returncode == 2 and "TELEGRAM_DRIVER" in bad_setting.stderr


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def within(waiting: Awaitable[None], seconds: float = 10.0) -> None:
    """Wait for something that should come soon; a test that would hang fails instead."""
    await asyncio.wait_for(waiting, seconds)


def service_settings(tmp_path: Path, **extra: str) -> tuple[Settings, int]:
    port = free_port()
    env = {
        "LANGGAN_DB_URL": f"sqlite://{tmp_path / 'shop.db'}",
        "LANGGAN_HTTP_PORT": str(port),
        "LANGGAN_DATA_KEY": DATA_KEY,
    }
    return Settings.from_mapping({**env, **extra}), port


@contextlib.asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[None]:
    """``langgan run`` in this process, stopped as a signal would stop it."""
    stop, ready = asyncio.Event(), asyncio.Event()
    service = asyncio.create_task(run(settings, stop, ready=ready))
    try:
        # Its web server takes requests from now on (or it failed, and says why).
        started = asyncio.ensure_future(ready.wait())
        await asyncio.wait([service, started], timeout=30, return_when=asyncio.FIRST_COMPLETED)
        started.cancel()
        if service.done():
            service.result()
        assert ready.is_set(), "langgan run did not start within 30 s"
        yield
    finally:
        stop.set()
        await asyncio.wait_for(service, 15)


@pytest.mark.parametrize("driver", ["aiogram", "ptb"])
async def test_langgan_run_polls_telegram_and_serves_health(
    tmp_path: Path, fake_telegram: FakeTelegram, driver: str, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.DEBUG)
    settings, port = service_settings(
        tmp_path,
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_URL=fake_telegram.url,
        TELEGRAM_DRIVER=driver,
    )
    async with running(settings):
        fake_telegram.queue_update(message_update(7, "/start"))
        await within(fake_telegram.until(lambda: len(fake_telegram.to(7)) == 1))
        assert "promo" in fake_telegram.to(7)[0].text
        async with (
            aiohttp.ClientSession() as http,
            http.get(f"http://127.0.0.1:{port}/healthz") as response,
        ):
            assert response.status == 200
            assert await response.json() == {
                "store": "ok",
                "channels": {
                    "telegram": {"enabled": True, "driver": driver, "mode": "polling"},
                    "whatsapp": {"enabled": False},
                },
            }
    assert "polling" in caplog.text and TOKEN not in caplog.text  # the token is never logged


async def test_langgan_run_in_webhook_mode_registers_the_webhook(
    tmp_path: Path, fake_telegram: FakeTelegram
):
    settings, port = service_settings(
        tmp_path,
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_URL=fake_telegram.url,
        TELEGRAM_MODE="webhook",
        TELEGRAM_WEBHOOK_SECRET="secret-1234567890",
        LANGGAN_PUBLIC_URL="https://toko.example",
    )
    async with running(settings):
        await within(fake_telegram.until(lambda: "setWebhook" in fake_telegram.calls))
        url = f"http://127.0.0.1:{port}/webhooks/telegram"
        async with aiohttp.ClientSession() as http:
            async with http.post(
                url,
                json=message_update(8, "/start"),
                headers={"X-Telegram-Bot-Api-Secret-Token": "secret-1234567890"},
            ) as r:
                assert r.status == 200
            async with http.post(url, json=message_update(8, "ya")) as r:
                assert r.status == 401
        # Answered once the message was safe; the reply follows from the send queue.
        await asyncio.wait_for(fake_telegram.wait_sent(1), 10)
        assert len(fake_telegram.to(8)) == 1


async def test_langgan_run_with_no_channel_still_serves_health(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
):
    settings, port = service_settings(tmp_path)
    async with running(settings):
        async with aiohttp.ClientSession() as http:
            async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
                body = await response.json()
        assert body == {
            "store": "ok",
            "channels": {"telegram": {"enabled": False}, "whatsapp": {"enabled": False}},
        }
        assert "no channel is configured" in caplog.text


async def test_langgan_run_takes_whatsapp_and_answers_through_twilio(tmp_path: Path):
    from twilio.request_validator import RequestValidator

    from tests.fakes.twilio_api import ACCOUNT_SID, AUTH_TOKEN, SENDER, FakeTwilio

    fake = await FakeTwilio().start()
    settings, port = service_settings(
        tmp_path,
        TWILIO_ACCOUNT_SID=ACCOUNT_SID,
        TWILIO_AUTH_TOKEN=AUTH_TOKEN,
        TWILIO_WHATSAPP_FROM=SENDER,
        TWILIO_API_URL=fake.url,
        LANGGAN_PUBLIC_URL="https://toko.example",
    )
    form = {"MessageSid": "SM" + "a" * 32, "From": "whatsapp:+6281234567890", "Body": "halo"}
    signed = RequestValidator(AUTH_TOKEN).compute_signature(
        "https://toko.example/webhooks/whatsapp", form
    )
    try:
        async with running(settings), aiohttp.ClientSession() as http:
            url = f"http://127.0.0.1:{port}/webhooks/whatsapp"
            async with http.post(url, data=form, headers={"X-Twilio-Signature": signed}) as r:
                assert r.status == 200
            await within(fake.until(lambda: len(fake.to("+6281234567890")) == 1))
            async with http.get(f"http://127.0.0.1:{port}/healthz") as r:
                assert (await r.json())["channels"]["whatsapp"] == {
                    "enabled": True,
                    "sender": SENDER,
                }
    finally:
        await fake.stop()
    assert "promo" in (fake.to("+6281234567890")[0].body or "")


def test_agents_and_the_audit_log_from_the_command_line(tmp_path: Path):
    assert langgan(tmp_path, "migrate").returncode == 0
    added = langgan(
        tmp_path, "agent", "add", "--name", "Ani", "--telegram-id", "555", "--role", "admin"
    )
    assert added.returncode == 0 and "Admin #1 Ani ditambahkan" in added.stdout
    again = langgan(tmp_path, "agent", "add", "--name", "Dua", "--telegram-id", "555")
    assert again.returncode == 2 and "sudah dipakai Ani" in again.stderr
    bad = langgan(tmp_path, "agent", "add", "--name", "X", "--phone", "12")
    assert bad.returncode == 2 and "bukan nomor HP" in bad.stderr
    listed = langgan(tmp_path, "agent", "list")
    assert "Ani" in listed.stdout and "admin" in listed.stdout
    session = langgan(tmp_path, "chat", "--as", "Ani", stdin="/cari siapa\n/quit\n")
    assert "Tidak ada pelanggan" in session.stdout
    removed = langgan(tmp_path, "agent", "remove", "Ani")
    assert removed.returncode == 0 and "tidak bisa masuk lagi" in removed.stdout
    audit = langgan(tmp_path, "audit", "--agent", "Ani")  # a former agent's trail stays
    assert "customer.search" in audit.stdout and "text=siapa" in audit.stdout
    everything = langgan(tmp_path, "audit")
    assert "agent.add" in everything.stdout and "agent.remove" in everything.stdout


async def test_langgan_run_delivers_an_agents_message_from_the_outbox(
    tmp_path: Path, fake_telegram: FakeTelegram
):
    from datetime import UTC, datetime

    from crm_core.staff.agents import add_agent
    from crm_core.store import open_store

    # The service reads the wall clock; no quiet hours, so the test holds at any hour.
    settings, _ = service_settings(
        tmp_path,
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_URL=fake_telegram.url,
        LANGGAN_QUIET_HOURS="00:00-00:00",
    )
    async with open_store(settings.db_url, DATA_KEY):
        await add_agent("Ani", datetime.now(UTC), telegram_id=99)
    async with running(settings):
        for text in ("/start", "ya", "Budi", "Bandung", "lewati"):
            fake_telegram.queue_update(message_update(7, text))
        await within(fake_telegram.until(lambda: len(fake_telegram.to(7)) >= 7))
        fake_telegram.queue_update(message_update(99, "/kirim budi: Kaos hitam L ada lagi!"))
        await within(
            fake_telegram.until(lambda: any("Kaos hitam L" in s.text for s in fake_telegram.to(7)))
        )
    assert "antrean" in fake_telegram.to(99)[0].text


def test_sweep_from_the_command_line(tmp_path: Path):
    assert langgan(tmp_path, "products", "import", "--sample").returncode == 0
    assert langgan(tmp_path, "chat", stdin=NEWCOMER_CHAT).returncode == 0
    moment = datetime.now(UTC) + timedelta(days=3, hours=1)
    dry = langgan(tmp_path, "sweep", "--now", moment.isoformat(), "--dry-run")
    assert dry.returncode == 0, dry.stderr
    # A terminal chat cannot be reached: held, with the reason, and nothing queued; the
    # time is the shop's (Asia/Jakarta), and the words are the shop's language.
    local = moment.astimezone(ZoneInfo("Asia/Jakarta")).strftime("%Y-%m-%d %H:%M")
    assert f"Yang akan dikirim (uji coba) per {local} (Asia/Jakarta)" in dry.stdout
    assert "nurture" in dry.stdout and "ditahan" in dry.stdout
    assert "tidak ada chat Telegram atau" in dry.stdout
    wide = {"LANGGAN_LOCALE": "en", "COLUMNS": "200"}
    english = langgan(tmp_path, "sweep", "--now", moment.isoformat(), "--dry-run", env=wide)
    assert "held" in english.stdout and "no Telegram or WhatsApp chat" in english.stdout
    bad = tmp_path / "campaigns.toml"
    bad.write_text('[x]\nkind = "nurture"\ntemplate = "campaign_nurture"\ndays_after_order = -1\n')
    refused = langgan(tmp_path, "sweep", env={"LANGGAN_CAMPAIGNS": str(bad)})
    assert refused.returncode == 2 and "campaigns.toml:1 [x]: days_after_order" in refused.stderr
    assert langgan(tmp_path, "sweep", "--now", "kemarin").returncode == 2


def test_the_shop_answers_its_own_questions_from_one_file(tmp_path: Path):
    """`langgan shop init` writes a sample to edit; what the owner writes there is what
    a customer asking "ongkir brp?" reads, and a typo in it is named before anyone asks."""
    assert langgan(tmp_path, "products", "import", "--sample").returncode == 0
    assert "Belum ada shop.toml" in langgan(tmp_path, "shop", "check").stderr
    assert langgan(tmp_path, "shop", "init").returncode == 0
    shop = tmp_path / "shop.toml"
    text = shop.read_text(encoding="utf-8").replace("JNE, J&T, SiCepat", "Kurir Kilat Bandung")
    shop.write_text(text, encoding="utf-8")
    assert "reseller" in langgan(tmp_path, "shop", "check").stdout
    chat = langgan(
        tmp_path, "chat", stdin="halo\nya\nSiti\nsby\nskip\nongkir ke medan brp kak?\n/quit\n"
    )
    assert "Kurir Kilat Bandung" in chat.stdout
    shop.write_text(text.replace("{{ shop.city }}", "{{ shop.kota }}"), encoding="utf-8")
    broken = langgan(tmp_path, "chat", stdin="/quit\n")
    assert broken.returncode == 2 and "[answers.shipping]" in broken.stderr


def test_the_readmes_walk_through_customer_and_agent_side_by_side(tmp_path: Path):
    """The README's two terminals, one turn after the other: a basket with shipping,
    payment, /lunas, /resi, "sampai mana", a complaint answered by a person."""

    def customer(*lines: str) -> str:
        done = langgan(
            tmp_path, "chat", "--as", "0812-3456-7890", stdin="\n".join([*lines, "/quit", ""])
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    def agent(*lines: str) -> str:
        done = langgan(tmp_path, "chat", "--as", "Ani", stdin="\n".join([*lines, "/quit", ""]))
        assert done.returncode == 0, done.stderr
        return done.stdout

    assert langgan(tmp_path, "products", "import", "--sample").returncode == 0
    assert langgan(tmp_path, "shop", "init").returncode == 0
    added = langgan(
        tmp_path, "agent", "add", "--name", "Ani", "--telegram-id", "111", "--role", "admin"
    )
    assert added.returncode == 0, added.stderr
    said = customer(
        "halo", "ya", "Siti", "sby", "lewati",
        "kak mau pesen kaos polos item L 2 sama jilbab moka 1 ya",
        "Jl. Darmo No. 12, Wonokromo", "iya", "lewati", "lewati", "lewati",
        "udah transfer ya kak",
    )  # fmt: skip
    assert "Ongkir ke Surabaya: Rp20.000" in said and "Total: *Rp215.000*" in said
    assert "Silakan bayar *Rp215.000*" in said and "BCA 123 456 7890" in said
    seen = agent("/tugas", "/lunas 1", "/resi 1 JNE JP1234567890")
    assert "» 🛒 Pesanan baru #1" in seen and "bilang sudah membayar pesanan #1" in seen
    assert "/lunas 1 · INV-" in seen and "sekarang Dikirim (JNE JP1234567890)" in seen
    said = customer("paket saya sampai mana ya kak", "kak kok lama banget sih, saya kecewa")
    assert "» Pembayaran pesanan INV-" in said and "Nomor resi: *JP1234567890*" in said
    assert "nomor resi *JP1234567890*" in said and "teruskan ke tim kami" in said
    seen = agent("/balas siti: Maaf ya kak, kami cek ke JNE dulu")
    assert "» Tiket #1 (keluhan)" in seen and "masuk antrean kirim" in seen
    said = customer("", "ok kak ditunggu")
    assert "» Maaf ya kak, kami cek ke JNE dulu" in said
    seen = agent("/selesai siti")
    assert "ok kak ditunggu" in seen and "Tiket #1 ditutup" in seen
    said = customer("", "menu")
    assert "bot kami melayani lagi" in said and "ada yang bisa kami bantu" in said


def test_the_terminal_shows_bold_as_bold_not_asterisks():
    from bot.terminal_chat import styled

    shown = styled("Total: *Rp150.000*, ketik *Ya* [red]atau[/] 2*3")
    assert shown.plain == "Total: Rp150.000, ketik Ya [red]atau[/] 2*3"
    bold = [shown.plain[s.start : s.end] for s in shown.spans if s.style == "bold"]
    assert bold == ["Rp150.000", "Ya"]


def _read_until(fd: int, wanted: bytes, seconds: float) -> bytes:
    """What the terminal showed until ``wanted`` appeared, or the program ended."""
    import select

    seen, deadline = b"", time.monotonic() + seconds
    while wanted not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # the program ended and the terminal closed
                break
            if not chunk:
                break
            seen += chunk
    return seen


@pytest.mark.parametrize("typed", ["", "halo\n"], ids=["at once", "after a message"])
def test_ctrl_c_in_a_real_terminal_ends_the_chat_cleanly(tmp_path: Path, typed: str):
    """Ctrl-C typed in a terminal (a pseudo-terminal here, so the terminal itself sends
    SIGINT, as it does for a person): the chat ends at once, without a traceback."""
    import pty

    env = {k: v for k, v in os.environ.items() if not k.startswith(("LANGGAN_", "TELEGRAM_"))}
    env["LANGGAN_DATA_KEY"] = DATA_KEY
    assert langgan(tmp_path, "migrate").returncode == 0
    ended, status = 0, 0
    pid, fd = pty.fork()
    exits: list[tuple[int, int]] = []
    waiter = threading.Thread(target=lambda: exits.append(os.waitpid(pid, 0)), daemon=True)
    if pid == 0:  # the child: the langgan command, in the terminal
        os.chdir(tmp_path)
        os.execve(sys.executable, [sys.executable, "-m", "bot.cli", "chat"], env)
    try:
        assert b"> " in _read_until(fd, b"> ", 60)
        if typed:  # a message first, its answer, and the prompt again
            os.write(fd, typed.encode())
            assert b"\r\n> " in _read_until(fd, b"\r\n> ", 60)
        os.write(fd, b"\x03")
        shown = _read_until(fd, b"\x00never", 20)  # until the terminal closes
        # The terminal closes a moment before the exit: its end is waited for, 10 s at most.
        waiter.start()
        waiter.join(10)
        if exits:
            ended, status = exits[0]
    finally:
        os.close(fd)
        if not ended:  # still waiting at the keyboard: the hang this test is about
            os.kill(pid, signal.SIGKILL)
            if waiter.is_alive():
                waiter.join()
            else:
                os.waitpid(pid, 0)
    assert ended == pid, f"the chat did not end on Ctrl-C; the terminal showed {shown!r}"
    assert os.WIFEXITED(status)  # it ended by itself, not by a signal
    assert os.WEXITSTATUS(status) in (0, 130)
    assert b"Traceback" not in shown and b"KeyboardInterrupt" not in shown
