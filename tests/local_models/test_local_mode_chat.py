"""The chat under MODEL_PROVIDER=local: GET /models offers one local model, the worker answers with local
mode's extractive answerer (same frames, same storage and usage accounting as Bedrock's), and no Bedrock API
is called. Without the variable the Bedrock path is unchanged and local mode's package is never imported."""

from __future__ import annotations

import json
import os
import re
import subprocess  # nosec B404 - runs this repository's Python with fixed arguments
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.stub import Stubber
from chatbot_app.core import aws
from chatbot_app.core.config import ConfigError, from_env, get_config
from chatbot_app.handlers import chat_worker
from chatbot_app.local import answers

from tests.app.conftest import REGION, WS_ENDPOINT, Tokens, call, connect
from tests.app.stubs import MODEL, Socket, stub_models
from tests.app.test_chat import queue, usage_row
from tests.app.test_config import BASE
from tests.app.test_workspaces import FakeRag, fake_rag, new_workspace

LOCAL = "local.extractive"
ROOT = Path(__file__).resolve().parents[2]
HITS = [
    {"documentId": str(uuid.uuid4()), "fileName": "canteen.txt", "ordinal": 0, "score": 0.41,
     "similarity": 0.41, "location": {}, "text": "The cafeteria serves lunch between noon and two."},
    {"documentId": str(uuid.uuid4()), "fileName": "security.pdf", "ordinal": 4, "score": 0.38,
     "similarity": 0.38, "location": {"page": 3},
     "text": "Passwords must be at least twelve characters long.\nRotate them once a year."},
]


@pytest.fixture
def local_mode(app_env: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Stubber]]:
    """MODEL_PROVIDER=local, words unpaced; yields Stubbers with no responses on both Bedrock clients, so any
    Bedrock call fails the test."""
    monkeypatch.setenv("MODEL_PROVIDER", "local")
    monkeypatch.setattr(answers, "WORD_DELAY_SECONDS", 0.0)
    get_config.cache_clear()
    stubbers = [Stubber(aws.client(name, REGION)) for name in ("bedrock", "bedrock-runtime")]
    for stubber in stubbers:
        stubber.activate()
    yield stubbers
    for stubber in stubbers:
        stubber.deactivate()
    get_config.cache_clear()


@pytest.fixture
def rag(ddb: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeRag]:
    yield from fake_rag(monkeypatch)


def answer_frames(socket: Socket) -> tuple[list[str], str, dict[str, Any]]:
    frames = socket.frames
    return [f["type"] for f in frames], socket.text(), frames[-1]


def test_models_offer_only_the_local_model(local_mode: list[Stubber], ddb: Any, tokens: Tokens) -> None:
    status, body = call("GET", "/models", tokens.make())
    assert status == 200
    assert body == {"models": [{"modelId": LOCAL, "name": answers.MODEL.name, "provider": "Local",
                                "streaming": True}]}
    # The admin may keep it as the default model; a Bedrock model is unknown here.
    admin = tokens.make("root", ["admin"])
    assert call("PUT", "/settings", admin, {"version": 0, "defaultModel": LOCAL})[0] == 200
    status, body = call("PUT", "/settings", admin, {"version": 1, "defaultModel": MODEL})
    assert status == 400 and body["error"]["code"] == "unknown_model"


def test_an_unbound_session_gets_a_labelled_answer_streamed_and_stored(
    local_mode: list[Stubber], session: tuple[str, str], ddb: Any
) -> None:
    token, sid = session
    job = queue(token, sid, text="How long must a password be?")
    assert job["modelId"] == LOCAL and job["streaming"] is True  # the default model in local mode
    socket = Socket(WS_ENDPOINT)
    assert chat_worker.handler(job, None) == {"status": "stored", "messageId": job["messageId"]}
    types, text, end = answer_frames(socket)
    assert types[0] == "start" and types[-1] == "end" and set(types[1:-1]) == {"delta"}
    assert len(types) > 3  # several delta frames: the answer streams
    assert text == answers.NO_WORKSPACE
    assert end["stopReason"] == "end_turn" and end["usage"]["totalTokens"] > 0
    _, detail = call("GET", f"/sessions/{sid}", token)
    stored = detail["messages"][1]
    assert stored["text"] == text and stored["modelId"] == LOCAL and stored["usage"] == end["usage"]
    assert usage_row(ddb)["tokens"] == end["usage"]["totalTokens"]
    for stubber in local_mode:
        stubber.assert_no_pending_responses()


