"""The real handlers behind the local server: tokens checked through JWKS, REST sessions, and an answer
streamed over the WebSocket by the chat worker (invoked through the local Lambda Invoke API)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
import websockets
from websockets.exceptions import InvalidStatus

from tests.local.client import Api
from tools.local_server.server import LocalServer

FRAME_TIMEOUT = 20


Frames = list[dict[str, Any]]


async def _ask(config: dict[str, Any], api: Api, session_id: str, text: str) -> tuple[str, Frames]:
    """Connect as the browser does, ask over REST, collect this answer's frames up to `end` or `error`."""
    async with websockets.connect(f"{config['websocketUrl']}?token={api.token}") as socket:
        path = f"/sessions/{session_id}/messages"
        accepted = await asyncio.to_thread(api.call, "POST", path, {"text": text})
        assert accepted.status_code == 202, accepted.text
        message_id = accepted.json()["messageId"]
        frames: Frames = []
        while not frames or frames[-1]["type"] not in ("end", "error"):
            frame = json.loads(await asyncio.wait_for(socket.recv(), FRAME_TIMEOUT))
            if frame.get("messageId") == message_id:
                frames.append(frame)
    return message_id, frames


def ask(config: dict[str, Any], api: Api, session_id: str, text: str) -> tuple[str, Frames]:
    return asyncio.run(_ask(config, api, session_id, text))


def test_handlers_accept_the_local_tokens_only(config: dict[str, Any], user: Api) -> None:
    assert user.call("GET", "/sessions").status_code == 200
    forged = Api(user.base, user.token[:-4] + "AAAA")
    assert forged.call("GET", "/sessions").status_code == 401
    assert Api(user.base, "").call("GET", "/usage").status_code == 401


def test_websocket_refuses_a_bad_token(config: dict[str, Any]) -> None:
    async def connect() -> None:
        async with websockets.connect(f"{config['websocketUrl']}?token=not-a-token"):
            pass

    with pytest.raises(InvalidStatus) as refused:
        asyncio.run(connect())
    assert refused.value.response.status_code == 401


def test_message_is_answered_over_the_websocket_and_stored(config: dict[str, Any], user: Api) -> None:
    created = user.call("POST", "/sessions", {"title": "First chat"})
    assert created.status_code == 201, created.text
    session_id = created.json()["sessionId"]
    models = user.call("GET", "/models").json()["models"]
    assert [m["modelId"] for m in models] == ["local.extractive"]

    message_id, frames = ask(config, user, session_id, "Hello, what can you do?")
    kinds = [f["type"] for f in frames]
    assert kinds[0] == "start" and kinds[-1] == "end" and "delta" in kinds, frames
    answer = "".join(f["text"] for f in frames if f["type"] == "delta")
    assert answer.strip()
    stored = user.call("GET", f"/sessions/{session_id}").json()
    texts = {m["messageId"]: m["text"] for m in stored["messages"]}
    assert texts[message_id] == answer
    usage = user.call("GET", "/usage").json()
    assert usage["messages"]["used"] >= 1


def test_other_users_sessions_are_not_found(admin: Api, user: Api) -> None:
    session_id = user.call("POST", "/sessions", {"title": "mine"}).json()["sessionId"]
    assert admin.call("GET", f"/sessions/{session_id}").status_code == 404
    assert user.call("DELETE", f"/sessions/{session_id}").status_code == 204


def test_connection_endpoint_reports_unknown_connections_gone(local_server: LocalServer) -> None:
    import boto3

    client = boto3.client("apigatewaymanagementapi", endpoint_url=f"{local_server.url}/ws")
    with pytest.raises(client.exceptions.GoneException):
        client.post_to_connection(ConnectionId="nobody", Data=b"{}")


def test_lambda_invoke_api_answers_like_lambda(local_server: LocalServer) -> None:
    import boto3

    client = boto3.client("lambda", endpoint_url=local_server.url)
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.invoke(FunctionName="chatbot-local-nothing", Payload=b"{}")
    refused = client.invoke(FunctionName="chatbot-local-rag", Payload=b'{"op": "nope"}')
    assert refused["StatusCode"] == 200 and "FunctionError" not in refused
    assert json.loads(refused["Payload"].read())["ok"] is False
    crashed = client.invoke(FunctionName="chatbot-local-ws-disconnect", Payload=b"{}")  # no requestContext
    assert crashed["FunctionError"] == "Unhandled"
    assert json.loads(crashed["Payload"].read())["errorType"] == "KeyError"
    queued = client.invoke(FunctionName="chatbot-local-chat-worker", InvocationType="Event", Payload=b"{}")
    assert queued["StatusCode"] == 202
