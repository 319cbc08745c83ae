"""The settings: their defaults, a bad one named, and the .env file beneath the environment."""

from __future__ import annotations

import dataclasses

import pytest

from bot.settings import Settings
from crm_core.errors import SettingsError
from crm_core.settings import Settings as ShopSettings


def test_settings_defaults():
    s = Settings.from_mapping({})
    assert (s.db_url, s.timezone, s.locale, s.http_port, s.telegram.driver, s.telegram.mode) == (
        "sqlite://langgan.db",
        "Asia/Jakarta",
        "id",
        8080,
        "aiogram",
        "polling",
    )
    assert not s.telegram.enabled


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
        ({"TELEGRAM_RATE": "cepat"}, "TELEGRAM_RATE"),
        ({"TWILIO_WHATSAPP_RATE": "0"}, "TWILIO_WHATSAPP_RATE"),
        (
            {
                "TWILIO_ACCOUNT_SID": "AC1",
                "TWILIO_AUTH_TOKEN": "x",
                "TWILIO_WHATSAPP_FROM": "62811",
            },
            "TWILIO_WHATSAPP_FROM",
        ),
    ],
)
def test_bad_settings_name_the_setting(env: dict[str, str], names: str):
    with pytest.raises(SettingsError, match=names):
        Settings.from_mapping(env)


def test_the_channels_credentials_are_the_channels_own_and_never_shown():
    s = Settings.from_mapping(
        {"TELEGRAM_BOT_TOKEN": "123:rahasia", "TWILIO_AUTH_TOKEN": "sandi-twilio",
         "TELEGRAM_WEBHOOK_SECRET": "kunci-webhook"}
    )  # fmt: skip
    assert s.telegram.enabled and s.telegram.token == "123:rahasia"
    assert not s.whatsapp.enabled  # a token alone is not an account
    shown = repr(s)
    assert "rahasia" not in shown and "sandi-twilio" not in shown and "kunci-webhook" not in shown
    shop_fields = {f.name for f in dataclasses.fields(ShopSettings)}
    assert not {f for f in shop_fields if f.startswith(("telegram", "twilio", "whatsapp"))}


def test_dotenv_file_is_read_and_the_environment_wins(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("LANGGAN_LOCALE=en\nLANGGAN_HTTP_PORT=9000\n")
    s = Settings.load({"LANGGAN_HTTP_PORT": "9100"}, env_file=env_file)
    assert (s.locale, s.http_port) == ("en", 9100)
