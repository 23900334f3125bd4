"""Errors raised when the stack's Pulumi config does not make a valid settings object."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class SettingsProblem:
    """One thing wrong with the config.

    `key` is the full config key (`chatbot:logRetentionDays`), or several joined by ", " when a rule
    involves more than one key.
    """

    key: str
    message: str

    def render(self) -> str:
        return f"{self.key}: {self.message}"


class SettingsError(Exception):
    """Every problem found in the config, reported at once so a user fixes them in one pass."""

    def __init__(self, problems: Iterable[SettingsProblem]) -> None:
        self.problems: tuple[SettingsProblem, ...] = tuple(problems)
        if not self.problems:
            raise ValueError("SettingsError needs at least one problem")
        super().__init__(self._render())

    def _render(self) -> str:
        count = len(self.problems)
        noun = "problem" if count == 1 else "problems"
        lines = [f"Invalid stack settings ({count} {noun}):"]
        lines.extend(f"  - {problem.render()}" for problem in self.problems)
        return "\n".join(lines)

    def __str__(self) -> str:
        return self._render()
