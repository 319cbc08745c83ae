"""The settings: their defaults, a bad one named, and the .env file beneath the environment."""

from __future__ import annotations

import pytest

from bot.settings import Settings
from crm_core.errors import SettingsError


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
