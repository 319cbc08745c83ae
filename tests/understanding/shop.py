"""The catalog and shop file the understanding corpus is written against."""

from __future__ import annotations

import csv
from pathlib import Path

from bot.understanding import Understanding, load_lexicon
from crm_core.sales.catalog import Catalog, CatalogItem
from crm_core.shop import ShopFile, load_shop_file

HERE = Path(__file__).parent
SAMPLE_SHOP = Path(__file__).resolve().parents[2] / "bot" / "samples" / "shop.toml"


def _options(cell: str) -> tuple[str, ...]:
    return tuple(part for part in cell.split("|") if part)


def corpus_catalog() -> Catalog:
    with (HERE / "catalog.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return Catalog(
        tuple(
            CatalogItem(
                number,
                row["name"],
                int(row["price"]),
                _options(row["colours"]),
                _options(row["sizes"]),
                _options(row["alias"]),
                (),
                int(row["stock"]) if row["stock"] else None,
            )
            for number, row in enumerate(rows, 1)
        )
    )


def sample_shop() -> ShopFile:
    return load_shop_file(SAMPLE_SHOP)


def corpus_understanding() -> Understanding:
    return Understanding(load_lexicon(), corpus_catalog(), sample_shop().phrases)
