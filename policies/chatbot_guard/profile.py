"""The ``stack-profile`` policy: home of the pack-wide config, and the judge of suppressions.

Its configSchema declares every pack-wide setting with a default (the CLI fills defaults in and
validates against it before Configure). The analyzer reads the resulting properties into
``settings.PackSettings``. The policy itself reports suppressions that lack a reason or name a policy
the pack does not have.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pulumi_policy import PolicyConfigSchema, ReportViolation, StackValidationArgs

from .metadata import GuardStackPolicy, RuleMeta, stack_policy
from .settings import (
    MIN_REASON_LENGTH,
    MINIMUM_TLS_CHOICES,
    PROFILE_POLICY,
    PackSettings,
    SettingsError,
    parse_settings,
)

_DEFAULTS = PackSettings()

CONFIG_PROPERTIES: dict[str, dict[str, Any]] = {
    "devStacks": {
        "type": "array",
        "items": {"type": "string", "minLength": 1},
        "default": list(_DEFAULTS.dev_stacks),
        "description": "Stacks where 'non-dev' rules are advisory instead of mandatory.",
    },
    "suppressions": {
        "type": "array",
        "default": [],
        "description": "Per-resource exemptions. A reason of at least 10 characters is required.",
        "items": {
            "type": "object",
            "additionalProperties": False,
            "required": ["policy", "urn"],
            "properties": {
                "policy": {"type": "string", "minLength": 1},
                "urn": {"type": "string", "minLength": 1, "description": "fnmatch glob over the URN"},
                "reason": {"type": "string"},
            },
        },
    },
    "allowedManagedPolicies": {
        "type": "array",
        "default": [],
        "description": "AWS managed policies allowed outside dev stacks, each with a reason.",
        "items": {
            "type": "object",
            "additionalProperties": False,
            "required": ["arn", "reason"],
            "properties": {
                "arn": {"type": "string", "pattern": "^arn:aws[a-z-]*:iam::aws:policy/.+$"},
                "reason": {"type": "string", "minLength": MIN_REASON_LENGTH},
            },
        },
    },
    "allowedCountries": {
        "type": "array",
        "items": {"type": "string", "pattern": "^[A-Z]{2}$"},
        "default": [],
        "description": "ISO 3166-1 alpha-2 codes viewers may come from; empty means no restriction.",
    },
    "minimumTlsVersion": {
        "type": "string",
        "enum": list(MINIMUM_TLS_CHOICES),
        "default": _DEFAULTS.minimum_tls_version,
        "description": "Weakest CloudFront viewer security policy accepted.",
    },
    "logRetentionFloorDays": {
        "type": "integer",
        "minimum": 1,
        "default": _DEFAULTS.log_retention_floor_days,
        "description": "Shortest log retention accepted outside dev stacks.",
    },
    "rateLimitCeiling": {
        "type": "integer",
        "minimum": 10,
        "default": _DEFAULTS.rate_limit_ceiling,
        "description": "Highest per-IP WAF rate limit (requests per 5 minutes) accepted.",
    },
    "adminGroups": {
        "type": "array",
        "items": {"type": "string", "minLength": 1},
        "minItems": 1,
        "default": list(_DEFAULTS.admin_groups),
        "description": "Names of the user-pool group whose members administer the chatbot (SEC-ADMIN-GROUP).",
    },
    "customerManagedKeys": {
        "type": "string",
        "enum": ["auto", "required", "optional"],
        "default": _DEFAULTS.customer_managed_keys,
        "description": "When data stores need customer managed KMS keys (auto: once the stack creates one).",
    },
}

# The proto schema carries only properties/required, so the top-level additionalProperties: false is
# enforced by parse_settings (unknown keys are a Configure error).
CONFIG_SCHEMA = PolicyConfigSchema(properties=CONFIG_PROPERTIES)

META = RuleMeta(
    name=PROFILE_POLICY,
    description="The pack's per-stack settings are valid and every suppression carries a written reason.",
    severity="high",
    catalogue_level="all",
    catalogue_ids=(),
    resource_types=(),
    remediation=(
        "Give every entry under stack-profile.suppressions a 'reason' of at least "
        f"{MIN_REASON_LENGTH} characters and a 'policy' that exists in this pack."
    ),
    url="https://www.pulumi.com/docs/iac/using-pulumi/crossguard/configuration/",
)


def build_stack_profile(policy_names: Iterable[str]) -> GuardStackPolicy:
    """``policy_names``: the pack's other policies, the only ones a suppression may name."""
    suppressible = frozenset(policy_names) - {PROFILE_POLICY}

    def validate(args: StackValidationArgs, report: ReportViolation) -> None:
        try:
            settings = parse_settings(args.get_config())
        except SettingsError as error:
            for message in error.errors:
                report(message, None)
            return
        for index, suppression in enumerate(settings.suppressions):
            where = f"suppressions[{index}] ({suppression.policy} on {suppression.urn})"
            if not suppression.has_reason:
                report(f"{where} has no reason of at least {MIN_REASON_LENGTH} characters: ignored", None)
            if suppression.policy not in suppressible:
                report(f"{where} names a policy this pack does not have or that cannot be suppressed", None)

    return stack_policy(META, validate, config_schema=CONFIG_SCHEMA, suppressible=False)
