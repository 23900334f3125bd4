"""Configuration from the Lambda environment, read once per container."""

from __future__ import annotations

import functools
import logging
import os
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .sagemaker_models import EndpointModel

DEFAULT_MAX_MESSAGE_CHARS = 8000
# Used only until an administrator saves runtime settings; must be a Bedrock text model.
FALLBACK_MODEL_ID = "amazon.nova-micro-v1:0"
# MODEL_PROVIDER=local (the local server without AWS credentials): the one model, answers quoted from the
# retrieved passages by app/chatbot_app/local/answers.py. The deployed stack never sets it.
LOCAL_MODEL_ID = "local.extractive"
MODEL_PROVIDERS = ("bedrock", "local")
# A Bedrock model id or inference-profile id; models.py validates request fields with the same pattern.
MODEL_ID_PATTERN = r"^[A-Za-z0-9._:/-]{1,256}$"
SAGEMAKER_PREFIX = "sagemaker."  # self-hosted models (core/sagemaker_models.py PREFIX)
DEFAULT_MAX_UPLOAD_BYTES = 50 * 1024 * 1024  # the document parsers' own limit (rag/parsers ParseLimits)
MAX_RAG_TOP_K = 20  # the rag service's bound on `k`


class ConfigError(RuntimeError):
    """The function was deployed without a required environment variable."""


@dataclass(frozen=True)
class Config:
    sessions_table: str
    connections_table: str
    settings_table: str
    usage_table: str
    audit_table: str
    user_pool_id: str
    user_pool_client_id: str
    region: str
    admin_group: str = "admin"
    bedrock_region: str = ""
    guardrail_id: str | None = None
    guardrail_version: str | None = None
    quota_messages_per_day: int = 200
    quota_tokens_per_day: int = 200_000
    max_message_chars: int = DEFAULT_MAX_MESSAGE_CHARS
    allowed_origin: str | None = None
    jwks_url: str = ""
    token_issuer: str = ""
    default_model_id: str = FALLBACK_MODEL_ID
    # Only the REST function invokes the worker; the other functions run without it.
    chat_worker_function: str = ""
    # Empty: every text model the account lists may be used.
    allowed_models: tuple[str, ...] = ()
    # Retrieval (issue 5). Without RAG_FUNCTION the stack has no retrieval: workspace routes answer 404.
    rag_function: str = ""
    rag_top_k: int = 5
    workspace_manager_group: str = "workspace_manager"
    # REST function only: where uploads go and what they may be.
    uploads_bucket: str = ""
    uploads_kms_key_arn: str | None = None
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES
    # Empty: every format the parsers support.
    upload_formats: tuple[str, ...] = ()
    model_provider: str = "bedrock"
    # SAGEMAKER_MODELS: the stack's self-hosted models (chat worker and REST function only).
    sagemaker_models: tuple[EndpointModel, ...] = ()

    @property
    def rag_enabled(self) -> bool:
        return bool(self.rag_function)

    @property
    def guardrail_enabled(self) -> bool:
        return bool(self.guardrail_id and self.guardrail_version)

    def model_allowed(self, model_id: str) -> bool:
        """A self-hosted id only when the stack configured that endpoint; a Bedrock id per ALLOWED_MODELS."""
        if model_id.startswith(SAGEMAKER_PREFIX):
            return self.sagemaker_model(model_id) is not None
        return not self.allowed_models or model_id in self.allowed_models

    def sagemaker_model(self, model_id: str) -> EndpointModel | None:
        return next((m for m in self.sagemaker_models if m.model_id == model_id), None)


def _required(env: dict[str, str], key: str) -> str:
    value = env.get(key, "").strip()
    if not value:
        raise ConfigError(f"environment variable {key} is required")
    return value


