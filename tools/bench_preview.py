"""Benchmark: how long the offline preview takes per stack, split into program and analysis.

Run with `make bench` (or `python -m tools.bench_preview [--repeat N] [STACK ...]`). Prints the
median of N runs; each run starts the program and the pack in fresh processes, as CI does.
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path

from tools.preview.project import load_program
from tools.preview.runner import preview

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("stacks", nargs="*", default=["dev", "prod"])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"command: python -m tools.bench_preview --repeat {args.repeat} {' '.join(args.stacks)}")
    print(f"{'stack':<8} {'resources':>9} {'program s':>10} {'analysis s':>11} {'per resource ms':>16}")
    for stack in args.stacks:
        program = load_program(ROOT, stack)
        runs = [
            preview(program, "preview", [ROOT / "policies"], [], lambda _m: None) for _ in range(args.repeat)
        ]
        resources = len(runs[0].registrations)
        program_s = statistics.median(r.timings["program"] for r in runs)
        analysis_s = statistics.median(r.timings["analysis"] for r in runs)
        print(
            f"{stack:<8} {resources:>9} {program_s:>10.2f} {analysis_s:>11.2f} "
            f"{1000 * analysis_s / max(resources, 1):>16.1f}"
        )


if __name__ == "__main__":
    main()
