"""Guardrail: filters at HIGH, prompt attacks blocked on input, PII anonymised or blocked, a published version
that follows the configuration, the CMK, and the existing/none modes."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest

from components.guardrail import (
    BLOCKED_INPUT_MESSAGE,
    BLOCKED_OUTPUT_MESSAGE,
    Guardrail,
    GuardrailArgs,
    GuardrailContent,
    configuration_hash,
)
from components.settings.fields.guardrail import DeniedTopic

from .conftest import ACCOUNT_ID, MOCK_REGION, Harness, dev_settings, prod_settings

GUARDRAIL = "aws:bedrock/guardrail:Guardrail"
VERSION = "aws:bedrock/guardrailVersion:GuardrailVersion"
KEY = f"arn:aws:kms:eu-west-1:{ACCOUNT_ID}:key/data"


def with_bedrock_outputs(harness: Harness) -> Harness:
    """Extend the shared mocks with the computed outputs Bedrock returns (the harness returns only `arn`)."""
    base = harness.mocks.new_resource

    def new_resource(args: Any) -> tuple[str | None, dict[str, Any]]:
        resource_id, outputs = base(args)
        if args.typ == GUARDRAIL:
            outputs = {**outputs, "guardrailArn": outputs["arn"], "guardrailId": "gr0example"}
        elif args.typ == VERSION:
            outputs = {**outputs, "version": "1"}
        return resource_id, outputs

    harness.mocks.new_resource = new_resource  # type: ignore[method-assign]
    return harness


def build(harness: Harness, args: GuardrailArgs) -> dict[str, Any]:
    def program() -> pulumi.Output[dict[str, Any]]:
        component = Guardrail("guardrail", args)
        return pulumi.Output.all(
            id=component.guardrail_id, version=component.guardrail_version, arn=component.guardrail_arn
        )

    return harness.run(program)


def test_created_guardrail_filters_content_prompt_attacks_and_pii(pulumi_mocks) -> None:
    harness = pulumi_mocks("prod")
    build(harness, GuardrailArgs.from_settings(prod_settings(), KEY))
    props = harness.one(GUARDRAIL).inputs
    filters = {f["type"]: f for f in props["contentPolicyConfig"]["filtersConfigs"]}
    assert set(filters) == {"HATE", "INSULTS", "SEXUAL", "VIOLENCE", "MISCONDUCT", "PROMPT_ATTACK"}
    for kind in ("HATE", "INSULTS", "SEXUAL", "VIOLENCE", "MISCONDUCT"):
        assert (filters[kind]["inputStrength"], filters[kind]["outputStrength"]) == ("HIGH", "HIGH")
    # Prompt attacks are judged on what users send; Bedrock requires NONE for the output side.
    assert (filters["PROMPT_ATTACK"]["inputStrength"], filters["PROMPT_ATTACK"]["outputStrength"]) == (
        "HIGH", "NONE",
    )
    pii = {p["type"]: p["action"] for p in props["sensitiveInformationPolicyConfig"]["piiEntitiesConfigs"]}
    assert pii["EMAIL"] == "ANONYMIZE" and pii["PHONE"] == "ANONYMIZE"
    for credential in ("AWS_ACCESS_KEY", "AWS_SECRET_KEY", "PASSWORD"):
        assert pii[credential] == "BLOCK"
    assert props["blockedInputMessaging"] == BLOCKED_INPUT_MESSAGE
    assert props["blockedOutputsMessaging"] == BLOCKED_OUTPUT_MESSAGE
    assert props["kmsKeyArn"] == KEY
    assert props["region"] == "eu-west-1"
    assert props["name"] == "chatbot-prod-guardrail"


def test_published_version_belongs_to_the_guardrail_and_outputs_use_it(pulumi_mocks) -> None:
    harness = with_bedrock_outputs(pulumi_mocks("prod"))
    outputs = build(harness, GuardrailArgs.from_settings(prod_settings(), KEY))
    version = harness.one(VERSION).inputs
    arn = f"arn:aws:mock:{MOCK_REGION}:{ACCOUNT_ID}:guardrail/guardrail-guardrail"
    assert version["guardrailArn"] == arn
    assert version["description"] == f"configuration {configuration_hash(GuardrailContent())}"
    assert version["skipDestroy"] is True  # prod retains data: old versions stay for audit
    assert outputs == {"id": "gr0example", "version": "1", "arn": arn}


def test_dev_guardrail_without_key_does_not_retain_versions(pulumi_mocks) -> None:
    harness = pulumi_mocks("dev")
    build(harness, GuardrailArgs.from_settings(dev_settings(), None))
    assert "kmsKeyArn" not in harness.one(GUARDRAIL).inputs
    assert harness.one(VERSION).inputs["skipDestroy"] is False


def test_bedrock_region_setting_places_the_guardrail(pulumi_mocks) -> None:
    harness = pulumi_mocks("prod")
    build(harness, GuardrailArgs.from_settings(prod_settings(**{"chatbot:bedrockRegion": "us-west-2"}), None))
    assert harness.one(GUARDRAIL).inputs["region"] == "us-west-2"
    assert harness.one(VERSION).inputs["region"] == "us-west-2"


@pytest.mark.parametrize("changed", [
    GuardrailContent(filter_strength="MEDIUM"),
    GuardrailContent(denied_topics=(DeniedTopic("Legal advice", "Advice on legal matters"),)),
    GuardrailContent(pii_anonymize=("EMAIL",)),
    GuardrailContent(pii_block=("PASSWORD",)),
])
def test_configuration_change_changes_the_version_description(changed: GuardrailContent) -> None:
    assert configuration_hash(changed) != configuration_hash(GuardrailContent())


def test_settings_shape_the_created_guardrail(pulumi_mocks) -> None:
    harness = pulumi_mocks("prod")
    settings = prod_settings(**{
        "chatbot:guardrailFilterStrength": "MEDIUM",
        "chatbot:guardrailDeniedTopics": '[{"name": "Legal advice", "definition": "Advice on legal matters",'
                                         ' "examples": ["Can I sue my landlord?"]}]',
        "chatbot:guardrailPiiAnonymize": '["NAME"]',
        "chatbot:guardrailPiiBlock": '["US_SOCIAL_SECURITY_NUMBER"]',
    })
    build(harness, GuardrailArgs.from_settings(settings, KEY))
    props = harness.one(GUARDRAIL).inputs
    filters = {f["type"]: f for f in props["contentPolicyConfig"]["filtersConfigs"]}
    assert (filters["HATE"]["inputStrength"], filters["HATE"]["outputStrength"]) == ("MEDIUM", "MEDIUM")
    assert filters["PROMPT_ATTACK"]["inputStrength"] == "HIGH"  # never weakened by the setting
    assert props["topicPolicyConfig"]["topicsConfigs"] == [{
        "name": "Legal advice", "definition": "Advice on legal matters", "type": "DENY",
        "examples": ["Can I sue my landlord?"]}]
    pii = {p["type"]: p["action"] for p in props["sensitiveInformationPolicyConfig"]["piiEntitiesConfigs"]}
    assert pii == {"NAME": "ANONYMIZE", "US_SOCIAL_SECURITY_NUMBER": "BLOCK"}


def test_no_topics_and_no_pii_leave_those_policies_out(pulumi_mocks) -> None:
    harness = pulumi_mocks("dev")
    settings = dev_settings(**{"chatbot:guardrailPiiAnonymize": "[]", "chatbot:guardrailPiiBlock": "[]"})
    build(harness, GuardrailArgs.from_settings(settings, None))
    props = harness.one(GUARDRAIL).inputs
    assert "topicPolicyConfig" not in props and "sensitiveInformationPolicyConfig" not in props


def test_existing_guardrail_id_is_referenced_without_resources(pulumi_mocks) -> None:
    harness = pulumi_mocks("prod")
    settings = prod_settings(**{
        "chatbot:guardrailMode": "existing",
        "chatbot:guardrailId": "abc123xyz9",
        "chatbot:guardrailVersion": "3",
    })
    outputs = build(harness, GuardrailArgs.from_settings(settings, KEY))
    assert not harness.of_type(GUARDRAIL) and not harness.of_type(VERSION)
    assert outputs == {
        "id": "abc123xyz9",
        "version": "3",
        "arn": f"arn:aws:bedrock:eu-west-1:{ACCOUNT_ID}:guardrail/abc123xyz9",
    }


def test_existing_guardrail_arn_is_kept_as_given(pulumi_mocks) -> None:
    harness = pulumi_mocks("prod")
    arn = f"arn:aws:bedrock:eu-west-1:{ACCOUNT_ID}:guardrail/abc123xyz9"
    args = GuardrailArgs("chatbot", "prod", "existing", "eu-west-1", existing_id=arn, existing_version="2")
    assert build(harness, args) == {"id": arn, "version": "2", "arn": arn}


def test_none_mode_creates_nothing_and_exposes_none(pulumi_mocks) -> None:
    harness = pulumi_mocks("dev")
    component: dict[str, Guardrail] = {}

    def program() -> None:
        component["g"] = Guardrail("guardrail", GuardrailArgs.from_settings(
            dev_settings(**{"chatbot:guardrailMode": "none"}), None
        ))

    harness.run(program)
    made = component["g"]
    assert (made.guardrail_id, made.guardrail_version, made.guardrail_arn) == (None, None, None)
    assert [r.type for r in harness.resources] == ["chatbot:guardrail:Guardrail"]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"mode": "off"}, "mode must be"),
        ({"mode": "existing"}, "existing_id and existing_version"),
        ({"mode": "existing", "existing_id": "abc"}, "existing_id and existing_version"),
        ({"existing_id": "abc", "existing_version": "1"}, "existing_id and existing_version"),
        ({"mode": "none", "kms_key_arn": KEY}, "kms_key_arn applies only"),
    ],
)
def test_args_refuse_inconsistent_modes(overrides: dict[str, Any], message: str) -> None:
    values: dict[str, Any] = {"prefix": "chatbot", "stack": "dev", "mode": "create", "region": "us-east-1"}
    with pytest.raises(ValueError, match=message):
        GuardrailArgs(**{**values, **overrides})
