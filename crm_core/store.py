"""Opening the store: Tortoise configuration, schema migrations, closing.

Nothing connects at import; ``TORTOISE_ORM`` is only a dictionary, read by Tortoise's own
``tortoise makemigrations`` through ``[tool.tortoise]`` in pyproject.toml.
"""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import AsyncIterator
from typing import Any

from tortoise import Tortoise
from tortoise.migrations.api.migrate import migrate as tortoise_migrate

from crm_core.errors import StoreError

APP = "langgan"
DEFAULT_DB_URL = "sqlite://langgan.db"


def tortoise_config(db_url: str) -> dict[str, Any]:
    return {
        "connections": {"default": db_url},
        "apps": {
            APP: {
                "models": ["crm_core.models"],
                "migrations": "crm_core.migrations",
                "default_connection": "default",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


TORTOISE_ORM = tortoise_config(os.environ.get("LANGGAN_DB_URL") or DEFAULT_DB_URL)


async def migrate(db_url: str) -> list[str]:
    """Apply every migration the store lacks; return the names applied."""
    applied: list[str] = []

    def progress(event: str, app_label: str, name: str) -> None:
        if event == "apply_done":
            applied.append(name)

    try:
        await tortoise_migrate(config=tortoise_config(db_url), progress=progress)
    except OSError as exc:
        raise StoreError(f"cannot reach the store at {redact(db_url)}: {exc}") from exc
    return applied


@contextlib.asynccontextmanager
async def open_store(db_url: str, *, bring_up_to_date: bool = True) -> AsyncIterator[None]:
    """Connect, optionally migrate, and close on the way out."""
    try:
        await Tortoise.init(config=tortoise_config(db_url))
        if bring_up_to_date:
            with contextlib.redirect_stdout(io.StringIO()):
                await migrate(db_url)
    except OSError as exc:
        raise StoreError(f"cannot reach the store at {redact(db_url)}: {exc}") from exc
    try:
        yield
    finally:
        await Tortoise.close_connections()


def redact(db_url: str) -> str:
    """The URL without its password, for messages and logs."""
    if "@" not in db_url or "://" not in db_url:
        return db_url
    scheme, rest = db_url.split("://", 1)
    creds, host = rest.rsplit("@", 1)
    user = creds.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}" if ":" in creds else f"{scheme}://{user}@{host}"
