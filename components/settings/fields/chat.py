"""Chat settings: Bedrock region and models, guardrail, per-user quotas and the chat route's rate limit."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, Field, field_validator

from components.settings.fields.edge import RATE_LIMIT_RULE
from components.settings.setting import REGION_PATTERN, Setting, between, check_items, matches

GuardrailMode = Literal["create", "existing", "none"]

MODEL_ID_PATTERN = r"^[a-z0-9][a-z0-9.:-]{2,127}$"
GUARDRAIL_ID_PATTERN = r"^[a-z0-9]{1,10}$"
GUARDRAIL_ARN_PATTERN = (
    r"^arn:aws[a-z-]*:bedrock:([a-z]{2}(-gov)?-[a-z]+-\d):\d{12}:guardrail/[a-z0-9]{1,10}$"
)
GUARDRAIL_VERSION_PATTERN = r"^([1-9][0-9]{0,7}|DRAFT)$"
_MODEL_ID = re.compile(MODEL_ID_PATTERN)
_GUARDRAIL = re.compile(f"{GUARDRAIL_ID_PATTERN}|{GUARDRAIL_ARN_PATTERN}")


def guardrail_arn_region(identifier: str) -> str | None:
    """The region of a guardrail ARN, None for a bare guardrail ID."""
    match = re.fullmatch(GUARDRAIL_ARN_PATTERN, identifier)
    return match.group(1) if match else None


class ChatFields(BaseModel):
    bedrock_region_override: Annotated[str | None, Setting(
        "string", "empty (the stack's region), or an AWS region name such as us-west-2",
        matches(REGION_PATTERN),
    )] = Field(None, alias="bedrockRegion", description="Region whose Bedrock models the chatbot invokes.")
    bedrock_models: Annotated[tuple[str, ...], Setting(
        "array", f"Bedrock model or inference profile IDs (`{MODEL_ID_PATTERN}`), no duplicates; empty "
        "offers every on-demand text model of the Bedrock region",
        effect="no idle cost; tokens bill per model, and larger models cost many times more per token",
    )] = Field((), alias="bedrockModels", description="Models users may chat with.")
    guardrail_mode: Annotated[GuardrailMode, Setting(
        "string", "one of create, existing, none; none only when environment is dev "
        "(SEC-BEDROCK-GUARDRAILS)",
        dev_relaxation="none: model calls carry no guardrail",
        effect=(
            "create/existing: every prompt and answer is checked, billed per text unit checked, "
            "nothing while idle; none: no cost, and no filter stops harmful content or prompt attacks"
        ),
    )] = Field("create", alias="guardrailMode", description=(
        "Bedrock guardrail of every model call: one the stack creates, an existing one "
        "(guardrailId and guardrailVersion), or none."))
    guardrail_id: Annotated[str | None, Setting(
        "string", f"empty, or a guardrail ID (`{GUARDRAIL_ID_PATTERN}`) or ARN in the Bedrock region; "
        "required when guardrailMode is existing, empty otherwise", _GUARDRAIL.fullmatch,
    )] = Field(None, alias="guardrailId", description="Existing guardrail to apply (guardrailMode existing).")
    guardrail_version: Annotated[str | None, Setting(
        "string", "empty, or a version number (1-99999999) or DRAFT; required when guardrailMode is "
        "existing, empty otherwise; DRAFT only when environment is dev (SEC-BEDROCK-GUARDRAILS)",
        matches(GUARDRAIL_VERSION_PATTERN),
        dev_relaxation="DRAFT: the existing guardrail's working draft",
        effect=(
            "DRAFT follows the guardrail's working copy, so an unreviewed edit changes production "
            "filtering at once; a number pins a reviewed version"
        ),
    )] = Field(None, alias="guardrailVersion", description="Version of the existing guardrail.")
    quota_messages_per_day: Annotated[int, Setting(
        "integer", "an integer from 1 to 100000", between(1, 100_000),
        effect="caps what one user (or a stolen account) can spend on model calls per day",
    )] = Field(200, alias="quotaMessagesPerDay", description="Chat messages one user may send per day.")
    quota_tokens_per_day: Annotated[int, Setting(
        "integer", "an integer from 1000 to 100000000", between(1000, 100_000_000),
        effect="caps the token bill one user (or a stolen account) can run up per day",
    )] = Field(500_000, alias="quotaTokensPerDay", description=(
        "Model tokens (input and output) one user may use per day."))
    chat_rate_limit_per_ip: Annotated[int, Setting(
        "integer", f"{RATE_LIMIT_RULE}, at most rateLimitPerIp", between(10, 2_000_000_000),
    )] = Field(100, alias="chatRateLimitPerIp", description=(
        "Stricter per-IP limit of the chat send route, per rate-limit window (SEC-WAF-RATE-LIMIT)."))

    @field_validator("bedrock_models")
    @classmethod
    def _check_models(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        check_items(value, lambda item: _MODEL_ID.fullmatch(item) is not None, "model IDs",
                    f"IDs such as amazon.nova-pro-v1:0 or eu.anthropic.claude-3-5-sonnet-20240620-v1:0 "
                    f"(`{MODEL_ID_PATTERN}`)")
        return value

    @property
    def guardrail_required(self) -> bool:
        """Every model call carries a guardrail (one the stack creates, or an existing one)."""
        return self.guardrail_mode != "none"

    @property
    def creates_guardrail(self) -> bool:
        return self.guardrail_mode == "create"
