"""Cold import time of each Lambda handler and the zipped size of each archive.

    .venv/bin/python -m tools.bench_app [--runs 7] [--no-build]

Each import runs in a fresh interpreter started with -S -E (no site hooks, no PYTHONPATH) whose sys.path is
app/ plus the virtualenv's site-packages, so it is close to a Lambda cold start (which finds only the archive
and the runtime). Targets: <= 300 ms per handler; the archive within Lambda's direct-upload quota
(tools/package_lambda.py MAX_ZIP_BYTES).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess  # noqa: S404  # nosec B404
import sys
import sysconfig
from pathlib import Path

from tools import package_lambda

ROOT = Path(__file__).resolve().parents[1]
# Every handler module in the archive (the chat functions, the Cognito trigger, the private website target,
# retrieval's service, document processor and migration step).
HANDLERS = (
    "rest",
    "chat_worker",
    "ws_authorizer",
    "ws_connect",
    "ws_disconnect",
    "federation_groups",
    "static_site",
    "rag_service",
    "doc_processor",
    "db_migrate",
    "web_crawler",
)
IMPORT_BUDGET_MS = 300.0
PROBE = (
    "import sys, time\n"
    "sys.path[:0] = {paths!r}\n"
    "start = time.perf_counter()\n"
    "import {module}\n"
    "elapsed = (time.perf_counter() - start) * 1000\n"
    "assert 'boto3' not in sys.modules, 'boto3 imported at import time'\n"
    "print(elapsed)\n"
)


def import_ms(module: str) -> float:
    paths = [str(ROOT / "app"), sysconfig.get_paths()["purelib"]]
    code = PROBE.format(paths=paths, module=module)
    command = [sys.executable, "-S", "-E", "-c", code]
    result = subprocess.run(  # noqa: S603  # nosec B603
        command,
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    if result.returncode != 0:
        raise RuntimeError(f"importing {module} failed:\n{result.stderr.strip()}")
    return float(result.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--runs", type=int, default=7, help="fresh interpreters per handler (min is reported)"
    )
    parser.add_argument(
        "--no-build", action="store_true", help="measure the existing archive, do not rebuild"
    )
    args = parser.parse_args(argv)
    failed = False
    print(f"{'handler':<40} {'min ms':>8} {'median':>8}  budget {IMPORT_BUDGET_MS:.0f} ms")
    for name in HANDLERS:
        module = f"chatbot_app.handlers.{name}"
        samples = [import_ms(module) for _ in range(max(1, args.runs))]
        best = min(samples)
        over = best > IMPORT_BUDGET_MS
        failed |= over
        print(f"{module:<40} {best:8.1f} {statistics.median(samples):8.1f}  {'OVER' if over else 'ok'}")
    archive = package_lambda.DEFAULT_OUT
    if not args.no_build or not archive.exists():
        package_lambda.build(archive)
    size = archive.stat().st_size
    over = size > package_lambda.MAX_ZIP_BYTES
    failed |= over
    print(f"\n{'archive':<40} {'MB':>8}")
    print(
        f"{archive.relative_to(ROOT).as_posix():<40} {size / 1e6:8.2f}  {'OVER' if over else 'ok'}"
        f"  (all {len(HANDLERS)} handlers share it; sha256 {package_lambda.sha256(archive)[:16]})"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
