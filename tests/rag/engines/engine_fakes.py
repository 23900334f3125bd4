"""Test doubles for the engine adapters: a recording HTTP server on loopback and a SigV4 verifier."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

CREDENTIALS = Credentials("AKIDEXAMPLE0000TEST", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                          "session-token-1")
_AUTH = re.compile(r"AWS4-HMAC-SHA256 Credential=(?P<key>[^/]+)/(?P<date>\d{8})/(?P<region>[^/]+)/"
                   r"(?P<service>[^/]+)/aws4_request, SignedHeaders=(?P<signed>[a-z0-9;-]+), "
                   r"Signature=(?P<sig>[0-9a-f]{64})$")


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]  # lower-case names
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def ndjson(self) -> list[Any]:
        return [json.loads(line) for line in self.body.decode().splitlines() if line.strip()]


Responder = Callable[[Recorded], tuple[int, Any]]


class FakeServer:
    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self.responses: list[tuple[int, Any]] = []  # answered in order; then `default`
        self.default: tuple[int, Any] = (200, {"acknowledged": True})
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                server.requests.append(Recorded(self.command, self.path, headers, body))
                status, payload = server.responses.pop(0) if server.responses else server.default
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _handle

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - http.server's name
                return

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def reply(self, *responses: tuple[int, Any]) -> None:
        self.responses.extend(responses)


@pytest.fixture()
def fake_server() -> Iterator[FakeServer]:
    server = FakeServer()
    server.thread.start()
    try:
        yield server
    finally:
        server.httpd.shutdown()
        server.httpd.server_close()


def verify_sigv4(req: Recorded, credentials: Credentials, region: str, service: str) -> dict[str, str]:
    """Recompute the request's SigV4 signature from what the server received; return the parsed header."""
    match = _AUTH.match(req.headers["authorization"])
    assert match, req.headers["authorization"]
    parts = match.groupdict()
    signed = parts["signed"].split(";")
    assert {"host", "x-amz-date", "x-amz-content-sha256", "x-amz-security-token"} <= set(signed)
    aws = AWSRequest(method=req.method, url=f"http://{req.headers['host']}{req.path}", data=req.body,
                     headers={name: req.headers[name] for name in signed})
    aws.context["timestamp"] = req.headers["x-amz-date"]
    auth = SigV4Auth(credentials, service, region)
    signature = auth.signature(auth.string_to_sign(aws, auth.canonical_request(aws)), aws)
    assert signature == parts["sig"], "the signature does not match the request the server received"
    return parts
