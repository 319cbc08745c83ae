"""The shop's settings, from the environment and a ``.env`` file in the working directory:
the store, time zone, language, contact policy, backups. The channels' credentials are
read by the channels' layer (``bot.settings``), never here."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time, timedelta
from pathlib import Path
from typing import Self
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

    @classmethod
    def load(cls, environ: Mapping[str, str] | None = None, env_file: Path | None = None) -> Self:
        """Read the settings; the process environment wins over ``.env``."""
        env: dict[str, str] = {}
        dotenv_path = env_file if env_file is not None else Path.cwd() / ".env"
        if dotenv_path.is_file():
            env.update({k: v for k, v in dotenv_values(dotenv_path).items() if v is not None})
        env.update(os.environ if environ is None else environ)
        return cls.from_mapping(env)

    @classmethod
    def from_mapping(cls, env: Mapping[str, str]) -> Self:
        def get(name: str, default: str | None = None) -> str | None:
            value = env.get(name, "").strip()
            return value or default

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
