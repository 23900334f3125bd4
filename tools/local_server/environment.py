"""The handlers' environment, per function, as the stack sets it (components/chat_api/functions.py and
components/retrieval.py), with local endpoints.

Every handler runs in this one process, so they share os.environ: `merged()` is the union of the
per-function environments and refuses two functions that need different values for one variable (which
would make one of them run with the other's configuration). Process-wide settings (region, credentials,
endpoints, model providers) are added by `process_environment`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

PREFIX = "chatbot-local"
TABLES = ("sessions", "connections", "settings", "usage", "audit")
CHAT_FUNCTIONS = ("chat_worker", "rest", "ws_authorizer", "ws_connect", "ws_disconnect")
STAGE = "ws"  # the WebSocket path: API Gateway's stage, so the management API is /ws/@connections/{id}
USER_POOL_ID = "local"
CLIENT_ID = "chatbot-local-web"
UPLOADS_BUCKET = f"{PREFIX}-uploads"
INGEST_QUEUE = f"{PREFIX}-ingest"
APP_DB_USER = "chatbot_app"
MAX_UPLOAD_BYTES = 50 * 1024 * 1024  # the app's default and the parsers' limit
INGEST_MAX_RECEIVES = 5  # the stack's maxReceiveCount
RAG_TOP_K = 5
FAKE_KEY = "testing"  # moto's conventional fake credential, never a real one
TITAN_V2 = "amazon.titan-embed-text-v2:0"  # Bedrock mode's embedding model (256 dims are indexed)
# Variables a developer's shell may carry that would send a request elsewhere or read another profile.
_CLEARED = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
            "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
            "AWS_CONTAINER_CREDENTIALS_FULL_URI", "DB_HOST", "DB_PORT", "DB_NAME", "DB_USER",
            "GUARDRAIL_ID", "GUARDRAIL_VERSION", "ALLOWED_MODELS", "UPLOADS_KMS_KEY_ARN")
# Services the handlers call, all answered by moto or this server; only Bedrock may be real.
MOTO_SERVICES = ("DYNAMODB", "S3", "SQS", "SECRETSMANAGER", "STS", "RDS")


@dataclass(frozen=True)
class Endpoints:
    origin: str  # http://127.0.0.1:8000 (the site, the API, the identity provider)
    moto: str  # http://127.0.0.1:<port>

    @property
    def s3(self) -> str:
        return f"{self.origin}/s3"  # proxied to moto so the browser's upload stays same-origin (CSP 'self')

    @property
    def issuer(self) -> str:
        return f"{self.origin}/auth"

    @property
    def websocket(self) -> str:
        return self.origin.replace("http://", "ws://", 1) + f"/{STAGE}"


@dataclass(frozen=True)
class Models:
    local: bool  # MODEL_PROVIDER/EMBEDDING_PROVIDER=local (wordllama, extractive answers)
    region: str  # AWS region (Bedrock's in Bedrock mode)


def function_name(role: str) -> str:
    return f"{PREFIX}-{role}"


def _chat_common(endpoints: Endpoints, models: Models) -> dict[str, str]:
    env = {f"{t.upper()}_TABLE": f"{PREFIX}-{t}" for t in TABLES}
    env.update({
        "USER_POOL_ID": USER_POOL_ID, "USER_POOL_CLIENT_ID": CLIENT_ID, "ADMIN_GROUP": "admin",
        "BEDROCK_REGION": models.region, "QUOTA_MESSAGES_PER_DAY": "200", "QUOTA_TOKENS_PER_DAY": "200000",
        "MAX_MESSAGE_CHARS": "8000", "ALLOWED_ORIGIN": endpoints.origin,
        # The local identity provider instead of Cognito (core/config.py reads both).
        "TOKEN_ISSUER": endpoints.issuer, "JWKS_URL": f"{endpoints.issuer}/.well-known/jwks.json",
    })
    if models.local:
        from chatbot_app.core.config import LOCAL_MODEL_ID

        env["DEFAULT_MODEL_ID"] = LOCAL_MODEL_ID
    return env


# Local mode has the pgvector engine only (PostgreSQL on this machine); no reranking.
ENGINES = {"RAG_ENGINES": "pgvector", "RERANK_MODELS": ""}
# The crawler's settings the rest function knows too (its earlier refusals, the UI's form), at the stack's
# defaults except a smaller page cap and feeds on, so every kind can be tried. There is no setting that lets
# it fetch http or private addresses: locally it crawls public https sites, as in AWS.
CRAWLER_LIMITS = {"CRAWLER_MAX_PAGES": "25", "CRAWLER_FEEDS": "true", "CRAWLER_ALLOWED_DOMAINS": ""}
CRAWLER_MIN_INTERVAL_MS = 1000


def _retrieval_common(dsn: str, models: Models) -> dict[str, str]:
    return {"DB_DSN": dsn, "UPLOADS_BUCKET": UPLOADS_BUCKET, "EMBEDDING_MODELS": embedding_model(models),
            "BEDROCK_REGION": models.region, **ENGINES}


def embedding_model(models: Models) -> str:
    if models.local:
        from chatbot_app.rag.embeddings import LOCAL_MODEL

        return LOCAL_MODEL.model_id
    return TITAN_V2


def per_function(endpoints: Endpoints, models: Models, dsn: str, queue_url: str) -> dict[str, dict[str, str]]:
    """Each function's own variables, as the stack gives them."""
    chat = _chat_common(endpoints, models)
    envs = {role: dict(chat) for role in CHAT_FUNCTIONS}
    envs["rest"].update(CHAT_WORKER_FUNCTION=function_name("chat-worker"), RAG_FUNCTION=function_name("rag"),
                        UPLOADS_BUCKET=UPLOADS_BUCKET, MAX_UPLOAD_BYTES=str(MAX_UPLOAD_BYTES),
                        UPLOAD_FORMATS="", WORKSPACE_MANAGER_GROUP="workspace_manager", **ENGINES,
                        CRAWLER_FUNCTION_NAME=function_name("web-crawler"), **CRAWLER_LIMITS)
    envs["chat_worker"].update(RAG_FUNCTION=function_name("rag"), RAG_TOP_K=str(RAG_TOP_K))
    envs["rag"] = _retrieval_common(dsn, models)
    envs["doc_processor"] = {**_retrieval_common(dsn, models), "INGEST_QUEUE_URL": queue_url,
                             "MAX_UPLOAD_BYTES": str(MAX_UPLOAD_BYTES), "UPLOAD_FORMATS": "",
                             "INGEST_MAX_RECEIVES": str(INGEST_MAX_RECEIVES)}
    envs["web_crawler"] = {"RAG_FUNCTION_NAME": function_name("rag"), "UPLOADS_BUCKET": UPLOADS_BUCKET,
                           "MAX_UPLOAD_BYTES": str(MAX_UPLOAD_BYTES),
                           "CRAWLER_MIN_INTERVAL_MS": str(CRAWLER_MIN_INTERVAL_MS), **CRAWLER_LIMITS}
    return envs