def _positive_int(env: dict[str, str], key: str, default: int) -> int:
    raw = env.get(key, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise ConfigError(f"environment variable {key} must be an integer, got {raw!r}") from exc
    if value < 1:
        raise ConfigError(f"environment variable {key} must be >= 1, got {value}")
    return value


def _allowed_models(env: dict[str, str], default_model: str) -> tuple[str, ...]:
    entries = [e.strip() for e in env.get("ALLOWED_MODELS", "").split(",")]
    allowed = tuple(dict.fromkeys(e for e in entries if e))  # ordered, without duplicates
    for model_id in allowed:
        if not re.match(MODEL_ID_PATTERN, model_id) or model_id.startswith(SAGEMAKER_PREFIX):
            raise ConfigError(f"ALLOWED_MODELS: {model_id!r} is not a Bedrock model or inference-profile id")
    if allowed and default_model not in allowed:
        explicit = bool(env.get("DEFAULT_MODEL_ID", "").strip())
        source = "DEFAULT_MODEL_ID" if explicit else "the built-in default model"
        raise ConfigError(
            f"{source} {default_model!r} is not in ALLOWED_MODELS ({', '.join(allowed)}); "
            "set DEFAULT_MODEL_ID to one of them"
        )
    return allowed


def _upload_formats(env: dict[str, str]) -> tuple[str, ...]:
    entries = [e.strip().lower() for e in env.get("UPLOAD_FORMATS", "").split(",")]
    formats = tuple(dict.fromkeys(e for e in entries if e))
    if not formats:
        return ()
    from ..rag.parsers import CONTENT_TYPES  # deferred: only functions that configure uploads pay for it

    unknown = [f for f in formats if f not in CONTENT_TYPES]
    if unknown:
        raise ConfigError(
            f"UPLOAD_FORMATS: unknown format(s) {', '.join(unknown)}; "
            f"known: {', '.join(sorted(CONTENT_TYPES))}"
        )
    return formats


def from_env(env: dict[str, str]) -> Config:
    region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1"
    pool = _required(env, "USER_POOL_ID")
    issuer = env.get("TOKEN_ISSUER") or f"https://cognito-idp.{region}.amazonaws.com/{pool}"
    origin = env.get("ALLOWED_ORIGIN", "").strip() or None
    if origin == "*":
        raise ConfigError("ALLOWED_ORIGIN must be the website origin, not '*'")
    guardrail_id = env.get("GUARDRAIL_ID", "").strip() or None
    guardrail_version = env.get("GUARDRAIL_VERSION", "").strip() or None
    if bool(guardrail_id) != bool(guardrail_version):
        raise ConfigError("GUARDRAIL_ID and GUARDRAIL_VERSION must be set together")
    provider = _model_provider(env)
    fallback = LOCAL_MODEL_ID if provider == "local" else FALLBACK_MODEL_ID
    default_model = env.get("DEFAULT_MODEL_ID", "").strip() or fallback
    if provider == "local" and default_model != LOCAL_MODEL_ID:
        raise ConfigError(f"MODEL_PROVIDER=local answers with {LOCAL_MODEL_ID} only; unset DEFAULT_MODEL_ID")
    if default_model.startswith(SAGEMAKER_PREFIX):
        # A self-hosted endpoint may be stopped by its schedule; the default must always answer.
        raise ConfigError(f"DEFAULT_MODEL_ID must be a Bedrock model, got the self-hosted {default_model!r}")
    self_hosted = _sagemaker_models(env)
    if provider == "local" and self_hosted:
        raise ConfigError(f"MODEL_PROVIDER=local answers with {LOCAL_MODEL_ID} only; unset SAGEMAKER_MODELS")
    return Config(
        sessions_table=_required(env, "SESSIONS_TABLE"),
        connections_table=_required(env, "CONNECTIONS_TABLE"),
        settings_table=_required(env, "SETTINGS_TABLE"),
        usage_table=_required(env, "USAGE_TABLE"),
        audit_table=_required(env, "AUDIT_TABLE"),
        user_pool_id=pool,
        user_pool_client_id=_required(env, "USER_POOL_CLIENT_ID"),
        region=region,
        admin_group=env.get("ADMIN_GROUP", "").strip() or "admin",
        bedrock_region=env.get("BEDROCK_REGION", "").strip() or region,
        guardrail_id=guardrail_id,
        guardrail_version=guardrail_version,
        quota_messages_per_day=_positive_int(env, "QUOTA_MESSAGES_PER_DAY", 200),
        quota_tokens_per_day=_positive_int(env, "QUOTA_TOKENS_PER_DAY", 200_000),
        max_message_chars=_positive_int(env, "MAX_MESSAGE_CHARS", DEFAULT_MAX_MESSAGE_CHARS),
        allowed_origin=origin,
        jwks_url=env.get("JWKS_URL") or f"{issuer}/.well-known/jwks.json",
        token_issuer=issuer,
        default_model_id=default_model,
        chat_worker_function=env.get("CHAT_WORKER_FUNCTION", "").strip(),
        allowed_models=_allowed_models(env, default_model),
        rag_function=env.get("RAG_FUNCTION", "").strip(),
        rag_top_k=_top_k(env),
        workspace_manager_group=env.get("WORKSPACE_MANAGER_GROUP", "").strip() or "workspace_manager",
        uploads_bucket=env.get("UPLOADS_BUCKET", "").strip(),
        uploads_kms_key_arn=env.get("UPLOADS_KMS_KEY_ARN", "").strip() or None,
        max_upload_bytes=_positive_int(env, "MAX_UPLOAD_BYTES", DEFAULT_MAX_UPLOAD_BYTES),
        upload_formats=_upload_formats(env),
        model_provider=provider,
        sagemaker_models=self_hosted,
    )


def _sagemaker_models(env: dict[str, str]) -> tuple[EndpointModel, ...]:
    from .sagemaker_models import parse_models  # deferred: that module imports this one (via bedrock)

    raw = env.get("SAGEMAKER_MODELS", "").strip()
    if not raw:
        return ()
    try:
        models = tuple(parse_models(raw))
    except ValueError as exc:  # its message names SAGEMAKER_MODELS
        raise ConfigError(str(exc)) from exc
    ids = [m.model_id for m in models]
    for model_id in ids:
        if not re.match(MODEL_ID_PATTERN, model_id):
            raise ConfigError(f"SAGEMAKER_MODELS: {model_id!r} is not a valid model id")
    if len(set(ids)) != len(ids):
        raise ConfigError(f"SAGEMAKER_MODELS: duplicate model ids in {', '.join(ids)}")
    return models


def _model_provider(env: dict[str, str]) -> str:
    provider = env.get("MODEL_PROVIDER", "").strip().lower() or "bedrock"
    if provider not in MODEL_PROVIDERS:
        raise ConfigError(f"MODEL_PROVIDER must be one of {', '.join(MODEL_PROVIDERS)}, got {provider!r}")
    return provider


def _top_k(env: dict[str, str]) -> int:
    value = _positive_int(env, "RAG_TOP_K", 5)
    if value > MAX_RAG_TOP_K:
        raise ConfigError(f"environment variable RAG_TOP_K must be <= {MAX_RAG_TOP_K}, got {value}")
    return value


@functools.cache
def get_config() -> Config:
    return from_env(dict(os.environ))


def report_at_cold_start(log: logging.Logger) -> None:
    """Log a configuration error once while the container initialises, where operators look first.
    Not raised: every invocation then answers with a clear error instead of a failed init loop."""
    try:
        get_config()
    except ConfigError as exc:
        log.error("configuration error: %s", exc)
