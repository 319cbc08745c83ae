"""How well Langgan understands shoppers: the share of the corpus read right, per
category and language, the held-out set beside it, the misses, and the cost per message.

    python bench/understanding.py [--misses] [--products 500]

The corpus (tests/understanding/corpus_*.txt) is what the lexicon was tuned against; the
held-out set (holdout_*.txt) was written apart from it, by someone who saw neither the
corpus nor the code, so its share is the honest estimate for messages never seen."""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.understanding import Understanding, load_lexicon
from crm_core.sales.catalog import Catalog, CatalogItem
from tests.understanding import corpus
from tests.understanding.shop import corpus_catalog, corpus_understanding, sample_shop

SETS = {
    "corpus": {"id": corpus.HERE / "corpus_id.txt", "en": corpus.HERE / "corpus_en.txt"},
    "held out": {"id": corpus.HERE / "holdout_id.txt", "en": corpus.HERE / "holdout_en.txt"},
    "fresh": {"id": corpus.HERE / "fresh_id.txt", "en": corpus.HERE / "fresh_en.txt"},
}


def big_catalog(products: int) -> Catalog:
    """The corpus's catalog plus generated products, as a shop with many would have."""
    base = corpus_catalog().items
    kinds = ["Kaos", "Kemeja", "Celana", "Rok", "Dress", "Jaket", "Hoodie", "Tas", "Topi", "Sepatu"]
    styles = ["Polos", "Motif", "Salur", "Denim", "Linen", "Rajut", "Batik", "Sport", "Basic",
              "Premium", "Anak", "Wanita", "Pria", "Couple", "Vintage"]  # fmt: skip
    extra = []
    number = len(base)
    for kind in kinds:
        for style in styles:
            for series in range(1, 5):
                if len(base) + len(extra) >= products:
                    break
                number += 1
                extra.append(
                    CatalogItem(
                        number, f"{kind} {style} Seri {series}", 50_000 + number * 1_000,
                        ("Hitam", "Putih", "Navy", "Maroon"), ("S", "M", "L", "XL"),
                    )
                )  # fmt: skip
    return Catalog(base + tuple(extra))


def table(misses: bool) -> None:
    understanding = corpus_understanding()
    print("| set | language | category | right | of | share |")
    print("|---|---|---|---:|---:|---:|")
    all_misses = []
    for set_name, files in SETS.items():
        for language, path in files.items():
            if not path.is_file():
                continue
            corpus.FILES[f"{set_name}:{language}"] = path
            overall, by_category = corpus.score(understanding.read, f"{set_name}:{language}")
            for name, s in sorted(by_category.items()):
                print(
                    f"| {set_name} | {language} | {name} | {s.right} | {s.total} | {s.share:.0%} |"
                )
            print(
                f"| **{set_name}** | **{language}** | **all** | **{overall.right}** "
                f"| **{overall.total}** | **{overall.share:.1%}** |"
            )
            all_misses += [(set_name, language, c, got) for c, got in overall.misses]
    if misses:
        print("\nMisses:")
        for set_name, language, case, got in all_misses:
            print(f"  {set_name}/{language} {case.category}: {case.message!r}")
            print(f"      expected {case.expected}, read {got}")


def timing(products: int) -> None:
    shop = sample_shop()
    catalog = big_catalog(products)
    started = time.perf_counter()
    understanding = Understanding(load_lexicon(), catalog, shop.phrases)
    build = time.perf_counter() - started
    messages = [c.message for lang in ("id", "en") for c in corpus.cases(lang)]
    for message in messages:  # warm: the fuzzy look-ups are remembered per word
        understanding.read(message)
    samples = []
    for _ in range(5):
        for message in messages:
            start = time.perf_counter()
            understanding.read(message)
            samples.append(time.perf_counter() - start)
    samples.sort()
    p50 = statistics.median(samples) * 1e3
    p99 = samples[int(len(samples) * 0.99)] * 1e3
    print(
        f"\n{len(catalog.items)} products: built in {build * 1e3:.0f} ms; "
        f"read a message p50 {p50:.3f} ms, p99 {p99:.3f} ms ({len(samples)} reads)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--misses", action="store_true", help="list every message read wrong")
    parser.add_argument("--products", type=int, default=500, help="catalog size for the timing")
    args = parser.parse_args()
    table(args.misses)
    timing(args.products)


if __name__ == "__main__":
    main()
