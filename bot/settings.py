"""The service's settings: the shop's (``crm_core.settings``) and the channels' own, which
the core never sees: Telegram's token and Twilio's credentials stay out of the layer
that keeps the customers."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field

from crm_core.errors import SettingsError
from crm_core.settings import Settings as ShopSettings


def _text(env: Mapping[str, str], name: str, default: str | None = None) -> str | None:
    value = env.get(name, "").strip()
    return value or default


def _rate(env: Mapping[str, str], name: str, default: str, most: int) -> tuple[float, str]:
    """Messages a second, and the text it was read from; 0 when it is not a number above
    0 and at most ``most``."""
    text = _text(env, name, default) or default
    try:
        rate = float(text)
    except ValueError:
        return 0.0, text
    return (rate if 0 < rate <= most else 0.0), text


@dataclass(frozen=True)
class TelegramSettings:
    token: str | None = field(default=None, repr=False)
    driver: str = "aiogram"  # or ptb
    api_url: str = "https://api.telegram.org"
    mode: str = "polling"  # or webhook
    webhook_secret: str | None = field(default=None, repr=False)
    # Messages a second from the bot, all chats together: Telegram's published limit for
    # a bot; a shop with paid broadcasts may raise it.
    rate: float = 30.0

    @property
    def enabled(self) -> bool:
        return bool(self.token)

    @classmethod
    def from_mapping(cls, env: Mapping[str, str]) -> TelegramSettings:
        rate, text = _rate(env, "TELEGRAM_RATE", "30", 10_000)
        if not rate:
            raise SettingsError("telegram_rate", value=text)
        return cls(
            token=_text(env, "TELEGRAM_BOT_TOKEN"),
            driver=(_text(env, "TELEGRAM_DRIVER", "aiogram") or "aiogram").lower(),
            api_url=(_text(env, "TELEGRAM_API_URL", cls.api_url) or "").rstrip("/"),
            mode=(_text(env, "TELEGRAM_MODE", "polling") or "polling").lower(),
            webhook_secret=_text(env, "TELEGRAM_WEBHOOK_SECRET"),
            rate=rate,
        )

    def check(self, public_url: str | None) -> None:
        if self.driver not in ("aiogram", "ptb"):
            raise SettingsError("telegram_driver", value=self.driver)
        if self.mode not in ("polling", "webhook"):
            raise SettingsError("telegram_mode", value=self.mode)
        if self.enabled and self.mode == "webhook":
            if not self.webhook_secret:
                raise SettingsError("telegram_webhook_secret")
            if not public_url:
                raise SettingsError("telegram_public_url")


@dataclass(frozen=True)
class WhatsAppSettings:
    account_sid: str | None = None
    auth_token: str | None = field(default=None, repr=False)
    sender: str | None = None  # whatsapp:+62...
    api_url: str = "https://api.twilio.com"
    rate: float = 80.0  # messages a second from one sender: Twilio's default

    @property
    def enabled(self) -> bool:
        return bool(self.account_sid and self.auth_token and self.sender)

    @classmethod
    def from_mapping(cls, env: Mapping[str, str]) -> WhatsAppSettings:
        rate, text = _rate(env, "TWILIO_WHATSAPP_RATE", "80", 1000)
        if not rate:
            raise SettingsError("whatsapp_rate", value=text)
        return cls(
            account_sid=_text(env, "TWILIO_ACCOUNT_SID"),
            auth_token=_text(env, "TWILIO_AUTH_TOKEN"),
            sender=_text(env, "TWILIO_WHATSAPP_FROM"),
            api_url=(_text(env, "TWILIO_API_URL", cls.api_url) or "").rstrip("/"),
            rate=rate,
        )

    def check(self, public_url: str | None) -> None:
        if self.enabled:
            if not (self.sender or "").startswith("whatsapp:+"):
                raise SettingsError("whatsapp_from", value=self.sender or "")
            if not public_url:
                raise SettingsError("whatsapp_public_url")


@dataclass(frozen=True)
class Settings(ShopSettings):
    """Everything ``langgan`` reads from the environment and ``.env``."""

    telegram: TelegramSettings = TelegramSettings()
    whatsapp: WhatsAppSettings = WhatsAppSettings()

    @classmethod
    def from_mapping(cls, env: Mapping[str, str]) -> Settings:
        shop = super().from_mapping(env)
        settings = dataclasses.replace(
            shop,
            telegram=TelegramSettings.from_mapping(env),
            whatsapp=WhatsAppSettings.from_mapping(env),
        )
        settings.telegram.check(settings.public_url)
        settings.whatsapp.check(settings.public_url)
        return settings
