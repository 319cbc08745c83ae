"""What understanding costs an incoming message: the same conversations through the engine
of this tree and of the code before the language layer, alternately, in one run, with a
catalog of 500 products.

    python bench/understanding_cost.py [--before a9f2124] [--rounds 5] [--customers 60]

The earlier code is checked out with ``git worktree`` into a temporary folder. Each round
runs both engines, each in a fresh process on a fresh SQLite file, on the conversation of
``bench/inbound.py`` (onboarding, two orders, order look-ups: words both engines know),
one customer at a time. It prints each round and the medians: p50 and p99 per message,
messages a second, and the difference of the p50s."""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BEFORE = "a9f2124"  # the last commit before the language layer


def write_catalog(path: Path, products: int) -> None:
    """The sample catalog and generated products up to ``products``."""
    kinds = ["Kemeja", "Celana", "Rok", "Dress", "Jaket", "Hoodie", "Tas", "Topi", "Sepatu"]
    styles = ["Motif", "Salur", "Denim", "Linen", "Rajut", "Sport", "Basic", "Premium", "Anak",
              "Wanita", "Pria", "Couple", "Vintage", "Klasik", "Modern"]  # fmt: skip
    with (ROOT / "bot" / "samples" / "catalog.csv").open(encoding="utf-8") as f:
        rows = list(csv.reader(f))
    series = 0
    while len(rows) - 1 < products:
        series += 1
        for kind in kinds:
            for style in styles:
                if len(rows) - 1 >= products:
                    break
                rows.append([f"{kind} {style} Seri {series}", str(60_000 + len(rows) * 500),
                             "Hitam|Putih|Navy|Maroon", "S|M|L|XL"])  # fmt: skip
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)


async def drive(catalog: Path, customers: int) -> dict[str, float]:
    """Run in the tree under test: its own engine, store and templates."""
    from datetime import timedelta

    from bench.inbound import START, script
    from bench.scratch import DATA_KEY
    from bot.conversation.engine import Engine
    from bot.inbound import Inbound

    try:
        from crm_core.sales.catalog_import import import_products
    except ImportError:  # the older tree, before crm_core's sub-packages
        from crm_core.catalog_import import import_products  # type: ignore[no-redef]
    from crm_core.store import open_store
    from message_templates import Texts

    latencies: list[float] = []
    # The engine's own reading and routing of a message (inside its transaction, without
    # the store's statements around it): where understanding happens, in either tree.
    dispatch: list[float] = []
    # Named _take_turn since; _dispatch in the older tree.
    step = "_take_turn" if hasattr(Engine, "_take_turn") else "_dispatch"
    inner = getattr(Engine, step)

    async def timed(self, turn):  # type: ignore[no-untyped-def]
        start = time.perf_counter()
        await inner(self, turn)
        dispatch.append(time.perf_counter() - start)

    setattr(Engine, step, timed)
    with tempfile.TemporaryDirectory() as folder:
        async with open_store(f"sqlite://{folder}/bench.db", DATA_KEY):
            await import_products(catalog, START)
            engine = Engine(Texts())
            number = 0
            began = time.perf_counter()
            for i in range(customers):
                for text in script(i):
                    number += 1
                    inbound = Inbound(
                        "telegram", f"t-{i}", text, f"u{number}",
                        START + timedelta(seconds=2 * number), display_name="Pelanggan",
                    )  # fmt: skip
                    start = time.perf_counter()
                    await engine.handle(inbound)
                    latencies.append(time.perf_counter() - start)
            seconds = time.perf_counter() - began
    latencies.sort()
    return {
        "dispatch": statistics.median(dispatch) * 1e3,
        "p50": statistics.median(latencies) * 1e3,
        "p99": latencies[int(len(latencies) * 0.99)] * 1e3,
        "rate": len(latencies) / seconds,
    }


def run_tree(tree: Path, catalog: Path, customers: int) -> dict[str, float]:
    code = (
        f"import sys, asyncio, json; sys.path.insert(0, {str(tree)!r}); "
        f"sys.path.insert(1, {str(ROOT / 'bench')!r}); "
        "import understanding_cost as u; "
        f"print(json.dumps(asyncio.run(u.drive(__import__('pathlib').Path({str(catalog)!r}), "
        f"{customers}))))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tree, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"{tree}: {done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default=BEFORE, help="the commit to compare against")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--customers", type=int, default=60)
    parser.add_argument("--products", type=int, default=500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        before = Path(folder) / "before"
        subprocess.run(
            ["git", "worktree", "add", "--detach", "--quiet", str(before), args.before],
            cwd=ROOT, check=True,
        )  # fmt: skip
        try:
            catalog = Path(folder) / "catalog.csv"
            write_catalog(catalog, args.products)
            results: dict[str, list[dict[str, float]]] = {"before": [], "now": []}
            for round_number in range(1, args.rounds + 1):
                # Alternate which goes first, so neither always meets a warmer machine.
                order = [("before", before), ("now", ROOT)]
                for name, tree in order if round_number % 2 else order[::-1]:
                    result = run_tree(tree, catalog, args.customers)
                    results[name].append(result)
                    print(
                        f"round {round_number} {name:6}: reading and routing p50 "
                        f"{result['dispatch']:.3f} ms; whole message p50 {result['p50']:.3f} ms, "
                        f"p99 {result['p99']:.3f} ms, {result['rate']:.0f} msg/s",
                        flush=True,
                    )
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(before)], cwd=ROOT)
    print(f"\n{args.products} products, {args.customers} customers × 22 messages, one at a time")
    print("| code | reading and routing p50 ms | message p50 ms | message p99 ms | msg/s |")
    print("|---|---:|---:|---:|---:|")
    medians = {}
    keys = ("dispatch", "p50", "p99", "rate")
    for name, rows in results.items():
        medians[name] = {k: statistics.median(r[k] for r in rows) for k in keys}
        m = medians[name]
        label = f"before ({args.before})" if name == "before" else "with understanding"
        print(
            f"| {label} | {m['dispatch']:.3f} | {m['p50']:.3f} | {m['p99']:.3f} | {m['rate']:.0f} |"
        )
    now, then = medians["now"], medians["before"]
    print(f"\nreading and routing: {now['dispatch'] - then['dispatch']:+.3f} ms a message (p50)")
    print(f"whole message: {now['p50'] - then['p50']:+.3f} ms (p50)")


if __name__ == "__main__":
    main()
