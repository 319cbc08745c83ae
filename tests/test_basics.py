"""Phones, money, settings and the schema's migrations."""

from __future__ import annotations

import pytest
from tortoise.context import TortoiseContext
from tortoise.migrations.autodetector import MigrationAutodetector

from crm_core.errors import InputError, SettingsError, StoreError
from crm_core.money import rupiah
from crm_core.phones import normalize_phone
from crm_core.settings import Settings
from crm_core.store import open_store, tortoise_config


@pytest.mark.parametrize(
    "typed",
    [
        "0812-3456-7890",
        "+62 812 3456 7890",
        "62812-3456-7890",
        "whatsapp:+6281234567890",
        "(0812) 3456 7890",
    ],
)
def test_phones_are_stored_e164(typed: str):
    assert normalize_phone(typed) == "+6281234567890"


@pytest.mark.parametrize("typed", ["", "halo", "12", "0812", "+1 555", "9" * 40])
def test_what_is_not_a_phone_is_refused(typed: str):
    with pytest.raises(InputError):
        normalize_phone(typed)


def test_rupiah_as_shoppers_write_it():
    assert [rupiah(x) for x in (150_000, 1_250_000, 0, 500)] == [
        "Rp150.000",
        "Rp1.250.000",
        "Rp0",
        "Rp500",
    ]


def test_settings_defaults():
    s = Settings.from_mapping({})
    assert (s.db_url, s.timezone, s.locale, s.http_port, s.telegram_driver, s.telegram_mode) == (
        "sqlite://langgan.db",
        "Asia/Jakarta",
        "id",
        8080,
        "aiogram",
        "polling",
    )
    assert not s.telegram_enabled


@pytest.mark.parametrize(
    ("env", "names"),
    [
        (
            {
                "TELEGRAM_BOT_TOKEN": "t",
                "TELEGRAM_MODE": "webhook",
                "LANGGAN_PUBLIC_URL": "https://x",
            },
            "TELEGRAM_WEBHOOK_SECRET",
        ),
        ({"TELEGRAM_DRIVER": "pyrogram"}, "TELEGRAM_DRIVER"),
        ({"LANGGAN_TIMEZONE": "Mars/Olympus"}, "LANGGAN_TIMEZONE"),
        ({"LANGGAN_LOCALE": "fr"}, "LANGGAN_LOCALE"),
        ({"LANGGAN_HTTP_PORT": "eighty"}, "LANGGAN_HTTP_PORT"),
    ],
)
def test_bad_settings_name_the_setting(env: dict[str, str], names: str):
    with pytest.raises(SettingsError, match=names):
        Settings.from_mapping(env)


def test_dotenv_file_is_read_and_the_environment_wins(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("LANGGAN_LOCALE=en\nLANGGAN_HTTP_PORT=9000\n")
    s = Settings.load({"LANGGAN_HTTP_PORT": "9100"}, env_file=env_file)
    assert (s.locale, s.http_port) == ("en", 9100)


async def test_the_migrations_match_the_models():
    """A model change without its migration would pass on a test store and fail in a shop."""
    config = tortoise_config("sqlite://:memory:")
    async with TortoiseContext() as context:
        await context.init(config=config)
        writers = await MigrationAutodetector(context.apps, config["apps"]).changes()
    assert writers == [], "run `tortoise makemigrations` and commit the new migration"


async def test_a_store_behind_its_migrations_is_refused_with_what_to_do(tmp_path):
    url = f"sqlite://{tmp_path / 'old.db'}"
    with pytest.raises(StoreError, match=r"lacks migrations 0001_initial.*: run `langgan migrate`"):
        async with open_store(url, bring_up_to_date=False, require_current=True):
            pass
    async with open_store(url):  # brought up to date
        pass
    async with open_store(url, bring_up_to_date=False, require_current=True):
        pass
