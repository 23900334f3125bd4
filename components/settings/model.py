"""The stack settings: one immutable, validated object built from the stack's Pulumi config.

Fields are declared once, in the bounded-context mixins of `components.settings.fields`, each with a
`Setting` in its `Annotated` metadata; cross-field rules live in `components.settings.rules`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Self

from pydantic import ConfigDict, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError, PydanticUndefined

from components.settings.fields import (
    ChatFields,
    EdgeFields,
    GuardrailFields,
    IdentityFields,
    NetworkFields,
    OperationsFields,
    PrivateWebsiteFields,
    RagEngineFields,
    RagFields,
    RegionFields,
    SelfHostedModelFields,
    StackFields,
)
from components.settings.fields.edge import TlsVersion
from components.settings.rules import cross_field_violations
from components.settings.setting import (
    CONFIG_NAMESPACE,
    SKIP_RULES_FOR,
    ConfigType,
    Environment,
    Setting,
    setting_error,
)

__all__ = [
    "CONFIG_NAMESPACE",
    "SKIP_RULES_FOR",
    "ConfigType",
    "Environment",
    "Setting",
    "SettingSpec",
    "StackSettings",
    "TlsVersion",
    "setting_of",
    "setting_specs",
]


# Pydantic orders inherited fields by reversed MRO, so the contexts are listed last to first: the doc
# order is fields.CONTEXTS (the settings existing before a context was added keep their places).
class StackSettings(
    SelfHostedModelFields,
    RagEngineFields,
    GuardrailFields,
    RagFields,
    PrivateWebsiteFields,
    OperationsFields,
    ChatFields,
    IdentityFields,
    NetworkFields,
    RegionFields,
    EdgeFields,
    StackFields,
):
    """Validated settings of one stack. Field aliases are the config keys in the `chatbot` namespace."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    @property
    def uses_custom_domain(self) -> bool:
        return self.custom_domain is not None

    @property
    def bedrock_region(self) -> str:
        """Region of the Bedrock models and guardrail: bedrockRegion, else the stack's region."""
        return self.bedrock_region_override or self.region

    @field_validator("*", mode="before")
    @classmethod
    def _empty_is_none(cls, value: Any, info: ValidationInfo) -> Any:
        # Pulumi config has no null: an empty string is how a stack file says "none" for optional fields.
        field = cls.model_fields.get(info.field_name or "")
        return None if value == "" and field is not None and field.default is None else value

    @field_validator("*")
    @classmethod
    def _check_rule(cls, value: Any, info: ValidationInfo) -> Any:
        setting = setting_of(info.field_name or "")
        if setting is not None and setting.allowed is not None and value is not None:
            if not setting.allowed(value):
                raise setting_error("must be " + setting.rule)
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
    if isinstance(value, float):
        return f"{value:g}"  # a number Pulumi config declares as a string (it has no number type)
    return value
