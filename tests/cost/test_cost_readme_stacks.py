"""The README's idle-cost table is current for the dev and prod stacks (real program runs, offline).

The option rows are checked in test_cost_readme_options.py; the two files split the program runs so each
stays fast. `python -m tools.cost --check` checks everything in one go.
"""

from __future__ import annotations

import re
from pathlib import Path

from tools.cost.readme import (
    DEV_BUDGET,
    END_MARKER,
    SCENARIOS,
    START_MARKER,
    breakdown,
    dev_explanation,
    row,
    run_all,
)

ROOT = Path(__file__).resolve().parents[2]


def test_stack_rows_breakdown_and_explanation_are_current():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text[text.index(START_MARKER): text.index(END_MARKER)]
    costs = run_all(ROOT, ("dev", "dev-lean", "prod"))
    by_key = {s.key: s for s in SCENARIOS}
    for key in ("dev", "dev-lean", "prod"):
        base = costs[by_key[key].base]["monthlyTotal"] if by_key[key].base else None
        stale = f"README row for {key} is stale: run python -m tools.cost --write"
        assert row(by_key[key], costs[key], base) in block, stale
    assert "\n".join(breakdown(costs["dev"])) in block
    assert dev_explanation(costs) in block
    rows = re.findall(r"^\| (.+?) \| [a-z]{2}-[a-z]+-\d \|", block, re.MULTILINE)
    assert rows == [s.label for s in SCENARIOS]
    # The bar: the dev stack idles within budget, or the README explains every dollar above it.
    assert costs["dev"]["monthlyTotal"] <= DEV_BUDGET or costs["dev-lean"]["monthlyTotal"] <= DEV_BUDGET
