"""Settings from the environment and a ``.env`` file in the working directory."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values

from crm_core.errors import SettingsError

LANGUAGES = ("id", "en")
_DURATION = re.compile(r"^\s*(\d{1,5})\s*([mhd])\s*$", re.IGNORECASE)
_UNITS = {"m": "minutes", "h": "hours", "d": "days"}


def parse_quiet_hours(text: str) -> tuple[time, time]:
    """``21:00-08:00``: local hours when the shop starts no conversation."""
    match = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*", text)
    if match is None:
        raise SettingsError("quiet_hours_form", value=text)
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59:
        raise SettingsError("quiet_hours_clock", value=text)
    return time(h1, m1), time(h2, m2)


def parse_duration(setting: str, text: str) -> timedelta:
    """``90m``, ``72h``, ``3d``."""
    match = _DURATION.match(text)
    if match is None or int(match.group(1)) == 0:
        raise SettingsError("setting_duration", setting=setting, value=text)
    return timedelta(**{_UNITS[match.group(2).lower()]: int(match.group(1))})


@dataclass(frozen=True)
class Settings:
    db_url: str = "sqlite://langgan.db"
    timezone: str = "Asia/Jakarta"
    locale: str = "id"
    http_host: str = "127.0.0.1"
    http_port: int = 8080
    public_url: str | None = None
    templates_dir: str | None = None
    shop_file: str = "shop.toml"  # the shop's facts and answers; none is fine
    telegram_bot_token: str | None = field(default=None, repr=False)
    telegram_driver: str = "aiogram"
    telegram_api_url: str = "https://api.telegram.org"
    telegram_mode: str = "polling"
    telegram_webhook_secret: str | None = None
    twilio_account_sid: str | None = None
    twilio_auth_token: str | None = field(default=None, repr=False)
    twilio_whatsapp_from: str | None = None
    twilio_api_url: str = "https://api.twilio.com"
    whatsapp_rate: float = 80.0  # messages a second from one sender: Twilio's default
    # Messages a second from the bot, all chats together: Telegram's published limit for
    # a bot; a shop with paid broadcasts may raise it.
    telegram_rate: float = 30.0
    contact_cooldown: timedelta = timedelta(hours=72)
    weekly_cap: int = 2
    quiet_hours: tuple[time, time] = (time(21, 0), time(8, 0))
    campaigns_file: str | None = None
    backup_dir: str | None = None  # daily backups go here when set
    backup_keep: timedelta = timedelta(days=14)
    message_retention: timedelta | None = None  # None: keep message text
    # The key (or, during a rotation, keys) that seals personal data in the store.
    data_key: str | None = field(default=None, repr=False)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def telegram_enabled(self) -> bool:
        return bool(self.telegram_bot_token)

    @property
    def whatsapp_enabled(self) -> bool:
        return bool(
            self.twilio_account_sid and self.twilio_auth_token and self.twilio_whatsapp_from
        )

    @classmethod
    def load(
        cls, environ: Mapping[str, str] | None = None, env_file: Path | None = None
    ) -> Settings:
        """Read the settings; the process environment wins over ``.env``."""
        env: dict[str, str] = {}
        dotenv_path = env_file if env_file is not None else Path.cwd() / ".env"
        if dotenv_path.is_file():
            env.update({k: v for k, v in dotenv_values(dotenv_path).items() if v is not None})
        env.update(os.environ if environ is None else environ)
        return cls.from_mapping(env)

    @classmethod
    def from_mapping(cls, env: Mapping[str, str]) -> Settings:
        def get(name: str, default: str | None = None) -> str | None:
            value = env.get(name, "").strip()
            return value or default

        rate_text = get("TWILIO_WHATSAPP_RATE", "80") or "80"
        try:
            whatsapp_rate = float(rate_text)
        except ValueError:
            whatsapp_rate = 0.0
        if not 0 < whatsapp_rate <= 1000:
            raise SettingsError("whatsapp_rate", value=rate_text)
        telegram_text = get("TELEGRAM_RATE", "30") or "30"
        try:
            telegram_rate = float(telegram_text)
        except ValueError:
            telegram_rate = 0.0
        if not 0 < telegram_rate <= 10_000:
            raise SettingsError("telegram_rate", value=telegram_text)
        cooldown = parse_duration(
            "LANGGAN_CONTACT_COOLDOWN", get("LANGGAN_CONTACT_COOLDOWN", "72h") or "72h"
        )
        cap_text = get("LANGGAN_WEEKLY_CAP", "2") or "2"
        if not cap_text.isdecimal() or not 1 <= int(cap_text) <= 50:
            raise SettingsError("weekly_cap", value=cap_text)
        quiet = parse_quiet_hours(get("LANGGAN_QUIET_HOURS", "21:00-08:00") or "21:00-08:00")
        port_text = get("LANGGAN_HTTP_PORT", "8080") or "8080"
        if not port_text.isdecimal() or not 0 < int(port_text) < 65536:
            raise SettingsError("http_port", value=port_text)
        keep_text = get("LANGGAN_BACKUP_KEEP", "14") or "14"
        if not keep_text.isdecimal() or not 1 <= int(keep_text) <= 3650:
            raise SettingsError("backup_keep", value=keep_text)
        retention_text = get("LANGGAN_MESSAGE_RETENTION", "keep") or "keep"
        retention = (
            None
            if retention_text.lower() == "keep"
            else parse_duration("LANGGAN_MESSAGE_RETENTION", retention_text)
        )
        settings = cls(
            db_url=get("LANGGAN_DB_URL", cls.db_url) or cls.db_url,
            timezone=get("LANGGAN_TIMEZONE", cls.timezone) or cls.timezone,
            locale=(get("LANGGAN_LOCALE", cls.locale) or cls.locale).lower(),
            http_host=get("LANGGAN_HTTP_HOST", cls.http_host) or cls.http_host,
            http_port=int(port_text),
            public_url=get("LANGGAN_PUBLIC_URL"),
            templates_dir=get("LANGGAN_TEMPLATES_DIR"),
            shop_file=get("LANGGAN_SHOP_FILE", cls.shop_file) or cls.shop_file,
            telegram_bot_token=get("TELEGRAM_BOT_TOKEN"),
            telegram_driver=(get("TELEGRAM_DRIVER", "aiogram") or "aiogram").lower(),
            telegram_api_url=(get("TELEGRAM_API_URL", cls.telegram_api_url) or "").rstrip("/"),
            telegram_mode=(get("TELEGRAM_MODE", "polling") or "polling").lower(),
            telegram_webhook_secret=get("TELEGRAM_WEBHOOK_SECRET"),
            twilio_account_sid=get("TWILIO_ACCOUNT_SID"),
            twilio_auth_token=get("TWILIO_AUTH_TOKEN"),
            twilio_whatsapp_from=get("TWILIO_WHATSAPP_FROM"),
            twilio_api_url=(get("TWILIO_API_URL", cls.twilio_api_url) or "").rstrip("/"),
            whatsapp_rate=whatsapp_rate,
            telegram_rate=telegram_rate,
            contact_cooldown=cooldown,
            weekly_cap=int(cap_text),
            quiet_hours=quiet,
            campaigns_file=get("LANGGAN_CAMPAIGNS"),
            backup_dir=get("LANGGAN_BACKUP_DIR"),
            backup_keep=timedelta(days=int(keep_text)),
            message_retention=retention,
            data_key=get("LANGGAN_DATA_KEY"),
        )
        settings.check()
        return settings

    def check(self) -> None:
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise SettingsError("timezone_unknown", value=self.timezone) from None
        if self.locale not in LANGUAGES:
            raise SettingsError("locale_unknown", value=self.locale)
        if self.telegram_driver not in ("aiogram", "ptb"):
            raise SettingsError("telegram_driver", value=self.telegram_driver)
        if self.telegram_mode not in ("polling", "webhook"):
            raise SettingsError("telegram_mode", value=self.telegram_mode)
        if self.whatsapp_enabled:
            sender = self.twilio_whatsapp_from or ""
            if not sender.startswith("whatsapp:+"):
                raise SettingsError("whatsapp_from", value=sender)
            if not self.public_url:
                raise SettingsError("whatsapp_public_url")
        if self.telegram_enabled and self.telegram_mode == "webhook":
            if not self.telegram_webhook_secret:
                raise SettingsError("telegram_webhook_secret")
            if not self.public_url:
                raise SettingsError("telegram_public_url")
