"""Runs a program (in its own interpreter, under the mock engine) and then each policy pack."""

from __future__ import annotations

import json
import subprocess  # runs the user's own program, as the language host does  # noqa: S404  # nosec B404
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .analyzer import Analysis, PackRun
from .pack_config import load_config_file
from .project import Program

_HOST = Path(__file__).with_name("_host.py")
_PROGRAM_TIMEOUT_S = 900


class ProgramError(Exception):
    """The user's program failed; the message is the user's error, not ours."""

    def __init__(self, message: str, detail: str | None = None) -> None:
        super().__init__(message)
        self.detail = detail


@dataclass
class Outcome:
    registrations: list[dict[str, Any]]
    stack_outputs: dict[str, Any]
    logs: list[dict[str, str]]
    runs: list[PackRun] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)


def run_program(
    program: Program, mode: str
) -> tuple[list[dict[str, Any]], dict[str, Any], list[dict[str, str]]]:
    spec = {
        "programDir": str(program.directory),
        "main": str(program.main),
        "project": program.name,
        "stack": program.stack,
        "mode": mode,
        "config": program.config,
        "secretKeys": program.secret_keys,
        "region": program.region,
    }
    with tempfile.TemporaryDirectory(prefix="offline-preview-") as tmp:
        spec_path, out_path = Path(tmp, "spec.json"), Path(tmp, "out.json")
        spec_path.write_text(json.dumps(spec), encoding="utf-8")
        try:
            completed = subprocess.run(  # fixed argv, no shell  # noqa: S603  # nosec B603
                [program.interpreter, str(_HOST), str(spec_path), str(out_path)],
                capture_output=True,
                text=True,
                timeout=_PROGRAM_TIMEOUT_S,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise ProgramError(f"the program did not finish within {_PROGRAM_TIMEOUT_S}s") from exc
        if not out_path.exists():
            raise ProgramError(
                f"the program's interpreter {program.interpreter} failed before running it",
                completed.stderr.strip() or completed.stdout.strip(),
            )
        result = json.loads(out_path.read_text(encoding="utf-8"))
    logs = result["logs"] + [
        {"severity": "info", "message": line, "urn": ""}
        for line in completed.stdout.splitlines()
        if line.strip()
    ]
    if result["status"] != "ok":
        errors = [log["message"] for log in result["logs"] if log["severity"] == "error"]
        message = (
            result["message"] if result["kind"] == "RunError" else f"{result['kind']}: {result['message']}"
        )
        detail = "\n".join(
            part for part in (result.get("traceback"), *errors, completed.stderr.strip()) if part
        )
        raise ProgramError(message, detail or None)
    return result["registrations"], result["stackOutputs"], logs


def preview(
    program: Program, mode: str, packs: list[Path], pack_configs: list[Path], progress: Callable[[str], None]
) -> Outcome:
    started = time.perf_counter()
    progress(
        f"running {program.main.relative_to(program.directory)} for stack {program.stack!r} "
        f"(mode {mode}) under the mock engine"
    )
    registrations, stack_outputs, logs = run_program(program, mode)
    outcome = Outcome(registrations, stack_outputs, logs)
    outcome.timings["program"] = time.perf_counter() - started
    progress(f"program registered {len(registrations)} resources in {outcome.timings['program']:.1f}s")

    analysis = Analysis(program, registrations, dry_run=(mode == "preview"))
    started = time.perf_counter()
    for index, pack in enumerate(packs):
        config_file = pack_configs[index] if index < len(pack_configs) else None
        file_config = load_config_file(config_file) if config_file else None
        progress(f"analysing with policy pack {pack}" + (f" (config {config_file})" if config_file else ""))
        run = analysis.run(pack, file_config, str(config_file or "policy pack config"))
        for warning in run.warnings:
            progress(f"warning: {warning}")
        outcome.runs.append(run)
    outcome.timings["analysis"] = time.perf_counter() - started
    if packs:
        progress(f"{len(packs)} policy pack(s) analysed in {outcome.timings['analysis']:.1f}s")
    return outcome
