"""Pack-wide settings, read from the ``stack-profile`` policy's config when the engine calls Configure.

Rules read them through ``current_settings()``; the analyzer installs a new immutable value on every
Configure call. Parsing collects every error at once and names the config key.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

import pulumi

PROFILE_POLICY = "stack-profile"
MIN_REASON_LENGTH = 10

# Every CloudFront viewer security policy, weakest first.
TLS_POLICY_ORDER = (
    "SSLv3",
    "TLSv1",
    "TLSv1_2016",
    "TLSv1.1_2016",
    "TLSv1.2_2018",
    "TLSv1.2_2019",
    "TLSv1.2_2021",
    "TLSv1.2_2025",
    "TLSv1.3_2025",
)
MINIMUM_TLS_CHOICES = ("TLSv1.2_2019", "TLSv1.2_2021", "TLSv1.2_2025", "TLSv1.3_2025")

_COUNTRY = re.compile(r"^[A-Z]{2}$")
_MANAGED_POLICY_ARN = re.compile(r"^arn:aws[a-z-]*:iam::aws:policy/.+$")


def normalise_reason(reason: str) -> str:
    # One line, single spaces: reasons are echoed into reports and suppression records.
    return " ".join(reason.split())


@dataclass(frozen=True)
class Suppression:
    policy: str
    urn: str  # fnmatch glob over the full URN
    reason: str = ""

    @property
    def has_reason(self) -> bool:
        return len(self.reason) >= MIN_REASON_LENGTH

    def matches(self, policy: str, urn: str) -> bool:
        return self.policy == policy and fnmatchcase(urn, self.urn)


@dataclass(frozen=True)
class AllowedManagedPolicy:
    arn: str
    reason: str


@dataclass(frozen=True)
class PackSettings:
    dev_stacks: tuple[str, ...] = ("dev",)
    suppressions: tuple[Suppression, ...] = ()
    allowed_managed_policies: tuple[AllowedManagedPolicy, ...] = ()
    allowed_countries: tuple[str, ...] = ()
    minimum_tls_version: str = "TLSv1.2_2021"
    log_retention_floor_days: int = 30
    rate_limit_ceiling: int = 2000
    admin_groups: tuple[str, ...] = ("admin",)
    # "auto": customer managed keys are required once the stack creates one (it "enables CMKs").
    customer_managed_keys: str = "auto"

    def suppression_for(self, policy: str, urn: str) -> Suppression | None:
        """The first matching suppression that has a reason; reasonless ones never apply."""
        for suppression in self.suppressions:
            if suppression.has_reason and suppression.matches(policy, urn):
                return suppression
        return None

    def is_dev_stack(self, stack: str | None = None) -> bool:
        name = stack if stack is not None else pulumi.get_stack()
        return bool(name) and name in self.dev_stacks


class SettingsError(ValueError):
    def __init__(self, errors: list[str]) -> None:
        self.errors = errors
        super().__init__(f"invalid '{PROFILE_POLICY}' config: " + "; ".join(errors))


class _Reader:
    """Typed reads of the raw config; every problem is recorded, none stops the others."""

    def __init__(self, raw: Mapping[str, Any]) -> None:
        self.raw = raw
        self.errors: list[str] = []

    def strings(self, key: str, pattern: re.Pattern[str] | None = None) -> tuple[str, ...] | None:
        value = self.raw.get(key)
        if value is None:
            return None
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.errors.append(f"{key}: expected an array of strings")
            return None
        bad = [v for v in value if pattern is not None and not pattern.match(v)]
        if bad:
            self.errors.append(f"{key}: invalid values {bad}")
            return None
        return tuple(value)

    def integer(self, key: str, minimum: int) -> int | None:
        value = self.raw.get(key)
        if value is None:
            return None
        # Numbers cross the wire as floats (30 -> 30.0).
        if isinstance(value, bool) or not isinstance(value, int | float) or int(value) != value:
            self.errors.append(f"{key}: expected an integer, got {value!r}")
            return None
        if value < minimum:
            self.errors.append(f"{key}: must be >= {minimum}, got {int(value)}")
            return None
        return int(value)

    def objects(self, key: str, required: tuple[str, ...], optional: tuple[str, ...]) -> list[dict[str, str]]:
        value = self.raw.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.errors.append(f"{key}: expected an array of objects")
            return []
        items: list[dict[str, str]] = []
        for index, item in enumerate(value):
            where = f"{key}[{index}]"
            if not isinstance(item, Mapping):
                self.errors.append(f"{where}: expected an object")
                continue
            extra = sorted(set(item) - set(required) - set(optional))
            missing = [k for k in required if not isinstance(item.get(k), str) or not item[k].strip()]
            wrong = [k for k in optional if k in item and not isinstance(item[k], str)]
            if extra:
                self.errors.append(f"{where}: unknown keys {extra} (allowed: {list(required + optional)})")
            if missing:
                self.errors.append(f"{where}: {missing} must be non-empty strings")
            if wrong:
                self.errors.append(f"{where}: {wrong} must be strings")
            if not (extra or missing or wrong):
                items.append({k: str(item.get(k, "")) for k in required + optional})
        return items


_KEYS = (
    "devStacks",
    "suppressions",
    "allowedManagedPolicies",
    "allowedCountries",
    "minimumTlsVersion",
    "logRetentionFloorDays",
    "rateLimitCeiling",
    "adminGroups",
    "customerManagedKeys",
)
CMK_CHOICES = ("auto", "required", "optional")


def parse_settings(raw: Mapping[str, Any]) -> PackSettings:
    """Build settings from the stack-profile config (schema defaults already filled by the CLI)."""
    reader = _Reader(raw)
    unknown = sorted(set(raw) - set(_KEYS))
    if unknown:
        reader.errors.append(f"unknown keys {unknown} (allowed: {list(_KEYS)})")
    defaults = PackSettings()
    dev_stacks = reader.strings("devStacks")
    countries = reader.strings("allowedCountries", _COUNTRY)
    tls = raw.get("minimumTlsVersion", defaults.minimum_tls_version)
    if tls not in MINIMUM_TLS_CHOICES:
        reader.errors.append(f"minimumTlsVersion: {tls!r} is not one of {list(MINIMUM_TLS_CHOICES)}")
    floor = reader.integer("logRetentionFloorDays", 1)
    ceiling = reader.integer("rateLimitCeiling", 10)
    admin_groups = reader.strings("adminGroups")
    if admin_groups == ():
        reader.errors.append("adminGroups: name at least one administrators group")
    cmk = raw.get("customerManagedKeys", defaults.customer_managed_keys)
    if cmk not in CMK_CHOICES:
        reader.errors.append(f"customerManagedKeys: {cmk!r} is not one of {list(CMK_CHOICES)}")
    suppressions = tuple(
        Suppression(item["policy"], item["urn"], normalise_reason(item["reason"]))
        for item in reader.objects("suppressions", ("policy", "urn"), ("reason",))
    )
    allowed = []
    for item in reader.objects("allowedManagedPolicies", ("arn", "reason"), ()):
        if not _MANAGED_POLICY_ARN.match(item["arn"]):
            reader.errors.append(f"allowedManagedPolicies: {item['arn']!r} is not an AWS managed policy ARN")
        if len(normalise_reason(item["reason"])) < MIN_REASON_LENGTH:
            reader.errors.append(
                f"allowedManagedPolicies: reason for {item['arn']!r} is under {MIN_REASON_LENGTH} characters"
            )
        allowed.append(AllowedManagedPolicy(item["arn"], normalise_reason(item["reason"])))
    if reader.errors:
        raise SettingsError(reader.errors)
    return PackSettings(
        dev_stacks=dev_stacks if dev_stacks is not None else defaults.dev_stacks,
        suppressions=suppressions,
        allowed_managed_policies=tuple(allowed),
        allowed_countries=countries or (),
        minimum_tls_version=str(tls),
        log_retention_floor_days=floor if floor is not None else defaults.log_retention_floor_days,
        rate_limit_ceiling=ceiling if ceiling is not None else defaults.rate_limit_ceiling,
        admin_groups=admin_groups or defaults.admin_groups,
        customer_managed_keys=str(cmk),
    )


_current = PackSettings()


def current_settings() -> PackSettings:
    return _current


def install_settings(settings: PackSettings) -> None:
    """Called by the analyzer's Configure (and by tests); the value itself is immutable."""
    global _current
    _current = settings
