"""CrossGuard rules for the chatbot stack (and any Pulumi AWS program).

Import ``all_policies()`` to build the pack; ``ALL_RULES`` is the metadata registry (name -> RuleMeta)
that docs, reports and tests join on.
"""

from __future__ import annotations

from types import MappingProxyType

from pulumi_policy import Policy

from .metadata import RuleMeta, meta_of
from .profile import build_stack_profile
from .rules import rule_modules

PACK_NAME = "chatbot-security"


def _rules() -> list[Policy]:
    return [policy for module in rule_modules() for policy in module.POLICIES]


def all_policies() -> list[Policy]:
    """A fresh list: ``stack-profile`` first, then every rule."""
    rules = _rules()
    return [build_stack_profile(p.name for p in rules), *rules]


def _registry() -> MappingProxyType[str, RuleMeta]:
    metas = [meta_of(p) for p in all_policies()]
    return MappingProxyType({m.name: m for m in metas if m is not None})


ALL_RULES = _registry()

__all__ = ["ALL_RULES", "PACK_NAME", "all_policies"]
