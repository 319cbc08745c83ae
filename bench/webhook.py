"""The live path end to end: a webhook in, through a real ``langgan run``, the replies
received by a fake Telegram Bot API (or, for WhatsApp, a fake Twilio REST API), with
many customers writing at once, next to a bare bot served the same load in the same run.

Rows:

- ``bare aiogram echo`` / ``bare twilio echo``: the least a bot does per message on the
  same libraries (``bench/echo_bot.py``): the floor for the ratios;
- Langgan on an SQLite file (Telegram, and WhatsApp through Twilio's signed webhook);
- Langgan on PostgreSQL, one ``langgan run``, and two ``langgan run`` processes on one
  database with the webhooks dealt between them in turn. Telegram and Twilio post every
  webhook from their own servers, so a load balancer in front has nothing to keep a
  customer on one instance by short of reading the body: in turn is what it does, and
  it is the case DESIGN.md's "any instance can take the next message" must hold for.

The load: ``--customers`` customers write at once, each one message at a time (the next
when the replies to the last have all arrived, as a person in a chat does), with at
most ``--in-flight`` messages in flight among them all. Each customer's conversation is
``bench/inbound.py``'s: onboarding, an order in free text, an order through the menus,
a look at their orders (22 messages on Telegram; 21 on WhatsApp, which vouches for the
sender's number, so the engine never asks for it). A customer who has finished starts
again as a new one. The bare bots get the same messages and echo each.

How many replies each message brings is learnt first, from one customer taken through
the conversation alone; then the load runs ``--warmup`` seconds, then the window is
measured:

- msg/s: messages completed in the window (webhook answered, every reply received);
- p50/p99 ms: from posting the webhook to the first reply reaching the fake API;
- CPU ms/msg: the service's processes' user + system time (``/proc/<pid>/stat``) over
  the window, per message (both processes, for two instances);
- wait ms/msg: the time the service's threads were ready to run and waited for a core
  (``/proc/<pid>/task/*/schedstat``), per message: on a shared machine, how much of
  the latency was someone else's work;
- DB CPU ms/msg: PostgreSQL's backends serving the row's database, per message, when
  PostgreSQL runs on this machine (SQLite runs inside the service: its share is in
  CPU ms/msg);
- bench CPU %: this process (the load and both fake APIs) over the window, of one core:
  near 100, the row measures the harness, not the bot;
- x bare time / x bare CPU: the bare bot's msg/s over the row's, the row's CPU per
  message over the bare bot's, both from the same round;
- errors: webhooks not answered 200, replies that did not all come within 10 s, and
  replies to nobody waiting (more than the conversation gave when it was learnt).

Langgan's WhatsApp sender is allowed 1,000 messages a second here (TWILIO_WHATSAPP_RATE,
the most it takes), and its Telegram bot 10,000 (TELEGRAM_RATE): at the channels' own
limits (80, and Telegram's 30 a second for a bot), the senders' pacing, not the service,
would set the figures.

The machine's other work moves every figure; the bare bot's msg/s most (it needs most of
a core). ``--rounds N`` runs every row N times, in turn, and shows the medians (errors:
the sum). CPU per message moves least, so ``x bare CPU`` is the steadiest comparison.

``--profile FILE`` records the SQLite Telegram service with py-spy (raw format) for
one more window after the measured one, so the figures are not the profiled process's,
and prints where its CPU went (``bench/pyspy_top.py``).

Run:  python bench/webhook.py [--customers 200] [--in-flight 50] [--seconds 20]
          [--postgres URL] [--only sqlite postgres two whatsapp] [--profile FILE]
          [--rounds N] [--driver aiogram|ptb] [--sqlite-pragma synchronous=NORMAL]
PostgreSQL runs when --postgres or LANGGAN_TEST_POSTGRES_URL is given; each row gets a
database of its own, created and dropped.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import shlex
import shutil
import signal
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aiohttp
from rich.console import Console
from rich.table import Table
from twilio.request_validator import RequestValidator

from bench import pyspy_top
from bench.inbound import script
from bench.scratch import DATA_KEY, scratch_database
from bench.webhook_fakes import ACCOUNT_SID, AUTH_TOKEN, SENDER, TOKEN, FakeApis, Waiter

SECRET = "bench-webhook-secret-token"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
ECHO_BOT = Path(__file__).resolve().with_name("echo_bot.py")
REPLY_TIMEOUT = 10.0  # seconds a message may wait for its replies before it is an error
QUIET = 0.15  # seconds without a new reply that end a message while replies are learnt
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

console = Console(width=200)
# Every customer of the run is new: Telegram chat ids and WhatsApp numbers from one count.
identities = itertools.count(1)
update_ids = itertools.count(1)


def conversation(who: int, channel: str) -> list[str]:
    lines = script(who)
    if channel == "whatsapp":
        # WhatsApp vouches for the sender's number: the engine does not ask for it.
        lines = [line for line in lines if not line.startswith("0812")]
    return lines


@dataclass(frozen=True)
class Setup:
    channel: str  # telegram | whatsapp
    service: str  # what answers: Langgan, or the bare bot
    store: str | None  # sqlite | postgres; None for a bare bot
    instances: int = 1

    @property
    def store_name(self) -> str:
        return {"sqlite": "SQLite file", "postgres": "PostgreSQL", None: "-"}[self.store]


SETUPS = {
    "sqlite": Setup("telegram", "Langgan", "sqlite"),
    "postgres": Setup("telegram", "Langgan", "postgres"),
    "two": Setup("telegram", "Langgan", "postgres", instances=2),
    "whatsapp": Setup("whatsapp", "Langgan", "sqlite"),
}
BARE = {
    "telegram": Setup("telegram", "bare aiogram echo", None),
    "whatsapp": Setup("whatsapp", "bare twilio echo", None),
}


@dataclass
class Window:
    began: float
    target: int | None  # messages to end at, or None: ended by time
    ended: float | None = None
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    full: asyncio.Event = field(default_factory=asyncio.Event)

    def record(self, done: float, latency: float | None) -> None:
        if self.ended is not None or done < self.began:
            return
        if latency is None:
            self.errors += 1
            return
        self.latencies.append(latency)
        if self.target is not None and len(self.latencies) >= self.target:
            self.ended = done
            self.full.set()


@dataclass
class Row:
    setup: Setup
    messages: int
    seconds: float
    latencies: list[float]
    service: Usage  # all the service's processes, over the window
    bench: Usage  # this process
    database: float | None  # seconds of CPU of PostgreSQL's backends serving the store
    errors: int
    replies_per_message: float

    @property
    def rate(self) -> float:
        return self.messages / self.seconds

    @property
    def cpu_ms(self) -> float:
        return 1000 * self.service.cpu / max(1, self.messages)

    @property
    def database_ms(self) -> float | None:
        return None if self.database is None else 1000 * self.database / max(1, self.messages)

    @property
    def wait_ms(self) -> float:
        return 1000 * self.service.waited / max(1, self.messages)

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(len(ordered) * p))] * 1000 if ordered else 0.0


class Load:
    """Customers writing to the service under test by its webhook, and what came back."""

    def __init__(
        self, channel: str, urls: list[str], fakes: FakeApis, session: aiohttp.ClientSession
    ) -> None:
        self.channel = channel
        self.urls = urls
        self.fakes = fakes
        self.session = session
        self.expected: list[int] = []  # replies to each message of the conversation
        self.window: Window | None = None
        self.stopping = False
        self.validator = RequestValidator(AUTH_TOKEN)
        self._turns = itertools.count()
        self._customers: list[asyncio.Task[None]] = []

    def request(self, who: int, text: str) -> tuple[str, str, Any, dict[str, str]]:
        """The address replies will come to, the URL, the body and the headers of one
        webhook, to the next instance in turn."""
        base = self.urls[next(self._turns) % len(self.urls)]
        number = next(update_ids)
        if self.channel == "telegram":
            chat_id = 700_000_000 + who
            person = {"id": chat_id, "first_name": "Pelanggan"}
            update = {"update_id": number, "message": {
                "message_id": number, "date": int(time.time()), "text": text,
                "chat": {**person, "type": "private"},
                "from": {**person, "is_bot": False, "language_code": "id"},
            }}  # fmt: skip
            headers = {"Content-Type": "application/json", SECRET_HEADER: SECRET}
            return str(chat_id), f"{base}/webhooks/telegram", json.dumps(update), headers
        phone = f"+62812{30_000_000 + who}"
        url = f"{base}/webhooks/whatsapp"
        form = {"MessageSid": f"SM{number:032x}", "AccountSid": ACCOUNT_SID, "NumMedia": "0",
                "From": f"whatsapp:{phone}", "To": SENDER, "Body": text,
                "ProfileName": "Pelanggan"}  # fmt: skip
        # Twilio signs the URL it called and the form: the service checks it.
        signature = self.validator.compute_signature(url, form)
        return phone, url, form, {"X-Twilio-Signature": signature}

    async def post(self, url: str, body: Any, headers: dict[str, str]) -> bool:
        try:
            async with self.session.post(url, data=body, headers=headers) as response:
                await response.read()
                return response.status == 200
        except aiohttp.ClientError:
            return False

    async def learn(self) -> None:
        """One customer alone through the conversation: how many replies each message
        brings. Also warms the service up."""
        who = next(identities)
        self.expected = []
        for text in conversation(who, self.channel):
            address, url, body, headers = self.request(who, text)
            waiter = self.fakes.replies.expect(address, sys.maxsize)
            if not await self.post(url, body, headers):
                raise RuntimeError(f"the webhook refused {text!r}")
            seen, deadline = 0, time.perf_counter() + REPLY_TIMEOUT
            while True:  # until a reply has come and no other for QUIET seconds
                await asyncio.sleep(QUIET)
                if waiter.count and waiter.count == seen:
                    break
                seen = waiter.count
                if time.perf_counter() > deadline:
                    raise RuntimeError(f"no reply to {text!r}")
            self.fakes.replies.forget(address)
            self.expected.append(waiter.count)

    async def send(self, who: int, text: str, expected: int) -> bool:
        address, url, body, headers = self.request(who, text)
        waiter: Waiter = self.fakes.replies.expect(address, expected)
        began = time.perf_counter()
        ok = await self.post(url, body, headers)
        if ok:
            try:
                await asyncio.wait_for(waiter.done.wait(), REPLY_TIMEOUT)
            except TimeoutError:
                ok = False
        self.fakes.replies.forget(address)
        if self.window is not None:
            latency = waiter.first - began if ok and waiter.first is not None else None
            self.window.record(time.perf_counter(), latency)
        return ok

    async def customer(self, gate: asyncio.Semaphore) -> None:
        while not self.stopping:
            who = next(identities)
            for text, expected in zip(conversation(who, self.channel), self.expected, strict=True):
                async with gate:
                    if self.stopping:
                        return
                    ok = await self.send(who, text, expected)
                if not ok:
                    break  # off the script: a new customer takes the place

    def start(self, customers: int, in_flight: int) -> None:
        gate = asyncio.Semaphore(in_flight)
        self._customers = [asyncio.create_task(self.customer(gate)) for _ in range(customers)]

    async def measure(
        self, seconds: float, messages: int | None, pids: list[int], database: str | None = None
    ) -> tuple[Window, Usage, Usage, float | None]:
        """One window: what completed in it, the service's and this process's CPU, and
        the CPU of the PostgreSQL backends serving ``database`` when they run here."""
        service, own = usage(pids), usage([os.getpid()])
        backends = backend_ticks(database) if database else {}
        window = self.window = Window(time.perf_counter(), messages)
        if messages is None:
            await asyncio.sleep(seconds)
            window.ended = time.perf_counter()
        else:
            # A service that stopped answering would never fill the window: give up.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(window.full.wait(), 600)
            window.ended = window.ended or time.perf_counter()
        service, own = usage(pids) - service, usage([os.getpid()]) - own
        self.window = None
        if not backends:
            return window, service, own, None
        # A backend that connected during the window used all its CPU in it.
        after = backend_ticks(database or "")
        used = sum(ticks - backends.get(pid, 0) for pid, ticks in after.items())
        return window, service, own, used / CLOCK_TICKS

    async def stop(self) -> None:
        self.stopping = True
        await asyncio.gather(*self._customers)


@dataclass(frozen=True)
class Usage:
    """Seconds of CPU of some processes (all their threads), of their main threads
    alone (the event loop), and of waiting, ready to run, for a core (the machine is
    shared: a service that waits a lot was starved by someone else's work)."""

    cpu: float = 0.0
    loop_cpu: float = 0.0
    waited: float = 0.0

    def __sub__(self, other: Usage) -> Usage:
        return Usage(
            self.cpu - other.cpu, self.loop_cpu - other.loop_cpu, self.waited - other.waited
        )


def _ticks(stat: Path) -> int:
    # The command name may hold spaces and parentheses: the fields follow the last ")".
    fields = stat.read_text().rpartition(")")[2].split()
    return int(fields[11]) + int(fields[12])  # utime, stime: fields 14 and 15


def backend_ticks(database: str) -> dict[int, int]:
    """CPU so far of each PostgreSQL backend serving ``database`` on this machine (a
    backend's title: ``postgres: 15/main: postgres <database> 127.0.0.1(port) idle``);
    none when PostgreSQL runs elsewhere."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdecimal():
            continue
        with contextlib.suppress(OSError):
            title = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            if title.startswith("postgres:") and f" {database} " in title:
                found[int(entry.name)] = _ticks(entry / "stat")
    return found


def usage(pids: list[int]) -> Usage:
    """What the processes have used so far (/proc: stat in clock ticks, schedstat's
    second field in nanoseconds spent on a run queue)."""
    cpu = loop = waited = 0
    for pid in pids:
        cpu += _ticks(Path(f"/proc/{pid}/stat"))
        loop += _ticks(Path(f"/proc/{pid}/task/{pid}/stat"))
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(OSError):  # a thread that has just ended
                waited += int((task / "schedstat").read_text().split()[1])
    return Usage(cpu / CLOCK_TICKS, loop / CLOCK_TICKS, waited / 1e9)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Service:
    process: asyncio.subprocess.Process
    url: str
    log: Path
    database: str | None = None  # the PostgreSQL database's name, for its backends' CPU


def clean_environ() -> dict[str, str]:
    """This process's environment without any shop's settings."""
    prefixes = ("LANGGAN_", "TELEGRAM_", "TWILIO_")
    return {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}


def langgan_environ(
    setup: Setup, db_url: str, port: int, api_url: str, driver: str
) -> dict[str, str]:
    env = clean_environ()
    env.update(LANGGAN_DB_URL=db_url, LANGGAN_DATA_KEY=DATA_KEY, LANGGAN_HTTP_HOST="127.0.0.1",
               LANGGAN_HTTP_PORT=str(port), LANGGAN_PUBLIC_URL=f"http://127.0.0.1:{port}")  # fmt: skip
    if setup.channel == "telegram":
        env.update(TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_URL=api_url, TELEGRAM_MODE="webhook",
                   TELEGRAM_WEBHOOK_SECRET=SECRET, TELEGRAM_DRIVER=driver,
                   TELEGRAM_RATE="10000")  # fmt: skip
    else:
        env.update(TWILIO_ACCOUNT_SID=ACCOUNT_SID, TWILIO_AUTH_TOKEN=AUTH_TOKEN,
                   TWILIO_WHATSAPP_FROM=SENDER, TWILIO_API_URL=api_url,
                   TWILIO_WHATSAPP_RATE="1000")  # fmt: skip
    return env


async def langgan(folder: Path, env: dict[str, str], *args: str) -> None:
    """One ``langgan`` command to its end; its output is shown if it fails."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", *args, cwd=folder, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output, _ = await process.communicate()
    if process.returncode:
        raise RuntimeError(f"langgan {' '.join(args)} failed:\n{output.decode()}")


async def start_service(
    argv: list[str], env: dict[str, str], folder: Path, port: int, session: aiohttp.ClientSession
) -> Service:
    log = folder / f"service-{port}.log"
    with log.open("wb") as out:
        process = await asyncio.create_subprocess_exec(
            *argv, cwd=folder, env=env, stdout=out, stderr=asyncio.subprocess.STDOUT
        )
    service = Service(process, f"http://127.0.0.1:{port}", log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.returncode is not None:
            break
        with contextlib.suppress(aiohttp.ClientError):
            async with session.get(f"{service.url}/healthz") as response:
                if response.status == 200:
                    return service
        await asyncio.sleep(0.2)
    await stop_service(service)
    raise RuntimeError(f"{' '.join(argv)} did not come up:\n{log.read_text()[-3000:]}")


async def stop_service(service: Service) -> None:
    if service.process.returncode is None:
        service.process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(service.process.wait(), 30)
        except TimeoutError:
            service.process.kill()
            await service.process.wait()


@contextlib.asynccontextmanager
async def store(
    kind: str, folder: Path, postgres: str | None, pragmas: list[str]
) -> AsyncIterator[str]:
    if kind == "sqlite":
        # Each query parameter is a PRAGMA on the service's SQLite connection.
        query = f"?{'&'.join(pragmas)}" if pragmas else ""
        yield f"sqlite://{folder / 'langgan.db'}{query}"
        return
    assert postgres
    async with scratch_database(postgres) as url:
        yield url


@contextlib.asynccontextmanager
async def services(
    setup: Setup, args: argparse.Namespace, fakes: FakeApis, session: aiohttp.ClientSession
) -> AsyncIterator[list[Service]]:
    """The service under test, up and answering its health check; stopped on leaving."""
    with tempfile.TemporaryDirectory(prefix="langgan-webhook-") as name:
        folder = Path(name)
        started: list[Service] = []
        try:
            if setup.store is None:
                port = free_port()
                argv = [sys.executable, str(ECHO_BOT), setup.channel, "--port", str(port),
                        "--api-url", fakes.url, "--secret", SECRET]  # fmt: skip
                started.append(await start_service(argv, clean_environ(), folder, port, session))
                yield started
                return
            async with store(setup.store, folder, args.postgres, args.sqlite_pragma) as db_url:
                env = langgan_environ(setup, db_url, free_port(), fakes.url, args.driver)
                await langgan(folder, env, "migrate")
                await langgan(folder, env, "products", "import", "--sample")
                for _ in range(setup.instances):
                    port = free_port()
                    env = langgan_environ(setup, db_url, port, fakes.url, args.driver)
                    argv = [sys.executable, "-m", "bot.cli", "run"]
                    started.append(await start_service(argv, env, folder, port, session))
                    if setup.store == "postgres":
                        started[-1].database = db_url.rpartition("/")[2]
                try:
                    yield started
                finally:
                    for service in started:
                        await stop_service(service)
                    started = []  # stopped before the database is dropped
        finally:
            for service in started:
                await stop_service(service)


async def profile(load: Load, pid: int, seconds: float, messages: int | None, path: Path) -> None:
    """py-spy on the service for one more window under the same load."""
    # Installed beside this Python (a venv not activated), or anywhere on the PATH.
    py_spy = shutil.which("py-spy", path=f"{Path(sys.executable).parent}{os.pathsep}") or (
        shutil.which("py-spy")
    )
    if py_spy is None:
        console.print("[yellow]py-spy is not installed (pip install py-spy): no profile[/]")
        return
    recorder = await asyncio.create_subprocess_exec(
        py_spy, "record", "--pid", str(pid), "--format", "raw", "--rate", "100",
        "--output", str(path), stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    window, used, _, _ = await load.measure(seconds, messages, [pid])
    recorder.send_signal(signal.SIGINT)  # py-spy writes its file when interrupted
    _, err = await recorder.communicate()
    if recorder.returncode not in (0, -signal.SIGINT):
        console.print(f"[yellow]py-spy recorded nothing:[/] {err.decode().strip()[-500:]}")
        return
    count = max(1, len(window.latencies))
    console.print(
        f"profiled window: {count:,} messages; CPU per message: the event loop's thread "
        f"{1000 * used.loop_cpu / count:.2f} ms, the other threads (SQLite's) "
        f"{1000 * (used.cpu - used.loop_cpu) / count:.2f} ms; waited for a core "
        f"{1000 * used.waited / count:.2f} ms; profile in {path}",
        highlight=False,
    )


async def run_setup(
    setup: Setup,
    args: argparse.Namespace,
    fakes: FakeApis,
    session: aiohttp.ClientSession,
    profiled: Path | None,
) -> Row:
    console.print(
        f"[bold]{setup.channel}: {setup.service}, {setup.store_name}"
        f"{f', {setup.instances} processes' if setup.instances > 1 else ''}[/]"
    )
    async with services(setup, args, fakes, session) as started:
        load = Load(setup.channel, [s.url for s in started], fakes, session)
        await load.learn()
        stray_before = fakes.replies.stray
        load.start(args.customers, args.in_flight)
        await asyncio.sleep(args.warmup)
        pids = [s.process.pid for s in started]
        window, service, bench, database = await load.measure(
            args.seconds, args.messages, pids, started[0].database
        )
        if profiled and setup == SETUPS["sqlite"]:
            await profile(load, pids[0], args.seconds, args.messages, profiled)
        await load.stop()
        stray = fakes.replies.stray - stray_before
    assert window.ended is not None
    return Row(
        setup,
        messages=len(window.latencies),
        seconds=window.ended - window.began,
        latencies=window.latencies,
        service=service,
        bench=bench,
        database=database,
        errors=window.errors + stray,
        replies_per_message=sum(load.expected) / len(load.expected),
    )


def chosen_setups(args: argparse.Namespace) -> list[Setup]:
    chosen = list(dict.fromkeys(args.only))
    if not args.postgres:
        skipped = [name for name in chosen if SETUPS[name].store == "postgres"]
        if skipped:
            console.print(
                f"[yellow]skipped {', '.join(skipped)}: no PostgreSQL "
                "(--postgres URL or LANGGAN_TEST_POSTGRES_URL)[/]"
            )
        chosen = [name for name in chosen if name not in skipped]
    setups: list[Setup] = []
    for name in chosen:
        bare = BARE[SETUPS[name].channel]
        if bare not in setups:
            setups.append(bare)  # the channel's bare bot first, in the same run
        setups.append(SETUPS[name])
    return setups


async def main(args: argparse.Namespace) -> None:
    fakes = await FakeApis().start()
    connector = aiohttp.TCPConnector(limit=0)
    rounds: list[list[Row]] = []
    try:
        async with aiohttp.ClientSession(connector=connector) as session:
            for number in range(args.rounds):
                if args.rounds > 1:
                    console.print(f"[bold]round {number + 1} of {args.rounds}[/]")
                profiled = args.profile if number == 0 else None
                rounds.append(
                    [
                        await run_setup(setup, args, fakes, session, profiled)
                        for setup in chosen_setups(args)
                    ]
                )
    finally:
        await fakes.stop()
    report(rounds, args)
    if args.profile and args.profile.exists():
        for table in pyspy_top.tables(pyspy_top.read(args.profile), args.top):
            console.print(table)


COLUMNS = ("channel", "service", "store", "procs", "replies/msg", "msg/s", "p50 ms", "p99 ms",
           "CPU ms/msg", "wait ms/msg", "DB CPU ms/msg", "bench CPU %", "x bare time",
           "x bare CPU", "errors")  # fmt: skip
FORMATS = ("{:.2f}", "{:,.0f}", "{:.0f}", "{:.0f}", "{:.2f}", "{:.2f}", "{:.2f}", "{:.0f}",
           "{:.2f}", "{:.2f}", "{:.0f}")  # fmt: skip


def figures(row: Row, bare: Row | None) -> list[float | None]:
    """A row's figures, in the order of COLUMNS after the first four; the ratios are to
    the bare bot of the same round."""
    return [
        row.replies_per_message,
        row.rate,
        row.percentile(0.5),
        row.percentile(0.99),
        row.cpu_ms,
        row.wait_ms,
        row.database_ms,
        100 * row.bench.cpu / row.seconds,
        bare.rate / row.rate if bare else None,
        row.cpu_ms / bare.cpu_ms if bare and bare.cpu_ms else None,
        row.errors,
    ]


def report(rounds: list[list[Row]], args: argparse.Namespace) -> None:
    window = f"{args.seconds:g} s" if args.messages is None else f"{args.messages:,} messages"
    title = (
        f"Webhook in to reply received: {args.customers} customers, {args.in_flight} "
        f"messages in flight, {args.warmup:g} s warm-up, then {window} measured"
        + (f"; median of {len(rounds)} rounds" if len(rounds) > 1 else "")
        + (f"; SQLite with {', '.join(args.sqlite_pragma)}" if args.sqlite_pragma else "")
    )
    table = Table(title=title)
    for column in COLUMNS:
        table.add_column(column, justify="left" if column in COLUMNS[:3] else "right")
    per_round = []
    for rows in rounds:
        bare = {row.setup.channel: row for row in rows if row.setup.store is None}
        per_round.append([figures(row, bare.get(row.setup.channel)) for row in rows])
    for i, row in enumerate(rounds[0]):
        setup = row.setup
        service = setup.service
        if setup.store is not None and setup.channel == "telegram":
            service += f" ({args.driver})"
        cells = []
        for j, shape in enumerate(FORMATS):
            values = [found[i][j] for found in per_round]
            known = [value for value in values if value is not None]
            if not known:
                cells.append("-")
            elif COLUMNS[4 + j] == "errors":
                cells.append(str(int(sum(known))))  # every round's, not the median
            else:
                cells.append(shape.format(statistics.median(known)))
        table.add_row(setup.channel, service, setup.store_name, str(setup.instances), *cells)
    console.print(table)
    console.print(f"command: {shlex.join(['python', *sys.argv])}", highlight=False)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=200, help="writing at once")
    parser.add_argument("--in-flight", type=int, default=50, help="messages at a time, at most")
    parser.add_argument("--warmup", type=float, default=5.0, help="seconds of load not measured")
    length = parser.add_mutually_exclusive_group()
    length.add_argument("--seconds", type=float, default=20.0, help="the measured window")
    length.add_argument("--messages", type=int, help="or: measure this many messages")
    parser.add_argument(
        "--rounds", type=int, default=1, help="run every row this many times: medians"
    )
    parser.add_argument("--postgres", default=os.environ.get("LANGGAN_TEST_POSTGRES_URL"))
    parser.add_argument(
        "--only", nargs="+", choices=list(SETUPS), default=list(SETUPS), metavar="SETUP",
        help=f"some of: {', '.join(SETUPS)} (default: all)",
    )  # fmt: skip
    parser.add_argument("--driver", choices=("aiogram", "ptb"), default="aiogram",
                        help="Langgan's Telegram driver")  # fmt: skip
    parser.add_argument(
        "--sqlite-pragma", action="append", default=[], metavar="NAME=VALUE",
        help="a PRAGMA for the service's SQLite store (e.g. synchronous=NORMAL)",
    )  # fmt: skip
    parser.add_argument("--profile", type=Path, help="py-spy the SQLite Telegram service")
    parser.add_argument("--top", type=int, default=15, help="lines of the profile shown")
    args = parser.parse_args()
    if args.customers < 1 or args.in_flight < 1 or args.rounds < 1:
        parser.error("--customers, --in-flight and --rounds must be at least 1")
    return args


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
