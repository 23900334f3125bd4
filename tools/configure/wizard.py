"""The interactive walk through every setting: help from the settings model, each answer checked at once,
the whole set checked by the loader at the end, with the answers to change asked again."""

from __future__ import annotations

import getpass
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from components.settings import SettingSpec, setting_specs
from tools.configure import answers as a

_ENDED = "the input ended before every question was answered; nothing was written"


class Aborted(Exception):
    """The user ended the input or declined to fix the answers: nothing is written."""


@dataclass
class Console:
    """Where questions go and answers come from; a secret is read without echo on a terminal."""

    stdin: TextIO
    stdout: TextIO
    read_secret: Callable[[str], str] | None = None
    _secret: Callable[[str], str] = field(init=False)

    def __post_init__(self) -> None:
        self._secret = self.read_secret or (getpass.getpass if _is_tty(self.stdin) else self.ask)

    def say(self, text: str = "") -> None:
        print(text, file=self.stdout)

    def ask(self, prompt: str) -> str:
        self.stdout.write(prompt)
        self.stdout.flush()
        line = self.stdin.readline()
        if not line:
            raise Aborted(_ENDED)
        return line.rstrip("\n")

    def ask_secret(self, prompt: str) -> str:
        try:
            return self._secret(prompt)
        except EOFError as error:
            raise Aborted(_ENDED) from error


def _is_tty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def ask_stack(console: Console, directory: Path, force: bool) -> str:
    while True:
        name = console.ask("Stack name (e.g. dev, staging, prod): ").strip()
        if not a.STACK_NAME.fullmatch(name):
            console.say("  ! a stack name is 1-100 letters, digits, '-', '_' or '.'")
        elif (directory / f"Pulumi.{name}.yaml").exists() and not force:
            console.say(f"  ! Pulumi.{name}.yaml already exists; choose another name, or run again with "
                        "--force to replace it")
        else:
            return name


def explain(console: Console, spec: SettingSpec, position: int, total: int) -> None:
    setting = spec.setting
    console.say()
    required = ", required" if spec.required else ""
    console.say(f"[{position}/{total}] {spec.key} ({setting.config_type}{required})")
    console.say(f"  {spec.description}")
    console.say(f"  Allowed: {setting.rule}")
    if setting.effect:
        console.say(f"  Cost and security: {setting.effect}")
    if setting.dev_relaxation and spec.name != "environment":  # its own text speaks of the docs' table
        console.say(f"  Dev-only relaxation: {setting.dev_relaxation}")


def ask_setting(console: Console, spec: SettingSpec, current: a.Value) -> a.Value:
    """One setting, asked until the answer passes its type and its own rule."""
    shown = a.shown(current, spec)
    clearable = spec.default in ("", []) and current not in ("", [])  # only settings that may be empty
    hint = " ('-' clears it)" if clearable else ""
    while True:
        prompt = f"{spec.name} [{shown}]{hint}: "
        text = console.ask_secret(prompt) if spec.setting.secret else console.ask(prompt)
        value = current if text.strip() == "" else a.parse_answer(text, spec)
        problems = a.field_problems(spec, value)
        if not problems:
            return value
        for problem in problems:
            console.say(f"  ! {spec.key}: {problem}")
        console.say("  Please answer again.")


def walk(console: Console, values: dict[str, a.Value], keys: Iterable[str] | None = None) -> None:
    """Ask every setting (or only `keys`), in the settings model's order, updating `values`."""
    wanted = None if keys is None else set(keys)
    specs = [spec for spec in setting_specs() if wanted is None or spec.key in wanted]
    for position, spec in enumerate(specs, start=1):
        explain(console, spec, position, len(specs))
        values[spec.key] = ask_setting(console, spec, values.get(spec.key, _start(spec)))


def _start(spec: SettingSpec) -> a.Value:
    return "" if spec.default is None else spec.default


def resolve(console: Console, values: dict[str, a.Value], stack: str,
            extra_secrets: Iterable[str] = ()) -> None:
    """Check the whole set with the loader; while it fails, explain and ask the answers involved again.

    `extra_secrets` are secret keys already held as Pulumi secrets (kept from the file being replaced).
    """
    while True:
        problems = a.check(for_check(values, extra_secrets), stack)
        if not problems:
            return
        console.say()
        console.say(f"The answers do not make a valid stack ({len(problems)} "
                    f"{'problem' if len(problems) == 1 else 'problems'}):")
        involved: list[str] = []
        for key, message in problems:
            console.say(f"  - {key}: {message}")
            involved += [k for k in a.keys_of(key) if k not in involved]
        console.say("Change one or more of these answers: " + ", ".join(involved))
        reply = console.ask("Ask them again now? [Y/n]: ").strip().lower()
        if reply in ("n", "no"):
            raise Aborted("the answers were left invalid; nothing was written")
        walk(console, values, involved)


def for_check(values: dict[str, a.Value], extra_secrets: Iterable[str] = ()) -> dict[str, a.Value]:
    """The config the stack will have: what the file holds, the secrets set through Pulumi, and stand-ins
    for secrets already held encrypted."""
    config = a.written_config(values)
    for key in extra_secrets:
        config.setdefault(key, "held-as-a-pulumi-secret")
    return config
