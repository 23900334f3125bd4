"""The shape of a cross-field rule, and the wording rules share."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from components.settings.model import StackSettings


@dataclass(frozen=True)
class RuleViolation:
    fields: tuple[str, ...]  # model field names, in the order the error names them
    message: str


@dataclass(frozen=True)
class Rule:
    fields: tuple[str, ...]  # named in the error
    check: Callable[[StackSettings], str | None]
    depends: tuple[str, ...] = ()  # also read, but not named: the rule is skipped when one is invalid

    def reads(self) -> frozenset[str]:
        return frozenset(self.fields + self.depends)


def paired(key: str, is_set: bool, needed: bool, when: str, how: str = "") -> str | None:
    """A setting that is required in one situation and meaningless (so a mistake) in every other."""
    if needed and not is_set:
        return f"{key} is required when {when}{how}"
    if is_set and not needed:
        return f"{key} is only used when {when}; leave it empty (a value here would be silently ignored)"
    return None


def outside_dev(s: StackSettings, key: str, value: object, catalogue_id: str, why: str) -> str:
    return (f"{key} {value} is allowed only when environment is dev, not {s.environment}: {why} "
            f"({catalogue_id})")
