"""The design's rules, read from the code itself with the standard library's ``ast``:
crm_core imports no channel library, bot or scheduler; every message the shop starts
passes the gate (only ``crm_core.outreach.contact_policy`` makes a ``Permit``, only
``crm_core.outreach.outbox`` writes outbox rows, and it writes a marketing row only where it
checks the permit); time is an argument: nothing under ``crm_core/`` or
``scheduler/`` reads a clock of its own; and no two modules import each other, round
any circle (``bench/code_shape.py`` finds them)."""

from __future__ import annotations

import ast
from pathlib import Path

from bench.code_shape import cycles, imports, modules

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("bot", "crm_core", "scheduler", "message_templates")
# What crm_core must never import: the packages above it, and the chat, web and
# scheduling libraries they wrap.
ABOVE_CRM_CORE = {"bot", "scheduler", "aiogram", "telegram", "twilio", "aiohttp", "apscheduler"}
GATE = "crm_core/outreach/contact_policy.py"
OUTBOX = "crm_core/outreach/outbox.py"


def sources() -> dict[str, ast.Module]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            found[path.relative_to(ROOT).as_posix()] = ast.parse(path.read_text(), str(path))
    return found


def imported(tree: ast.Module) -> set[str]:
    """The top-level package of every import, function-local ones included."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def layering_breaches(files: dict[str, ast.Module]) -> list[str]:
    return [
        f"{name} imports {package}"
        for name, tree in files.items()
        if name.startswith("crm_core/")
        for package in sorted(imported(tree) & ABOVE_CRM_CORE)
    ]


def _called(node: ast.Call) -> str:
    """``OutboxMessage.create`` for ``OutboxMessage.create(...)``, ``Permit`` for
    ``Permit(...)``."""
    func = node.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        return f"{func.value.id}.{func.attr}"
    return func.attr if isinstance(func, ast.Attribute) else ""


def _names_marketing(node: ast.Call) -> bool:
    values = [*node.args, *(k.value for k in node.keywords)]
    return any(
        (isinstance(v, ast.Name) and v.id == "MARKETING")
        or (isinstance(v, ast.Constant) and v.value == "marketing")
        for v in values
    )


def gate_breaches(files: dict[str, ast.Module]) -> list[str]:
    """Every way a message the shop starts could skip the gate."""
    found = []
    for name, tree in files.items():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            called = _called(node)
            if called == "Permit" and name != GATE:
                found.append(f"{name}:{node.lineno} makes a Permit outside the gate")
            writes_outbox = called in ("OutboxMessage", "OutboxMessage.create",
                                       "OutboxMessage.bulk_create")  # fmt: skip
            if writes_outbox and name != OUTBOX:
                found.append(f"{name}:{node.lineno} writes an outbox row outside the outbox")
            if called.endswith("update") and any(k.arg == "kind" for k in node.keywords):
                found.append(f"{name}:{node.lineno} changes a queued message's kind")
        if name != OUTBOX:
            continue
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            calls = [n for n in ast.walk(function) if isinstance(n, ast.Call)]
            queues_marketing = any(_names_marketing(c) for c in calls)
            checks_permit = any(_called(c) == "_check" for c in calls)
            if queues_marketing and not checks_permit:
                found.append(f"{name}:{function.lineno} {function.name} queues marketing unchecked")
    return found


# The clocks a module could read for itself, as ``module.function``.
CLOCKS = {"datetime.now", "datetime.utcnow", "datetime.today", "date.today", "time.time",
          "time.monotonic", "time.perf_counter", "time.time_ns", "time.monotonic_ns"}  # fmt: skip


def clock_reads(files: dict[str, ast.Module]) -> list[str]:
    """Every clock read (or handed on, as a default) under crm_core/ and scheduler/."""
    found = []
    for name, tree in files.items():
        if not name.startswith(("crm_core/", "scheduler/")):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module in ("time", "datetime"):
                names = {f"{node.module}.{a.name}" for a in node.names}
                found += [f"{name}:{node.lineno} imports {n}" for n in sorted(names & CLOCKS)]
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and f"{node.value.id}.{node.attr}" in CLOCKS
            ):
                found.append(f"{name}:{node.lineno} reads {node.value.id}.{node.attr}")
    return found


def test_crm_core_imports_no_channel_library_bot_or_scheduler():
    assert layering_breaches(sources()) == []


def test_every_message_the_shop_starts_passes_the_gate():
    assert gate_breaches(sources()) == []


def test_nothing_under_crm_core_or_scheduler_reads_a_clock_of_its_own():
    assert clock_reads(sources()) == []


def test_no_modules_import_each_other_round_a_circle():
    found = modules()
    graph = {name: imports(name, tree, set(found)) for name, (_, tree) in found.items()}
    assert cycles(graph) == []


def test_a_circle_hidden_in_a_function_is_still_found():
    tree = {
        "bot.a": ast.parse("from bot import b\n"),
        "bot.b": ast.parse("def late():\n    from bot.c import x\n"),
        "bot.c": ast.parse("import bot.a\nif TYPE_CHECKING:\n    import bot.b\n"),
        "bot": ast.parse(""),
    }
    graph = {name: imports(name, module, set(tree)) for name, module in tree.items()}
    assert cycles(graph) == [["bot.a", "bot.b", "bot.c"]]
    del tree["bot.c"]
    graph = {name: imports(name, module, set(tree)) for name, module in tree.items()}
    assert cycles(graph) == []


def test_the_checks_catch_what_they_are_for():
    """Each rule, broken once on purpose, is reported."""
    broken = {
        "crm_core/leak.py": "from aiogram import Bot\ndef f():\n    import bot.cli\n",
        "bot/shortcut.py": (
            "async def f():\n"
            "    await OutboxMessage.create(kind='marketing', body='promo')\n"
            "    p = Permit(1, 'telegram', '1')\n"
            "    await OutboxMessage.filter(id=1).update(kind='marketing')\n"
        ),
        "scheduler/late.py": (
            "from time import monotonic\n"
            "def f(clock=time.monotonic):\n"
            "    return datetime.now(UTC)\n"
        ),
        OUTBOX: (
            "async def sneak(body):\n"
            "    await _add('telegram', '1', body, now, MARKETING, 1, None, None, None)\n"
        ),
    }
    files = {name: ast.parse(text) for name, text in broken.items()}
    assert layering_breaches(files) == ["crm_core/leak.py imports aiogram",
                                        "crm_core/leak.py imports bot"]  # fmt: skip
    assert sorted(clock_reads(files)) == [
        "scheduler/late.py:1 imports time.monotonic",
        "scheduler/late.py:2 reads time.monotonic",
        "scheduler/late.py:3 reads datetime.now",
    ]
    assert sorted(gate_breaches(files)) == [
        "bot/shortcut.py:2 writes an outbox row outside the outbox",
        "bot/shortcut.py:3 makes a Permit outside the gate",
        "bot/shortcut.py:4 changes a queued message's kind",
        f"{OUTBOX}:1 sneak queues marketing unchecked",
    ]
