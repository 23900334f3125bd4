"""The repository's stack files load, as Pulumi would pass them to the program."""

from __future__ import annotations

from pathlib import Path

import pytest

from components.settings import settings_from_config

from .helpers import CERT, REPO, flatten_stack_file


def _stack_files() -> list[Path]:
    return sorted(REPO.glob("Pulumi.*.yaml"))


def test_the_repository_has_dev_and_prod_stacks() -> None:
    assert {path.name for path in _stack_files()} >= {"Pulumi.dev.yaml", "Pulumi.prod.yaml"}


@pytest.mark.parametrize("path", _stack_files(), ids=lambda path: path.name)
def test_every_stack_file_loads(path: Path) -> None:
    stack = path.name.removeprefix("Pulumi.").removesuffix(".yaml")
    settings = settings_from_config(flatten_stack_file(path), stack=stack)
    assert settings.stack == stack


def test_dev_stack() -> None:
    settings = settings_from_config(flatten_stack_file(REPO / "Pulumi.dev.yaml"), stack="dev")
    assert settings.is_dev
    assert settings.owner == "platform-team"
    assert (settings.customer_managed_keys, settings.retain_data) == (False, False)
    assert settings.log_retention_days == 7
    assert not settings.uses_custom_domain
    assert (settings.custom_domain, settings.certificate_arn, settings.minimum_tls_version) == (
        None,
        None,
        None,
    )
    assert settings.rate_limit_per_ip == 500
    assert settings.region == "us-east-1"
    assert settings.geo_allowlist == ()
    assert (settings.mfa, settings.cognito_plan) == ("OPTIONAL", "ESSENTIALS")
    assert settings.dev_tools and not settings.xray_tracing
    assert settings.guardrail_mode == "create" and settings.guardrail_required
    assert (settings.quota_messages_per_day, settings.quota_tokens_per_day) == (100, 200_000)
    assert settings.chat_rate_limit_per_ip == 50
    assert settings.creates_vpc and not settings.nat_gateway and settings.availability_zone_count == 2
    assert not settings.uses_federation and not settings.private_website
    assert settings.bedrock_region == "us-east-1" and settings.bedrock_models == ()


def test_prod_stack() -> None:
    settings = settings_from_config(flatten_stack_file(REPO / "Pulumi.prod.yaml"), stack="prod")
    assert settings.environment == "prod" and not settings.is_dev
    assert (settings.customer_managed_keys, settings.retain_data) == (True, True)
    assert settings.log_retention_days == 365
    assert settings.uses_custom_domain
    assert settings.custom_domain == "chat.example.com"
    assert settings.certificate_arn == CERT
    assert settings.minimum_tls_version == "TLSv1.2_2021"
    assert settings.geo_allowlist == ("GB", "IE", "DE", "FR", "NL")
    assert settings.rate_limit_per_ip == 1000
    assert settings.region == "eu-west-1"
    assert (settings.mfa, settings.cognito_plan) == ("ON", "PLUS")
    assert settings.guardrail_mode == "create" and settings.creates_guardrail
    assert settings.alarm_email == "ops@example.com"
    assert settings.xray_tracing and not settings.dev_tools
    assert settings.creates_vpc and settings.availability_zone_count == 3
    assert (settings.quota_messages_per_day, settings.quota_tokens_per_day) == (300, 1_000_000)
    assert settings.chat_rate_limit_per_ip == 100
    assert settings.bedrock_models == ("anthropic.claude-3-5-haiku-20241022-v1:0", "amazon.nova-pro-v1:0")
    assert settings.bedrock_region == "eu-west-1"


def test_yaml_1_1_booleans_are_quoted() -> None:
    # PyYAML reads a bare ON as true; the stack file quotes it so every YAML reader sees the string ON.
    assert flatten_stack_file(REPO / "Pulumi.prod.yaml")["chatbot:mfa"] == "ON"


def test_flattening_matches_pulumi() -> None:
    flat = flatten_stack_file(REPO / "Pulumi.prod.yaml")
    assert flat["chatbot:retainData"] == "true"
    assert flat["chatbot:logRetentionDays"] == "365"
    assert flat["chatbot:geoAllowlist"] == '["GB", "IE", "DE", "FR", "NL"]'
