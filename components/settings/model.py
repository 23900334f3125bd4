"""The stack settings: one immutable, validated object built from the stack's Pulumi config.

Each config-backed field carries a `Setting` in its `Annotated` metadata. That one declaration drives the
validation message, the loader's parsing, the `config:` block of Pulumi.yaml and the settings table in the
docs (tools/settings_doc.py), so they cannot drift apart.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError, PydanticUndefined

from components.settings.countries import ISO_COUNTRY_CODES
from components.settings.rules import TLS_VERSIONS, cross_field_violations

CONFIG_NAMESPACE = "chatbot"
# Validation context key: fields already reported as invalid, whose cross-field rules must not run.
SKIP_RULES_FOR = "skip_rules_for"

ConfigType = Literal["string", "integer", "boolean", "array"]
Environment = Literal["dev", "staging", "prod"]
TlsVersion = Literal["TLSv1.2_2019", "TLSv1.2_2021", "TLSv1.2_2025", "TLSv1.3_2025"]

LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
                      2922, 3288, 3653)
RATE_LIMIT_WINDOWS = (60, 120, 300, 600)
PREFIX_PATTERN = r"^[a-z][a-z0-9-]{1,19}$"
OWNER_PATTERN = r"^[A-Za-z0-9 _.:/=+@-]{1,64}$"
CERTIFICATE_ARN_PATTERN = r"^arn:aws[a-z-]*:acm:us-east-1:\d{12}:certificate/[0-9a-f-]{36}$"
REGION_PATTERN = r"^[a-z]{2}(-gov)?-[a-z]+-\d$"
_HOST_LABEL = r"(?!-)[a-z0-9-]{1,63}(?<!-)"
HOST_NAME_PATTERN = rf"^(?=.{{1,253}}$){_HOST_LABEL}(\.{_HOST_LABEL})+$"


@dataclass(frozen=True)
class Setting:
    """How a field appears in Pulumi config. `allowed` is None when the field's type says it all."""

    config_type: ConfigType
    rule: str
    allowed: Callable[[Any], bool] | None = None
    dev_relaxation: str | None = None
    namespace: str = CONFIG_NAMESPACE
    example: str | None = None  # a valid value, shown in "is required" messages


def _matches(pattern: str) -> Callable[[Any], bool]:
    compiled = re.compile(pattern)
    return lambda value: compiled.fullmatch(value) is not None


def _one_of(values: tuple[int, ...]) -> Callable[[Any], bool]:
    return lambda value: value in values


_TLS_LIST = ", ".join(TLS_VERSIONS)


