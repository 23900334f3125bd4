"""Rule metadata and the factories that turn it into pulumi_policy policies.

Every rule is a ``RuleMeta`` plus a validate function. The factories add what all rules share: the
resource-type filter, suppressions, and the metadata the engine shows (severity, remediation steps,
url, catalogue ids as tags). The ``RuleMeta`` stays reachable as ``policy.meta`` for docs and tests.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyComplianceFramework,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from .settings import current_settings
from .suppressions import format_resource_suppression, format_stack_suppressions

SeverityName = Literal["low", "medium", "high", "critical"]
CatalogueLevel = Literal["all", "non-dev", "advisory"]

FRAMEWORK_NAME = "chatbot-security-catalogue"

_NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
_CATALOGUE_ID = re.compile(r"^SEC-[A-Z0-9]+(-[A-Z0-9]+)*$")
_TOKEN = re.compile(r"^[a-z0-9-]+:[A-Za-z0-9_./-]+:[A-Za-z0-9_]+$")
_SEVERITIES: dict[str, Severity] = {s.value: s for s in Severity}
_LEVELS: dict[str, EnforcementLevel] = {
    "all": EnforcementLevel.MANDATORY,
    "non-dev": EnforcementLevel.MANDATORY,
    "advisory": EnforcementLevel.ADVISORY,
}

ResourceValidate = Callable[[ResourceValidationArgs, ReportViolation], None]
ResourceRemediate = Callable[[ResourceValidationArgs], Mapping[str, Any] | None]
StackValidate = Callable[[StackValidationArgs, ReportViolation], None]


@dataclass(frozen=True)
class Equivalents:
    """Rules of other tools a migrating user will look for."""

    cdk_nag: tuple[str, ...] = ()
    pdk_nag: tuple[str, ...] = ()
    checkov: tuple[str, ...] = ()

    def all(self) -> tuple[str, ...]:
        return self.cdk_nag + self.pdk_nag + self.checkov


@dataclass(frozen=True)
class RuleMeta:
    name: str
    description: str
    severity: SeverityName
    catalogue_level: CatalogueLevel
    catalogue_ids: tuple[str, ...]
    resource_types: tuple[str, ...]
    remediation: str
    url: str
    equivalents: Equivalents = field(default_factory=Equivalents)

    def __post_init__(self) -> None:
        errors: list[str] = []
        if not _NAME.match(self.name):
            errors.append(f"name {self.name!r} is not kebab-case")
        if not self.description.strip():
            errors.append("description is blank")
        if self.severity not in _SEVERITIES:
            errors.append(f"severity {self.severity!r} not in {sorted(_SEVERITIES)}")
        if self.catalogue_level not in _LEVELS:
            errors.append(f"catalogue_level {self.catalogue_level!r} not in {sorted(_LEVELS)}")
        errors += [
            f"catalogue id {i!r} is not SEC-..."
            for i in self.catalogue_ids
            if not _CATALOGUE_ID.match(i)
        ]
        errors += [f"resource type {t!r} is not a token" for t in self.resource_types if not _TOKEN.match(t)]
        if not self.remediation.strip():
            errors.append("remediation is blank")
        if not self.url.startswith("https://"):
            errors.append(f"url {self.url!r} is not https")
        if errors:
            raise ValueError(f"invalid rule {self.name!r}: " + "; ".join(errors))

    @property
    def default_level(self) -> EnforcementLevel:
        return _LEVELS[self.catalogue_level]

    @property
    def pulumi_severity(self) -> Severity:
        return _SEVERITIES[self.severity]

    def remediation_steps(self) -> str:
        equivalents = self.equivalents.all()
        if not equivalents:
            return self.remediation
        return f"{self.remediation}\nEquivalent rules: {', '.join(equivalents)}."


class GuardResourcePolicy(ResourceValidationPolicy):
    meta: RuleMeta


class GuardStackPolicy(StackValidationPolicy):
    meta: RuleMeta


def meta_of(policy: Policy) -> RuleMeta | None:
    meta = getattr(policy, "meta", None)
    return meta if isinstance(meta, RuleMeta) else None


def _common(meta: RuleMeta, config_schema: PolicyConfigSchema | None) -> dict[str, Any]:
    return {
        "enforcement_level": meta.default_level,
        "config_schema": config_schema,
        "severity": meta.pulumi_severity,
        # Catalogue ids as tags so reports can join on them; equivalents live in the registry.
        "tags": list(meta.catalogue_ids),
        "framework": PolicyComplianceFramework(
            name=FRAMEWORK_NAME, version="1", specification=", ".join(meta.catalogue_ids) or None
        ),
        "remediation_steps": meta.remediation_steps(),
        "url": meta.url,
    }


def resource_policy(
    meta: RuleMeta,
    validate: ResourceValidate,
    *,
    remediate: ResourceRemediate | None = None,
    config_schema: PolicyConfigSchema | None = None,
) -> GuardResourcePolicy:
    """A resource policy that only sees ``meta.resource_types`` and honours suppressions."""
    if not meta.resource_types:
        raise ValueError(f"resource rule {meta.name!r} lists no resource types")
    types = frozenset(meta.resource_types)

    def guarded_validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
        if args.resource_type not in types:
            return
        suppression = current_settings().suppression_for(meta.name, args.urn)
        if suppression is not None:
            args.not_applicable(format_resource_suppression(suppression.reason))
        validate(args, report)

    def guarded_remediate(args: ResourceValidationArgs) -> Mapping[str, Any] | None:
        if remediate is None or args.resource_type not in types:
            return None
        if current_settings().suppression_for(meta.name, args.urn) is not None:
            return None
        return remediate(args)

    policy = GuardResourcePolicy(
        name=meta.name,
        description=meta.description,
        validate=guarded_validate,
        remediate=guarded_remediate if remediate is not None else None,
        **_common(meta, config_schema),
    )
    policy.meta = meta
    return policy


def stack_policy(
    meta: RuleMeta,
    validate: StackValidate,
    *,
    config_schema: PolicyConfigSchema | None = None,
    suppressible: bool = True,
) -> GuardStackPolicy:
    """A stack policy whose per-resource violations honour suppressions.

    A stack policy can be marked not applicable only once, so suppressed violations are collected and
    reported together after the rule ran (see ``suppressions.format_stack_suppressions``).
    """

    def guarded_validate(args: StackValidationArgs, report: ReportViolation) -> None:
        settings = current_settings()
        suppressed: list[tuple[str, str]] = []

        def filtered(message: str, urn: str | None = None) -> None:
            suppression = settings.suppression_for(meta.name, urn) if suppressible and urn else None
            if suppression is not None and urn is not None:
                suppressed.append((urn, suppression.reason))
                return
            report(message, urn)

        validate(args, filtered)
        if suppressed:
            args.not_applicable(format_stack_suppressions(suppressed))

    policy = GuardStackPolicy(
        name=meta.name,
        description=meta.description,
        validate=guarded_validate,
        **_common(meta, config_schema),
    )
    policy.meta = meta
    return policy
