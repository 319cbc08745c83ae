"""Where a service's time went, from a py-spy profile in its raw (collapsed stacks) form:
for the event loop's thread, the functions on the stack most (cumulative, counted from
the callback the loop ran, so the loop's own frames do not fill the top), the ones
running (own), and the own samples by package; for the other threads (aiosqlite's
worker, which runs SQLite's C code and its commits' syncs), the functions running.

py-spy leaves out samples in which a thread was idle, but on a busy machine the loop's
thread, woken in ``epoll`` and waiting for a core, still counts as active: samples
whose innermost frame is the selector are taken as idle here. The worker's samples
include the time it waits for the disk to sync a commit; that is time the one SQLite
connection is held, not CPU.

Run:  python bench/pyspy_top.py profile.txt [--top 15]
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.table import Table

_FRAME = re.compile(r"^(?P<function>.*) \((?P<file>.*?)(?::\d+)?\)$")
LOOP_CALLBACK = ("Handle._run", "asyncio/events.py")
THREAD_ROOT = "Thread._bootstrap"
SELECTORS = "selectors.py"  # the loop waiting for I/O: EpollSelector.select
OWN_PACKAGES = ("bot", "crm_core", "scheduler", "message_templates")


@dataclass
class Samples:
    """One thread kind's samples, by function."""

    count: int = 0
    cumulative: Counter[str] = field(default_factory=Counter)
    own: Counter[str] = field(default_factory=Counter)
    packages: Counter[str] = field(default_factory=Counter)

    def add(self, frames: list[tuple[str, str]], count: int) -> None:
        self.count += count
        # Counted from the loop's callback (or the thread's start), once per stack even
        # for a function that recurses.
        starts = [i for i, frame in enumerate(frames) if frame == LOOP_CALLBACK]
        work = frames[starts[-1] + 1 :] if starts else frames
        for function, file in set(work):
            self.cumulative[f"{function} ({file})"] += count
        function, file = frames[-1]
        self.own[f"{function} ({file})"] += count
        self.packages[package_of(file)] += count


@dataclass
class Profile:
    loop: Samples = field(default_factory=Samples)  # the main thread: the event loop
    workers: Samples = field(default_factory=Samples)  # other threads
    idle: int = 0  # the loop's thread waiting in its selector


def function_of(frame: str) -> tuple[str, str]:
    """``Engine.handle (bot/conversation/engine.py:93)`` -> the function and its file."""
    found = _FRAME.match(frame)
    if found is None:
        return frame, ""
    return found["function"], found["file"]


def package_of(file: str) -> str:
    """py-spy names a file by its path under ``sys.path``: the first part is the package
    (``tortoise/models.py``), or the module of the standard library (``ssl.py``)."""
    if file.startswith("<"):
        return file  # <frozen importlib._bootstrap> and the like
    first = file.lstrip("/").split("/", 1)[0]
    return first.removesuffix(".py")


def read(path: Path) -> Profile:
    profile = Profile()
    for line in path.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        frames = [function_of(frame) for frame in stack.split(";")]
        if frames[0][0] == THREAD_ROOT:
            profile.workers.add(frames, int(count_text))
        elif frames[-1][1] == SELECTORS:
            profile.idle += int(count_text)
        else:
            profile.loop.add(frames, int(count_text))
    return profile


def tables(profile: Profile, top: int) -> list[Table]:
    loop = profile.loop

    def table(title: str, counts: Counter[str], of: int, label: str) -> Table:
        shown = Table(title=title)
        shown.add_column("%", justify="right")
        shown.add_column(label)
        for name, count in counts.most_common(top):
            shown.add_row(f"{100 * count / max(1, of):.1f}", name)
        return shown

    of_loop = f"% of the event loop's {loop.count:,} busy samples"
    langgan = Counter(
        {name: count for name, count in loop.cumulative.items()
         if package_of(function_of(name)[1]) in OWN_PACKAGES}
    )  # fmt: skip
    return [
        table(f"Cumulative, {of_loop}", loop.cumulative, loop.count, "function (file)"),
        table(f"Cumulative, Langgan's functions, {of_loop}", langgan, loop.count, "function"),
        table(f"Own, {of_loop}", loop.own, loop.count, "function (file)"),
        table(f"Own by package, {of_loop}", loop.packages, loop.count, "package or module"),
        table(
            f"Other threads' own, % of their {profile.workers.count:,} samples "
            f"(SQLite's C code and syncs run inside aiosqlite's calls)",
            profile.workers.own,
            profile.workers.count,
            "function (file)",
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("profile", type=Path, help="py-spy record --format raw output")
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args()
    console = Console(width=160)
    for shown in tables(read(args.profile), args.top):
        console.print(shown)


if __name__ == "__main__":
    main()
