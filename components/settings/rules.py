"""Rules that involve more than one setting. Each names its fields so the error names their config keys."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from components.settings.model import StackSettings

TLS_VERSIONS = ("TLSv1.2_2019", "TLSv1.2_2021", "TLSv1.2_2025", "TLSv1.3_2025")
# SEC-CLOUDFRONT-TLS: TLSv1.2_2021 or newer outside dev.
STRONG_TLS_VERSIONS = ("TLSv1.2_2021", "TLSv1.2_2025", "TLSv1.3_2025")
_DEFAULT_CERT_NOTE = "the default *.cloudfront.net certificate forces TLSv1"


@dataclass(frozen=True)
class RuleViolation:
    fields: tuple[str, ...]  # model field names, in the order the error names them
    message: str


@dataclass(frozen=True)
class _Rule:
    fields: tuple[str, ...]
    check: Callable[[StackSettings], str | None]


def _domain_and_certificate_together(s: StackSettings) -> str | None:
    if (s.custom_domain is None) == (s.certificate_arn is None):
        return None
    if s.custom_domain is not None:
        present, missing = "customDomain", "certificateArn"
    else:
        present, missing = "certificateArn", "customDomain"
    return (f"set together or not at all: {present} is set but {missing} is empty "
            "(CloudFront serves a custom domain only with an ACM certificate for it)")


def _tls_needs_domain(s: StackSettings) -> str | None:
    if s.minimum_tls_version is None or (s.custom_domain and s.certificate_arn):
        return None
    return (f"{s.minimum_tls_version} needs a custom domain and certificate: {_DEFAULT_CERT_NOTE}; "
            "set customDomain and certificateArn, or leave minimumTlsVersion empty (dev only)")


def _domain_needs_tls(s: StackSettings) -> str | None:
    if s.custom_domain is None or s.minimum_tls_version is not None:
        return None
    return ("customDomain is set, so choose a minimumTlsVersion: TLSv1.2_2021 (recommended), "
            "TLSv1.2_2025, TLSv1.3_2025, or TLSv1.2_2019 (dev only)")


def _cmk_outside_dev(s: StackSettings) -> str | None:
    if s.is_dev or s.customer_managed_keys:
        return None
    return (f"customerManagedKeys must be true when environment is {s.environment}: data stores are "
            "encrypted with customer managed KMS keys outside dev (SEC-CMK-AT-REST)")


def _retain_outside_dev(s: StackSettings) -> str | None:
    if s.is_dev or s.retain_data:
        return None
    return (f"retainData must be true when environment is {s.environment}: stateful resources must survive "
            "`pulumi destroy` and accidental deletion outside dev (SEC-DATA-RETENTION)")


def _domain_outside_dev(s: StackSettings) -> str | None:
    if s.is_dev or (s.custom_domain and s.certificate_arn):
        return None
    return (f"customDomain and certificateArn are required when environment is {s.environment}: "
            f"{_DEFAULT_CERT_NOTE} (SEC-CLOUDFRONT-TLS)")


def _strong_tls_outside_dev(s: StackSettings) -> str | None:
    if s.is_dev or s.minimum_tls_version in STRONG_TLS_VERSIONS:
        return None
    return (f"minimumTlsVersion must be TLSv1.2_2021 or newer ({', '.join(STRONG_TLS_VERSIONS)}) when "
            f"environment is {s.environment}, got {s.minimum_tls_version or 'empty'} (SEC-CLOUDFRONT-TLS)")


_RULES = (
    _Rule(("custom_domain", "certificate_arn"), _domain_and_certificate_together),
    _Rule(("minimum_tls_version", "custom_domain", "certificate_arn"), _tls_needs_domain),
    _Rule(("custom_domain", "minimum_tls_version"), _domain_needs_tls),
    _Rule(("customer_managed_keys", "environment"), _cmk_outside_dev),
    _Rule(("retain_data", "environment"), _retain_outside_dev),
    _Rule(("custom_domain", "certificate_arn", "environment"), _domain_outside_dev),
    _Rule(("minimum_tls_version", "environment"), _strong_tls_outside_dev),
)


def cross_field_violations(
    settings: StackSettings, skip: frozenset[str] = frozenset()
) -> list[RuleViolation]:
    """Violations of every rule whose fields are all valid (fields in `skip` were reported already)."""
    violations = []
    for rule in _RULES:
        if skip.intersection(rule.fields):
            continue
        message = rule.check(settings)
        if message is not None:
            violations.append(RuleViolation(rule.fields, message))
    return violations
