"""botocore Stubber helpers: every request is validated against the AWS API model before it is answered."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from botocore.exceptions import EventStreamError
from botocore.stub import ANY, Stubber
from botocore.validate import validate_parameters
from chatbot_app.core import aws

from .conftest import REGION, WORKER_FUNCTION

MODEL = "amazon.nova-micro-v1:0"
OTHER_MODEL = "anthropic.claude-3-haiku-20240307-v1:0"
NO_STREAM_MODEL = "ai21.j2-ultra-v1"  # Jurassic-2: Converse only, no response streaming
NO_STREAM_PROFILE = "eu.ai21.j2-ultra-v1"  # a profile over it (test data): follows its model
IMAGE_PROFILE = "us.stability.sd3-5-large-v1:0"  # over a model that outputs images: not a text model


def stub_models(count: int = 1) -> Stubber:
    """ListFoundationModels + ListInferenceProfiles, `count` times (the module caches between calls)."""
    client = aws.client("bedrock", REGION)
    stubber = Stubber(client)
    for _ in range(count):
        stubber.add_response(
            "list_foundation_models",
            {
                "modelSummaries": [
                    _summary(MODEL, "Nova Micro", "Amazon"),
                    _summary(OTHER_MODEL, "Claude 3 Haiku", "Anthropic"),
                    {
                        **_summary(NO_STREAM_MODEL, "Jurassic-2 Ultra", "AI21"),
                        "responseStreamingSupported": False,
                    },
                    {
                        **_summary("amazon.titan-embed-text-v2:0", "Titan Embeddings", "Amazon"),
                        "outputModalities": ["TEXT"],
                        "inputModalities": ["IMAGE"],
                    },
                ]
            },
            {"byOutputModality": "TEXT"},
        )
        stubber.add_response(
            "list_inference_profiles",
            {
                "inferenceProfileSummaries": [
                    {
                        "inferenceProfileName": "EU Nova Micro",
                        "inferenceProfileArn": "arn:aws:bedrock:eu-west-1:1:x",
                        "inferenceProfileId": "eu.amazon.nova-micro-v1:0",
                        "status": "ACTIVE",
                        "type": "SYSTEM_DEFINED",
                        "models": [
                            {"modelArn": "arn:aws:bedrock:eu-west-1::foundation-model/amazon.nova-micro-v1:0"}
                        ],
                    },
                    _profile(NO_STREAM_PROFILE, NO_STREAM_MODEL),
                    _profile(IMAGE_PROFILE, "stability.sd3-5-large-v1:0"),
                ]
            },
            {"typeEquals": "SYSTEM_DEFINED"},
        )
    stubber.activate()
    return stubber


def _profile(profile_id: str, model_id: str) -> dict[str, Any]:
    return {
        "inferenceProfileName": profile_id,
        "inferenceProfileArn": f"arn:aws:bedrock:{REGION}:1:inference-profile/{profile_id}",
        "inferenceProfileId": profile_id,
        "status": "ACTIVE",
        "type": "SYSTEM_DEFINED",
        "models": [
            {"modelArn": f"arn:aws:bedrock:{region}::foundation-model/{model_id}"}
            for region in (REGION, "eu-central-1")
        ],
    }


def _summary(model_id: str, name: str, provider: str) -> dict[str, Any]:
    return {
        "modelArn": f"arn:aws:bedrock:{REGION}::foundation-model/{model_id}",
        "modelId": model_id,
        "modelName": name,
        "providerName": provider,
        "inputModalities": ["TEXT"],
        "outputModalities": ["TEXT"],
        "responseStreamingSupported": True,
        "inferenceTypesSupported": ["ON_DEMAND"],
        "modelLifecycle": {"status": "ACTIVE"},
    }


def answer_events(text: str = "Hello there!", tokens: tuple[int, int] = (12, 8)) -> list[dict[str, Any]]:
    half = len(text) // 2
    return [
        {"messageStart": {"role": "assistant"}},
        {"contentBlockDelta": {"contentBlockIndex": 0, "delta": {"text": text[:half]}}},
        {"contentBlockDelta": {"contentBlockIndex": 0, "delta": {"text": text[half:]}}},
        {"contentBlockStop": {"contentBlockIndex": 0}},
        {"messageStop": {"stopReason": "end_turn"}},
        {
            "metadata": {
                "usage": {
                    "inputTokens": tokens[0],
                    "outputTokens": tokens[1],
                    "totalTokens": tokens[0] + tokens[1],
                },
                "metrics": {"latencyMs": 42},
            }
        },
    ]


def converse_answer(text: str = "Hello there!", tokens: tuple[int, int] = (12, 8)) -> dict[str, Any]:
    """A Converse response; a reasoning block first, which is not part of the answer."""
    return {
        "output": {
            "message": {
                "role": "assistant",
                "content": [
                    {"reasoningContent": {"reasoningText": {"text": "thinking...", "signature": "sig"}}},
                    {"text": text},
                ],
            }
        },
        "stopReason": "end_turn",
        "usage": {"inputTokens": tokens[0], "outputTokens": tokens[1], "totalTokens": sum(tokens)},
        "metrics": {"latencyMs": 42},
    }


class StreamStub:
    """Stub ConverseStream and Converse (one Stubber on the cached bedrock-runtime client, answering calls
    in the order they were added). The Stubber checks each request and Converse response against the API
    model; the event stream it cannot carry is injected after the call, each event validated against the
    stream's event shape."""

    def __init__(self) -> None:
        self.client = aws.client("bedrock-runtime", REGION)
        self.stubber = Stubber(self.client)
        self._streams: list[Iterable[dict[str, Any]]] = []
        shape = self.client.meta.service_model.operation_model("ConverseStream").output_shape
        self.event_shape = shape.members["stream"]
        self.client.meta.events.register("after-call.bedrock-runtime.ConverseStream", self._inject)
        self.stubber.activate()

    def add(
        self,
        events: list[dict[str, Any]],
        expected: dict[str, Any] | None = None,
        fail_after: int | None = None,
    ) -> None:
        for event in events:
            validate_parameters(event, self.event_shape)
        self.stubber.add_response("converse_stream", {}, expected)
        self._streams.append(_failing(events, fail_after) if fail_after is not None else list(events))

    def add_error(self, code: str, operation: str = "converse_stream") -> None:
        self.stubber.add_client_error(operation, service_error_code=code, http_status_code=400)

    def add_converse(self, response: dict[str, Any], expected: dict[str, Any] | None = None) -> None:
        self.stubber.add_response("converse", response, expected)

    def _inject(self, parsed: dict[str, Any], **_: Any) -> None:
        if "Error" not in parsed:
            parsed["stream"] = iter(self._streams.pop(0))


