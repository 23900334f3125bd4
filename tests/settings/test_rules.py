"""Rules across settings: each is its own problem, names every key involved, and cites the catalogue."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from components.settings import SettingsError, StackSettings, settings_from_config

from .helpers import CERT, DEV, PROD

DOMAIN = {"chatbot:customDomain": "chat.example.com"}
ARN = {"chatbot:certificateArn": CERT}
TLS = {"chatbot:minimumTlsVersion": "TLSv1.2_2021"}
NO_DOMAIN = {"chatbot:customDomain": "", "chatbot:certificateArn": "", "chatbot:minimumTlsVersion": ""}

CASES = [
    pytest.param(
        {**DEV, **DOMAIN, **TLS},
        "chatbot:customDomain, chatbot:certificateArn",
        "set together or not at all: customDomain is set but certificateArn is empty",
        id="domain-only",
    ),
    pytest.param(
        {**DEV, **ARN},
        "chatbot:customDomain, chatbot:certificateArn",
        "set together or not at all: certificateArn is set but customDomain is empty",
        id="cert-only",
    ),
    pytest.param(
        {**DEV, **TLS},
        "chatbot:minimumTlsVersion, chatbot:customDomain, chatbot:certificateArn",
        "TLSv1.2_2021 needs a custom domain and certificate: the default *.cloudfront.net certificate "
        "forces TLSv1",
        id="tls-without-domain",
    ),
    pytest.param(
        {**DEV, **DOMAIN, **ARN},
        "chatbot:customDomain, chatbot:minimumTlsVersion",
        "choose a minimumTlsVersion: TLSv1.2_2021 (recommended)",
        id="domain-without-tls",
    ),
    pytest.param(
        {**PROD, "chatbot:customerManagedKeys": "false"},
        "chatbot:customerManagedKeys, chatbot:environment",
        "must be true when environment is prod",
        id="prod-cmk",
    ),
    pytest.param(
        {**PROD, "chatbot:environment": "staging", "chatbot:customerManagedKeys": "false"},
        "chatbot:customerManagedKeys, chatbot:environment",
        "(SEC-CMK-AT-REST)",
        id="staging-cmk",
    ),
    pytest.param(
        {**PROD, "chatbot:retainData": "false"},
        "chatbot:retainData, chatbot:environment",
        "retainData must be true when environment is prod",
        id="prod-retain",
    ),
    pytest.param(
        {**PROD, "chatbot:retainData": "false"},
        "chatbot:retainData, chatbot:environment",
        "(SEC-DATA-RETENTION)",
        id="prod-retain-catalogue",
    ),
    pytest.param(
        {**PROD, **NO_DOMAIN},
        "chatbot:customDomain, chatbot:certificateArn, chatbot:environment",
        "required when environment is prod: the default *.cloudfront.net certificate forces TLSv1 "
        "(SEC-CLOUDFRONT-TLS)",
        id="prod-domain",
    ),
    pytest.param(
        {**PROD, **NO_DOMAIN},
        "chatbot:minimumTlsVersion, chatbot:environment",
        "got empty (SEC-CLOUDFRONT-TLS)",
        id="prod-tls-empty",
    ),
    pytest.param(
        {**PROD, "chatbot:minimumTlsVersion": "TLSv1.2_2019"},
        "chatbot:minimumTlsVersion, chatbot:environment",
        "must be TLSv1.2_2021 or newer (TLSv1.2_2021, TLSv1.2_2025, TLSv1.3_2025) when environment is "
        "prod, got TLSv1.2_2019 (SEC-CLOUDFRONT-TLS)",
        id="prod-tls-weak",
    ),
]


@pytest.mark.parametrize(("config", "key", "fragment"), CASES)
def test_cross_field_rule(config: dict[str, str], key: str, fragment: str) -> None:
    with pytest.raises(SettingsError) as caught:
        settings_from_config(config, stack="test")
    messages = {problem.key: problem.message for problem in caught.value.problems}
    assert key in messages, caught.value
    assert fragment in messages[key]


def test_prod_defaults_are_secure_and_incomplete() -> None:
    # environment defaults to prod, so a stack that sets only the required keys gets the hardened rules.
    with pytest.raises(SettingsError) as caught:
        settings_from_config({"aws:region": "us-east-1", "chatbot:owner": "me"}, stack="test")
    assert {problem.key for problem in caught.value.problems} == {
        "chatbot:customDomain, chatbot:certificateArn, chatbot:environment",
        "chatbot:minimumTlsVersion, chatbot:environment",
    }


def test_dev_allows_the_relaxations() -> None:
    settings = settings_from_config(
        {**DEV, "chatbot:customerManagedKeys": "false", "chatbot:retainData": "false"}, stack="dev"
    )
    assert settings.is_dev
    assert not settings.uses_custom_domain
    assert (settings.customer_managed_keys, settings.retain_data) == (False, False)
    assert settings.custom_domain is None and settings.minimum_tls_version is None


@pytest.mark.parametrize("tls", ["TLSv1.2_2021", "TLSv1.2_2025", "TLSv1.3_2025"])
def test_prod_accepts_strong_tls(tls: str) -> None:
    settings = settings_from_config({**PROD, "chatbot:minimumTlsVersion": tls}, stack="prod")
    assert settings.uses_custom_domain and not settings.is_dev
    assert settings.minimum_tls_version == tls


def test_all_problems_are_reported_at_once() -> None:
    config = {
        **PROD,
        "aws:region": "moon-1",
        "chatbot:owner": "",
        "chatbot:retainData": "maybe",
        "chatbot:customerManagedKeys": "false",
        "chatbot:logRetentionDays": "42",
        "chatbot:geoAllowlist": '["UK"]',
        "chatbot:certificateArn": "",
        "chatbot:rateLimitPerAIP": "100",
    }
    with pytest.raises(SettingsError) as caught:
        settings_from_config(config, stack="prod")
    keys = [problem.key for problem in caught.value.problems]
    assert set(keys) == {
        "chatbot:rateLimitPerAIP",
        "chatbot:retainData",
        "chatbot:owner",
        "chatbot:logRetentionDays",
        "chatbot:geoAllowlist",
        "aws:region",
        "chatbot:customDomain, chatbot:certificateArn",
        "chatbot:minimumTlsVersion, chatbot:customDomain, chatbot:certificateArn",
        "chatbot:customerManagedKeys, chatbot:environment",
        "chatbot:customDomain, chatbot:certificateArn, chatbot:environment",
    }
    assert len(keys) == len(set(keys))
    text = str(caught.value)
    assert text.startswith(f"Invalid stack settings ({len(keys)} problems):\n  - ")
    assert text.count("\n  - ") == len(keys)


def test_rules_of_an_invalid_field_are_not_evaluated() -> None:
    # retainData is not a boolean, so "retainData must be true" would be noise on top of the type error.
    with pytest.raises(SettingsError) as caught:
        settings_from_config({**PROD, "chatbot:retainData": "no", "chatbot:environment": "live"}, stack="x")
    keys = [problem.key for problem in caught.value.problems]
    assert sorted(keys) == ["chatbot:environment", "chatbot:retainData"]


def test_model_enforces_rules_when_built_directly() -> None:
    with pytest.raises(ValidationError) as caught:
        StackSettings.model_validate(
            {"stack": "s", "owner": "me", "region": "us-east-1", "retainData": False}
        )
    assert "SEC-DATA-RETENTION" in str(caught.value)
