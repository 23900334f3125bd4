"""Answers of the wizard: text as a user types it, turned into config values and checked by the real loader.

Values are kept in config form: str, bool, int, list[str] or a list of mappings, as they appear in a stack
file. The loader sees them flattened to the text Pulumi passes a program (booleans true/false, lists as JSON).
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from components.settings import (
    CONFIG_NAMESPACE,
    SettingsError,
    SettingSpec,
    setting_specs,
    settings_from_config,
)

Value = str | bool | int | list[str] | list[dict[str, Any]]
CLEAR = "-"  # typed to empty an optional value that has one
STACK_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")  # what `pulumi stack init` accepts, without an org
_TRUE = {"true", "yes", "y"}
_FALSE = {"false", "no", "n"}


def specs_by_key() -> dict[str, SettingSpec]:
    return {spec.key: spec for spec in setting_specs()}


def resolve_key(name: str) -> tuple[SettingSpec | None, str]:
    """The setting a user means by `name` (`natGateway`, `chatbot:natGateway`, `region`, `aws:region`).

    Returns the spec, or None and a hint naming the closest known key.
    """
    specs = specs_by_key()
    if name in specs:
        return specs[name], ""
    by_name = {spec.name.lower(): spec for spec in specs.values()}
    bare = name.removeprefix(f"{CONFIG_NAMESPACE}:").lower()
    if bare in by_name:
        return by_name[bare], ""
    close = difflib.get_close_matches(bare, by_name, n=1, cutoff=0.6)
    known = "known settings: " + ", ".join(sorted(specs))
    hint = f"did you mean {by_name[close[0]].key}?" if close else known
    return None, f"unknown setting {name!r}; {hint}"


def env_name(spec: SettingSpec, prefix: str) -> str:
    """`CHATBOT_` + logRetentionDays -> CHATBOT_LOG_RETENTION_DAYS."""
    return prefix + re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", spec.name).upper()


def parse_answer(text: str, spec: SettingSpec) -> Value:
    """A typed answer in config form. Text the loader will refuse is passed on as it is, so the loader's
    own message explains what is wrong."""
    text = text.strip()
    kind = spec.setting.config_type
    if text == CLEAR:
        return [] if kind in ("array", "objects") else ""
    if kind == "boolean":
        lowered = text.lower()
        return True if lowered in _TRUE else False if lowered in _FALSE else text
    if kind == "integer":
        try:
            number = float(text)
        except ValueError:
            return text
        return int(number) if number.is_integer() else text
    if kind == "array":
        if text.startswith("["):
            try:
                items = json.loads(text)
            except ValueError:
                return text
            return items if isinstance(items, list) and all(isinstance(i, str) for i in items) else text
        return [item for item in re.split(r"[,\s]+", text) if item]
    if kind == "objects":  # a JSON list of mappings, as `pulumi config set --path` would build it
        try:
            items = json.loads(text)
        except ValueError:
            return text
        return items if isinstance(items, list) and all(isinstance(i, dict) for i in items) else text
    return text


def config_text(value: Value) -> str:
    """The text Pulumi hands the program for a stack-file value."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return json.dumps(value)
    return str(value)


def shown(value: Value, spec: SettingSpec) -> str:
    """A value as the wizard prints it; a secret is never shown."""
    if spec.setting.secret:
        return "(set, hidden)" if value else "(none)"
    if value == "" or value == []:
        return "(none)"
    if isinstance(value, list):
        return ", ".join(v if isinstance(v, str) else json.dumps(v) for v in value)
    return config_text(value)


def is_default(value: Value, spec: SettingSpec) -> bool:
    return not spec.required and value == spec.default


def stand_ins() -> dict[str, Value]:
    """Valid values of the required settings, so one answer can be checked on its own."""
    return {spec.key: spec.setting.example or "" for spec in setting_specs() if spec.required}


def check(config: Mapping[str, Value], stack: str) -> list[tuple[str, str]]:
    """Every problem the real loader finds in `config`, as (key or keys, message) pairs."""
    secrets = {spec.key for spec in setting_specs() if spec.setting.secret}
    flat = {key: config_text(value) for key, value in config.items()}
    try:
        settings_from_config(flat, stack, secret_keys=secrets & flat.keys())
    except SettingsError as error:
        return [(problem.key, problem.message) for problem in error.problems]
    return []


def field_problems(spec: SettingSpec, value: Value) -> list[str]:
    """The type and per-field rule problems of one answer. Cross-field rules always name two or more keys,
    so a problem keyed by this setting alone is one of its own."""
    return [message for key, message in check({**stand_ins(), spec.key: value}, "check") if key == spec.key]


def keys_of(problem_key: str) -> list[str]:
    """The config keys a problem names ("chatbot:a, chatbot:b" for a cross-field rule)."""
    return [key for key in problem_key.split(", ") if key]


def written_config(answers: Mapping[str, Value], skip: Iterable[str] = ()) -> dict[str, Value]:
    """What the stack file holds: required settings and those that differ from their defaults, in the
    settings model's order, minus `skip` (secrets, which never go in the file)."""
    left_out = set(skip)
    return {
        spec.key: answers[spec.key]
        for spec in setting_specs()
        if spec.key in answers and spec.key not in left_out
        and (spec.required or not is_default(answers[spec.key], spec))
    }
