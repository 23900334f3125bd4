"""The engine registry: a workspace's catalogue row -> the engine its ingestion and search go through.

Engines are built once per process and reused (one OpenSearch client per collection, one Kendra client per
index, one reranker per model). A workspace whose engine, index or knowledge base the stack no longer
enables gets an EngineError naming what is missing. opensearch-py is imported only when an opensearch
workspace is used, so functions without that engine need not carry it.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

from ..engine_config import EngineConfig
from ..store import VectorStore, WorkspaceSpec
from .base import EngineError, RetrievalEngine
from .kendra import AssumedRole, KendraEngine
from .knowledge_base import BedrockKnowledgeBaseEngine
from .pgvector import PgVectorEngine
from .rerank import BedrockReranker, RerankingEngine

ClientFactory = Callable[[str, str | None], Any]  # (boto3 service name, region) -> client


class EngineRegistry:
    def __init__(self, config: EngineConfig, store: VectorStore, *, clients: ClientFactory | None = None,
                 opensearch_credentials: Any = None) -> None:
        """`clients` builds the boto3 clients (tests pass stubbed ones); None lets each engine build its own.
        `opensearch_credentials` signs OpenSearch requests (None: the function's role, via botocore)."""
        self.config, self.store = config, store
        self._clients, self._os_credentials = clients, opensearch_credentials
        self._lock = threading.Lock()
        self._engines: dict[tuple[str, str | None], RetrievalEngine] = {}
        self._rerankers: dict[str, BedrockReranker] = {}

    def engine(self, workspace: WorkspaceSpec) -> RetrievalEngine:
        """The workspace's engine, wrapped for reranking when the workspace turned it on."""
        base = self.base_engine(workspace)
        if workspace.rerank_model is None:
            return base
        return RerankingEngine(base, self._reranker(workspace.rerank_model))

    def base_engine(self, workspace: WorkspaceSpec) -> RetrievalEngine:
        if workspace.engine not in self.config.engines:
            raise EngineError(f"the workspace's engine {workspace.engine} is not enabled on this stack")
        key = (workspace.engine, workspace.engine_ref)
        with self._lock:
            if key not in self._engines:
                self._engines[key] = self._build(workspace)
            return self._engines[key]

    def _build(self, workspace: WorkspaceSpec) -> RetrievalEngine:
        if workspace.engine == "pgvector":
            return PgVectorEngine(self.store)
        if workspace.engine == "opensearch":
            from .opensearch import OpenSearchServerlessEngine  # deferred: needs opensearch-py

            endpoint, region = self.config.opensearch_endpoint, self.config.opensearch_region
            if not endpoint or not region:
                raise EngineError("OPENSEARCH_ENDPOINT and OPENSEARCH_REGION are not set")
            return OpenSearchServerlessEngine(endpoint, region, credentials=self._os_credentials)
        if workspace.engine == "kendra":
            index = self.config.kendra_index(workspace.engine_ref)
            if index is None:
                raise EngineError(f"the workspace's Kendra index {workspace.engine_ref} is not configured on "
                                  "this stack (KENDRA_INDEXES)")
            if index.role_arn:
                sts = self._client("sts", index.region)
                role = AssumedRole(index.role_arn, index.external_id, sts_client=sts, region=index.region)
                factory = None
                if self._clients is not None:  # injected clients (tests) stand in for the role's client
                    factory = functools.partial(_ignore_credentials, self._clients, "kendra", index.region)
                return KendraEngine(index.id, region=index.region, role=role, client_factory=factory)
            return KendraEngine(index.id, region=index.region, client=self._client("kendra", index.region))
        if workspace.engine == "bedrock-kb":
            kb = self.config.knowledge_base(workspace.engine_ref)
            if kb is None:
                raise EngineError(f"the workspace's knowledge base {workspace.engine_ref} is not configured "
                                  "on this stack (KNOWLEDGE_BASES)")
            return BedrockKnowledgeBaseEngine(kb.id, region=kb.region,
                                              client=self._client("bedrock-agent-runtime", kb.region))
        raise EngineError(f"unknown engine {workspace.engine!r}")

    def _reranker(self, model_id: str) -> BedrockReranker:
        if model_id not in self.config.rerank_models or not self.config.rerank_region:
            raise EngineError(f"the workspace's reranking model {model_id} is not enabled on this stack")
        with self._lock:
            if model_id not in self._rerankers:
                region = self.config.rerank_region
                self._rerankers[model_id] = BedrockReranker(
                    model_id, region, client=self._client("bedrock-agent-runtime", region),
                    partition=_partition(region))
            return self._rerankers[model_id]

    def _client(self, service: str, region: str | None) -> Any:
        return None if self._clients is None else self._clients(service, region)


def _ignore_credentials(make: ClientFactory, service: str, region: str | None, _: dict[str, str]) -> Any:
    return make(service, region)


def _partition(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    return "aws-us-gov" if region.startswith("us-gov-") else "aws"
