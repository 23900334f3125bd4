"""ChatApi's inputs (two phases: ChatApiArgs, then ChatApiConnection) and the functions it runs."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pulumi

from components.chat_api.routes import RestRoute, load_routes

if TYPE_CHECKING:
    from components.settings import StackSettings

TABLES = ("sessions", "connections", "settings", "usage", "audit")
# A browser's Origin header: scheme, host and optional port; no path, no wildcard.
_ORIGIN = re.compile(r"^https://[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]{1,5})?$")


@dataclass(frozen=True)
class RetrievalAccess:
    """What the REST function and the chat worker need to use retrieval (None: RAG is off)."""

    rag_function_name: str  # known at preview: the IAM grant names it
    uploads_bucket_name: pulumi.Input[str]
    uploads_kms_key_arn: pulumi.Input[str] | None  # None: SSE-S3 (dev only)
    max_upload_bytes: int
    upload_formats: tuple[str, ...]
    top_k: int = 5
    workspace_manager_group: str = "workspace_manager"
    # The REST function's view of the engines and the crawler (RAG_ENGINES, RERANK_MODELS, KENDRA_INDEXES,
    # KNOWLEDGE_BASES, CRAWLER_ALLOWED_DOMAINS, CRAWLER_FEEDS): what a new workspace or crawl may choose.
    engines_environment: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    crawler_function_name: str | None = None  # known at preview; None: crawling is off
    crawler_max_pages: int = 0


@dataclass(frozen=True)
class SelfHostedAccess:
    """Self-hosted SageMaker models the chat may use (components/self_hosted_models.py)."""

    app_models: pulumi.Input[str]  # SAGEMAKER_MODELS: the JSON list the app reads
    invoke_statements: pulumi.Output[list[dict[str, Any]]]  # the chat worker's, on exactly the endpoints


@dataclass(frozen=True)
class ChatApiArgs:
    """What the APIs need at construction: nothing that depends on the website or the user pool."""

    prefix: str
    stack: str
    region: str
    code: pulumi.Input[pulumi.Archive]
    table_names: Mapping[str, pulumi.Input[str]]
    table_arns: Mapping[str, pulumi.Input[str]]
    log_retention_days: int
    logs_kms_key_arn: pulumi.Input[str] | None
    data_kms_key_arn: pulumi.Input[str] | None
    retain: bool
    xray_tracing: bool
    rate_limit_per_ip: int
    rate_limit_window_seconds: int
    chat_rate_limit_per_ip: int
    quota_messages_per_day: int
    quota_tokens_per_day: int
    bedrock_region: str
    bedrock_models: tuple[str, ...] = ()
    guardrail_arn: pulumi.Input[str] | None = None
    guardrail_version: pulumi.Input[str] | None = None
    geo_allowlist: tuple[str, ...] = ()
    stage_name: str = "api"
    admin_group: str = "admin"
    max_message_chars: int = 8000
    throttle_rate: float = 50.0  # requests per second, per stage (REST) or per route (WebSocket)
    throttle_burst: int = 100
    manage_api_gateway_account: bool = True  # the region's API Gateway CloudWatch role (account-wide)
    routes: tuple[RestRoute, ...] = field(default_factory=load_routes)
    retrieval: RetrievalAccess | None = None
    self_hosted: SelfHostedAccess | None = None

    def __post_init__(self) -> None:
        missing = [t for t in TABLES if t not in self.table_names or t not in self.table_arns]
        if missing:
            raise ValueError(f"table_names and table_arns need the tables {missing}")
        if (self.guardrail_arn is None) != (self.guardrail_version is None):
            raise ValueError("guardrail_arn and guardrail_version are set together or not at all")
        if not self.stage_name.isalnum():
            raise ValueError(f"stage_name must be alphanumeric, got {self.stage_name!r}")
        if self.chat_rate_limit_per_ip > self.rate_limit_per_ip:
            raise ValueError("chat_rate_limit_per_ip must not exceed rate_limit_per_ip")
        if any("," in model for model in self.bedrock_models):
            raise ValueError("bedrock_models must not contain commas (ALLOWED_MODELS is comma-separated)")

    @classmethod
    def from_settings(
        cls,
        settings: StackSettings,
        *,
        code: pulumi.Input[pulumi.Archive],
        table_names: Mapping[str, pulumi.Input[str]],
        table_arns: Mapping[str, pulumi.Input[str]],
        logs_kms_key_arn: pulumi.Input[str] | None,
        data_kms_key_arn: pulumi.Input[str] | None,
        guardrail_arn: pulumi.Input[str] | None = None,
        guardrail_version: pulumi.Input[str] | None = None,
        retrieval: RetrievalAccess | None = None,
        self_hosted: SelfHostedAccess | None = None,
    ) -> ChatApiArgs:
        return cls(
            prefix=settings.prefix, stack=settings.stack, region=settings.region, code=code,
            table_names=table_names, table_arns=table_arns, log_retention_days=settings.log_retention_days,
            logs_kms_key_arn=logs_kms_key_arn, data_kms_key_arn=data_kms_key_arn,
            retain=settings.retain_data, xray_tracing=settings.xray_tracing,
            rate_limit_per_ip=settings.rate_limit_per_ip,
            rate_limit_window_seconds=settings.rate_limit_window_seconds,
            chat_rate_limit_per_ip=settings.chat_rate_limit_per_ip,
            quota_messages_per_day=settings.quota_messages_per_day,
            quota_tokens_per_day=settings.quota_tokens_per_day,
            bedrock_region=settings.bedrock_region, bedrock_models=tuple(settings.bedrock_models),
            guardrail_arn=guardrail_arn, guardrail_version=guardrail_version,
            geo_allowlist=tuple(settings.geo_allowlist), retrieval=retrieval, self_hosted=self_hosted,
        )


@dataclass(frozen=True)
class ChatApiConnection:
    """What ChatApi.connect needs: the user pool and the website origin, known only after the website."""

    user_pool_id: pulumi.Input[str]
    user_pool_arn: pulumi.Input[str]
    user_pool_client_id: pulumi.Input[str]
    allowed_origin: pulumi.Input[str]  # the website origin (https://...): CORS never answers "*"

    def __post_init__(self) -> None:
        if isinstance(self.allowed_origin, str) and not _ORIGIN.match(self.allowed_origin):
            # Checked now for known values; a computed origin (the website's URL) is https by construction.
            raise ValueError(f"allowed_origin must be one https origin without a path, got "
                             f"{self.allowed_origin!r}")


@dataclass(frozen=True)
class FunctionSpec:
    role: str
    handler: str
    memory_mb: int = 256
    timeout_seconds: int = 30


HANDLERS = "chatbot_app.handlers"
FUNCTIONS: dict[str, FunctionSpec] = {
    # The worker first: the REST function's environment names it.
    "chat_worker": FunctionSpec("chat-worker", f"{HANDLERS}.chat_worker.handler", 512, 300),  # long answers
    "rest": FunctionSpec("rest", f"{HANDLERS}.rest.handler", timeout_seconds=29),  # REST caps at 29 s
    "ws_authorizer": FunctionSpec("ws-authorizer", f"{HANDLERS}.ws_authorizer.handler", 256, 10),
    "ws_connect": FunctionSpec("ws-connect", f"{HANDLERS}.ws_connect.handler", 256, 10),
    "ws_disconnect": FunctionSpec("ws-disconnect", f"{HANDLERS}.ws_disconnect.handler", 256, 10),
}
SELECTS_MODELS = ("rest", "chat_worker")  # get ALLOWED_MODELS: /models filters, sends and jobs are checked
USES_RETRIEVAL = ("rest", "chat_worker")  # call the rag service when the stack has retrieval
WS_ROUTES = {"$connect": "ws_connect", "$disconnect": "ws_disconnect"}
WORKER_MAX_EVENT_AGE_SECONDS = 120  # an answer nobody waits for any more is not worth a model call
ACCESS_LOG_FORMAT = json.dumps(
    {  # no headers, no query string: tokens never reach the logs
        "requestId": "$context.requestId",
        "ip": "$context.identity.sourceIp",
        "time": "$context.requestTime",
        "method": "$context.httpMethod",
        "resource": "$context.resourcePath",
        "routeKey": "$context.routeKey",
        "status": "$context.status",
        "responseLength": "$context.responseLength",
        "latency": "$context.responseLatency",
        "integrationLatency": "$context.integrationLatency",
        "user": "$context.authorizer.principalId",
        "error": "$context.error.message",
        "waf": "$context.waf.status",
    },
    separators=(",", ":"),
)
