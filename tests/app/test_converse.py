"""Models without response streaming: GET /models says so, the job carries it, and the worker calls
Converse (same request, guardrail included), pushes the whole answer as one delta frame and stores it like a
streamed one."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from chatbot_app.handlers import chat_worker

from .conftest import WS_ENDPOINT, Tokens, call, scan
from .stubs import (
    IMAGE_PROFILE,
    MODEL,
    NO_STREAM_MODEL,
    NO_STREAM_PROFILE,
    Socket,
    StreamStub,
    answer_events,
    converse_answer,
    stub_models,
)
from .test_chat import BASE_REQUEST, nothing_stored, queue, usage_row

LONG = "A whole answer, delivered at once. " * 10  # longer than one streamed delta batch (120 chars)


def test_models_say_whether_they_stream(ddb: Any, tokens: Tokens) -> None:
    stub_models()
    status, body = call("GET", "/models", tokens.make())
    assert status == 200
    flags = {m["modelId"]: m["streaming"] for m in body["models"]}
    assert flags[MODEL] is True and flags["eu.amazon.nova-micro-v1:0"] is True
    assert flags[NO_STREAM_MODEL] is False
    assert flags[NO_STREAM_PROFILE] is False  # a profile follows the model it routes to
    assert IMAGE_PROFILE not in flags


def test_job_carries_the_listed_streaming_flag(session: tuple[str, str], ddb: Any) -> None:
    token, sid = session
    stub_models()
    assert queue(token, sid)["streaming"] is True
    assert queue(token, sid, modelId=NO_STREAM_MODEL)["streaming"] is False
    assert queue(token, sid, modelId=NO_STREAM_PROFILE)["streaming"] is False


def test_converse_answer_is_one_delta_and_stored_once(
    session: tuple[str, str], ddb: Any, caplog: pytest.LogCaptureFixture
) -> None:
    token, sid = session
    stub_models()
    job = queue(token, sid, modelId=NO_STREAM_MODEL)
    model = StreamStub()
    model.add_converse(converse_answer(LONG, tokens=(30, 70)), {**BASE_REQUEST, "modelId": NO_STREAM_MODEL})
    socket = Socket(WS_ENDPOINT)
    with caplog.at_level(logging.INFO):
        assert chat_worker.handler(job, None) == {"status": "stored", "messageId": job["messageId"]}
    model.stubber.assert_no_pending_responses()
    frames = socket.frames
    assert [f["type"] for f in frames] == ["start", "delta", "end"]
    assert frames[0]["modelId"] == NO_STREAM_MODEL
    assert frames[1]["text"] == LONG  # the text blocks only, no reasoning
    assert frames[2]["stopReason"] == "end_turn"
    assert frames[2]["usage"] == {"inputTokens": 30, "outputTokens": 70, "totalTokens": 100}
    assert all(f["sessionId"] == sid and f["messageId"] == job["messageId"] for f in frames)
    detail = call("GET", f"/sessions/{sid}", token)[1]
    assert [(m["role"], m["text"]) for m in detail["messages"]] == [("user", "Hi!"), ("assistant", LONG)]
    assert detail["messages"][1]["usage"] == frames[2]["usage"]
    assert detail["messages"][1]["modelId"] == NO_STREAM_MODEL
    assert detail["session"]["messageCount"] == 2 and detail["session"]["totalTokens"] == 100
    assert usage_row(ddb)["messages"] == 1 and usage_row(ddb)["tokens"] == 100
    (line,) = [r for r in caplog.records if r.getMessage() == "exchange stored"]
    assert (line.tokens, line.modelId) == (100, NO_STREAM_MODEL)  # type: ignore[attr-defined]
    # A repeated delivery calls no model and stores nothing more.
    assert chat_worker.handler(job, None)["status"] == "duplicate"
    assert len([i for i in scan(ddb, "SESSIONS_TABLE") if i["pk"].startswith("MSGS#")]) == 2


def test_converse_carries_the_guardrail(session: tuple[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    from chatbot_app.core.config import get_config

    monkeypatch.setenv("GUARDRAIL_ID", "gr-123abc")
    monkeypatch.setenv("GUARDRAIL_VERSION", "3")
    get_config.cache_clear()
    token, sid = session
    stub_models()
    model = StreamStub()
    # Converse has no streamProcessingMode: the Stubber would refuse the request if it were sent.
    guardrail = {"guardrailIdentifier": "gr-123abc", "guardrailVersion": "3"}
    expected = {**BASE_REQUEST, "modelId": NO_STREAM_PROFILE, "guardrailConfig": guardrail}
    model.add_converse(converse_answer(), expected)
    Socket(WS_ENDPOINT)
    assert chat_worker.handler(queue(token, sid, modelId=NO_STREAM_PROFILE), None)["status"] == "stored"
    model.stubber.assert_no_pending_responses()


@pytest.mark.parametrize(
    ("error", "code"), [("ThrottlingException", "model_error"), ("ValidationException", "model_rejected")]
)
def test_failed_converse_stores_nothing_and_releases_the_quota(
    session: tuple[str, str], ddb: Any, error: str, code: str
) -> None:
    token, sid = session
    stub_models()
    job = queue(token, sid, modelId=NO_STREAM_MODEL)
    assert usage_row(ddb)["messages"] == 1  # reserved
    model = StreamStub()
    model.add_error(error, "converse")
    socket = Socket(WS_ENDPOINT)
    assert chat_worker.handler(job, None) == {"status": "failed", "code": code}
    model.stubber.assert_no_pending_responses()
    assert [f["type"] for f in socket.frames] == ["start", "error"]
    assert socket.frames[-1]["error"]["code"] == code
    nothing_stored(ddb)


def test_a_job_without_the_flag_streams(session: tuple[str, str], ddb: Any) -> None:
    """Jobs queued by a REST function from before the flag existed keep using ConverseStream."""
    token, sid = session
    stub_models()
    job = queue(token, sid)
    del job["streaming"]
    model = StreamStub()
    model.add(answer_events("Streamed."), BASE_REQUEST)
    socket = Socket(WS_ENDPOINT)
    assert chat_worker.handler(job, None)["status"] == "stored"
    assert socket.text() == "Streamed."
