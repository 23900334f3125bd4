"""Generates the rule tables of policies/README.md from the rules' metadata, so the docs cannot drift.

`python -m tools.policy_doc --write` rewrites the text between the markers; `--check` exits 1 (with a
diff) when it is stale. The tables: one row per policy (catalogue IDs, default level, severity, tokens,
equivalents, remediation, AWS docs), and the catalogue IDs with the policies that implement them.
"""

from __future__ import annotations

import argparse
import difflib
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "policies" / "README.md"
START, END = "<!-- rules-table:start -->", "<!-- rules-table:end -->"
_LEVELS = {"all": "mandatory", "non-dev": "mandatory; advisory on dev stacks", "advisory": "advisory"}


def _rules():
    sys.path.insert(0, str(ROOT / "policies"))
    from chatbot_guard import ALL_RULES, all_policies

    kinds = {
        p.name: ("stack" if p.__class__.__name__.endswith("StackPolicy") else "resource")
        for p in all_policies()
    }
    remediates = {p.name for p in all_policies() if getattr(p, "has_remediation", lambda: False)()}
    return ALL_RULES, kinds, remediates


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render() -> str:
    rules, kinds, remediates = _rules()
    lines = [
        "<!-- Generated from the rules' RuleMeta by `python -m tools.policy_doc --write`; do not edit. -->",
        "",
        f"{len(rules)} policies. Level is the default; pack config can tighten it per stack.",
        "",
        "| Policy | Catalogue IDs | Default level | Severity | Kind | Resource tokens | Equivalents | "
        "Remediation |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name in sorted(rules):
        meta = rules[name]
        tokens = "<br>".join(f"`{t}`" for t in meta.resource_types) or "(stack-wide)"
        equivalents = ", ".join(meta.equivalents.all()) or "none"
        kind = kinds[name] + (", remediates" if name in remediates else "")
        lines.append(
            f"| [`{name}`]({meta.url}) | {', '.join(meta.catalogue_ids) or '(pack settings)'} | "
            f"{_LEVELS[meta.catalogue_level]} | {meta.severity} | {kind} | {tokens} | {_cell(equivalents)} | "
            f"{_cell(meta.remediation)} |"
        )
    by_id: dict[str, list[str]] = {}
    for name, meta in rules.items():
        for catalogue_id in meta.catalogue_ids:
            by_id.setdefault(catalogue_id, []).append(name)
    lines += ["", "| Catalogue ID | Policies |", "|---|---|"]
    lines += [
        f"| {cid} | {', '.join(f'`{n}`' for n in sorted(names))} |" for cid, names in sorted(by_id.items())
    ]
    return "\n".join(lines)


def updated(text: str) -> str:
    if START not in text or END not in text:
        raise SystemExit(f"{README}: markers {START} / {END} are missing")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{render()}\n{END}{tail}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--check", action="store_true")
    mode.add_argument("--write", action="store_true")
    args = parser.parse_args(argv)
    current = README.read_text(encoding="utf-8")
    fresh = updated(current)
    if args.write:
        README.write_text(fresh, encoding="utf-8")
        print(f"wrote {README.relative_to(ROOT)}")
        return 0
    if fresh != current:
        diff = difflib.unified_diff(
            current.splitlines(), fresh.splitlines(), "README.md", "generated", lineterm=""
        )
        print(f"{README.relative_to(ROOT)} is stale; run `make docs`:\n" + "\n".join(diff))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
