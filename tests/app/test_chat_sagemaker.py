"""Self-hosted SageMaker models as chat models: SAGEMAKER_MODELS is parsed strictly, GET /models lists them
after the Bedrock ones, a chat may choose one only when the stack configured it, and the worker answers
through the endpoint with the Bedrock guardrail applied to the question and to the answer (ApplyGuardrail),
so that a blocked answer never reaches the user."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.stub import Stubber
from chatbot_app.core import aws
from chatbot_app.core.config import ConfigError, from_env, get_config
from chatbot_app.handlers import chat_worker

from .conftest import REGION, WS_ENDPOINT, Tokens, call, scan
from .stubs import MODEL, Socket, stub_models
from .test_chat import ask, nothing_stored, queue, usage_row
from .test_config import BASE
from .test_guardrails import BLOCKED, BLOCKED_MESSAGE, GUARDRAIL_ARN, GuardrailStub, verdict
from .test_sagemaker_models import TGI, EndpointStub, body_of, split_everywhere, tgi_stream

MODELS = json.dumps([{"modelId": TGI.model_id, "endpointName": TGI.endpoint_name, "kind": "tgi",
                      "promptFormat": "chatml", "name": TGI.name}])


@pytest.fixture
def self_hosted(app_env: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[GuardrailStub]:
    """The stack's SAGEMAKER_MODELS and guardrail on both functions (test_guardrails.py covers a Bedrock
    region other than the functions' own)."""
    env = {"SAGEMAKER_MODELS": MODELS, "GUARDRAIL_ID": GUARDRAIL_ARN, "GUARDRAIL_VERSION": "3"}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    get_config.cache_clear()
    stub = GuardrailStub(REGION)
    yield stub
    stub.stubber.assert_no_pending_responses()


@pytest.fixture
def endpoint(self_hosted: GuardrailStub) -> Iterator[EndpointStub]:
    stub = EndpointStub()
    yield stub
    stub.stubber.assert_no_pending_responses()


def test_sagemaker_models_are_parsed() -> None:
    config = from_env({**BASE, "SAGEMAKER_MODELS": MODELS, "ALLOWED_MODELS": MODEL})
    assert config.sagemaker_models == (TGI,) and config.sagemaker_model(TGI.model_id) == TGI
    # ALLOWED_MODELS limits the account's Bedrock models; the stack's own endpoints are allowed as configured.
    assert config.model_allowed(TGI.model_id) and not config.model_allowed("sagemaker.other")
    assert not from_env(BASE).model_allowed(TGI.model_id)  # no endpoints: no self-hosted model
    assert from_env({**BASE, "SAGEMAKER_MODELS": " "}).sagemaker_models == ()


@pytest.mark.parametrize(("env", "message"), [
    ({"SAGEMAKER_MODELS": "[{not json"}, "SAGEMAKER_MODELS is not a list of endpoint models"),
    ({"SAGEMAKER_MODELS": '[{"modelId": "mistral", "endpointName": "e", "kind": "tgi"}]'},
     "sagemaker.<name>"),
    ({"SAGEMAKER_MODELS": '[{"modelId": "sagemaker.a b", "endpointName": "e", "kind": "lmi"}]'},
     "SAGEMAKER_MODELS: 'sagemaker.a b'"),
    ({"SAGEMAKER_MODELS": json.dumps(json.loads(MODELS) * 2)}, "SAGEMAKER_MODELS: duplicate"),
    ({"SAGEMAKER_MODELS": MODELS, "DEFAULT_MODEL_ID": TGI.model_id}, "DEFAULT_MODEL_ID must be a Bedrock"),
    ({"ALLOWED_MODELS": f"{MODEL},{TGI.model_id}"}, f"ALLOWED_MODELS: '{TGI.model_id}'"),
    ({"SAGEMAKER_MODELS": MODELS, "MODEL_PROVIDER": "local"}, "unset SAGEMAKER_MODELS"),
])
def test_configuration_errors_name_the_variable(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace(".", r"\.").replace("[", r"\[")):
        from_env({**BASE, **env})


def test_models_lists_the_self_hosted_ones_after_bedrock(ddb: Any, tokens: Tokens, self_hosted: Any) -> None:
    stub_models()
    status, body = call("GET", "/models", tokens.make())
    assert status == 200
    assert body["models"][-1] == {"modelId": TGI.model_id, "name": TGI.name, "provider": "SageMaker",
                                  "streaming": True}
    assert body["models"][0]["modelId"] != TGI.model_id  # Bedrock's come first


def test_the_default_model_stays_a_bedrock_one(ddb: Any, tokens: Tokens, self_hosted: Any) -> None:
    # A self-hosted endpoint may be stopped out of hours: as the default, every new chat would fail.
    stub_models()
    admin = tokens.make("a", ["admin"])
    status, body = call("PUT", "/settings", admin, {"version": 0, "defaultModel": TGI.model_id})
    assert status == 400 and body["error"]["code"] == "unknown_model"
    assert scan(ddb, "AUDIT_TABLE") == []


