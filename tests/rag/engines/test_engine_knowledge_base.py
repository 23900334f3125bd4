"""Bedrock Knowledge Bases engine: Retrieve requests checked by botocore's Stubber against the API model."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from aws_fakes import stubbed
from botocore.stub import Stubber
from chatbot_app.rag.engines.base import EngineError, RetrievalQuery
from chatbot_app.rag.engines.knowledge_base import BedrockKnowledgeBaseEngine, kb_filter
from chatbot_app.rag.filters import Equals, In, Range

KB_ID = "KB12345678"
WS = uuid.uuid4()


@pytest.fixture()
def runtime() -> Iterator[tuple[Any, Stubber]]:
    with stubbed("bedrock-agent-runtime", "us-east-1") as pair:
        yield pair


RESULTS = [
    {"content": {"type": "TEXT", "text": "Refunds take 14 days."}, "score": 0.83,
     "location": {"type": "S3", "s3Location": {"uri": "s3://docs-bucket/policies/refund%20policy.pdf"}},
     "metadata": {"x-amz-bedrock-kb-source-uri": "s3://docs-bucket/policies/refund%20policy.pdf",
                  "x-amz-bedrock-kb-document-page-number": 3.0, "lang": "en"}},
    {"content": {"type": "TEXT", "text": "Contact support."}, "score": 1.7,
     "location": {"type": "WEB", "webLocation": {"url": "https://example.com/support"}}},
    {"content": {"type": "IMAGE", "byteContent": "data:image/png;base64,AAAA"}, "score": 0.5,
     "location": {"type": "S3", "s3Location": {"uri": "s3://docs-bucket/figure.png"}}},
]


def test_retrieve_sends_number_of_results_and_filter_and_maps_results(runtime: tuple[Any, Stubber]) -> None:
    c, stub = runtime
    filters = [Equals(key="lang", value="en"), In(key="year", values=[2023, 2024]),
               Range(key="page", gte=2, lt=10.5)]
    expected = {
        "knowledgeBaseId": KB_ID, "retrievalQuery": {"text": "refund time?"},
        "retrievalConfiguration": {"vectorSearchConfiguration": {
            "numberOfResults": 4, "overrideSearchType": "HYBRID",
            "filter": {"andAll": [{"equals": {"key": "lang", "value": "en"}},
                                  {"in": {"key": "year", "value": [2023, 2024]}},
                                  {"greaterThanOrEquals": {"key": "page", "value": 2}},
                                  {"lessThan": {"key": "page", "value": 10.5}}]}}},
    }
    stub.add_response("retrieve", {"retrievalResults": RESULTS}, expected)
    engine = BedrockKnowledgeBaseEngine(KB_ID, client=c, search_type="HYBRID")
    s3, web = engine.retrieve(RetrievalQuery(WS, "refund time?", k=4, filters=filters))
    assert (s3.text, s3.score, s3.source) == ("Refunds take 14 days.", 0.83, "refund policy.pdf")
    assert s3.document_id == "s3://docs-bucket/policies/refund%20policy.pdf"
    assert s3.location == {"uri": "s3://docs-bucket/policies/refund%20policy.pdf", "page": 3}
    assert web.score == 1.0 and web.source == "https://example.com/support"
    assert web.location == {"url": "https://example.com/support"}


def test_retrieve_without_filters(runtime: tuple[Any, Stubber]) -> None:
    c, stub = runtime
    arn = f"arn:aws:bedrock:us-east-1:123456789012:knowledge-base/{KB_ID}"
    stub.add_response("retrieve", {"retrievalResults": []},
                      {"knowledgeBaseId": arn, "retrievalQuery": {"text": "q"},
                       "retrievalConfiguration": {"vectorSearchConfiguration": {"numberOfResults": 5}}})
    assert BedrockKnowledgeBaseEngine(arn, client=c).retrieve(RetrievalQuery(WS, "q")) == []


@pytest.mark.parametrize(("code", "status", "retryable"), [
    ("ThrottlingException", 429, True), ("DependencyFailedException", 424, False),
    ("BadGatewayException", 502, True), ("ValidationException", 400, False),
])
def test_errors(runtime: tuple[Any, Stubber], code: str, status: int, retryable: bool) -> None:
    c, stub = runtime
    stub.add_client_error("retrieve", code, "at 'retrievalQuery.text' value 'private words'", status)
    with pytest.raises(EngineError) as info:
        BedrockKnowledgeBaseEngine(KB_ID, client=c).retrieve(RetrievalQuery(WS, "private words"))
    assert info.value.retryable is retryable and "private" not in str(info.value)


def test_filter_translation_edges() -> None:
    assert kb_filter([]) is None
    assert kb_filter([Equals(key="draft", value=False)]) == {"equals": {"key": "draft", "value": False}}
    with pytest.raises(EngineError, match="numbers only"):
        kb_filter([Range(key="date", gte="2024-01-01")])
    with pytest.raises(EngineError):
        kb_filter([In.model_construct(key="x' or '1", values=["a"])])


@pytest.mark.parametrize("kb_id", ["kb-1", "KB12345678/../x", "arn:aws:s3:::bucket"])
def test_knowledge_base_id_is_validated(kb_id: str) -> None:
    with pytest.raises(ValueError):
        BedrockKnowledgeBaseEngine(kb_id)


def test_engines_without_an_injected_client_share_the_apps_cached_one() -> None:
    from chatbot_app.core.aws import client, reset_clients
    from chatbot_app.rag.engines.rerank import BedrockReranker

    reset_clients()
    try:
        kb = BedrockKnowledgeBaseEngine(KB_ID, region="us-east-1")
        reranker = BedrockReranker("amazon.rerank-v1:0", "us-east-1")
        assert kb.client is reranker.client is client("bedrock-agent-runtime", "us-east-1")
        assert kb.client.meta.region_name == "us-east-1"
    finally:
        reset_clients()
