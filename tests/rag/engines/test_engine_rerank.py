"""Reranking with Bedrock's Rerank API: requests checked by botocore's Stubber against the API model."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from aws_fakes import stubbed
from botocore.stub import Stubber
from chatbot_app.rag.engines.base import EngineError, Passage, RetrievalEngine, RetrievalQuery, WritableEngine
from chatbot_app.rag.engines.rerank import BedrockReranker, RerankingEngine

WS = uuid.uuid4()
ARN = "arn:aws:bedrock:eu-central-1::foundation-model/amazon.rerank-v1:0"


@pytest.fixture()
def runtime() -> Iterator[tuple[Any, Stubber]]:
    with stubbed("bedrock-agent-runtime", "eu-central-1") as pair:
        yield pair


def passage(text: str, score: float = 0.4) -> Passage:
    return Passage(text=text, score=score, source=f"{text}.pdf", document_id=text, location={"page": 1})


def request(texts: list[str], question: str, n: int) -> dict[str, Any]:
    return {
        "queries": [{"type": "TEXT", "textQuery": {"text": question}}],
        "sources": [{"type": "INLINE", "inlineDocumentSource": {"type": "TEXT", "textDocument": {"text": t}}}
                    for t in texts],
        "rerankingConfiguration": {"type": "BEDROCK_RERANKING_MODEL", "bedrockRerankingConfiguration": {
            "numberOfResults": n, "modelConfiguration": {"modelArn": ARN}}},
    }


def test_rerank_reorders_and_rescores(runtime: tuple[Any, Stubber]) -> None:
    c, stub = runtime
    stub.add_response("rerank", {"results": [{"index": 2, "relevanceScore": 0.91},
                                             {"index": 0, "relevanceScore": 0.12}]},
                      request(["alpha", "beta", "gamma"], "which one?", 2))
    reranker = BedrockReranker("amazon.rerank-v1:0", "eu-central-1", client=c)
    ranked = reranker.rerank("which one?", [passage("alpha"), passage("beta"), passage("  "),
                                            passage("gamma")], top_n=2)  # the blank one is not sent
    assert [(p.text, p.score) for p in ranked] == [("gamma", 0.91), ("alpha", pytest.approx(0.12))]
    assert ranked[0].source == "gamma.pdf" and ranked[0].location == {"page": 1}


def test_blank_passages_are_not_sent_and_text_is_capped(runtime: tuple[Any, Stubber]) -> None:
    c, stub = runtime
    long_text = "x" * 40_000
    stub.add_response("rerank", {"results": [{"index": 0, "relevanceScore": 0.5}]},
                      request(["x" * 32_000], "q", 1))
    reranker = BedrockReranker("amazon.rerank-v1:0", "eu-central-1", client=c)
    [only] = reranker.rerank("q", [passage(" \n"), passage(long_text)])
    assert only.text == long_text  # the passage itself is kept whole


def test_engine_wrapper_widens_then_reranks(runtime: tuple[Any, Stubber]) -> None:
    c, stub = runtime

    class Inner:
        name = "pgvector"
        seen: list[int] = []

        def retrieve(self, query: RetrievalQuery) -> list[Passage]:
            self.seen.append(query.k)
            return [passage(f"p{i}") for i in range(query.k)]

        def upsert(self, *args: Any) -> None: ...

        def delete(self, *args: Any) -> None: ...

    stub.add_response("rerank", {"results": [{"index": 5, "relevanceScore": 0.7},
                                             {"index": 1, "relevanceScore": 0.6}]},
                      request([f"p{i}" for i in range(6)], "q", 2))
    inner = Inner()
    engine = RerankingEngine(inner, BedrockReranker("amazon.rerank-v1:0", "eu-central-1", client=c))
    assert engine.name == "pgvector" and isinstance(engine, WritableEngine)
    assert [p.text for p in engine.retrieve(RetrievalQuery(WS, "q", k=2))] == ["p5", "p1"]
    assert inner.seen == [6]


def test_reranking_off_is_a_no_op() -> None:
    class ReadOnly:
        name = "kendra"

        def retrieve(self, query: RetrievalQuery) -> list[Passage]:
            return [passage("b", 0.2), passage("a", 0.9)]

    engine = RerankingEngine(ReadOnly(), None)
    assert isinstance(engine, RetrievalEngine) and not isinstance(engine, WritableEngine)
    assert [p.text for p in engine.retrieve(RetrievalQuery(WS, "q", k=2))] == ["b", "a"]


def test_rerank_throttling_is_retryable(runtime: tuple[Any, Stubber]) -> None:
    c, stub = runtime
    stub.add_client_error("rerank", "ThrottlingException", "slow down", 429)
    reranker = BedrockReranker("cohere.rerank-v3-5:0", "eu-central-1", client=c)
    with pytest.raises(EngineError) as info:
        reranker.rerank("q", [passage("a")])
    assert info.value.retryable


def test_configuration_is_validated() -> None:
    with pytest.raises(ValueError):
        BedrockReranker("cohere.rerank-v3-0:0", "eu-central-1")
    with pytest.raises(ValueError):
        BedrockReranker("amazon.rerank-v1:0", "eu central 1")
    assert BedrockReranker("cohere.rerank-v3-5:0", "us-west-2").model_arn == \
        "arn:aws:bedrock:us-west-2::foundation-model/cohere.rerank-v3-5:0"