def test_a_bound_session_is_answered_with_quotes_of_its_sources(
    local_mode: list[Stubber], rag: FakeRag, ddb: Any, tokens: Tokens
) -> None:
    ws = new_workspace(tokens)["id"]
    rag.hits = HITS
    token = connect(tokens)
    sid = call("POST", "/sessions", token, {"title": "Docs", "workspaceId": ws})[1]["sessionId"]
    job = queue(token, sid, text="How long must a password be?")
    socket = Socket(WS_ENDPOINT)
    assert chat_worker.handler(job, None)["status"] == "stored"
    types, text, _ = answer_frames(socket)
    assert types[:2] == ["start", "sources"] and types[-1] == "end" and "delta" in types
    sources = socket.frames[1]["sources"]
    assert text.startswith(answers.FOUND)
    cited = [int(n) for n in re.findall(r"\[(\d+)\]", text)]
    assert cited and {sources[n - 1]["fileName"] for n in cited} == {"security.pdf"}
    assert "“Passwords must be at least twelve characters long.” [2]" in text
    answer = call("GET", f"/sessions/{sid}", token)[1]["messages"][1]
    assert answer["text"] == text and answer["sources"] == sources


def test_without_model_provider_the_bedrock_models_are_listed(ddb: Any, tokens: Tokens) -> None:
    assert get_config().model_provider == "bedrock"
    stub_models()
    models = [m["modelId"] for m in call("GET", "/models", tokens.make())[1]["models"]]
    assert MODEL in models and LOCAL not in models


def test_model_provider_configuration() -> None:
    assert from_env(BASE).model_provider == "bedrock"
    assert from_env(BASE).default_model_id == "amazon.nova-micro-v1:0"
    local = from_env({**BASE, "MODEL_PROVIDER": " Local "})
    assert (local.model_provider, local.default_model_id) == ("local", LOCAL)
    assert from_env({**BASE, "MODEL_PROVIDER": "local", "DEFAULT_MODEL_ID": LOCAL}).default_model_id == LOCAL
    with pytest.raises(ConfigError, match="MODEL_PROVIDER must be one of bedrock, local, got 'openai'"):
        from_env({**BASE, "MODEL_PROVIDER": "openai"})
    with pytest.raises(ConfigError, match="answers with local.extractive only"):
        from_env({**BASE, "MODEL_PROVIDER": "local", "DEFAULT_MODEL_ID": MODEL})
    with pytest.raises(ConfigError, match="not in ALLOWED_MODELS"):
        from_env({**BASE, "MODEL_PROVIDER": "local", "ALLOWED_MODELS": MODEL})


def test_the_deployed_code_paths_never_import_local_mode() -> None:
    """What the Lambda functions import and run without the variables must not load local mode's package
    (wordllama is not in the Lambda archive)."""
    script = """
import json, sys
from chatbot_app.handlers import chat_worker, doc_processor, rag_service, rest, ws_authorizer, ws_connect
from chatbot_app.core import bedrock, chat, config
from chatbot_app.rag import embeddings, service
env = {"USER_POOL_ID": "p", "USER_POOL_CLIENT_ID": "c", "SESSIONS_TABLE": "s", "CONNECTIONS_TABLE": "c",
       "SETTINGS_TABLE": "s", "USAGE_TABLE": "u", "AUDIT_TABLE": "a"}
assert config.from_env(env).model_provider == "bedrock"
embeddings.enabled_models()
embeddings.with_local_model(lambda m, d: None)("local.wordllama-256", 256)
service.ServiceConfig.from_env({"UPLOADS_BUCKET": "b", "EMBEDDING_MODELS": "amazon.titan-embed-text-v2:0"})
print(json.dumps(sorted(m for m in sys.modules if m.startswith(("chatbot_app.local", "wordllama")))))
"""
    env = {k: v for k, v in os.environ.items() if k not in ("MODEL_PROVIDER", "EMBEDDING_PROVIDER")}
    env["PYTHONPATH"] = str(ROOT / "app")
    done = subprocess.run(  # noqa: S603  # nosec B603
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []
