"""The Bedrock guardrail every model call carries (SEC-BEDROCK-GUARDRAILS): created by the stack, an existing
one referenced by ID and version, or (dev stacks only, enforced by the settings) none. A created guardrail
filters what the settings say: content filter strength, denied topics, PII to mask and PII to refuse.

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
from components.settings.fields.guardrail import (
    DEFAULT_PII_ANONYMIZE,
    DEFAULT_PII_BLOCK,
    DeniedTopic,
    FilterStrength,
)

GuardrailMode = Literal["create", "existing", "none"]

CONTENT_FILTER_TYPES: tuple[str, ...] = ("HATE", "INSULTS", "SEXUAL", "VIOLENCE", "MISCONDUCT")
PROMPT_ATTACK_STRENGTH = "HIGH"  # not a setting: instruction overrides are always filtered at full strength
BLOCKED_INPUT_MESSAGE = (
    "Sorry, this message cannot be processed: it may contain harmful content, an attempt to override the "
    "assistant's instructions, or credentials. Please rephrase it without them."
)
BLOCKED_OUTPUT_MESSAGE = "Sorry, the answer was withheld because it did not pass the content safety checks."


@dataclass(frozen=True)
class GuardrailContent:
    """What a created guardrail filters (settings guardrailFilterStrength, guardrailDeniedTopics,
    guardrailPiiAnonymize, guardrailPiiBlock)."""

    filter_strength: FilterStrength = "HIGH"
    denied_topics: tuple[DeniedTopic, ...] = ()
    pii_anonymize: tuple[str, ...] = DEFAULT_PII_ANONYMIZE
    pii_block: tuple[str, ...] = DEFAULT_PII_BLOCK

    def filters(self) -> list[tuple[str, str, str]]:
        """(type, input strength, output strength); prompt attacks exist only in input."""
        strength = self.filter_strength
        return [*((kind, strength, strength) for kind in CONTENT_FILTER_TYPES),
                ("PROMPT_ATTACK", PROMPT_ATTACK_STRENGTH, "NONE")]


def configuration_hash(content: GuardrailContent) -> str:
    """A short hash of everything that makes up the guardrail's configuration."""
    topics = [[t.name, t.definition, list(t.examples)] for t in content.denied_topics]
    parts = [content.filters(), topics, list(content.pii_anonymize), list(content.pii_block),
             BLOCKED_INPUT_MESSAGE, BLOCKED_OUTPUT_MESSAGE]
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
    content: GuardrailContent = GuardrailContent()

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
            content=GuardrailContent(settings.guardrail_filter_strength, settings.guardrail_denied_topics,
                                     settings.guardrail_pii_anonymize, settings.guardrail_pii_block),
        )


def content_policy(content: GuardrailContent) -> bedrock.GuardrailContentPolicyConfigArgs:
    return bedrock.GuardrailContentPolicyConfigArgs(
        filters_configs=[
            bedrock.GuardrailContentPolicyConfigFiltersConfigArgs(
                type=kind, input_strength=input_strength, output_strength=output_strength
            )
            for kind, input_strength, output_strength in content.filters()
        ]
    )


def topic_policy(content: GuardrailContent) -> bedrock.GuardrailTopicPolicyConfigArgs | None:
    if not content.denied_topics:
        return None
    return bedrock.GuardrailTopicPolicyConfigArgs(topics_configs=[
        bedrock.GuardrailTopicPolicyConfigTopicsConfigArgs(
            name=topic.name, definition=topic.definition, type="DENY", examples=list(topic.examples) or None)
        for topic in content.denied_topics
    ])


def sensitive_information_policy(
    content: GuardrailContent,
) -> bedrock.GuardrailSensitiveInformationPolicyConfigArgs | None:
    actions = [*((kind, "ANONYMIZE") for kind in content.pii_anonymize),
               *((kind, "BLOCK") for kind in content.pii_block)]
    if not actions:
        return None
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
            content_policy_config=content_policy(args.content),
            topic_policy_config=topic_policy(args.content),
            sensitive_information_policy_config=sensitive_information_policy(args.content),
            blocked_input_messaging=BLOCKED_INPUT_MESSAGE,
            blocked_outputs_messaging=BLOCKED_OUTPUT_MESSAGE,
            kms_key_arn=args.kms_key_arn,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.version = bedrock.GuardrailVersion(
            f"{name}-version",
            guardrail_arn=self.guardrail.guardrail_arn,
            description=f"configuration {configuration_hash(args.content)}",
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
