"""Shared test data: valid configs and the flattening Pulumi applies to stack files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from components.settings import SettingsError, settings_from_config

REPO = Path(__file__).resolve().parents[2]
CERT = "arn:aws:acm:us-east-1:111122223333:certificate/0b5c9f0e-1d2a-4c3b-9e8f-7a6b5c4d3e2f"

# Smallest valid configs: a dev stack, and a prod stack with everything SEC-CLOUDFRONT-TLS needs.
DEV = {"aws:region": "us-east-1", "chatbot:environment": "dev", "chatbot:owner": "platform-team"}
PROD = {
    "aws:region": "eu-west-1",
    "chatbot:environment": "prod",
    "chatbot:owner": "platform-team",
    "chatbot:customDomain": "chat.example.com",
    "chatbot:certificateArn": CERT,
    "chatbot:minimumTlsVersion": "TLSv1.2_2021",
}


def config_text(value: Any) -> str:
    """A YAML value as Pulumi passes it to the program: text, JSON for structured values."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        return json.dumps(value)
    return str(value)


def flatten_stack_file(path: Path) -> dict[str, str]:
    """The flat config map Pulumi would give the program for a Pulumi.<stack>.yaml file."""
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {key: config_text(value) for key, value in (document.get("config") or {}).items()}

SECRET_KEY = "chatbot:federationClientSecret"  # noqa: S105  # nosec B105 - a config key, not a secret
CLIENT_SECRET = "s3cr3t-Value-that-must-never-show"  # noqa: S105  # nosec B105 - test data
# A complete OIDC federation; its client secret is only valid when SECRET_KEY is passed as a secret key.
OIDC = {
    "chatbot:federationProvider": "oidc",
    "chatbot:federationName": "Corp",
    "chatbot:federationIssuerUrl": "https://login.example.com/tenant",
    "chatbot:federationClientId": "chatbot-client",
    SECRET_KEY: CLIENT_SECRET,
}
SAML = {
    "chatbot:federationProvider": "saml",
    "chatbot:federationName": "Corp-SAML",
    "chatbot:federationMetadataUrl": "https://idp.example.com/metadata.xml",
}


def problems(config: dict[str, str]) -> list[tuple[str, str]]:
    """(config key, message) of every problem the loader reports for `config`; [] when it loads."""
    try:
        settings_from_config(config, stack="test")
    except SettingsError as error:
        return [(p.key, p.message) for p in error.problems]
    return []
