"""The unit-price file (prices.yaml): loaded once, looked up by price key, region and variant."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

PRICE_FILE = Path(__file__).with_name("prices.yaml")


@dataclass(frozen=True)
class Price:
    key: str
    region: str
    amount: float
    unit: str
    source: str
    date: str
    confirmed: bool
    free_units: int = 0


@dataclass(frozen=True)
class PriceBook:
    currency: str
    hours_per_month: int
    date: str
    regions: tuple[str, ...]
    entries: dict[str, dict[str, Any]]
    path: str = str(PRICE_FILE)

    def price(self, key: str, region: str, variant: str | None = None) -> Price | None:
        """The price of `key` in `region` (of `variant`: an instance type or tier), or None when the file
        has none; the caller must say so rather than count zero."""
        entry = self.entries[key]  # a KeyError here is a bug in the model, not a missing price
        if variant is None:
            row = entry.get("regions", {}).get(region)
        else:
            table = entry.get("byInstanceType") or entry.get("byTier") or {}
            row = table.get(region, {}).get(variant)
        if row is None:
            return None
        return Price(
            key=key,
            region=region,
            amount=float(row["price"]),
            unit=entry["unit"],
            source=entry["source"],
            date=str(entry["date"]),
            confirmed=bool(row.get("confirmed", False)),
            free_units=int(row.get("freeMau", 0)),
        )


def parse(data: dict[str, Any], path: str = "<memory>") -> PriceBook:
    for key, entry in data["prices"].items():
        missing = {"unit", "source", "date"} - set(entry)
        if missing:
            raise ValueError(f"{path}: price {key} lacks {sorted(missing)}")
    return PriceBook(
        currency=data["currency"],
        hours_per_month=int(data["hoursPerMonth"]),
        date=str(data["date"]),
        regions=tuple(data["regions"]),
        entries=data["prices"],
        path=path,
    )


@cache
def load(path: Path = PRICE_FILE) -> PriceBook:
    return parse(yaml.safe_load(path.read_text(encoding="utf-8")), str(path))