def merged(envs: Mapping[str, Mapping[str, str]]) -> dict[str, str]:
    """The union; ValueError when two functions need different values for one variable."""
    result: dict[str, str] = {}
    owner: dict[str, str] = {}
    for role, env in envs.items():
        for key, value in env.items():
            if key in result and result[key] != value:
                raise ValueError(f"{key} differs between {owner[key]} ({result[key]!r}) and {role} "
                                 f"({value!r}); in-process handlers share one environment")
            result[key], owner[key] = value, role
    return result


def process_environment(endpoints: Endpoints, models: Models,
                        credentials: Mapping[str, str] | None) -> dict[str, str]:
    """Region, credentials, endpoints and providers for every handler (and every boto3 client)."""
    env = {"AWS_REGION": models.region, "AWS_DEFAULT_REGION": models.region,
           "AWS_EC2_METADATA_DISABLED": "true",
           # Nothing from the developer's ~/.aws: no profile, no configured endpoint, no credential process.
           "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
           "NO_PROXY": "127.0.0.1,localhost,::1", "no_proxy": "127.0.0.1,localhost,::1"}
    # Real credentials (Bedrock mode) are frozen keys resolved before the endpoints below were set.
    env.update(credentials or {"AWS_ACCESS_KEY_ID": FAKE_KEY, "AWS_SECRET_ACCESS_KEY": FAKE_KEY,
                              "AWS_SESSION_TOKEN": FAKE_KEY})
    # Any service not named below goes to moto too, never to AWS.
    env["AWS_ENDPOINT_URL"] = endpoints.moto
    env.update({f"AWS_ENDPOINT_URL_{service}": endpoints.moto for service in MOTO_SERVICES})
    env.update({"AWS_ENDPOINT_URL_S3": endpoints.s3, "AWS_ENDPOINT_URL_LAMBDA": endpoints.origin,
                "AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI": f"{endpoints.origin}/{STAGE}"})
    if models.local:
        env.update({"MODEL_PROVIDER": "local", "EMBEDDING_PROVIDER": "local",
                    "AWS_ENDPOINT_URL_BEDROCK": endpoints.moto,
                    "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": endpoints.moto})
    else:
        # Bedrock mode: the only services that reach AWS, named explicitly.
        env.update({"AWS_ENDPOINT_URL_BEDROCK": f"https://bedrock.{models.region}.amazonaws.com",
                    "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": f"https://bedrock-runtime.{models.region}.amazonaws.com"})
    return env


def apply(env: Mapping[str, str]) -> dict[str, str | None]:
    """Set `env` in os.environ (clearing the variables that could redirect a request); returns what to
    restore with `restore`."""
    # Endpoint overrides from the developer's shell (localstack, ...) would bypass moto and this server.
    cleared = [*_CLEARED, "MODEL_PROVIDER", "EMBEDDING_PROVIDER",
               *(k for k in os.environ if k.startswith("AWS_ENDPOINT_URL_"))]
    saved: dict[str, str | None] = {key: os.environ.get(key) for key in (*cleared, *env)}
    for key in cleared:
        os.environ.pop(key, None)
    os.environ.update(env)
    return saved


def restore(saved: Mapping[str, str | None]) -> None:
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
