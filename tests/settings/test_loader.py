"""The loader: unknown keys, other namespaces, error rendering, frozen result and the Pulumi runtime path."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from pulumi.runtime import config as runtime_config
from pulumi.runtime import settings as runtime_settings
from pydantic import ValidationError

from components.settings import (
    SettingsError,
    SettingsProblem,
    StackSettings,
    load_settings,
    settings_from_config,
)

from .helpers import DEV, PROD


@pytest.mark.parametrize(
    ("key", "suggestion"),
    [
        ("chatbot:rateLimitPerAIP", "did you mean chatbot:rateLimitPerIp?"),  # the reference wizard's typo
        ("chatbot:ratelimitperip", "did you mean chatbot:rateLimitPerIp?"),
        ("chatbot:geoAllowList", "did you mean chatbot:geoAllowlist?"),
        ("chatbot:createCMKs", "did you mean chatbot:customerManagedKeys?"),
        ("chatbot:retainOnDelete", "did you mean chatbot:retainData?"),
        ("chatbot:domain", "did you mean chatbot:customDomain?"),
        ("chatbot:sagemakerEndpoints", "known settings: alarmEmail, authDomainPrefix, availabilityZoneCount"),
    ],
)
def test_unknown_chatbot_keys_are_errors_with_a_suggestion(key: str, suggestion: str) -> None:
    with pytest.raises(SettingsError) as caught:
        settings_from_config({**DEV, key: "400"}, stack="dev")
    (problem,) = caught.value.problems
    assert problem.key == key
    assert problem.message.startswith("unknown setting, the stack does not read it; ")
    assert suggestion in problem.message


def test_other_namespaces_are_ignored() -> None:
    config = {**DEV, "aws:profile": "x", "aws:defaultTags": "{}", "pulumi:tags": "{}", "other:thing": "1"}
    assert settings_from_config(config, stack="dev").region == "us-east-1"


def test_defaults_and_stack_name() -> None:
    settings = settings_from_config(PROD, stack="prod-eu")
    assert settings.stack == "prod-eu"
    assert (settings.prefix, settings.log_retention_days) == ("chatbot", 365)
    assert (settings.rate_limit_per_ip, settings.rate_limit_window_seconds) == (1000, 300)
    assert settings.geo_allowlist == ()
    assert settings.customer_managed_keys and settings.retain_data
    assert settings.region == "eu-west-1"


def test_settings_are_frozen_and_closed() -> None:
    settings = settings_from_config(DEV, stack="dev")
    with pytest.raises(ValidationError):
        settings.log_retention_days = 1  # type: ignore[misc]
    with pytest.raises(ValidationError):
        StackSettings.model_validate(
            {"stack": "dev", "owner": "me", "region": "us-east-1", "environment": "dev", "notASetting": 1}
        )
    assert isinstance(settings.geo_allowlist, tuple)
    assert hash(settings) == hash(settings_from_config(DEV, stack="dev"))


def test_error_text_lists_every_problem_without_pydantic_internals() -> None:
    with pytest.raises(SettingsError) as caught:
        settings_from_config({**DEV, "chatbot:environment": "qa", "chatbot:prefix": "X"}, stack="dev")
    text = str(caught.value)
    assert text.splitlines()[0] == "Invalid stack settings (2 problems):"
    assert '  - chatbot:environment: must be one of dev, staging, prod (got "qa")' in text.splitlines()
    for leak in ("pydantic", "input_value", "[type=", "https://"):
        assert leak not in text


def test_single_problem_rendering() -> None:
    error = SettingsError([SettingsProblem("chatbot:owner", "is required")])
    assert str(error) == "Invalid stack settings (1 problem):\n  - chatbot:owner: is required"
    with pytest.raises(ValueError):
        SettingsError([])


@pytest.fixture
def pulumi_runtime() -> Iterator[None]:
    """The runtime's stack name and config, reset afterwards so nothing leaks into other tests."""
    runtime_settings.reset_options(project="chatbot", stack="dev")
    runtime_config.set_all_config({})
    yield
    runtime_config.set_all_config({})
    runtime_settings.reset_options()


def test_load_settings_merges_environment_and_runtime_config(
    pulumi_runtime: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PULUMI_CONFIG", json.dumps({**DEV, "chatbot:logRetentionDays": "30"}))
    runtime_config.set_all_config({"chatbot:logRetentionDays": "90", "chatbot:geoAllowlist": '["FR"]'})
    settings = load_settings()
    assert settings.stack == "dev"
    assert settings.log_retention_days == 90  # the runtime's config wins over the environment's
    assert settings.geo_allowlist == ("FR",)
    assert settings.owner == "platform-team"


def test_load_settings_renders_non_text_values_like_pulumi(
    pulumi_runtime: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PULUMI_CONFIG", raising=False)
    runtime_config.set_all_config({**DEV, "chatbot:retainData": False, "chatbot:geoAllowlist": ["GB"]})  # type: ignore[dict-item]
    settings = load_settings()
    assert settings.retain_data is False
    assert settings.geo_allowlist == ("GB",)


def test_load_settings_reports_problems(pulumi_runtime: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PULUMI_CONFIG", json.dumps({"chatbot:rateLimitPerAIP": "10"}))
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert "chatbot:rateLimitPerAIP" in {problem.key for problem in caught.value.problems}