def test_a_chat_may_choose_a_configured_endpoint_only(
    session: tuple[str, str], ddb: Any, self_hosted: Any
) -> None:
    token, sid = session
    Stubber(aws.client("bedrock", REGION)).activate()  # no listing: any Bedrock control call would fail
    job = queue(token, sid, modelId=TGI.model_id)
    assert (job["modelId"], job["streaming"]) == (TGI.model_id, True)
    status, body = ask(token, sid, modelId="sagemaker.not-deployed")
    assert status == 400 and body["error"]["code"] == "unknown_model"
    assert usage_row(ddb)["messages"] == 1


def test_the_worker_answers_through_the_endpoint_with_the_guardrail(
    session: tuple[str, str], ddb: Any, self_hosted: GuardrailStub, endpoint: EndpointStub
) -> None:
    token, sid = session
    job = queue(token, sid, modelId=TGI.model_id)
    self_hosted.add("INPUT", verdict(), text="Hi!")
    endpoint.add_stream(split_everywhere(tgi_stream(["Hello", " from", " Mistral"]), 5))
    self_hosted.add("OUTPUT", verdict(), text="Hello from Mistral")
    socket = Socket(WS_ENDPOINT)
    assert chat_worker.handler(job, None)["status"] == "stored"
    assert socket.text() == "Hello from Mistral"
    assert socket.frames[0] == {**socket.frames[0], "type": "start", "modelId": TGI.model_id}
    assert socket.frames[-1]["stopReason"] == "end_turn"
    status, detail = call("GET", f"/sessions/{sid}", token)
    answer = detail["messages"][-1]
    assert (answer["text"], answer["modelId"]) == ("Hello from Mistral", TGI.model_id)
    assert answer["usage"]["outputTokens"] == 4  # the container's count (three tokens and the end token)
    assert usage_row(ddb)["tokens"] == answer["usage"]["totalTokens"] > 0


def test_a_blocked_question_never_reaches_the_endpoint(
    session: tuple[str, str], ddb: Any, self_hosted: GuardrailStub, endpoint: EndpointStub
) -> None:
    token, sid = session
    job = queue(token, sid, modelId=TGI.model_id)
    self_hosted.add("INPUT", verdict("GUARDRAIL_INTERVENED", BLOCKED_MESSAGE, BLOCKED))
    socket = Socket(WS_ENDPOINT)
    assert chat_worker.handler(job, None)["status"] == "stored"  # no endpoint response was stubbed
    assert socket.text() == BLOCKED_MESSAGE
    assert socket.frames[-1]["stopReason"] == "guardrail_intervened"
    assert socket.frames[-1]["usage"]["totalTokens"] == 0


def test_a_blocked_answer_is_never_shown(
    session: tuple[str, str], ddb: Any, self_hosted: GuardrailStub, endpoint: EndpointStub
) -> None:
    token, sid = session
    job = queue(token, sid, modelId=TGI.model_id)
    fine, harmful = [f"fine{i:03d} " for i in range(150)], [f"harm{i:03d} " for i in range(150)]
    self_hosted.add("INPUT")
    endpoint.add_stream(split_everywhere(tgi_stream(fine + harmful), 200))
    self_hosted.add("OUTPUT")  # the first thousand characters
    self_hosted.add("OUTPUT", verdict("GUARDRAIL_INTERVENED", BLOCKED_MESSAGE, BLOCKED))
    socket = Socket(WS_ENDPOINT)
    assert chat_worker.handler(job, None)["status"] == "stored"
    shown = socket.text()
    assert "harm" not in shown and shown.endswith(BLOCKED_MESSAGE) and shown.startswith("fine000 ")
    assert socket.frames[-1]["stopReason"] == "guardrail_intervened"
    status, detail = call("GET", f"/sessions/{sid}", token)
    assert detail["messages"][-1]["text"] == shown


def test_workspace_context_goes_to_the_endpoints_system_prompt(
    session: tuple[str, str], ddb: Any, self_hosted: GuardrailStub, endpoint: EndpointStub,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from chatbot_app.core import chat, workspaces

    token, sid = session
    job = queue(token, sid, modelId=TGI.model_id)
    retrieval = workspaces.Retrieval(context="Context: [1] the handbook", sources=[])
    monkeypatch.setattr(chat, "_retrieve", lambda *_: retrieval)  # as for a session bound to a workspace
    self_hosted.add("INPUT")
    sent: list[dict[str, Any]] = []
    endpoint.client.meta.events.register(
        "before-parameter-build.sagemaker-runtime.InvokeEndpointWithResponseStream",
        lambda params, **_: sent.append(params))
    endpoint.add_stream([tgi_stream(["ok"])])
    self_hosted.add("OUTPUT")
    Socket(WS_ENDPOINT)
    assert chat_worker.handler(job, None)["status"] == "stored"
    assert "the handbook<|im_end|>" in body_of(sent[0])["inputs"]


def test_the_worker_refuses_an_endpoint_no_longer_configured(
    session: tuple[str, str], ddb: Any, self_hosted: GuardrailStub, endpoint: EndpointStub,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    token, sid = session
    job = queue(token, sid, modelId=TGI.model_id)
    monkeypatch.setenv("SAGEMAKER_MODELS", "")
    get_config.cache_clear()
    socket = Socket(WS_ENDPOINT)
    assert chat_worker.handler(job, None) == {"status": "failed", "code": "unknown_model"}
    assert socket.frames[0]["error"]["code"] == "unknown_model"
    nothing_stored(ddb)
    assert scan(ddb, "SESSIONS_TABLE")  # the session itself is still there
