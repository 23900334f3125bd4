"""/api/...: an HTTP request becomes an API Gateway REST (v1) Lambda proxy event for handlers.rest.

The stage is `api`, so /api/sessions arrives as path /sessions, as it does behind API Gateway.
"""

from __future__ import annotations

import base64
import time
import uuid
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .lambda_bridge import LambdaRuntime

REST_STAGE = "api"
MAX_BODY_BYTES = 10 * 1024 * 1024  # API Gateway's payload limit
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def _multi(items: list[tuple[str, str]]) -> tuple[dict[str, str] | None, dict[str, list[str]] | None]:
    if not items:
        return None, None
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for key, value in items:
        single[key] = value  # API Gateway keeps the last value in the single-value map
        multi.setdefault(key, []).append(value)
    return single, multi


def proxy_event(request: Request, body: bytes) -> dict[str, Any]:
    path = "/" + request.path_params.get("path", "")
    headers, multi_headers = _multi([(k.title(), v) for k, v in request.headers.items()])
    query, multi_query = _multi(list(request.query_params.multi_items()))
    try:
        text, encoded = body.decode("utf-8"), False
    except UnicodeDecodeError:
        text, encoded = base64.b64encode(body).decode("ascii"), True
    now = time.time()
    return {
        "resource": "/{proxy+}", "path": path, "httpMethod": request.method,
        "headers": headers, "multiValueHeaders": multi_headers,
        "queryStringParameters": query, "multiValueQueryStringParameters": multi_query,
        "pathParameters": {"proxy": path.lstrip("/")}, "stageVariables": None,
        "requestContext": {
            "resourcePath": "/{proxy+}", "httpMethod": request.method, "path": f"/{REST_STAGE}{path}",
            "stage": REST_STAGE, "requestId": str(uuid.uuid4()), "apiId": "local",
            "requestTimeEpoch": int(now * 1000), "protocol": request.scope.get("http_version", "1.1"),
            "identity": {"sourceIp": request.client.host if request.client else "127.0.0.1",
                         "userAgent": request.headers.get("user-agent", "")},
        },
        "body": text if body else None, "isBase64Encoded": encoded,
    }


def _response(result: dict[str, Any]) -> Response:
    body = result.get("body") or ""
    content = base64.b64decode(body) if result.get("isBase64Encoded") else str(body).encode()
    response = Response(content, status_code=int(result.get("statusCode", 502)))
    for key, value in (result.get("headers") or {}).items():
        response.headers[key] = str(value)
    for key, values in (result.get("multiValueHeaders") or {}).items():
        for value in values:
            response.headers.append(key, str(value))
    return response


def route(runtime: LambdaRuntime) -> Route:
    async def api(request: Request) -> Response:
        body = await request.body()
        if len(body) > MAX_BODY_BYTES:
            return Response('{"message":"Request Too Long"}', status_code=413, media_type="application/json")
        try:
            result = await run_in_threadpool(runtime.call, "rest", proxy_event(request, body))
        except Exception:
            # What API Gateway answers when the integration fails.
            return Response('{"message": "Internal server error"}', status_code=502,
                            media_type="application/json")
        return _response(result)

    return Route(f"/{REST_STAGE}/{{path:path}}", api, methods=list(METHODS))
