"""Policy pack configuration, reconciled and validated the way the Pulumi CLI does it.

The CLI (pkg/resource/analyzer/config.go) builds an entry for every policy from its default
enforcement level and the `default`s of its config schema, applies the pack's initialConfig, then
the user's `--policy-pack-config` file, validates each policy's properties against its schema and
sends the result to the pack's `Configure`. The SDK applies none of the schema defaults itself.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
from google.protobuf import json_format
from pulumi.runtime.proto import analyzer_pb2

LEVELS = {
    "advisory": analyzer_pb2.ADVISORY,
    "mandatory": analyzer_pb2.MANDATORY,
    "remediate": analyzer_pb2.REMEDIATE,
    "disabled": analyzer_pb2.DISABLED,
}
LEVEL_NAMES = {v: k for k, v in LEVELS.items()}


class PackConfigError(Exception):
    """Invalid policy pack configuration; the message names the policy and the problem."""


def load_config_file(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise PackConfigError(f"policy pack config file {path} does not exist") from exc
    except json.JSONDecodeError as exc:
        raise PackConfigError(f"{path}: not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise PackConfigError(f"{path}: expected a JSON object keyed by policy name")
    return data


def _parse_entry(name: str, value: Any) -> tuple[str | None, dict[str, Any]]:
    if isinstance(value, str):
        if value not in LEVELS:
            raise PackConfigError(
                f"parsing enforcement level for {name!r}: {value!r} is not a valid "
                f"enforcement level (allowed: {', '.join(LEVELS)})"
            )
        return value, {}
    if isinstance(value, dict):
        props = dict(value)
        level = props.pop("enforcementLevel", None)
        if level is not None and level not in LEVELS:
            raise PackConfigError(
                f"parsing enforcement level for {name!r}: {level!r} is not a valid "
                f"enforcement level (allowed: {', '.join(LEVELS)})"
            )
        return level, props
    raise PackConfigError(f"parsing {name!r}: {value!r} is not a valid value; must be a string or object")


def _apply(
    result: dict[str, dict[str, Any]], config: dict[str, Any], origin: str, warnings: list[str]
) -> None:
    if "all" in config:
        level, _ = _parse_entry("all", config["all"])
        if level is not None:
            for entry in result.values():
                entry["level"] = level
    for name, value in config.items():
        level, props = _parse_entry(name, value)
        if name not in result:
            # The CLI keeps unknown names (and "all") as entries of their own; the pack ignores them.
            if level is None:
                raise PackConfigError(
                    f'{origin}: {name!r} has no enforcement level (invalid enforcement level "")'
                )
            if name != "all":
                warnings.append(
                    f"{origin} configures {name!r}, which is not a policy of this pack; the Pulumi "
                    f"CLI ignores it too"
                )
            result[name] = {"level": level, "properties": {}}
        if level is not None:
            result[name]["level"] = level
        result[name]["properties"].update(props)


def _schema(policy: analyzer_pb2.PolicyInfo) -> dict[str, Any]:
    schema = json_format.MessageToDict(policy.configSchema, preserving_proto_field_name=True)
    return {
        "type": "object",
        "properties": schema.get("properties", {}),
        "required": schema.get("required", []),
    }


def reconcile(
    info: analyzer_pb2.AnalyzerInfo,
    file_config: dict[str, Any] | None,
    origin: str = "policy pack config",
    warnings: list[str] | None = None,
) -> dict[str, analyzer_pb2.PolicyConfig]:
    """Returns the Configure payload: every policy of the pack, plus any other name the config gave
    (the CLI keeps those too; each is appended to ``warnings``)."""
    warnings = warnings if warnings is not None else []
    result: dict[str, dict[str, Any]] = {}
    for policy in info.policies:
        defaults = {
            k: v["default"]
            for k, v in _schema(policy)["properties"].items()
            if isinstance(v, dict) and "default" in v
        }
        result[policy.name] = {
            "level": LEVEL_NAMES.get(policy.enforcementLevel, "advisory"),
            "properties": defaults,
        }
    # The proto cannot tell "advisory" from "unset", and neither can the CLI: it takes the value as sent.
    initial = {
        name: {
            "enforcementLevel": LEVEL_NAMES.get(entry.enforcementLevel, "advisory"),
            **json_format.MessageToDict(entry.properties),
        }
        for name, entry in info.initialConfig.items()
    }
    _apply(result, initial, "the pack's initial config", warnings)
    if file_config:
        _apply(result, file_config, origin, warnings)

    problems = []
    for policy in info.policies:
        schema = _schema(policy)
        validator = jsonschema.Draft7Validator(schema)
        for error in sorted(validator.iter_errors(result[policy.name]["properties"]), key=str):
            where = "/".join(str(p) for p in error.absolute_path) or "(root)"
            problems.append(f"{policy.name}: {where}: {error.message}")
    if problems:
        raise PackConfigError("validating policy config:\n  - " + "\n  - ".join(problems))

    configured: dict[str, analyzer_pb2.PolicyConfig] = {}
    for name, entry in result.items():
        message = analyzer_pb2.PolicyConfig(enforcementLevel=LEVELS[entry["level"]])
        if entry["properties"]:
            message.properties.update(entry["properties"])
        configured[name] = message
    return configured
