"""The unit-price file records, for every price, its unit, source, date and per-region evidence."""

from __future__ import annotations

import re

import yaml

from tools.cost.prices import PRICE_FILE, load


def _rows(entry):
    if "regions" in entry:
        yield from entry["regions"].items()
    for table in (entry.get("byInstanceType"), entry.get("byTier")):
        for region, variants in (table or {}).items():
            for row in variants.values():
                yield region, row


def test_every_price_has_source_date_and_evidence_per_region():
    data = yaml.safe_load(PRICE_FILE.read_text(encoding="utf-8"))
    assert data["hoursPerMonth"] == 730
    for key, entry in data["prices"].items():
        assert entry["source"].startswith("https://aws.amazon.com/"), key
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(entry["date"])), key
        rows = list(_rows(entry))
        assert rows, key
        for region, row in rows:
            assert region in data["regions"], (key, region)
            assert isinstance(row["price"], int | float) and row["price"] >= 0, (key, region)
            assert isinstance(row["confirmed"], bool) and row["evidence"], (key, region)


def test_lookups_by_region_and_variant():
    book = load()
    assert book.price("natGatewayHour", "us-east-1").amount == 0.045
    assert book.price("natGatewayHour", "ap-south-1") is None
    assert book.price("sagemakerInstanceHour", "us-east-1", "ml.g5.xlarge").amount == 1.408
    essentials = book.price("cognitoMau", "us-east-1", "ESSENTIALS")
    assert (essentials.amount, essentials.free_units) == (0.015, 10000)
