"""Fixtures for the chat application: moto DynamoDB, a local JWKS endpoint, signed tokens, event builders."""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from moto import mock_aws

APP_DIR = Path(__file__).resolve().parents[2] / "app"
if str(APP_DIR) not in sys.path:
    sys.path.insert(0, str(APP_DIR))

from chatbot_app.core import auth, aws, bedrock, config  # noqa: E402

REGION = "eu-west-1"
POOL_ID = f"{REGION}_TestPool1"
CLIENT_ID = "spa-client-id"
ISSUER = f"https://cognito-idp.{REGION}.amazonaws.com/{POOL_ID}"
KID = "test-key-1"
WORKER_FUNCTION = "chat-worker"
TABLES = {
    "SESSIONS_TABLE": "chat-sessions",
    "CONNECTIONS_TABLE": "chat-connections",
    "SETTINGS_TABLE": "chat-settings",
    "USAGE_TABLE": "chat-usage",
    "AUDIT_TABLE": "chat-audit",
}


@pytest.fixture(scope="session")
def signing_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="session")
def jwks_url(signing_key: rsa.RSAPrivateKey) -> Iterator[str]:
    """Serve the test JWKS on loopback: the verifier runs its real fetch path without the internet."""
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(signing_key.public_key()))
    document = json.dumps({"keys": [{**jwk, "kid": KID, "alg": "RS256", "use": "sig"}]}).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(document)

        def log_message(self, *args: Any) -> None:
            return

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/.well-known/jwks.json"
    server.shutdown()


class Tokens:
    def __init__(self, key: rsa.RSAPrivateKey) -> None:
        self.key = key

    def make(
        self,
        sub: str = "user-1",
        groups: list[str] | None = None,
        *,
        use: str = "access",
        client: str = CLIENT_ID,
        expires_in: int = 3600,
        issuer: str = ISSUER,
        key: rsa.RSAPrivateKey | None = None,
    ) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "sub": sub,
            "iss": issuer,
            "iat": now - 10,
            "exp": now + expires_in,
            "token_use": use,
            "cognito:groups": groups or ["user"],
            "username": f"name-{sub}",
        }
        if use == "id":
            claims["aud"] = client
        else:
            claims["client_id"] = client
        return jwt.encode(claims, key or self.key, algorithm="RS256", headers={"kid": KID})


@pytest.fixture
def tokens(signing_key: rsa.RSAPrivateKey) -> Tokens:
    return Tokens(signing_key)


@pytest.fixture
def app_env(monkeypatch: pytest.MonkeyPatch, jwks_url: str) -> Iterator[None]:
    values = {
        **TABLES,
        "USER_POOL_ID": POOL_ID,
        "USER_POOL_CLIENT_ID": CLIENT_ID,
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "JWKS_URL": jwks_url,
        "ALLOWED_ORIGIN": "https://chat.example.com",
        "QUOTA_MESSAGES_PER_DAY": "5",
        "QUOTA_TOKENS_PER_DAY": "1000",
        "MAX_MESSAGE_CHARS": "100",
        "CHAT_WORKER_FUNCTION": WORKER_FUNCTION,
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    for name in ("GUARDRAIL_ID", "GUARDRAIL_VERSION", "TOKEN_ISSUER", "BEDROCK_REGION", "ADMIN_GROUP"):
        monkeypatch.delenv(name, raising=False)
    _reset()
    yield
    _reset()


def _reset() -> None:
    config.get_config.cache_clear()
    aws.reset_clients()
    auth.clear_jwks_cache()
    bedrock.clear_model_cache()


@pytest.fixture
def ddb(app_env: None) -> Iterator[Any]:
    with mock_aws():
        aws.reset_clients()
        client = aws.ddb()
        for table in TABLES.values():
            client.create_table(
                TableName=table,
                BillingMode="PAY_PER_REQUEST",
                AttributeDefinitions=[
                    {"AttributeName": "pk", "AttributeType": "S"},
                    {"AttributeName": "sk", "AttributeType": "S"},
                ],
                KeySchema=[
                    {"AttributeName": "pk", "KeyType": "HASH"},
                    {"AttributeName": "sk", "KeyType": "RANGE"},
                ],
            )
        yield client
        aws.reset_clients()


def rest_event(method: str, path: str, token: str | None = None, body: Any = None) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    raw = body if isinstance(body, str) or body is None else json.dumps(body)
    return {
        "httpMethod": method,
        "path": path,
        "resource": path,
        "headers": headers,
        "body": raw,
        "isBase64Encoded": False,
        "requestContext": {"stage": "prod"},
    }


def call(method: str, path: str, token: str | None = None, body: Any = None) -> tuple[int, Any]:
    from chatbot_app.handlers import rest

    response = rest.handler(rest_event(method, path, token, body), None)
    payload = json.loads(response["body"]) if response["body"] else None
    return response["statusCode"], payload


def scan(client: Any, table_key: str) -> list[dict[str, Any]]:
    return [aws.from_item(i) for i in client.scan(TableName=TABLES[table_key]).get("Items", [])]


WS_DOMAIN = "abc123.execute-api.eu-west-1.amazonaws.com"
WS_ENDPOINT = f"https://{WS_DOMAIN}/prod"


def ws_event(connection_id: str, token: str | None = None, sub: str | None = None) -> dict[str, Any]:
    context: dict[str, Any] = {
        "connectionId": connection_id,
        "domainName": WS_DOMAIN,
        "stage": "prod",
        "apiId": "abc123",
    }
    if sub:
        context["authorizer"] = {"principalId": sub}
    event: dict[str, Any] = {
        "requestContext": context,
        "methodArn": "arn:aws:execute-api:eu-west-1:1:abc123/prod/$connect",
    }
    if token is not None:
        event["queryStringParameters"] = {"token": token}
    return event


def connect(tokens: Tokens, sub: str = "alice", connection_id: str = "conn-1", **claims: Any) -> str:
    """Open a WebSocket connection the way API Gateway does: the authorizer first, then $connect."""
    from chatbot_app.handlers import ws_authorizer, ws_connect

    token = tokens.make(sub, **claims)
    policy = ws_authorizer.handler(ws_event(connection_id, token=token), None)
    assert policy["principalId"] == sub
    assert policy["policyDocument"]["Statement"][0]["Effect"] == "Allow"
    assert ws_connect.handler(ws_event(connection_id, token=token, sub=sub), None) == {"statusCode": 200}
    return token


@pytest.fixture
def session(ddb: Any, tokens: Tokens) -> tuple[str, str]:
    """A connected user (`alice`) with one session: (token, sessionId)."""
    token = connect(tokens)
    status, body = call("POST", "/sessions", token, {})
    assert status == 201
    return token, body["sessionId"]
