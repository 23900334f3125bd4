"""The Bedrock guardrail every model call carries (SEC-BEDROCK-GUARDRAILS): created by the stack, an existing
one referenced by ID and version, or (dev stacks only, enforced by the settings) none.

A created guardrail gets a published version. Its description carries a hash of the guardrail's
configuration, so changing a filter publishes a new version instead of leaving the app on the old one.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Literal

import pulumi
from pulumi_aws import bedrock

from components.aws_context import AwsContext
from components.naming import resource_name
from components.settings import StackSettings

GuardrailMode = Literal["create", "existing", "none"]

# Content filters: (type, input strength, output strength). Prompt attacks exist only in input.
CONTENT_FILTERS: tuple[tuple[str, str, str], ...] = (
    ("HATE", "HIGH", "HIGH"),
    ("INSULTS", "HIGH", "HIGH"),
    ("SEXUAL", "HIGH", "HIGH"),
    ("VIOLENCE", "HIGH", "HIGH"),
    ("MISCONDUCT", "HIGH", "HIGH"),
    ("PROMPT_ATTACK", "HIGH", "NONE"),
)
PII_ANONYMIZE: tuple[str, ...] = ("EMAIL", "PHONE")  # replaced by {EMAIL}/{PHONE}: the chat still works
PII_BLOCK: tuple[str, ...] = (  # credentials and card data: never sent to a model nor shown in an answer
    "AWS_ACCESS_KEY",
    "AWS_SECRET_KEY",
    "PASSWORD",
    "PIN",
    "CREDIT_DEBIT_CARD_NUMBER",
    "CREDIT_DEBIT_CARD_CVV",
)
BLOCKED_INPUT_MESSAGE = (
    "Sorry, this message cannot be processed: it may contain harmful content, an attempt to override the "
    "assistant's instructions, or credentials. Please rephrase it without them."
)
BLOCKED_OUTPUT_MESSAGE = "Sorry, the answer was withheld because it did not pass the content safety checks."


def configuration_hash() -> str:
    """A short hash of everything that makes up the guardrail's configuration."""
    parts = [CONTENT_FILTERS, PII_ANONYMIZE, PII_BLOCK, BLOCKED_INPUT_MESSAGE, BLOCKED_OUTPUT_MESSAGE]
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:12]


@dataclass(frozen=True)
class GuardrailArgs:
    """`region` is the Bedrock region (guardrails apply only to calls in their own region)."""

    prefix: str
    stack: str
    mode: GuardrailMode
    region: str
    kms_key_arn: pulumi.Input[str] | None = None
    existing_id: str | None = None  # a guardrail ID or ARN
    existing_version: str | None = None
    retain: bool = False

    def __post_init__(self) -> None:
        if self.mode not in ("create", "existing", "none"):
            raise ValueError(f"mode must be create, existing or none, got {self.mode!r}")
        existing = self.mode == "existing"
        if existing != (self.existing_id is not None) or existing != (self.existing_version is not None):
            raise ValueError("existing_id and existing_version are set with mode 'existing', and only then")
        if self.kms_key_arn is not None and self.mode != "create":
            raise ValueError("kms_key_arn applies only to a guardrail the stack creates (mode 'create')")

    @classmethod
    def from_settings(cls, settings: StackSettings, kms_key_arn: pulumi.Input[str] | None) -> GuardrailArgs:
        """`kms_key_arn` must be a key of the Bedrock region; it is ignored unless the stack creates one."""
        return cls(
            prefix=settings.prefix,
            stack=settings.stack,
            mode=settings.guardrail_mode,
            region=settings.bedrock_region,
            kms_key_arn=kms_key_arn if settings.creates_guardrail else None,
            existing_id=settings.guardrail_id,
            existing_version=settings.guardrail_version,
            retain=settings.retain_data,
        )


def content_policy() -> bedrock.GuardrailContentPolicyConfigArgs:
    return bedrock.GuardrailContentPolicyConfigArgs(
        filters_configs=[
            bedrock.GuardrailContentPolicyConfigFiltersConfigArgs(
                type=kind, input_strength=input_strength, output_strength=output_strength
            )
            for kind, input_strength, output_strength in CONTENT_FILTERS
        ]
    )


def sensitive_information_policy() -> bedrock.GuardrailSensitiveInformationPolicyConfigArgs:
    actions = [*((kind, "ANONYMIZE") for kind in PII_ANONYMIZE), *((kind, "BLOCK") for kind in PII_BLOCK)]
    return bedrock.GuardrailSensitiveInformationPolicyConfigArgs(
        pii_entities_configs=[
            bedrock.GuardrailSensitiveInformationPolicyConfigPiiEntitiesConfigArgs(type=kind, action=action)
            for kind, action in actions
        ]
    )


class Guardrail(pulumi.ComponentResource):
    """Outputs are None when the stack has no guardrail (mode 'none')."""

    guardrail: bedrock.Guardrail | None
    version: bedrock.GuardrailVersion | None
    guardrail_id: pulumi.Input[str] | None
    guardrail_version: pulumi.Input[str] | None
    guardrail_arn: pulumi.Input[str] | None

    def __init__(self, name: str, args: GuardrailArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("chatbot:guardrail:Guardrail", name, None, opts)
        self.guardrail = None
        self.version = None
        self.guardrail_id = None
        self.guardrail_version = None
        self.guardrail_arn = None
        if args.mode == "create":
            self._create(name, args)
        elif args.mode == "existing" and args.existing_id is not None:
            self.guardrail_id = args.existing_id
            self.guardrail_version = args.existing_version
            self.guardrail_arn = self._existing_arn(args.existing_id, args.region)
        self.register_outputs(
            {
                "guardrail_id": self.guardrail_id,
                "guardrail_version": self.guardrail_version,
                "guardrail_arn": self.guardrail_arn,
            }
        )

    def _create(self, name: str, args: GuardrailArgs) -> None:
        self.guardrail = bedrock.Guardrail(
            f"{name}-guardrail",
            name=resource_name(args.prefix, args.stack, "guardrail", max_length=50),
            description=f"{args.prefix} {args.stack}: content, prompt-attack and sensitive-data filters",
            region=args.region,
            content_policy_config=content_policy(),
            sensitive_information_policy_config=sensitive_information_policy(),
            blocked_input_messaging=BLOCKED_INPUT_MESSAGE,
            blocked_outputs_messaging=BLOCKED_OUTPUT_MESSAGE,
            kms_key_arn=args.kms_key_arn,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.version = bedrock.GuardrailVersion(
            f"{name}-version",
            guardrail_arn=self.guardrail.guardrail_arn,
            description=f"configuration {configuration_hash()}",
            region=args.region,
            skip_destroy=args.retain,  # retained stacks keep old versions for audit
            # Versions are immutable snapshots: a new configuration must publish a new one.
            opts=pulumi.ResourceOptions(parent=self, replace_on_changes=["description"]),
        )
        self.guardrail_id = self.guardrail.guardrail_id
        self.guardrail_version = self.version.version
        self.guardrail_arn = self.guardrail.guardrail_arn

    def _existing_arn(self, identifier: str, region: str) -> pulumi.Input[str]:
        if identifier.startswith("arn:"):
            return identifier
        context = AwsContext.of(self)
        return pulumi.Output.concat(
            "arn:", context.partition, ":bedrock:", region, ":", context.account_id, ":guardrail/", identifier
        )
