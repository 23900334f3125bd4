"""ALLOWED_MODELS: GET /models lists only allowed models, sending and the admin's default model refuse the
others (400 unknown_model), the worker checks again, and a default outside the list is a config error."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from chatbot_app.core.config import ConfigError, from_env, get_config
from chatbot_app.handlers import chat_worker

from .conftest import WS_ENDPOINT, Tokens, call, scan
from .stubs import MODEL, OTHER_MODEL, Socket, StreamStub, Worker, answer_events, stub_models
from .test_chat import ask, nothing_stored, queue, usage_row
from .test_config import BASE

PROFILE = "eu.amazon.nova-micro-v1:0"
UNLISTED = "acme.not-in-this-account-v1:0"


@pytest.fixture
def allow(monkeypatch: pytest.MonkeyPatch) -> Any:
    def set_allowed(value: str, default: str | None = None) -> None:
        monkeypatch.setenv("ALLOWED_MODELS", value)
        if default:
            monkeypatch.setenv("DEFAULT_MODEL_ID", default)
        get_config.cache_clear()

    yield set_allowed
    get_config.cache_clear()


def test_allowed_models_are_parsed() -> None:
    assert from_env(BASE).allowed_models == ()
    assert from_env({**BASE, "ALLOWED_MODELS": " , "}).allowed_models == ()
    listed = f" {PROFILE}, {MODEL},{PROFILE},"
    config = from_env({**BASE, "ALLOWED_MODELS": listed, "DEFAULT_MODEL_ID": PROFILE})
    assert config.allowed_models == (PROFILE, MODEL) and config.default_model_id == PROFILE
    assert config.model_allowed(MODEL) and not config.model_allowed(OTHER_MODEL)
    assert from_env(BASE).model_allowed(OTHER_MODEL)  # no list: everything the account offers


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"ALLOWED_MODELS": OTHER_MODEL, "DEFAULT_MODEL_ID": MODEL}, "DEFAULT_MODEL_ID 'amazon.nova-micro"),
        ({"ALLOWED_MODELS": OTHER_MODEL}, "built-in default model 'amazon.nova-micro-v1:0' is not in"),
        ({"ALLOWED_MODELS": f"{MODEL},bad model id"}, "ALLOWED_MODELS: 'bad model id'"),
    ],
)
def test_default_model_must_be_allowed(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        from_env({**BASE, **env})


def test_misconfiguration_is_reported_clearly(
    ddb: Any, tokens: Tokens, allow: Any, caplog: pytest.LogCaptureFixture
) -> None:
    from chatbot_app.core.config import report_at_cold_start

    allow(OTHER_MODEL, MODEL)
    with caplog.at_level(logging.ERROR):
        report_at_cold_start(logging.getLogger("cold-start"))
        status, body = call("GET", "/models", tokens.make())
        assert chat_worker.handler({}, None) == {"status": "failed", "code": "config"}
    assert status == 500 and body["error"]["code"] == "internal"
    # Three reports (or four, when this test imports the rest module first: its own cold start).
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) >= 3 and all(f"DEFAULT_MODEL_ID '{MODEL}' is not in" in e for e in errors)


def test_models_lists_only_allowed_ones(ddb: Any, tokens: Tokens, allow: Any) -> None:
    allow(f"{PROFILE},{MODEL},{UNLISTED}")
    stubber = stub_models()
    status, body = call("GET", "/models", tokens.make())
    assert status == 200
    # Intersection: the account's list filtered; an allowed id the account does not offer is not shown.
    assert [m["modelId"] for m in body["models"]] == [MODEL, PROFILE]
    stubber.assert_no_pending_responses()


def test_admin_cannot_pick_a_model_outside_the_list(ddb: Any, tokens: Tokens, allow: Any) -> None:
    allow(f"{MODEL},{PROFILE}")
    stub_models()
    admin = tokens.make("a", ["admin"])
    status, body = call("PUT", "/settings", admin, {"version": 0, "defaultModel": OTHER_MODEL})
    assert status == 400 and body["error"]["code"] == "unknown_model"
    assert scan(ddb, "SETTINGS_TABLE") == [] and scan(ddb, "AUDIT_TABLE") == []
    status, body = call("PUT", "/settings", admin, {"version": 0, "defaultModel": PROFILE})
    assert status == 200 and body["defaultModel"] == PROFILE


def test_send_refuses_a_model_outside_the_list(session: tuple[str, str], ddb: Any, allow: Any) -> None:
    token, sid = session
    allow(MODEL)
    stub_models()
    worker = Worker()
    for model in (OTHER_MODEL, UNLISTED):
        status, body = ask(token, sid, modelId=model)
        assert status == 400 and body["error"]["code"] == "unknown_model"
    assert worker.calls == [] and scan(ddb, "USAGE_TABLE") == []
    worker.close()
    assert queue(token, sid, modelId=MODEL)["modelId"] == MODEL


def test_a_saved_default_outside_the_list_falls_back_to_default_model_id(
    session: tuple[str, str], tokens: Tokens, allow: Any
) -> None:
    token, sid = session
    stub_models()
    admin = tokens.make("a", ["admin"])
    assert call("PUT", "/settings", admin, {"version": 0, "defaultModel": OTHER_MODEL})[0] == 200
    allow(f"{MODEL},{PROFILE}", PROFILE)  # the list changed after the admin saved OTHER_MODEL
    assert queue(token, sid)["modelId"] == PROFILE


def test_worker_checks_the_model_again(session: tuple[str, str], ddb: Any, allow: Any) -> None:
    token, sid = session
    stub_models()
    job = queue(token, sid, modelId=OTHER_MODEL)  # accepted while every model was allowed
    allow(MODEL)
    stream = StreamStub()
    socket = Socket(WS_ENDPOINT)
    assert chat_worker.handler(job, None) == {"status": "failed", "code": "unknown_model"}
    assert [f["type"] for f in socket.frames] == ["error"]
    assert socket.frames[0]["error"]["code"] == "unknown_model"
    stream.stubber.assert_no_pending_responses()  # no model call
    nothing_stored(ddb)
    # An allowed model still answers.
    stream.add(answer_events())
    assert chat_worker.handler(queue(token, sid), None)["status"] == "stored"
    assert usage_row(ddb)["tokens"] == 20
