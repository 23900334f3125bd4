"""Rules that involve more than one setting. Each names its fields so the error names their config keys."""

from __future__ import annotations

from typing import TYPE_CHECKING

from components.settings.rules import chat, edge, engines, identity, models, network, operations, rag
from components.settings.rules.base import Rule, RuleViolation
from components.settings.rules.edge import STRONG_TLS_VERSIONS

if TYPE_CHECKING:
    from components.settings.model import StackSettings

__all__ = ["RULES", "STRONG_TLS_VERSIONS", "Rule", "RuleViolation", "cross_field_violations"]

RULES: tuple[Rule, ...] = (
    edge.RULES + network.RULES + identity.RULES + chat.RULES + operations.RULES + rag.RULES
    + chat.GUARDRAIL_RULES + engines.RULES + models.RULES
)


def cross_field_violations(
    settings: StackSettings, skip: frozenset[str] = frozenset()
) -> list[RuleViolation]:
    """Violations of every rule whose fields are all valid (fields in `skip` were reported already)."""
    violations = []
    for rule in RULES:
        if skip & rule.reads():
            continue
        message = rule.check(settings)
        if message is not None:
            violations.append(RuleViolation(rule.fields, message))
    return violations
