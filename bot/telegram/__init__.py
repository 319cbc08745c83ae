"""Telegram, through either aiogram or python-telegram-bot: one channel (``channel``)
over the same engine, each library a thin driver of it, sharing the translation in
``common``."""
