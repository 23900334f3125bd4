"""The internal `rag` service function (in the VPC), invoked only by the REST and chat worker functions.

The vector store (one database connection), the configuration, the engine registry (RAG_ENGINES and the
engines' settings, see rag/engine_config.py), the S3 client and the query embedders are created once per
container and reused across invocations. Each invocation logs its op, workspace id,
duration and outcome, never the query text or document content.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import time
from typing import Any

from ..core.aws import client
from ..rag.db import connector_from_env
from ..rag.embeddings import BedrockEmbedder, with_local_model
from ..rag.engines.registry import EngineRegistry
from ..rag.service import OPS, ServiceConfig, dispatch
from ..rag.store import VectorStore

log = logging.getLogger(__name__)
log.setLevel(logging.INFO)
_UUID = re.compile(r"^[0-9a-fA-F-]{36}$")
# A question is one request: fail fast inside the function's 25 s rather than back off for a minute.
QUERY_EMBED_ATTEMPTS = 3
QUERY_EMBED_MAX_DELAY = 2.0


@functools.cache
def _config() -> ServiceConfig:
    return ServiceConfig.from_env()


@functools.cache
def _store() -> VectorStore:
    return VectorStore(connector_from_env())  # connects lazily, reconnects when the connection broke


@functools.cache
def _engines() -> EngineRegistry:
    return EngineRegistry(_config().engines, _store())  # engine clients live as long as the container


@functools.cache
def _embedder(model_id: str, dimension: int) -> BedrockEmbedder:
    region = os.environ.get("BEDROCK_REGION") or os.environ.get("AWS_REGION")
    return BedrockEmbedder(model_id, dimension, region=region, concurrency=1,
                           max_attempts=QUERY_EMBED_ATTEMPTS, max_delay=QUERY_EMBED_MAX_DELAY)


# Local mode's embedder for its model id under EMBEDDING_PROVIDER=local; Bedrock's for every other id.
_embedders = with_local_model(_embedder)


def reset() -> None:
    """Forget the container's store, configuration and embedders (tests switch databases and env)."""
    if _store.cache_info().currsize:
        _store().close()
    for cached in (_config, _store, _engines, _embedder):
        cached.cache_clear()


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    started = time.perf_counter()
    fields = event if isinstance(event, dict) else {}
    op = fields.get("op") if fields.get("op") in OPS else "unknown"
    workspace = fields.get("workspaceId")
    workspace = workspace if isinstance(workspace, str) and _UUID.match(workspace) else "-"
    try:
        config, store, engines = _config(), _store(), _engines()
        s3 = client("s3", os.environ.get("AWS_REGION"))
    except Exception:
        log.exception("the rag service is misconfigured")
        answer: dict[str, Any] = {"ok": False, "status": 500, "message": "internal error"}
    else:
        answer = dispatch(event, store=store, embedder_factory=_embedders, s3=s3, config=config,
                          engines=engines)
    outcome = "ok" if answer.get("ok") else str(answer.get("status"))
    log.info("rag op=%s workspace=%s outcome=%s duration_ms=%.1f", op, workspace, outcome,
             (time.perf_counter() - started) * 1000)
    return answer