class StackSettings(BaseModel):
    """Validated settings of one stack. Field aliases are the config keys in the `chatbot` namespace."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    stack: str = Field(min_length=1, description="Name of the Pulumi stack.")
    environment: Annotated[Environment, Setting(
        "string", "one of dev, staging, prod",
        dev_relaxation="dev: enables the relaxations in this column",
    )] = Field("prod", alias="environment", description=(
        "Kind of stack. Secure by default: anything but dev gets the hardened settings."))
    prefix: Annotated[str, Setting(
        "string", "2-20 characters: lower-case letters, digits and hyphens, starting with a letter "
        f"(`{PREFIX_PATTERN}`)", _matches(PREFIX_PATTERN),
    )] = Field("chatbot", alias="prefix", description="Prefix of physical resource names.")
    owner: Annotated[str, Setting(
        "string", "1-64 characters of letters, digits, spaces and _ . : / = + @ - (AWS tag values)",
        _matches(OWNER_PATTERN), example="platform-team",
    )] = Field(alias="owner", description="Team that owns the stack; the `owner` tag of every resource.")
    customer_managed_keys: Annotated[bool, Setting(
        "boolean", "true or false; must be true unless environment is dev (SEC-CMK-AT-REST)",
        dev_relaxation="false: data stores use AWS managed keys",
    )] = Field(True, alias="customerManagedKeys", description=(
        "Encrypt data stores and logs with customer managed KMS keys created by the stack."))
    retain_data: Annotated[bool, Setting(
        "boolean", "true or false; must be true unless environment is dev (SEC-DATA-RETENTION)",
        dev_relaxation="false: stateful resources are deleted with the stack",
    )] = Field(True, alias="retainData", description=(
        "Protect stateful resources and keep them when they are deleted from the stack."))
    log_retention_days: Annotated[int, Setting(
        "integer", "one of CloudWatch Logs' retention periods: " + ", ".join(map(str, LOG_RETENTION_DAYS)),
        _one_of(LOG_RETENTION_DAYS),
    )] = Field(365, alias="logRetentionDays", description="Days that CloudWatch log groups keep log events.")
    custom_domain: Annotated[str | None, Setting(
        "string", "empty, or a lower-case host name (RFC 1123) with at least one dot, e.g. chat.example.com; "
        "required unless environment is dev (SEC-CLOUDFRONT-TLS)", _matches(HOST_NAME_PATTERN),
        dev_relaxation="empty: the website uses its *.cloudfront.net name",
    )] = Field(None, alias="customDomain", description=(
        "Host name of the website. Set together with certificateArn and minimumTlsVersion."))
    certificate_arn: Annotated[str | None, Setting(
        "string", "empty, or an ACM certificate ARN in us-east-1, the only region CloudFront takes "
        f"certificates from (`{CERTIFICATE_ARN_PATTERN}`)", _matches(CERTIFICATE_ARN_PATTERN),
        dev_relaxation="empty: the default *.cloudfront.net certificate",
    )] = Field(None, alias="certificateArn", description="ACM certificate (in us-east-1) for customDomain.")
    minimum_tls_version: Annotated[TlsVersion | None, Setting(
        "string", f"empty, or one of {_TLS_LIST}; TLSv1.2_2021 or newer unless environment is dev "
        "(SEC-CLOUDFRONT-TLS)",
        dev_relaxation="empty: the default certificate, which forces TLSv1",
    )] = Field(None, alias="minimumTlsVersion", description=(
        "CloudFront security policy for viewers. Needs customDomain and certificateArn."))
    rate_limit_per_ip: Annotated[int, Setting(
        "integer", "an integer from 10 to 2000000000", lambda value: 10 <= value <= 2_000_000_000,
    )] = Field(1000, alias="rateLimitPerIp", description=(
        "Requests one IP address may make per window before the web ACL blocks it (SEC-WAF-RATE-LIMIT)."))
    rate_limit_window_seconds: Annotated[int, Setting(
        "integer", "one of " + ", ".join(map(str, RATE_LIMIT_WINDOWS)), _one_of(RATE_LIMIT_WINDOWS),
    )] = Field(300, alias="rateLimitWindowSeconds", description="Window of the rate limit, in seconds.")
    geo_allowlist: Annotated[tuple[str, ...], Setting(
        "array", "upper-case ISO 3166-1 alpha-2 country codes (e.g. GB, IE), no duplicates; empty allows "
        "every country",
    )] = Field((), alias="geoAllowlist", description=(
        "Countries allowed to reach the website; requests from elsewhere are blocked (SEC-GEO-RESTRICTION)."))
    region: Annotated[str, Setting(
        "string", "an AWS region name such as us-east-1 or us-gov-west-1", _matches(REGION_PATTERN),
        namespace="aws", example="us-east-1",
    )] = Field(description="AWS region of the stack's regional resources (the AWS provider's region).")

    @property
    def is_dev(self) -> bool:
        return self.environment == "dev"

    @property
    def uses_custom_domain(self) -> bool:
        return self.custom_domain is not None

    @field_validator("custom_domain", "certificate_arn", "minimum_tls_version", mode="before")
    @classmethod
    def _empty_is_none(cls, value: Any) -> Any:
        # Pulumi config has no null: an empty string is how a stack file says "none".
        return None if value == "" else value

    @field_validator("*")
    @classmethod
    def _check_rule(cls, value: Any, info: ValidationInfo) -> Any:
        setting = setting_of(info.field_name or "")
        if setting is not None and setting.allowed is not None and value is not None:
            if not setting.allowed(value):
                raise PydanticCustomError("setting", "{message}", {"message": "must be " + setting.rule})
        return value

    @field_validator("geo_allowlist")
    @classmethod
    def _check_countries(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [code for code in value if code not in ISO_COUNTRY_CODES]
        repeated = sorted({code for code in value if value.count(code) > 1})
        details = []
        if unknown:
            details.append(f"not ISO 3166-1 alpha-2 country codes: {', '.join(map(repr, unknown))}")
        if repeated:
            details.append(f"listed more than once: {', '.join(repeated)}")
        if details:
            message = "; ".join(details) + "; allowed: upper-case ISO 3166-1 alpha-2 codes such as GB, IE, DE"
            raise PydanticCustomError("setting", "{message}", {"message": message})
        return value

    @model_validator(mode="after")
    def _check_cross_field_rules(self, info: ValidationInfo) -> Self:
        skip = frozenset((info.context or {}).get(SKIP_RULES_FOR, ()))
        violations = cross_field_violations(self, skip)
        if violations:
            # One error carrying all violations: the loader turns each into its own problem.
            summary = "; ".join(violation.message for violation in violations)
            context = {"summary": summary, "violations": violations}
            raise PydanticCustomError("cross_field", "{summary}", context)
        return self


def setting_of(field_name: str) -> Setting | None:
    field = StackSettings.model_fields.get(field_name)
    if field is None:
        return None
    return next((item for item in field.metadata if isinstance(item, Setting)), None)


@dataclass(frozen=True)
class SettingSpec:
    """A config key of the stack as seen from outside: Pulumi config, Pulumi.yaml and the docs."""

    field_name: str
    name: str  # key inside its namespace, e.g. logRetentionDays
    setting: Setting
    description: str
    required: bool
    default: Any  # in config form ("" for none, a list for arrays); None when required

    @property
    def key(self) -> str:
        return f"{self.setting.namespace}:{self.name}"


def setting_specs() -> tuple[SettingSpec, ...]:
    """Every config-backed field, in declaration order."""
    specs = []
    for field_name, field in StackSettings.model_fields.items():
        setting = setting_of(field_name)
        if setting is None:
            continue
        required = field.default is PydanticUndefined
        specs.append(SettingSpec(
            field_name=field_name,
            name=field.alias or field_name,
            setting=setting,
            description=field.description or "",
            required=required,
            default=None if required else _config_default(field.default),
        ))
    return tuple(specs)


def _config_default(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, tuple):
        return list(value)
    return value
