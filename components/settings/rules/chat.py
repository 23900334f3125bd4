"""Rules of the chat settings: a guardrail outside dev, complete references to an existing one, limits."""

from __future__ import annotations

from typing import TYPE_CHECKING

from components.settings.fields.chat import guardrail_arn_region
from components.settings.rules.base import Rule, outside_dev, paired

if TYPE_CHECKING:
    from components.settings.model import StackSettings

_EXISTING = "guardrailMode is existing"


def _guardrail_outside_dev(s: StackSettings) -> str | None:
    if s.is_dev or s.guardrail_mode != "none":
        return None
    return outside_dev(s, "guardrailMode", s.guardrail_mode, "SEC-BEDROCK-GUARDRAILS",
                       "every model call goes through a Bedrock guardrail; set create, or existing with "
                       "guardrailId and guardrailVersion")


def _guardrail_id(s: StackSettings) -> str | None:
    return paired("guardrailId", s.guardrail_id is not None, s.guardrail_mode == "existing", _EXISTING,
                  ": the ID or ARN of the guardrail to apply")


def _guardrail_version(s: StackSettings) -> str | None:
    return paired("guardrailVersion", s.guardrail_version is not None, s.guardrail_mode == "existing",
                  _EXISTING, ": a published version number such as 1")


def _draft_outside_dev(s: StackSettings) -> str | None:
    if s.is_dev or s.guardrail_version != "DRAFT":
        return None
    return outside_dev(s, "guardrailVersion", "DRAFT", "SEC-BEDROCK-GUARDRAILS",
                       "the draft changes whenever someone edits the guardrail; pin a published version")


def _guardrail_region(s: StackSettings) -> str | None:
    region = guardrail_arn_region(s.guardrail_id or "")
    if region is None or region == s.bedrock_region:
        return None
    return (f"guardrailId is a guardrail in {region} but models are invoked in {s.bedrock_region} "
            "(bedrockRegion, else aws:region): Bedrock applies only guardrails of the invocation's region")


def _chat_limit_is_stricter(s: StackSettings) -> str | None:
    if s.chat_rate_limit_per_ip <= s.rate_limit_per_ip:
        return None
    return (f"chatRateLimitPerIp ({s.chat_rate_limit_per_ip}) must be at most rateLimitPerIp "
            f"({s.rate_limit_per_ip}): it is the stricter limit of the chat send route")


RULES = (
    Rule(("guardrail_mode", "environment"), _guardrail_outside_dev),
    Rule(("guardrail_id", "guardrail_mode"), _guardrail_id),
    Rule(("guardrail_version", "guardrail_mode"), _guardrail_version),
    Rule(("guardrail_version", "environment"), _draft_outside_dev),
    Rule(("guardrail_id", "bedrock_region_override", "region"), _guardrail_region),
    Rule(("chat_rate_limit_per_ip", "rate_limit_per_ip"), _chat_limit_is_stricter),
)
