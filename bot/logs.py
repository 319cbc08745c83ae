"""Logging for the running service: what an operator needs, and no secrets.

python-telegram-bot sends its requests through httpx, which logs every request's URL at
INFO; a Telegram URL holds the bot token (``/bot<token>/getUpdates``), so httpx and
httpcore speak only at WARNING, and the loggers that print the URL at DEBUG are held at
INFO even when an operator turns debugging on."""

from __future__ import annotations

import logging

QUIET = {
    "tortoise": logging.WARNING,
    "aiosqlite": logging.INFO,
    "httpx": logging.WARNING,
    "httpcore": logging.WARNING,
    "twilio": logging.WARNING,  # logs each request it makes at INFO
    # Tells at INFO how it reads a chart's labels (dates, numbers as names): noise.
    "matplotlib": logging.WARNING,
    # Says at INFO each time a job runs ("Running job ...", "executed successfully"):
    # every second for the outbox, every minute for the order jobs. Failures still show.
    "apscheduler": logging.WARNING,
    # aiogram says at INFO that each update "is handled", with its duration: a line for
    # every message a customer writes, and 2% of the service's time under load. A
    # failure is still logged, by aiogram at ERROR and by the engine.
    "aiogram.event": logging.WARNING,
    # python-telegram-bot logs its API URLs, token included, at DEBUG.
    "telegram.ext.ExtBot": logging.INFO,
    "telegram.Bot": logging.INFO,
}


def configure(level: int = logging.INFO) -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    quiet()


def quiet() -> None:
    for name, level in QUIET.items():
        logging.getLogger(name).setLevel(level)
