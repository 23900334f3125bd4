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


def test_flattening_matches_pulumi() -> None:
    flat = flatten_stack_file(REPO / "Pulumi.prod.yaml")
    assert flat["chatbot:retainData"] == "true"
    assert flat["chatbot:logRetentionDays"] == "365"
    assert flat["chatbot:geoAllowlist"] == '["GB", "IE", "DE", "FR", "NL"]'
