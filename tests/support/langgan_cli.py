"""Running ``langgan`` as a shop does: a real process, in a folder of the test's own, with
the test's data key and none of this machine's shop settings."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.support.data_key import DATA_KEY


def langgan(
    cwd: Path, *args: str, stdin: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith(("LANGGAN_", "TELEGRAM_"))
    }
    environment["LANGGAN_DATA_KEY"] = DATA_KEY
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        env=environment,
    )
