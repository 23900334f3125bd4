"""Build `StackSettings` from the flat Pulumi config map, reporting every problem at once."""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Collection, Iterable, Mapping
from typing import Any

import pulumi
from pulumi.runtime import config as runtime_config
from pydantic import ValidationError

from components.settings.errors import SettingsError, SettingsProblem
from components.settings.model import (
    CONFIG_NAMESPACE,
    SKIP_RULES_FOR,
    SettingSpec,
    StackSettings,
    setting_specs,
)
from components.settings.rules import RuleViolation

# Names the reference chatbot's config used, so a migrating user is pointed at ours.
_REFERENCE_NAMES = {
    "createcmks": "customerManagedKeys",
    "retainondelete": "retainData",
    "logretention": "logRetentionDays",
    "domain": "customDomain",
    "certificate": "certificateArn",
    "cfgeorestrictlist": "geoAllowlist",
}
_INTEGER = re.compile(r"[+-]?\d+")


class _TypeProblem(Exception):
    """A config value that is not text of the declared config type."""


def settings_from_config(
    config: Mapping[str, str], stack: str, *, secret_keys: Collection[str] = ()
) -> StackSettings:
    """Validate the flat config map ("ns:key" -> value text, as Pulumi passes it) of `stack`.

    `secret_keys` are the keys whose values Pulumi holds as secrets (`pulumi config set --secret`); a secret
    setting given as plain text is an error. Keys of other namespaces are ignored, except `aws:region`.
    Raises SettingsError listing every problem.
    """
    specs = setting_specs()
    problems = _unknown_key_problems(config, specs)
    data: dict[str, Any] = {"stack": stack}
    bad_fields: set[str] = set()
    for spec in specs:
        if spec.key not in config:
            continue
        try:
            _check_secrecy(config[spec.key], spec, secret_keys)
            data[spec.name] = _parse(config[spec.key], spec)
        except _TypeProblem as problem:
            problems.append(SettingsProblem(spec.key, str(problem)))
            bad_fields.add(spec.field_name)

    field_problems, invalid = _validate(data, bad_fields, specs)
    problems.extend(field_problems)
    if invalid:
        # Fields failed, so the model's cross-field rules did not run. Run them again with the failed
        # fields set to valid stand-ins and skipped, so the user still sees every problem in one pass.
        stand_in = _with_stand_ins(data, bad_fields | invalid, specs)
        more, _ = _validate(stand_in, bad_fields | invalid, specs)
        problems.extend(more)
    if problems:
        raise SettingsError(dict.fromkeys(problems))  # drop repeats, keep order
    return StackSettings.model_validate(data)


def load_settings() -> StackSettings:
    """Settings of the running Pulumi program, from the engine's config, secret keys and the stack name."""
    merged: dict[str, Any] = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    # The engine names secret keys in PULUMI_CONFIG_SECRET_KEYS; a runtime given its config directly
    # (set_all_config, as mocks and the offline preview do) answers is_config_secret instead.
    secret_keys = set(runtime_config.get_config_secret_keys_env())
    secret_keys.update(key for key in merged if runtime_config.is_config_secret(key))
    return settings_from_config(
        {key: _as_text(value) for key, value in merged.items()}, pulumi.get_stack(), secret_keys=secret_keys
    )


def _as_text(value: Any) -> str:
    # The engine passes text; values set programmatically may not be, so render them as Pulumi would.
    return value if isinstance(value, str) else json.dumps(value)


def _unknown_key_problems(config: Mapping[str, str], specs: Iterable[SettingSpec]) -> list[SettingsProblem]:
    known = {spec.name for spec in specs if spec.setting.namespace == CONFIG_NAMESPACE}
    by_lower = {name.lower(): name for name in known}
    problems = []
    for key in sorted(config):
        namespace, _, name = key.partition(":")
        if namespace != CONFIG_NAMESPACE or name in known:
            continue
        guess = _REFERENCE_NAMES.get(name.lower())
        if guess is None:
            close = difflib.get_close_matches(name.lower(), by_lower, n=1, cutoff=0.6)
            guess = by_lower[close[0]] if close else None
        hint = (f"did you mean {CONFIG_NAMESPACE}:{guess}?" if guess
                else "known settings: " + ", ".join(sorted(known)))
        problems.append(SettingsProblem(key, f"unknown setting, the stack does not read it; {hint}"))
    return problems


