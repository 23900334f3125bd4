"""The web UI's own unit tests (app/web/tests, Node's built-in runner: no npm, no dependency) run as part of
the Python suite, so `make test` fails when one of them does, or when Node is missing."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
TESTS = REPO / "app" / "web" / "tests"
MIN_NODE = 20  # the README's `node --test app/web/tests/` needs Node 20's runner


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        pytest.fail(f"Node.js {MIN_NODE}+ is not installed, so the web UI's unit tests cannot run "
                    "(`node --test app/web/tests/`): install Node.js 20 or newer.", pytrace=False)
    version = subprocess.run([node, "--version"],  # noqa: S603  # nosec B603 - fixed argv
                             capture_output=True, text=True, timeout=30, check=False)
    major = re.match(r"v(\d+)\.", version.stdout.strip())
    if major is None or int(major.group(1)) < MIN_NODE:
        pytest.fail(f"Node.js {MIN_NODE}+ is needed for the web UI's unit tests; {node} is "
                    f"{version.stdout.strip() or version.stderr.strip()}", pytrace=False)
    return node


def _count(label: str, output: str) -> int:
    found = re.search(rf"^# {label} (\d+)$", output, re.MULTILINE)
    assert found, f"no '# {label}' line in node's report:\n{output[-3000:]}"
    return int(found.group(1))


def test_web_ui_unit_tests_pass() -> None:
    node = _node()
    files = sorted(TESTS.glob("*.test.mjs"))
    assert files, f"no *.test.mjs in {TESTS}"
    command = [node, "--test", "--test-reporter=tap", f"{TESTS.relative_to(REPO)}/"]
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True,  # noqa: S603  # nosec B603
                            timeout=300, check=False)
    output = result.stdout + result.stderr
    failed = [line for line in output.splitlines() if line.lstrip().startswith("not ok")]
    assert result.returncode == 0 and not failed, (
        f"`node --test app/web/tests/` failed (exit {result.returncode}):\n" + "\n".join(failed)
        + f"\n\n{output[-6000:]}")
    assert _count("fail", output) == 0
    assert _count("pass", output) >= len(files), output[-3000:]  # every file ran some tests
