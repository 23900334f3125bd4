"""Guardrail content settings: what a guardrail the stack creates filters (guardrailMode create).

Which guardrail applies (created, existing or none) is a chat setting; these keys shape the one the stack
creates: the strength of the content filters, denied topics and what happens to personal data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, field_validator

from components.settings.setting import Setting, check_items, check_objects

FilterStrength = Literal["LOW", "MEDIUM", "HIGH"]
# Bedrock's GuardrailPiiEntityConfig types.
PII_TYPES: tuple[str, ...] = (
    "ADDRESS", "AGE", "AWS_ACCESS_KEY", "AWS_SECRET_KEY", "CA_HEALTH_NUMBER", "CA_SOCIAL_INSURANCE_NUMBER",
    "CREDIT_DEBIT_CARD_CVV", "CREDIT_DEBIT_CARD_EXPIRY", "CREDIT_DEBIT_CARD_NUMBER", "DRIVER_ID", "EMAIL",
    "INTERNATIONAL_BANK_ACCOUNT_NUMBER", "IP_ADDRESS", "LICENSE_PLATE", "MAC_ADDRESS", "NAME", "PASSWORD",
    "PHONE", "PIN", "SWIFT_CODE", "UK_NATIONAL_HEALTH_SERVICE_NUMBER", "UK_NATIONAL_INSURANCE_NUMBER",
    "UK_UNIQUE_TAXPAYER_REFERENCE_NUMBER", "URL", "USERNAME", "US_BANK_ACCOUNT_NUMBER",
    "US_BANK_ROUTING_NUMBER", "US_INDIVIDUAL_TAX_IDENTIFICATION_NUMBER", "US_PASSPORT_NUMBER",
    "US_SOCIAL_SECURITY_NUMBER", "VEHICLE_IDENTIFICATION_NUMBER",
)
# Replaced by {EMAIL}/{PHONE}: the chat still works.
DEFAULT_PII_ANONYMIZE: tuple[str, ...] = ("EMAIL", "PHONE")
# Credentials and card data: never sent to a model nor shown in an answer.
DEFAULT_PII_BLOCK: tuple[str, ...] = (
    "AWS_ACCESS_KEY", "AWS_SECRET_KEY", "PASSWORD", "PIN", "CREDIT_DEBIT_CARD_NUMBER",
    "CREDIT_DEBIT_CARD_CVV",
)
# Bedrock's limits on denied topics (classic tier).
MAX_TOPICS = 30
TOPIC_NAME_PATTERN = r"^[0-9a-zA-Z_ !?.-]{1,100}$"
MAX_DEFINITION = 200
MAX_EXAMPLES = 5
MAX_EXAMPLE = 100
_TOPIC_NAME = re.compile(TOPIC_NAME_PATTERN)
TOPIC_KEYS = ("name", "definition", "examples")


@dataclass(frozen=True)
class DeniedTopic:
    name: str
    definition: str
    examples: tuple[str, ...] = ()


def denied_topic(index: int, item: dict[str, Any]) -> DeniedTopic:
    name, definition, examples = item.get("name"), item.get("definition"), item.get("examples", [])
    problems = []
    if not isinstance(name, str) or not _TOPIC_NAME.fullmatch(name):
        problems.append(f"name must be 1-100 letters, digits, spaces and _ ! ? . - (got {name!r})")
    if not isinstance(definition, str) or not 1 <= len(definition.strip()) <= MAX_DEFINITION:
        problems.append(f"definition must be 1-{MAX_DEFINITION} characters saying what the topic is")
    if (not isinstance(examples, list) or len(examples) > MAX_EXAMPLES
            or not all(isinstance(e, str) and 1 <= len(e) <= MAX_EXAMPLE for e in examples)):
        problems.append(f"examples must be a list of up to {MAX_EXAMPLES} phrases of 1-{MAX_EXAMPLE} "
                        "characters")
    if problems:
        raise ValueError("; ".join(problems))
    return DeniedTopic(str(name), str(definition).strip(), tuple(examples))


class GuardrailFields(BaseModel):
    guardrail_filter_strength: Annotated[FilterStrength, Setting(
        "string", "one of LOW, MEDIUM, HIGH; only with guardrailMode create",
        effect=("how readily the hate, insults, sexual, violence and misconduct filters block, on prompts "
                "and answers; prompt-attack filtering stays HIGH; no cost difference"),
    )] = Field("HIGH", alias="guardrailFilterStrength", description=(
        "Strength of the content filters of the guardrail the stack creates."))
    guardrail_denied_topics: Annotated[tuple[DeniedTopic, ...], Setting(
        "objects", f"up to {MAX_TOPICS} mappings with `name` (`{TOPIC_NAME_PATTERN}`), `definition` (1-"
        f"{MAX_DEFINITION} characters) and optional `examples` (up to {MAX_EXAMPLES} phrases); unique names; "
        "only with guardrailMode create",
        effect="each topic is checked on every prompt and answer, billed with the guardrail's text units",
    )] = Field((), alias="guardrailDeniedTopics", description=(
        "Topics the assistant refuses to discuss (the guardrail's denied topics)."))
    guardrail_pii_anonymize: Annotated[tuple[str, ...], Setting(
        "array", "Bedrock PII entity types (such as EMAIL, PHONE, NAME, ADDRESS), no duplicates, none also "
        "in guardrailPiiBlock; only with guardrailMode create",
        effect="masked entities reach neither the model nor the answer; the conversation still works",
    )] = Field(DEFAULT_PII_ANONYMIZE, alias="guardrailPiiAnonymize", description=(
        "Personal data the guardrail masks (replaced by {TYPE}) in prompts and answers."))
    guardrail_pii_block: Annotated[tuple[str, ...], Setting(
        "array", "Bedrock PII entity types (such as AWS_SECRET_KEY, PASSWORD, CREDIT_DEBIT_CARD_NUMBER), no "
        "duplicates; only with guardrailMode create",
        effect="a prompt or answer containing one is refused with the guardrail's message",
    )] = Field(DEFAULT_PII_BLOCK, alias="guardrailPiiBlock", description=(
        "Personal data and credentials that make the guardrail refuse a prompt or answer."))

    @field_validator("guardrail_denied_topics", mode="before")
    @classmethod
    def _check_denied_topics(cls, value: Any) -> tuple[DeniedTopic, ...]:
        return check_objects(value, DeniedTopic, denied_topic, TOPIC_KEYS, name_of=lambda t: t.name,
                             max_items=MAX_TOPICS, what="topic")

    @field_validator("guardrail_pii_anonymize", "guardrail_pii_block")
    @classmethod
    def _check_pii(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        check_items(value, lambda item: item in PII_TYPES, "Bedrock PII entity types", ", ".join(PII_TYPES))
        return value
