"""The token-usage metric: one log line per stored exchange whose Lambda JSON form has a top-level numeric
`tokens` field (matched by the metric filter `{ $.tokens >= 0 }`), with ids and no message text."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from chatbot_app.handlers import chat_worker

from .conftest import WS_ENDPOINT
from .stubs import MODEL, Socket, StreamStub, answer_events, stub_models
from .test_chat import queue

_STANDARD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}


def lambda_json(record: logging.LogRecord) -> dict[str, Any]:
    """What Lambda's Python runtime writes with the JSON log format: its own keys, then every `extra`
    field of the record at top level."""
    line = {
        "timestamp": record.created,
        "level": record.levelname,
        "message": record.getMessage(),
        "logger": record.name,
    }
    line.update({k: v for k, v in record.__dict__.items() if k not in _STANDARD and k not in line})
    return json.loads(json.dumps(line))


def metric_lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    lines = [lambda_json(r) for r in caplog.records]
    return [line for line in lines if isinstance(line.get("tokens"), int) and line["tokens"] >= 0]


def test_each_stored_exchange_logs_its_tokens(
    session: tuple[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    token, sid = session
    stub_models()
    job = queue(token, sid, text="secret question")
    StreamStub().add(answer_events("secret answer", tokens=(30, 12)))
    Socket(WS_ENDPOINT)
    with caplog.at_level(logging.INFO):
        assert chat_worker.handler(job, None)["status"] == "stored"
        assert chat_worker.handler(job, None)["status"] == "duplicate"  # stores nothing, logs no tokens
    (line,) = metric_lines(caplog)
    assert line["tokens"] == 42 and line["inputTokens"] == 30 and line["outputTokens"] == 12
    assert line["sessionId"] == sid and line["modelId"] == MODEL and line["level"] == "INFO"
    text = json.dumps([lambda_json(r) for r in caplog.records])
    assert "secret" not in text  # no question or answer text in any log line


def test_a_failed_answer_logs_no_tokens(session: tuple[str, str], caplog: pytest.LogCaptureFixture) -> None:
    token, sid = session
    stub_models()
    job = queue(token, sid)
    StreamStub().add_error("ThrottlingException")
    Socket(WS_ENDPOINT)
    with caplog.at_level(logging.INFO):
        assert chat_worker.handler(job, None)["status"] == "failed"
    assert metric_lines(caplog) == []
