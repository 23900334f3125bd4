"""/s3/...: moto's S3 on this server's origin, so the browser's presigned POST upload is same-origin and
the page keeps the stack's `connect-src 'self'` CSP. AWS_ENDPOINT_URL_S3 points every boto3 client here
(path-style: /s3/<bucket>/<key>); requests are forwarded to moto as they are.
"""

from __future__ import annotations

import http.client
from urllib.parse import urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

PREFIX = "/s3"
MAX_BODY_BYTES = 60 * 1024 * 1024  # above the 50 MiB upload limit; the policy's own limit is S3's check
METHODS = ("GET", "HEAD", "PUT", "POST", "DELETE", "OPTIONS")
_HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade",
        "host", "content-length"}


def _forward(target: str, method: str, path: str, headers: dict[str, str], body: bytes
             ) -> tuple[int, list[tuple[str, str]], bytes]:
    parts = urlsplit(target)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=60)
    try:
        conn.request(method, path, body=body or None, headers={**headers, "Host": parts.netloc})
        answer = conn.getresponse()
        return answer.status, answer.getheaders(), answer.read()
    finally:
        conn.close()


def route(moto_url: str) -> Route:
    async def proxy(request: Request) -> Response:
        body = await request.body()
        if len(body) > MAX_BODY_BYTES:
            return Response("request too large", status_code=413)
        path = request.url.path.removeprefix(PREFIX) or "/"
        raw_path = request.scope.get("raw_path", b"").decode("latin-1").removeprefix(PREFIX) or path
        if request.url.query:
            raw_path = f"{raw_path}?{request.url.query}"
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP}
        status, answer_headers, content = await run_in_threadpool(
            _forward, moto_url, request.method, raw_path, headers, body)
        response = Response(content, status_code=status)
        for key, value in answer_headers:
            if key.lower() not in _HOP and key.lower() not in ("server", "date"):
                response.headers.append(key, value)
            elif key.lower() == "content-length" and request.method == "HEAD":
                response.headers["content-length"] = value  # the object's size, not the empty body's
        return response

    return Route(f"{PREFIX}/{{path:path}}", proxy, methods=list(METHODS))
