"""Environment configuration: required tables, strict CORS origin, paired guardrail settings."""

from __future__ import annotations

import pytest
from chatbot_app.core.config import ConfigError, from_env

BASE = {
    "SESSIONS_TABLE": "s",
    "CONNECTIONS_TABLE": "c",
    "SETTINGS_TABLE": "t",
    "USAGE_TABLE": "u",
    "AUDIT_TABLE": "a",
    "USER_POOL_ID": "eu-west-1_x",
    "USER_POOL_CLIENT_ID": "cid",
    "AWS_REGION": "eu-west-1",
}


def test_defaults() -> None:
    config = from_env(BASE)
    assert config.admin_group == "admin" and config.bedrock_region == "eu-west-1"
    assert config.max_message_chars == 8000 and not config.guardrail_enabled
    assert config.allowed_origin is None
    assert config.chat_worker_function == ""  # only the REST function needs it


def test_chat_worker_function() -> None:
    config = from_env({**BASE, "CHAT_WORKER_FUNCTION": " chatbot-worker "})
    assert config.chat_worker_function == "chatbot-worker"


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"SESSIONS_TABLE": ""}, "SESSIONS_TABLE"),
        ({"ALLOWED_ORIGIN": "*"}, "ALLOWED_ORIGIN"),
        ({"GUARDRAIL_ID": "g"}, "GUARDRAIL"),
        ({"QUOTA_MESSAGES_PER_DAY": "lots"}, "QUOTA_MESSAGES_PER_DAY"),
        ({"MAX_MESSAGE_CHARS": "0"}, "MAX_MESSAGE_CHARS"),
    ],
)
def test_errors_name_the_variable(override: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        from_env({**BASE, **override})


def test_guardrail_and_bedrock_region() -> None:
    config = from_env({**BASE, "GUARDRAIL_ID": "g", "GUARDRAIL_VERSION": "1", "BEDROCK_REGION": "us-east-1"})
    assert config.guardrail_enabled and config.bedrock_region == "us-east-1"
