"""`python -m tools.cost --check|--write [--readme README.md]`: keep the README's idle-cost table current."""

from __future__ import annotations

import argparse
import difflib
import sys
from collections.abc import Sequence
from pathlib import Path

from .readme import embed, render, run_all


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.cost", description=__doc__)
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--check", action="store_true", help="exit 1 if the README's cost table is stale")
    action.add_argument("--write", action="store_true", help="rewrite the README's cost table")
    parser.add_argument("--readme", type=Path, default=Path("README.md"))
    parser.add_argument("--cwd", type=Path, default=Path("."), help="the Pulumi project (default: .)")
    args = parser.parse_args(argv)
    text = args.readme.read_text(encoding="utf-8")
    try:
        expected = embed(text, render(run_all(args.cwd)))
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.write:
        args.readme.write_text(expected, encoding="utf-8")
        return 0
    if expected != text:
        diff = "".join(difflib.unified_diff(text.splitlines(True), expected.splitlines(True),
                                            str(args.readme), "expected"))
        print(f"{args.readme}'s cost table is stale: run `python -m tools.cost --write`\n{diff}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
