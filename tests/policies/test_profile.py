"""The stack-profile policy, its config schema and the settings it feeds to every rule."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest
from chatbot_guard.profile import CONFIG_PROPERTIES
from chatbot_guard.settings import PackSettings, SettingsError, Suppression, current_settings, parse_settings

from .conftest import PackFactory
from .harness import Resource

POLICY = "stack-profile"
LAMBDA_BASIC = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
GOOD_REASON = "Reviewed by security on 2024-11-02, ticket SEC-123."


def profile(**settings: Any) -> dict[str, Any]:
    return {POLICY: settings}


def test_schema_is_valid_json_schema_and_defaults_match_the_dataclass() -> None:
    schema = {"type": "object", "properties": CONFIG_PROPERTIES}
    jsonschema.Draft7Validator.check_schema(schema)
    defaults = {k: v["default"] for k, v in CONFIG_PROPERTIES.items()}
    jsonschema.validate(defaults, schema)
    assert parse_settings(defaults) == PackSettings()
    assert set(defaults) == set(CONFIG_PROPERTIES)


def test_configure_installs_the_settings(pack: PackFactory) -> None:
    pack(config=profile(devStacks=["dev", "qa"], allowedCountries=["DE", "FR"], rateLimitCeiling=500))
    settings = current_settings()
    assert settings.dev_stacks == ("dev", "qa")
    assert settings.allowed_countries == ("DE", "FR")
    assert settings.rate_limit_ceiling == 500
    assert settings.log_retention_floor_days == 30


def test_valid_profile_reports_nothing(pack: PackFactory) -> None:
    suppressions = [{"policy": "log-group-retention", "urn": "*::legacy", "reason": GOOD_REASON}]
    result = pack(config=profile(suppressions=suppressions)).analyze_stack([])
    assert result.diagnostics == []


@pytest.mark.parametrize("reason", [None, "", "   ", "too short"])
def test_suppression_without_reason_is_a_mandatory_violation(pack: PackFactory, reason: str | None) -> None:
    entry = {"policy": "log-group-retention", "urn": "*"}
    if reason is not None:
        entry["reason"] = reason
    result = pack("dev", config=profile(suppressions=[entry])).analyze_stack([])
    (violation,) = result.violations(POLICY)
    assert violation.level == "mandatory"
    expected = "suppressions[0] (log-group-retention on *) has no reason of at least 10 characters"
    assert expected in violation.message


@pytest.mark.parametrize("policy", ["no-such-policy", "stack-profile"])
def test_suppression_must_name_a_suppressible_policy(pack: PackFactory, policy: str) -> None:
    suppressions = [{"policy": policy, "urn": "*", "reason": GOOD_REASON}]
    (violation,) = pack(config=profile(suppressions=suppressions)).analyze_stack([]).violations(POLICY)
    assert "names a policy this pack does not have" in violation.message


def test_profile_violations_are_not_suppressible(pack: PackFactory) -> None:
    entry = {"policy": "log-group-retention", "urn": "*"}
    own = {"policy": POLICY, "urn": "*", "reason": GOOD_REASON}
    harness = pack(config=profile(suppressions=[entry, own]))
    result = harness.analyze_stack([Resource("aws:sqs/queue:Queue", "q", {})])
    assert len(result.violations(POLICY)) == 2
    assert result.reasons(POLICY) == []


def test_parse_collects_every_error_with_its_key() -> None:
    raw = {
        "devStacks": "dev",
        "allowedCountries": ["de"],
        "minimumTlsVersion": "TLSv1",
        "logRetentionFloorDays": 7.5,
        "rateLimitCeiling": True,
        "suppressions": [{"policy": "x"}, "nope", {"policy": "x", "urn": "*", "why": "?"}],
        "allowedManagedPolicies": [{"arn": "arn:aws:iam::123:policy/Mine", "reason": "short"}],
        "extra": 1,
    }
    with pytest.raises(SettingsError) as caught:
        parse_settings(raw)
    text = "\n".join(caught.value.errors)
    for fragment in [
        "unknown keys ['extra']",
        "devStacks: expected an array of strings",
        "allowedCountries: invalid values ['de']",
        "minimumTlsVersion: 'TLSv1' is not one of",
        "logRetentionFloorDays: expected an integer, got 7.5",
        "rateLimitCeiling: expected an integer, got True",
        "suppressions[0]: ['urn'] must be non-empty strings",
        "suppressions[1]: expected an object",
        "suppressions[2]: unknown keys ['why']",
        "is not an AWS managed policy ARN",
        "reason for 'arn:aws:iam::123:policy/Mine' is under 10 characters",
    ]:
        assert fragment in text
    assert len(caught.value.errors) == 11


def test_parse_accepts_wire_floats_and_normalises_reasons() -> None:
    settings = parse_settings(
        {
            "logRetentionFloorDays": 90.0,
            "suppressions": [{"policy": "p", "urn": "u*", "reason": " two\tlines\nof   text "}],
            "allowedManagedPolicies": [
                {"arn": LAMBDA_BASIC, "reason": "x" * 12}
            ],
        }
    )
    assert settings.log_retention_floor_days == 90
    assert settings.suppressions == (Suppression("p", "u*", "two lines of text"),)
    assert settings.allowed_managed_policies[0].arn.endswith("AWSLambdaBasicExecutionRole")


def test_suppression_matching() -> None:
    good = Suppression("p", "urn:pulumi:prod::chatbot::*::site*", GOOD_REASON)
    reasonless = Suppression("p", "*", "")
    settings = PackSettings(suppressions=(reasonless, good))
    assert settings.suppression_for("p", "urn:pulumi:prod::chatbot::aws:s3/bucket:Bucket::site-logs") is good
    assert settings.suppression_for("p", "urn:pulumi:dev::chatbot::aws:s3/bucket:Bucket::site") is None
    assert settings.suppression_for("q", "urn:pulumi:prod::chatbot::aws:s3/bucket:Bucket::site") is None


def test_dev_stack_detection() -> None:
    settings = PackSettings(dev_stacks=("dev", "sandbox"))
    assert settings.is_dev_stack("sandbox") and not settings.is_dev_stack("prod")
    assert not settings.is_dev_stack("")