def _check_secrecy(text: str, spec: SettingSpec, secret_keys: Collection[str]) -> None:
    # An empty value is "not set" (the declared default), so only a real plaintext value is refused.
    if spec.setting.secret and text != "" and spec.key not in secret_keys:
        raise _TypeProblem(
            "must be a Pulumi secret, but the stack holds it as plain text: set it with "
            f"`pulumi config set --secret {spec.key} <value>` (which replaces the plain value) "
            "(SEC-NO-PLAINTEXT-SECRETS)"
        )


def _parse(text: str, spec: SettingSpec) -> Any:
    kind = spec.setting.config_type
    if kind == "string":
        return text
    if kind == "boolean":
        if text in ("true", "false"):
            return text == "true"
        raise _TypeProblem(f"expected a boolean, true or false (got {_shown(text)})")
    if kind == "integer":
        return _parse_integer(text)
    try:
        value = json.loads(text)
    except ValueError:
        value = None
    if kind == "objects":
        if isinstance(value, list) and all(isinstance(item, dict) for item in value):
            return tuple(value)
        raise _TypeProblem("expected a list of mappings (a YAML list of key: value blocks in the stack "
                           f"file) (got {_shown(text)})")
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return tuple(value)
    raise _TypeProblem(f"expected a list of strings (a YAML list in the stack file) (got {_shown(text)})")


def _parse_integer(text: str) -> int:
    if _INTEGER.fullmatch(text.strip()):
        return int(text)
    try:
        number = float(text)
    except ValueError:
        number = float("nan")
    if number.is_integer():  # "7.0": integral, so accepted; NaN and infinities are not
        return int(number)
    raise _TypeProblem(f"expected a whole number (got {_shown(text)})")


def _validate(
    data: Mapping[str, Any], skip: set[str], specs: tuple[SettingSpec, ...]
) -> tuple[list[SettingsProblem], set[str]]:
    """Problems from the model and the fields they make invalid (field errors hide cross-field ones)."""
    try:
        StackSettings.model_validate(data, context={SKIP_RULES_FOR: frozenset(skip)})
    except ValidationError as error:
        return _convert(error, skip, specs)
    return [], set()


def _convert(
    error: ValidationError, skip: set[str], specs: tuple[SettingSpec, ...]
) -> tuple[list[SettingsProblem], set[str]]:
    by_name = {spec.name: spec for spec in specs}
    problems: list[SettingsProblem] = []
    invalid: set[str] = set()
    for detail in error.errors():
        if detail["type"] == "cross_field":
            violations: list[RuleViolation] = detail["ctx"]["violations"]
            problems.extend(_violation_problem(violation, specs) for violation in violations)
            continue
        spec = by_name.get(str(detail["loc"][0])) if detail["loc"] else None
        if spec is None:  # the stack name: given by Pulumi, never by the user
            problems.append(SettingsProblem("stack", "the stack name must not be empty"))
            continue
        reported = spec.field_name in skip or spec.field_name in invalid  # a type error, or a second error
        invalid.add(spec.field_name)
        if not reported:
            problems.append(SettingsProblem(spec.key, _field_message(detail, spec)))
    return problems, invalid


def _field_message(detail: Mapping[str, Any], spec: SettingSpec) -> str:
    rule = spec.setting.rule
    if detail["type"] == "missing":
        example = spec.setting.example or "<value>"
        return f"is required: set it with `pulumi config set {spec.key} {example}`; allowed: {rule}"
    # Our own validators word their messages; pydantic's built-in ones are replaced by the rule.
    message = detail["msg"] if detail["type"] == "setting" else f"must be {rule}"
    if spec.setting.secret:
        return message  # a secret's value never appears in a message
    return f"{message} (got {_shown(detail['input'])})"


def _shown(value: Any) -> str:
    if isinstance(value, tuple):
        value = list(value)
    return json.dumps(value) if isinstance(value, str | bool | int | list) else repr(value)


def _violation_problem(violation: RuleViolation, specs: tuple[SettingSpec, ...]) -> SettingsProblem:
    keys = {spec.field_name: spec.key for spec in specs}
    return SettingsProblem(", ".join(keys[name] for name in violation.fields), violation.message)


def _with_stand_ins(
    data: Mapping[str, Any], fields: set[str], specs: tuple[SettingSpec, ...]
) -> dict[str, Any]:
    stand_in = dict(data)
    for spec in specs:
        if spec.field_name not in fields:
            continue
        stand_in.pop(spec.name, None)
        if spec.required:
            stand_in[spec.name] = spec.setting.example
    return stand_in