def _failing(events: list[dict[str, Any]], fail_after: int) -> Iterator[dict[str, Any]]:
    yield from events[:fail_after]
    raise EventStreamError(
        {"Error": {"Code": "modelStreamErrorException", "Message": "boom"}}, "ConverseStream"
    )


class Socket:
    """Stubbed PostToConnection on one stage endpoint. `outcomes` answers the posts in order ("ok" or
    "gone"; after the list, every post succeeds); every post is recorded with its connection id."""

    def __init__(self, endpoint: str, outcomes: list[str] | None = None, posts: int = 40) -> None:
        self.client = aws.client("apigatewaymanagementapi", REGION, endpoint)
        self.posts: list[tuple[str, dict[str, Any]]] = []
        self.stubber = Stubber(self.client)
        planned = list(outcomes or [])
        planned += ["ok"] * max(0, posts - len(planned))
        self._outcomes = planned
        for outcome in planned:
            if outcome == "gone":
                self.stubber.add_client_error(
                    "post_to_connection", service_error_code="GoneException", http_status_code=410
                )
            else:
                self.stubber.add_response("post_to_connection", {})
        self.client.meta.events.register(
            "before-parameter-build.apigatewaymanagementapi.PostToConnection", self._record
        )
        self.stubber.activate()

    def _record(self, params: dict[str, Any], **_: Any) -> None:
        self.posts.append((params["ConnectionId"], json.loads(params["Data"])))

    def delivered(self, connection_id: str = "conn-1") -> list[dict[str, Any]]:
        """Frames that reached `connection_id` (posts answered "gone" are left out)."""
        return [
            frame
            for (conn, frame), outcome in zip(self.posts, self._outcomes, strict=False)
            if conn == connection_id and outcome == "ok"
        ]

    @property
    def frames(self) -> list[dict[str, Any]]:
        return self.delivered()

    def text(self, connection_id: str = "conn-1") -> str:
        return "".join(f["text"] for f in self.delivered(connection_id) if f["type"] == "delta")


class Worker:
    """Stubbed Lambda Invoke of the chat worker; records each job the REST function hands over."""

    def __init__(self, accept: int = 0, fail_with: str | None = None) -> None:
        self.client = aws.client("lambda", REGION)
        self.stubber = Stubber(self.client)
        self.calls: list[dict[str, Any]] = []
        expected = {"FunctionName": WORKER_FUNCTION, "InvocationType": "Event", "Payload": ANY}
        for _ in range(accept):
            self.stubber.add_response("invoke", {"StatusCode": 202}, expected)
        if fail_with:
            self.stubber.add_client_error("invoke", service_error_code=fail_with, http_status_code=429)
        self.client.meta.events.register("before-parameter-build.lambda.Invoke", self._record)
        self.stubber.activate()

    def _record(self, params: dict[str, Any], **_: Any) -> None:
        self.calls.append(params)

    def close(self) -> None:
        """Detach, so a later Worker on the same (cached) client answers the next invoke."""
        self.stubber.assert_no_pending_responses()
        self.stubber.deactivate()
        self.client.meta.events.unregister("before-parameter-build.lambda.Invoke", self._record)

    @property
    def jobs(self) -> list[dict[str, Any]]:
        return [json.loads(call["Payload"]) for call in self.calls]
