"""Runtime inference settings: everyone reads, only the admin group writes, every change is audited."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import Tokens, call, scan
from .stubs import NO_STREAM_MODEL, NO_STREAM_PROFILE, OTHER_MODEL, stub_models


def test_users_read_defaults(ddb: Any, tokens: Tokens) -> None:
    status, body = call("GET", "/settings", tokens.make())
    assert status == 200
    assert body["version"] == 0 and body["defaultModel"] == "amazon.nova-micro-v1:0"


def test_non_admin_cannot_change_settings(ddb: Any, tokens: Tokens) -> None:
    token = tokens.make("bob", ["user", "workspace_manager"])
    status, body = call("PUT", "/settings", token, {"version": 0, "temperature": 0.9})
    assert status == 403 and body["error"]["code"] == "forbidden"
    assert scan(ddb, "SETTINGS_TABLE") == [] and scan(ddb, "AUDIT_TABLE") == []


def test_admin_change_is_stored_and_audited(ddb: Any, tokens: Tokens) -> None:
    admin = tokens.make("root-sub", ["admin"])
    stub_models()
    status, body = call(
        "PUT",
        "/settings",
        admin,
        {"version": 0, "defaultModel": OTHER_MODEL, "temperature": 0.2, "systemPrompt": "Be brief."},
    )
    assert status == 200, body
    assert (
        body["version"] == 1 and body["defaultModel"] == OTHER_MODEL and body["updatedBy"] == "name-root-sub"
    )
    assert call("GET", "/settings", tokens.make())[1]["temperature"] == 0.2
    (audit,) = scan(ddb, "AUDIT_TABLE")
    assert audit["who"] == {"sub": "root-sub", "username": "name-root-sub"}
    assert audit["when"] and audit["changed"] == ["defaultModel", "systemPrompt", "temperature"]
    assert audit["before"]["temperature"] == 0.5 and audit["after"]["temperature"] == 0.2
    assert audit["before"]["version"] == 0 and audit["after"]["version"] == 1


def test_stale_version_conflicts(ddb: Any, tokens: Tokens) -> None:
    admin = tokens.make("a", ["admin"])
    assert call("PUT", "/settings", admin, {"version": 0, "maxTokens": 512})[0] == 200
    status, body = call("PUT", "/settings", admin, {"version": 0, "maxTokens": 256})
    assert status == 409 and body["error"]["code"] == "conflict"
    assert call("PUT", "/settings", admin, {"version": 1, "maxTokens": 256})[1]["version"] == 2
    assert len(scan(ddb, "AUDIT_TABLE")) == 2


@pytest.mark.parametrize(
    "change",
    [
        {"temperature": 1.5},
        {"maxTokens": 0},
        {"maxTokens": 9000},
        {"historyLength": 51},
        {"systemPrompt": "x" * 4001},
        {"promptTemplate": "{question}"},  # the RAG reference let users send prompt templates
        {"topP": 0.1},
        {},
    ],
)
def test_bad_changes_are_rejected_and_nothing_is_written(ddb: Any, tokens: Tokens, change: dict) -> None:
    status, body = call("PUT", "/settings", tokens.make("a", ["admin"]), {"version": 0, **change})
    assert status == 400, body
    assert scan(ddb, "SETTINGS_TABLE") == [] and scan(ddb, "AUDIT_TABLE") == []


def test_default_model_must_be_available(ddb: Any, tokens: Tokens) -> None:
    stub_models()
    status, body = call(
        "PUT", "/settings", tokens.make("a", ["admin"]), {"version": 0, "defaultModel": "acme.gpt-9"}
    )
    assert status == 400 and body["error"]["code"] == "unknown_model"
    assert scan(ddb, "AUDIT_TABLE") == []


def test_admin_group_name_comes_from_config(
    ddb: Any, tokens: Tokens, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chatbot_app.core.config import get_config

    monkeypatch.setenv("ADMIN_GROUP", "Administrators")
    get_config.cache_clear()
    assert call("PUT", "/settings", tokens.make("a", ["admin"]), {"version": 0, "maxTokens": 9})[0] == 403
    assert (
        call("PUT", "/settings", tokens.make("a", ["Administrators"]), {"version": 0, "maxTokens": 9})[0]
        == 200
    )


def test_models_lists_text_models_and_profiles(ddb: Any, tokens: Tokens) -> None:
    stubber = stub_models()
    status, body = call("GET", "/models", tokens.make())
    assert status == 200
    ids = [m["modelId"] for m in body["models"]]
    # No embeddings model, no profile over an image model.
    assert ids == [
        NO_STREAM_MODEL,
        "amazon.nova-micro-v1:0",
        OTHER_MODEL,
        NO_STREAM_PROFILE,
        "eu.amazon.nova-micro-v1:0",
    ]
    call("GET", "/models", tokens.make())  # served from the cache: no second Bedrock call
    stubber.assert_no_pending_responses()
