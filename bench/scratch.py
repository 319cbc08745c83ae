"""A PostgreSQL database of a benchmark's own: made empty, dropped afterwards, so a run
never touches the database it was pointed at."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator

import asyncpg

from crm_core.privacy.sealing import new_key

# A key of the run's own: the stores a benchmark makes are thrown away with it.
DATA_KEY = new_key()


@contextlib.asynccontextmanager
async def scratch_database(admin_url: str) -> AsyncIterator[str]:
    """The URL of a new, empty database beside ``admin_url``'s, dropped on leaving."""
    name = f"langgan_bench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(admin_url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{admin_url.rpartition('/')[0]}/{name}"
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
