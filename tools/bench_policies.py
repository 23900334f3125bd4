"""Benchmark: policy analysis time per resource and per stack, and how it grows with the stack.

`make bench-policies` (or `python -m tools.bench_policies [--stack prod] [--sizes 1,2,4,8]`) runs the
stack's program once under the mock engine, then replicates its registrations k times (renaming URNs,
parents and dependencies consistently) and analyses each copy with the real pack process, as the
offline preview does. Linear growth shows as a flat "per resource" column and a slope near 1 in
log-log.
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import time
from pathlib import Path
from typing import Any

from tools.preview.analyzer import Analysis
from tools.preview.project import load_program
from tools.preview.runner import run_program

ROOT = Path(__file__).resolve().parent.parent


def replicate(registrations: list[dict[str, Any]], copies: int) -> list[dict[str, Any]]:
    """`copies` disjoint copies of the stack's resources under one Stack resource."""
    stack = [r for r in registrations if r["type"] == "pulumi:pulumi:Stack"]
    others = [r for r in registrations if r["type"] != "pulumi:pulumi:Stack"]
    result = copy.deepcopy(stack)
    for index in range(copies):
        rename = {r["urn"]: f"{r['urn']}-{index}" for r in others}
        text = json.dumps(others)
        for old, new in rename.items():  # whole JSON strings only, so one URN never edits another
            text = text.replace(json.dumps(old), json.dumps(new))
        clones = json.loads(text)
        for clone in clones:
            clone["name"] = f"{clone['name']}-{index}"
        result.extend(clones)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stack", default="prod")
    parser.add_argument("--sizes", default="1,2,4,8,16")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"command: python -m tools.bench_policies --stack {args.stack} --sizes {args.sizes}")
    program = load_program(ROOT, args.stack)
    base, _, _ = run_program(program, "preview")
    print(
        f"{'copies':>6} {'resources':>9} {'resources s':>11} {'stack s':>8} {'total s':>8} "
        f"{'per resource ms':>16}"
    )
    points = []
    for size in sizes:
        registrations = replicate(base, size)
        started = time.perf_counter()
        run = Analysis(program, registrations, dry_run=True).run(ROOT / "policies", None, "defaults")
        total = time.perf_counter() - started
        analysed = run.timings["resources"] + run.timings["stack"]
        points.append((len(registrations), analysed))
        per_resource_ms = 1000 * analysed / len(registrations)
        resources_s, stack_s = run.timings["resources"], run.timings["stack"]
        print(f"{size:>6} {len(registrations):>9} {resources_s:>11.3f} {stack_s:>8.3f} {total:>8.3f} "
              f"{per_resource_ms:>16.2f}")
    if len(points) >= 2:
        (n0, t0), (n1, t1) = points[0], points[-1]
        slope = math.log(t1 / t0) / math.log(n1 / n0)
        print(
            f"growth exponent (log-log slope of analysis time vs resources, {n0} -> {n1}): {slope:.2f} "
            f"(1.0 = linear)"
        )


if __name__ == "__main__":
    main()
