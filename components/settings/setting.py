"""How a settings field appears in Pulumi config, and the small checks fields share.

Each config-backed field carries a `Setting` in its `Annotated` metadata. That one declaration drives the
validation message, the loader's parsing, the `config:` block of Pulumi.yaml and the settings table in the
docs (tools/settings_doc.py), so they cannot drift apart.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic_core import PydanticCustomError

CONFIG_NAMESPACE = "chatbot"
# Validation context key: fields already reported as invalid, whose cross-field rules must not run.
SKIP_RULES_FOR = "skip_rules_for"

# "objects": a list of mappings. Pulumi.yaml cannot declare its type (project config types are scalars and
# arrays of them), so such keys are validated here only and documented in the settings table.
ConfigType = Literal["string", "integer", "boolean", "array", "objects"]
Environment = Literal["dev", "staging", "prod"]

REGION_PATTERN = r"^[a-z]{2}(-gov)?-[a-z]+-\d$"


@dataclass(frozen=True)
class Setting:
    """How a field appears in Pulumi config. `allowed` is None when the field's type says it all.

    `secret` fields must be set with `pulumi config set --secret`; their values never appear in messages.
    `effect` says what the choice costs and what it changes for security (shown by the stack wizard).
    """

    config_type: ConfigType
    rule: str
    allowed: Callable[[Any], bool] | None = None
    dev_relaxation: str | None = None
    namespace: str = CONFIG_NAMESPACE
    example: str | None = None  # a valid value, shown in "is required" messages
    secret: bool = False
    effect: str | None = None


def matches(pattern: str) -> Callable[[Any], bool]:
    compiled = re.compile(pattern)
    return lambda value: compiled.fullmatch(value) is not None


def one_of(values: tuple[int, ...]) -> Callable[[Any], bool]:
    return lambda value: value in values


def between(low: int, high: int) -> Callable[[Any], bool]:
    return lambda value: low <= value <= high


def setting_error(message: str) -> PydanticCustomError:
    """A field error whose message the loader shows as written (type "setting")."""
    return PydanticCustomError("setting", "{message}", {"message": message})


def repeated(values: Sequence[str]) -> list[str]:
    return sorted({value for value in values if values.count(value) > 1})


def check_items(
    values: Sequence[str], valid: Callable[[str], bool], what: str, allowed: str, also: Sequence[str] = ()
) -> Sequence[str]:
    """A list setting's items: each valid, none repeated. One message names every bad item (after `also`)."""
    details = list(also)
    invalid = [value for value in values if not valid(value)]
    if invalid:
        details.append(f"not {what}: {', '.join(map(repr, invalid))}")
    twice = repeated(values)
    if twice:
        details.append(f"listed more than once: {', '.join(twice)}")
    if details:
        raise setting_error("; ".join(details) + f"; allowed: {allowed}")
    return values


def check_objects(
    value: Any, kind: type, build: Callable[[int, dict[str, Any]], Any], allowed_keys: Sequence[str], *,
    name_of: Callable[[Any], str], max_items: int, what: str,
) -> tuple[Any, ...]:
    """A list-of-mappings setting: each item's keys among `allowed_keys`, then `build(index, item)` (which
    raises ValueError naming what is wrong); at most `max_items`, with unique names (`name_of`, compared
    case-insensitively). One message names every bad item by its position. Items already of `kind` (a
    validated settings object passed again) are taken as they are."""
    if not isinstance(value, (list, tuple)):
        raise setting_error("must be a list of mappings")
    if all(isinstance(item, kind) for item in value):
        return tuple(value)
    built, details = [], []
    for index, item in enumerate(value):
        if not isinstance(item, dict):
            details.append(f"[{index}]: expected a mapping")
            continue
        unknown = sorted(set(item) - set(allowed_keys))
        if unknown:
            details.append(f"[{index}]: unknown keys {', '.join(unknown)} "
                           f"(allowed: {', '.join(allowed_keys)})")
            continue
        try:
            built.append(build(index, item))
        except (ValueError, TypeError) as error:
            details.append(f"[{index}]: {error}")
    if details:
        raise setting_error("; ".join(details))
    if len(built) > max_items:
        raise setting_error(f"at most {max_items} {what}, got {len(built)}")
    names = [name_of(item).lower() for item in built]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise setting_error(f"{what} names must be unique; listed more than once: {', '.join(twice)}")
    return tuple(built)
