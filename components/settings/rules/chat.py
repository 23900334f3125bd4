"""Rules of the chat settings: a guardrail outside dev, complete references to an existing one, content
settings only for a created one, limits."""

from __future__ import annotations

from typing import TYPE_CHECKING

from components.settings.fields.chat import guardrail_arn_region
from components.settings.fields.guardrail import DEFAULT_PII_ANONYMIZE, DEFAULT_PII_BLOCK
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


def _guardrail_content_only_when_created(s: StackSettings) -> str | None:
    if s.creates_guardrail:
        return None
    changed = [key for key, on in (
        ("guardrailFilterStrength", s.guardrail_filter_strength != "HIGH"),
        ("guardrailDeniedTopics", bool(s.guardrail_denied_topics)),
        ("guardrailPiiAnonymize", s.guardrail_pii_anonymize != DEFAULT_PII_ANONYMIZE),
        ("guardrailPiiBlock", s.guardrail_pii_block != DEFAULT_PII_BLOCK)) if on]
    if not changed:
        return None
    return (f"{', '.join(changed)} shape only a guardrail the stack creates, but guardrailMode is "
            f"{s.guardrail_mode}; set guardrailMode to create or leave them unset (an existing guardrail "
            "keeps its own filters)")


def _pii_once(s: StackSettings) -> str | None:
    both = sorted(set(s.guardrail_pii_anonymize) & set(s.guardrail_pii_block))
    if not both:
        return None
    return (f"{', '.join(both)} listed in both guardrailPiiAnonymize and guardrailPiiBlock; a PII type has "
            "one action: keep it in one list")


GUARDRAIL_RULES = (
    Rule(("guardrail_filter_strength", "guardrail_denied_topics", "guardrail_pii_anonymize",
          "guardrail_pii_block", "guardrail_mode"), _guardrail_content_only_when_created),
    Rule(("guardrail_pii_anonymize", "guardrail_pii_block"), _pii_once),
)
