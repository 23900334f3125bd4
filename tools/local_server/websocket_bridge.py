"""The push-only WebSocket API: /ws is API Gateway's stage, /ws/@connections/{id} its management API.

$connect runs the REQUEST authorizer (ws_authorizer) and then ws_connect with the authorizer's context, as
API Gateway does; a refusal answers the upgrade with 401 (403 when ws_connect refuses). Closing runs
ws_disconnect. The chat worker pushes frames with boto3's post_to_connection to the endpoint ws_connect
stored (http://<this server>/ws), which lands on `post` below and goes out as a text frame.
"""

from __future__ import annotations

import logging
import secrets
import time
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from .environment import STAGE
from .lambda_bridge import LambdaRuntime

log = logging.getLogger("local_server.websocket")
API_ID = "local"


class Connections:
    """Open sockets by connection id (used on the event loop only)."""

    def __init__(self) -> None:
        self.sockets: dict[str, WebSocket] = {}
        self.connected_at: dict[str, float] = {}


def _gone(connection_id: str) -> Response:
    return JSONResponse({"message": f"connection {connection_id} is gone"}, status_code=410,
                        headers={"x-amzn-ErrorType": "GoneException"})


def _event(websocket: WebSocket, connection_id: str, route: str, region: str) -> dict[str, Any]:
    host = websocket.headers.get("host", "")
    client = websocket.client.host if websocket.client else "127.0.0.1"
    return {
        "type": "REQUEST",
        "methodArn": f"arn:aws:execute-api:{region}:000000000000:{API_ID}/{STAGE}/{route}",
        "headers": dict(websocket.headers),
        "queryStringParameters": dict(websocket.query_params) or None,
        "requestContext": {
            "routeKey": route, "eventType": "CONNECT" if route == "$connect" else "DISCONNECT",
            "connectionId": connection_id, "domainName": host, "stage": STAGE, "apiId": API_ID,
            "requestTimeEpoch": int(time.time() * 1000), "identity": {"sourceIp": client},
        },
    }


async def _refuse(websocket: WebSocket, status: int) -> None:
    if "websocket.http.response" in websocket.scope.get("extensions", {}):
        await websocket.send_denial_response(Response(status_code=status))
    else:
        await websocket.close(code=1008)


def routes(runtime: LambdaRuntime, connections: Connections) -> list[Route | WebSocketRoute]:
    async def websocket_endpoint(websocket: WebSocket) -> None:
        # 12 random bytes like API Gateway's ids, URL-safe so the id is one path segment of @connections.
        connection_id = secrets.token_urlsafe(12)
        event = _event(websocket, connection_id, "$connect", runtime.region)
        try:
            policy = await run_in_threadpool(runtime.call, "ws-authorizer", event)
        except Exception:
            await _refuse(websocket, 401)  # the authorizer's "Unauthorized"
            return
        authorizer = {"principalId": policy["principalId"], **policy.get("context", {})}
        event["requestContext"]["authorizer"] = authorizer
        try:
            answer = await run_in_threadpool(runtime.call, "ws-connect", event)
        except Exception:
            log.exception("ws_connect failed")
            answer = {"statusCode": 500}
        if answer.get("statusCode") != 200:
            await _refuse(websocket, int(answer.get("statusCode") or 403))
            return
        await websocket.accept()
        connections.sockets[connection_id] = websocket
        connections.connected_at[connection_id] = time.time()
        try:
            while True:
                # Push-only: API Gateway has no route for client messages, so they are dropped.
                await websocket.receive_text()
        except (WebSocketDisconnect, RuntimeError):
            pass
        finally:
            connections.sockets.pop(connection_id, None)
            connections.connected_at.pop(connection_id, None)
            try:
                await run_in_threadpool(runtime.call, "ws-disconnect",
                                        _event(websocket, connection_id, "$disconnect", runtime.region))
            except Exception:
                log.exception("ws_disconnect failed for %s", connection_id)

    async def manage(request: Request) -> Response:
        connection_id = request.path_params["connection_id"]
        websocket = connections.sockets.get(connection_id)
        if websocket is None:
            return _gone(connection_id)
        if request.method == "GET":
            return JSONResponse({"connectedAt": connections.connected_at[connection_id],
                                 "identity": {"sourceIp": websocket.client.host if websocket.client else ""}})
        if request.method == "DELETE":
            await websocket.close()
            return Response(status_code=204)
        data = await request.body()
        try:
            await websocket.send_text(data.decode("utf-8"))
        except Exception:
            return _gone(connection_id)
        return Response(status_code=200)

    return [
        WebSocketRoute(f"/{STAGE}", websocket_endpoint),
        Route(f"/{STAGE}/@connections/{{connection_id}}", manage, methods=["GET", "POST", "DELETE"]),
    ]
