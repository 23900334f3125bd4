"""The README's option rows are current: each option is a real program run, compared with the base total
the README states for its base row (test_cost_readme_stacks.py checks those base rows)."""

from __future__ import annotations

import re
from pathlib import Path

from tools.cost.readme import END_MARKER, SCENARIOS, START_MARKER, row, run_all, table_totals

ROOT = Path(__file__).resolve().parents[2]
OPTIONS = tuple(s.key for s in SCENARIOS if s.label.startswith("+"))


def test_option_rows_and_their_changes_are_current():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text[text.index(START_MARKER): text.index(END_MARKER)]
    claimed = table_totals(block)
    costs = run_all(ROOT, OPTIONS)
    for scenario in (s for s in SCENARIOS if s.key in OPTIONS):
        cost = costs[scenario.key]
        stale = f"README row for {scenario.key} is stale: run python -m tools.cost --write"
        assert row(scenario, cost, claimed[scenario.base or ""]) in block, stale
        items = {i["name"]: i for i in cost["items"]}
        line = next(x for x in block.splitlines() if x.startswith(f"- {scenario.label}:"))
        for name, detail, amount in re.findall(r"adds (\S+) \((.+?): \$([\d,]+\.\d\d)\)", line):
            assert items[name]["detail"] == detail, stale
            assert items[name]["monthly"] == float(amount.replace(",", "")), stale
        for name in re.findall(r"removes (\S+) \(", line):
            assert name not in items, stale
        for name, amount in re.findall(r"(\S+) \$[\d,.]+ -> \$([\d,]+\.\d\d)", line):
            assert items[name]["monthly"] == float(amount.replace(",", "")), stale
