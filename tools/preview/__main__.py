"""`python -m tools.preview`: check a Pulumi Python stack against policy packs, with no cloud.

Exit codes: 0 no mandatory violation, 1 at least one, 2 usage, configuration or program error.
"""

from __future__ import annotations

import argparse
import json
import sys
import traceback
from pathlib import Path

from rich.console import Console

from . import report as report_module
from . import sarif
from .analyzer import PackError
from .pack_config import PackConfigError
from .project import ProjectError, load_program
from .render import render
from .runner import ProgramError, preview


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tools.preview",
        description="Run a Pulumi Python program on the SDK's mock engine and its policy packs on their real "
        "analyzer entry points. Nothing is deployed; no Pulumi CLI or cloud account is needed.",
    )
    parser.add_argument(
        "--cwd", type=Path, default=Path("."), help="the Pulumi project directory (default .)"
    )
    parser.add_argument(
        "--stack", help="stack name; reads Pulumi.<stack>.yaml (default: the only stack file)"
    )
    parser.add_argument(
        "--config-file", type=Path,
        help="use this stack configuration file instead of Pulumi.<stack>.yaml (as `pulumi preview "
        "--config-file` does)",
    )
    parser.add_argument(
        "--policy-pack",
        dest="packs",
        action="append",
        type=Path,
        default=[],
        help="a policy pack directory (repeatable)",
    )
    parser.add_argument(
        "--policy-pack-config",
        dest="pack_configs",
        action="append",
        type=Path,
        default=[],
        help="JSON config for the --policy-pack at the same position (repeatable)",
    )
    parser.add_argument(
        "--mode",
        choices=("preview", "deploy"),
        default="preview",
        help="preview: computed outputs are unknown, as in `pulumi preview`; deploy: every "
        "output is known, as policies see inputs during `pulumi up`",
    )
    parser.add_argument("--json", dest="json_file", type=Path, help="also write the report as JSON to FILE")
    parser.add_argument(
        "--sarif", dest="sarif_file", type=Path, help="also write the findings as SARIF 2.1.0 to FILE"
    )
    parser.add_argument("--no-tree", action="store_true", help="omit the resource tree from the printout")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of the tool's own errors")
    return parser


def _default_stack(directory: Path) -> str:
    stacks = sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in directory.glob("Pulumi.*.yaml"))
    if len(stacks) == 1:
        return stacks[0]
    raise ProjectError(
        "choose a stack with --stack "
        + (f"(found: {', '.join(stacks)})" if stacks else f"(no Pulumi.<stack>.yaml in {directory})")
    )


def _stack_of(config_file: Path) -> str:
    """The stack a config file is for, from its name (Pulumi.<stack>.yaml), as --stack would give it."""
    name = config_file.name
    if name.startswith("Pulumi.") and name.endswith((".yaml", ".yml")):
        return name.removeprefix("Pulumi.").rsplit(".", 1)[0]
    raise ProjectError(f"{config_file}: name the stack with --stack (the file is not Pulumi.<stack>.yaml)")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    # CI logs are not terminals: give long resource types room instead of wrapping them.
    out = Console(width=None if sys.stdout.isatty() else 160)
    err = Console(stderr=True, width=None if sys.stderr.isatty() else 160)
    if len(args.pack_configs) > len(args.packs):
        err.print("[red]error:[/red] more --policy-pack-config than --policy-pack flags")
        return 2
    try:
        stack = args.stack or (
            _stack_of(args.config_file) if args.config_file else _default_stack(args.cwd.resolve()))
        program = load_program(args.cwd, stack, args.config_file)
        for note in program.notes:
            err.print(f"[yellow]note:[/yellow] {note}")
        outcome = preview(
            program,
            args.mode,
            [p.resolve() for p in args.packs],
            [p.resolve() for p in args.pack_configs],
            lambda m: err.print(f"[dim]- {m}[/dim]"),
        )
    except ProgramError as exc:
        err.print(f"[red]error:[/red] the program failed:\n{exc}", markup=True, highlight=False)
        if exc.detail:
            err.print(exc.detail, markup=False, highlight=False)
        return 2
    except (ProjectError, PackConfigError, PackError) as exc:
        err.print(f"[red]error:[/red] {exc}", highlight=False)
        return 2
    except Exception:  # noqa: BLE001 - the tool's own failure: short unless --debug
        if args.debug:
            raise
        err.print(
            f"[red]internal error:[/red] {traceback.format_exc(limit=1).strip().splitlines()[-1]} "
            "(rerun with --debug for the traceback)"
        )
        return 2

    report = report_module.build(
        program.name, program.stack, args.mode, outcome.registrations, outcome.runs, region=program.region
    )
    report["timings"] = {k: round(v, 3) for k, v in outcome.timings.items()}
    report["stackOutputs"] = report_module.readable(outcome.stack_outputs)
    render(report, out, show_tree=not args.no_tree)
    if args.json_file:
        args.json_file.write_text(json.dumps(report, indent=2, sort_keys=False) + "\n", encoding="utf-8")
        err.print(f"[dim]- report written to {args.json_file}[/dim]")
    if args.sarif_file:
        sarif.write(args.sarif_file, report, program.directory)
        err.print(f"[dim]- SARIF written to {args.sarif_file}[/dim]")
    return 1 if report["summary"]["mandatory"] else 0


if __name__ == "__main__":
    sys.exit(main())
