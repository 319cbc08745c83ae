"""Telegram, through either aiogram or python-telegram-bot: thin adapters over the same
engine, sharing the translation in ``common``."""
