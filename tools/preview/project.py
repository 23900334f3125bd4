"""Reads a Pulumi project and one of its stacks the way the CLI does, with no CLI.

Config comes from the project's declarations in `Pulumi.yaml` (defaults and values) and from
`Pulumi.<stack>.yaml`, with the stack file winning. Values reach the program as the strings the
CLI passes (objects and arrays as JSON). `secure:` values cannot be decrypted offline: they become
a placeholder string marked secret, so the program still sees them as secrets.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml


class _CliYamlLoader(yaml.SafeLoader):
    """YAML as the Pulumi CLI (Go, YAML 1.2 core schema) reads it: only true/false are booleans, so
    `mfa: ON` stays the string "ON" instead of PyYAML's YAML 1.1 True."""


_CliYamlLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_CliYamlLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)

SECRET_PLACEHOLDER = "[secret: not decrypted by the offline preview]"  # noqa: S105  # nosec B105
_DECLARED_TYPES = {"string", "integer", "boolean", "array"}


class ProjectError(Exception):
    """A problem with the project or stack files; the message is for the user."""


@dataclass(frozen=True)
class Program:
    name: str
    directory: Path
    main: Path
    interpreter: str
    stack: str
    config: dict[str, str]
    secret_keys: list[str]
    notes: list[str] = field(default_factory=list)

    @property
    def region(self) -> str:
        return self.config.get("aws:region", "")


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_CliYamlLoader)  # a SafeLoader subclass  # noqa: S506  # nosec B506
    except yaml.YAMLError as exc:
        raise ProjectError(f"{path}: not valid YAML: {exc}") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ProjectError(f"{path}: expected a mapping at the top level")
    return data


def _find_project_file(directory: Path) -> Path:
    for candidate in ("Pulumi.yaml", "Pulumi.yml"):
        if (directory / candidate).is_file():
            return directory / candidate
    raise ProjectError(f"no Pulumi.yaml in {directory} (use --cwd to point at a Pulumi project)")


def _wire_value(value: Any) -> str:
    """The string the CLI hands the program for a config value."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)


def _contains_secure(value: Any) -> bool:
    if isinstance(value, dict):
        return set(value) == {"secure"} or any(_contains_secure(v) for v in value.values())
    if isinstance(value, list):
        return any(_contains_secure(v) for v in value)
    return False


def _replace_secure(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"secure"}:
            return SECRET_PLACEHOLDER
        return {k: _replace_secure(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace_secure(v) for v in value]
    return value


def _full_key(key: str, project: str) -> str:
    return key if ":" in key else f"{project}:{key}"


def _check_type(key: str, declared: str, value: Any, where: str) -> str | None:
    if declared == "integer" and not (isinstance(value, int) and not isinstance(value, bool)):
        if not (isinstance(value, str) and value.lstrip("-").isdigit()):
            return f"{key}: {where} must be an integer, got {value!r}"
    if declared == "boolean" and not isinstance(value, bool) and value not in ("true", "false"):
        return f"{key}: {where} must be a boolean (true or false), got {value!r}"
    if declared == "array" and not isinstance(value, list):
        return f"{key}: {where} must be an array, got {value!r}"
    if declared == "string" and isinstance(value, (dict, list)):
        return f"{key}: {where} must be a string, got {value!r}"
    return None


def _interpreter(directory: Path, runtime: Any) -> str:
    options = runtime.get("options", {}) if isinstance(runtime, dict) else {}
    venv = options.get("virtualenv") if isinstance(options, dict) else None
    if venv:
        candidate = directory / venv / "bin" / "python"
        if candidate.exists():
            return str(candidate)
    return sys.executable


def load_program(directory: Path, stack: str, config_file: Path | None = None) -> Program:
    """`config_file` replaces Pulumi.<stack>.yaml, as the CLI's --config-file does."""
    directory = directory.resolve()
    project_file = _find_project_file(directory)
    project = _read_yaml(project_file)
    name = project.get("name")
    if not isinstance(name, str) or not name:
        raise ProjectError(f"{project_file}: `name` is required")
    runtime = project.get("runtime")
    runtime_name = runtime.get("name") if isinstance(runtime, dict) else runtime
    if runtime_name != "python":
        raise ProjectError(
            f"{project_file}: runtime is {runtime_name!r}; the offline preview runs python programs"
        )

    main = directory / str(project.get("main", "."))
    if main.is_dir():
        main = main / "__main__.py"
    if not main.is_file():
        raise ProjectError(f"{project_file}: program entry point {main} does not exist")

    stack_file = config_file.resolve() if config_file is not None else directory / f"Pulumi.{stack}.yaml"
    if not stack_file.is_file():
        raise ProjectError(
            f"no stack file {stack_file.name} in {directory} (stack {stack!r} is not configured)"
        )
    stack_config = _read_yaml(stack_file).get("config") or {}
    if not isinstance(stack_config, dict):
        raise ProjectError(f"{stack_file}: `config` must be a mapping")

    problems: list[str] = []
    notes: list[str] = []
    values: dict[str, Any] = {}
    declared_types: dict[str, str] = {}
    required: list[str] = []
    declarations = project.get("config") or {}
    if not isinstance(declarations, dict):
        raise ProjectError(f"{project_file}: `config` must be a mapping")
    for raw_key, decl in declarations.items():
        key = _full_key(str(raw_key), name)
        if not isinstance(decl, dict):
            values[key] = decl  # short form: `key: value`
            continue
        declared = decl.get("type")
        if declared is not None:
            if declared not in _DECLARED_TYPES:
                problems.append(f"{key}: Pulumi.yaml declares unsupported type {declared!r}")
            declared_types[key] = declared
        for source in ("value", "default"):
            if source in decl:
                values[key] = decl[source]
                break
        else:
            required.append(key)  # a project key with neither default nor value must be set by the stack

    secret_keys: list[str] = []
    for raw_key, value in stack_config.items():
        key = _full_key(str(raw_key), name)
        if _contains_secure(value):
            secret_keys.append(key)
            value = _replace_secure(value)
        values[key] = value

    for key in required:
        if key not in values:
            problems.append(
                f"{key}: required by Pulumi.yaml but not set in {stack_file.name} "
                f"(pulumi config set {key.split(':', 1)[1]} <value> --stack {stack})"
            )
    for key, declared in declared_types.items():
        if key in values:
            problem = _check_type(key, declared, values[key], f"value in {stack_file.name}")
            if problem:
                problems.append(problem)
    if _read_yaml(stack_file).get("environment"):
        notes.append(
            f"{stack_file.name} imports Pulumi ESC environments; the offline preview cannot open them"
        )
    if problems:
        raise ProjectError("invalid stack configuration:\n  - " + "\n  - ".join(problems))

    return Program(
        name=name,
        directory=directory,
        main=main,
        interpreter=_interpreter(directory, runtime),
        stack=stack,
        config={k: _wire_value(v) for k, v in values.items()},
        secret_keys=sorted(secret_keys),
        notes=notes,
    )
