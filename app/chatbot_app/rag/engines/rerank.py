"""Optional reranking, set per workspace: Bedrock's Rerank API (a cross-encoder) reorders retrieved passages.

RerankingEngine wraps any engine: with a reranker it fetches `candidates` times k passages, has the model
score each against the question and keeps the top k with the model's relevance score (0..1); without one it
is the wrapped engine unchanged. Writes (upsert, delete) pass through to the wrapped engine when it has them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from ...core.aws import client as aws_client  # the app's cached boto3 clients (boto3 imported on first use)
from ..engine_config import REGION, RERANK_MODELS
from ._aws import botocore_errors, engine_error, unit_score
from .base import Passage, RetrievalEngine, RetrievalQuery

MAX_TEXT = 32_000  # characters per query and per document (RerankTextDocument)
MAX_SOURCES = 1_000
MAX_K = 100


class BedrockReranker:
    def __init__(self, model_id: str, region: str, *, client: Any = None, partition: str = "aws") -> None:
        if model_id not in RERANK_MODELS:
            raise ValueError(f"unsupported rerank model {model_id!r}; supported: {', '.join(RERANK_MODELS)}")
        if not REGION.match(region) or partition not in ("aws", "aws-cn", "aws-us-gov"):
            raise ValueError("invalid region or partition")
        self.model_id = model_id
        self.model_arn = f"arn:{partition}:bedrock:{region}::foundation-model/{model_id}"
        self._region, self._client = region, client

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = aws_client("bedrock-agent-runtime", self._region)
        return self._client

    def rerank(self, question: str, passages: Sequence[Passage], top_n: int | None = None) -> list[Passage]:
        """The passages most relevant to the question, best first, scored by the model (top_n at most)."""
        limit = len(passages) if top_n is None else top_n
        candidates = [p for p in passages if p.text.strip()][:MAX_SOURCES]
        if not candidates or not question.strip() or limit < 1:
            return list(passages)[:max(limit, 0)]
        sources = [{"type": "INLINE", "inlineDocumentSource": {"type": "TEXT",
                                                                "textDocument": {"text": p.text[:MAX_TEXT]}}}
                   for p in candidates]
        config = {"type": "BEDROCK_RERANKING_MODEL", "bedrockRerankingConfiguration": {
            "numberOfResults": min(limit, len(candidates)),
            "modelConfiguration": {"modelArn": self.model_arn}}}
        try:
            reply = self.client.rerank(queries=[{"type": "TEXT", "textQuery": {"text": question[:MAX_TEXT]}}],
                                       sources=sources, rerankingConfiguration=config)
        except botocore_errors() as exc:
            raise engine_error(exc, "bedrock-agent-runtime Rerank") from exc
        ranked: list[Passage] = []
        seen: set[int] = set()
        results = sorted(reply.get("results", []), key=lambda r: -float(r.get("relevanceScore", 0.0)))
        for result in results:
            index = result.get("index")
            if isinstance(index, int) and 0 <= index < len(candidates) and index not in seen:
                seen.add(index)
                ranked.append(dataclasses.replace(candidates[index],
                                                  score=unit_score(result.get("relevanceScore"))))
        return ranked[:limit]


class RerankingEngine:
    """An engine whose results are reranked when the workspace turns reranking on (`reranker` set)."""

    def __init__(self, engine: RetrievalEngine, reranker: BedrockReranker | None, *,
                 candidates: int = 3) -> None:
        if candidates < 1:
            raise ValueError("candidates must be at least 1")
        self.engine, self.reranker, self.candidates = engine, reranker, candidates
        self.name = engine.name

    def __getattr__(self, attribute: str) -> Any:
        # Only for attributes this class lacks (upsert, delete, ...): the wrapped engine's, if it has them.
        if attribute in ("engine", "reranker", "candidates"):
            raise AttributeError(attribute)
        return getattr(self.engine, attribute)

    def retrieve(self, query: RetrievalQuery) -> list[Passage]:
        if self.reranker is None:
            return self.engine.retrieve(query)
        wide = dataclasses.replace(query, k=max(query.k, min(MAX_K, query.k * self.candidates)))
        return self.reranker.rerank(query.text, self.engine.retrieve(wide), top_n=query.k)
