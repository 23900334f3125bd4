"""Command line of the stack wizard: interactive by default, or every setting from flags and the environment
with --yes (for CI). Exit 0 when the stack file is written, 1 when it is written but a secret could not be
set, 2 when nothing is written (invalid settings, an existing file, ended input)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TextIO

import yaml

from components.settings import setting_specs
from tools.configure import answers as a
from tools.configure import stackfile as sf
from tools.configure.wizard import Aborted, Console, ask_stack, for_check, resolve, walk

_DESCRIPTION = ("Create Pulumi.<stack>.yaml: walks through every stack setting with its default, help text, "
                "and cost and security effect, and writes only a stack file the program can load.")
_EPILOG = ("Non-interactive (CI): python -m tools.configure --stack ci --yes --set owner=platform-team "
           "--set aws:region=eu-west-1 --from-env CHATBOT_  (CHATBOT_LOG_RETENTION_DAYS=30 sets "
           "chatbot:logRetentionDays; CHATBOT_STACK names the stack). Lists: comma-separated or JSON. "
           "Secrets only through the environment, never --set.")

_GREETING = ("Create a stack file. Enter keeps the value in brackets. Every answer is checked as you go, and "
             "the whole stack at the end.")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m tools.configure", description=_DESCRIPTION,
                                     epilog=_EPILOG)
    parser.add_argument("--stack", help="stack name (asked when missing, unless --yes)")
    parser.add_argument("--dir", type=Path, default=Path(), help="project directory (default: .)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", dest="assignments",
                        help="a setting's value, e.g. natGateway=false or aws:region=eu-west-1 (repeatable)")
    parser.add_argument("--from-env", metavar="PREFIX",
                        help="read settings from environment variables PREFIX<KEY>, e.g. CHATBOT_NAT_GATEWAY")
    parser.add_argument("--yes", action="store_true",
                        help="ask nothing: every setting from --set/--from-env, the rest default")
    parser.add_argument("--force", action="store_true", help="replace an existing stack file")
    return parser


def collect(assignments: Sequence[str], prefix: str | None, environ: Mapping[str, str]
            ) -> tuple[dict[str, a.Value], str | None, list[str]]:
    """Values from the environment, then --set (which wins); the stack name from PREFIX STACK; problems."""
    values: dict[str, a.Value] = {}
    problems: list[str] = []
    stack = None
    if prefix:
        by_env = {a.env_name(spec, prefix): spec for spec in setting_specs()}
        for name in sorted(environ):
            if not name.startswith(prefix):
                continue
            if name == f"{prefix}STACK":
                stack = environ[name]
            elif name in by_env:
                values[by_env[name].key] = a.parse_answer(environ[name], by_env[name])
            else:
                problems.append(f"{name}: unknown setting variable; known: {prefix}STACK, "
                                + ", ".join(sorted(by_env)))
    for assignment in assignments:
        name, sep, text = assignment.partition("=")
        spec, hint = a.resolve_key(name.strip())
        if not sep or spec is None:
            problems.append(f"--set {assignment.split('=')[0]}: " + (hint or "expected KEY=VALUE"))
        elif spec.setting.secret:
            variable = a.env_name(spec, prefix or "CHATBOT_")
            problems.append(f"--set {name}: {spec.key} is a secret; a command line is visible to other "
                            f"processes, so pass it in the environment ({variable} with --from-env) or "
                            "answer it interactively")
        else:
            values[spec.key] = a.parse_answer(text, spec)
    return values, stack, problems


def main(argv: Sequence[str] | None = None, *, stdin: TextIO | None = None, stdout: TextIO | None = None,
         stderr: TextIO | None = None, environ: Mapping[str, str] | None = None) -> int:
    args = _parser().parse_args(argv)
    out, err = stdout or sys.stdout, stderr or sys.stderr
    environ = os.environ if environ is None else environ
    values, env_stack, problems = collect(args.assignments, args.from_env, environ)
    stack = args.stack or env_stack
    directory: Path = args.dir
    if not (directory / "Pulumi.yaml").is_file():
        problems.append(f"{directory.resolve()} has no Pulumi.yaml: run from the project or pass --dir")
    if stack is not None and not a.STACK_NAME.fullmatch(stack):
        problems.append(f"stack name {stack!r}: use 1-100 letters, digits, '-', '_' or '.'")
    if stack is not None and (directory / f"Pulumi.{stack}.yaml").exists() and not args.force:
        problems.append(f"Pulumi.{stack}.yaml already exists; pass --force to replace it")
    if args.yes and stack is None:
        via_env = f" or {args.from_env}STACK" if args.from_env else ""
        problems.append(f"--yes needs a stack name: --stack NAME{via_env}")
    secrets = tuple(spec.key for spec in setting_specs() if spec.setting.secret)
    replace = args.force and stack is not None and a.STACK_NAME.fullmatch(stack)
    kept = sf.kept_from(directory / f"Pulumi.{stack}.yaml", secrets) if replace else sf.Kept({}, {})
    if args.yes:  # every problem at once: the flags' and the loader's
        if stack is not None:
            found = a.check(for_check(values, kept.secure), stack)
            problems += [f"{key}: {message}" for key, message in found]
        if problems or stack is None:
            return _fail(err, problems)
    elif problems:
        return _fail(err, problems)
    else:
        console = Console(stdin or sys.stdin, out)
        try:
            console.say(_GREETING)
            if stack is None:
                stack = ask_stack(console, directory, args.force)
                kept = sf.kept_from(directory / f"Pulumi.{stack}.yaml", secrets) if args.force else kept
            walk(console, values)
            resolve(console, values, stack, kept.secure)
        except Aborted as stop:
            return _fail(err, [str(stop)])
    return finish(stack, values, directory, args.force, kept, out, err)


def finish(stack: str, values: dict[str, a.Value], directory: Path, force: bool, kept: sf.Kept,
           out: TextIO, err: TextIO) -> int:
    """Write the stack file (secrets left out), check what was rendered, then set the secrets."""
    secret_values = {spec.key: str(values[spec.key]) for spec in setting_specs()
                     if spec.setting.secret and values.get(spec.key)}
    kept = sf.Kept(kept.top, {k: v for k, v in kept.secure.items() if k not in secret_values})
    cli = sf.pulumi_cli() if secret_values else None
    pending = () if cli else tuple(secret_values)
    config = a.written_config(values, skip=secret_values)
    path = directory / f"Pulumi.{stack}.yaml"
    text = sf.render(stack, config, pending, kept)
    rendered = (yaml.safe_load(text) or {}).get("config") or {}
    if rendered != {**config, **kept.secure}:  # the file must say exactly what was checked
        return _fail(err, [f"internal error: {path.name} would not read back as written"])
    try:
        sf.write_atomically(path, text, force=force)
    except sf.StackFileExists:
        return _fail(err, [f"{path.name} already exists; pass --force to replace it"])
    print(f"Wrote {path} ({len(config)} settings; the others take their defaults).", file=out)
    unset: list[str] = []
    for key, value in secret_values.items():
        problem = sf.set_secret(cli, key, value, stack, directory) if cli else "no `pulumi` CLI on PATH"
        if problem is None:
            print(f"Set {key} as a Pulumi secret of stack {stack} (encrypted; never in the file as plain "
                  "text).", file=out)
            continue
        unset.append(key)
        print(f"{key} is not set ({problem}). The stack file marks the gap; set it with:\n"
              f"  {sf.secret_command(key, stack)}\n(create the stack first with `pulumi stack init {stack}` "
              "if it does not exist; the value is read from the prompt or stdin)", file=out)
    if cli and unset:  # written without the marker, as the CLI was expected to succeed: add it
        sf.write_atomically(path, sf.render(stack, config, tuple(unset), kept), force=True)
    status = 1 if cli and unset else 0
    print(f"Next: make preview STACK={stack}", file=out)
    return status


def _fail(err: TextIO, problems: Sequence[str]) -> int:
    print(f"configure: nothing written ({len(problems)} {'problem' if len(problems) == 1 else 'problems'}):",
          file=err)
    for problem in problems:
        print(f"  - {problem}", file=err)
    return 2
