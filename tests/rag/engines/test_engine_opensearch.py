"""OpenSearch Serverless engine: assertions on the signed HTTP requests a loopback server receives."""

from __future__ import annotations

import hashlib
import json
import uuid

import pytest
from chatbot_app.rag.engines import opensearch as os_engine
from chatbot_app.rag.engines.base import EngineError, RetrievalQuery
from chatbot_app.rag.engines.opensearch import OpenSearchServerlessEngine
from chatbot_app.rag.engines.opensearch_query import cosine_score, translate_filters
from chatbot_app.rag.filters import Equals, In, Range
from chatbot_app.rag.store import ChunkInput
from engine_fakes import CREDENTIALS, FakeServer, verify_sigv4

REGION = "eu-west-1"
WS = uuid.UUID("7d7c6f3a-1f0e-4a57-9a53-1b1d0c1e2f30")
DOC = uuid.UUID("0b4f1c2e-5d6a-4e7f-8a9b-0c1d2e3f4a5b")
INDEX = f"ws-{WS.hex}"


@pytest.fixture()
def engine(fake_server: FakeServer) -> OpenSearchServerlessEngine:
    return OpenSearchServerlessEngine(fake_server.url, REGION, credentials=CREDENTIALS)


def assert_signed(fake_server: FakeServer) -> None:
    assert fake_server.requests
    for req in fake_server.requests:
        assert req.headers["authorization"].startswith("AWS4-HMAC-SHA256 ")
        assert req.headers["x-amz-content-sha256"] == hashlib.sha256(req.body).hexdigest()
        assert req.headers["x-amz-security-token"] == CREDENTIALS.token
        parts = verify_sigv4(req, CREDENTIALS, REGION, "aoss")
        assert (parts["key"], parts["region"], parts["service"]) == (CREDENTIALS.access_key, REGION, "aoss")


def test_create_index_sends_a_signed_knn_mapping(engine: OpenSearchServerlessEngine,
                                                 fake_server: FakeServer) -> None:
    assert engine.create_index(WS, 1024) == INDEX
    engine.create_index(WS, 1024)  # known to this process: no second request
    assert_signed(fake_server)
    [req] = fake_server.requests
    assert (req.method, req.path) == ("PUT", f"/{INDEX}")
    body = req.json()
    assert body["settings"] == {"index": {"knn": True}}
    vector = body["mappings"]["properties"]["embedding"]
    assert vector == {"type": "knn_vector", "dimension": 1024,
                      "method": {"name": "hnsw", "engine": "faiss", "space_type": "innerproduct",
                                 "parameters": {"m": 16, "ef_construction": 256}}}
    assert body["mappings"]["properties"]["document_id"] == {"type": "keyword"}
    template = body["mappings"]["dynamic_templates"][0]["metadata_strings"]
    assert template["path_match"] == "metadata.*" and template["mapping"] == {"type": "keyword"}


def test_create_index_tolerates_an_existing_index_only(engine: OpenSearchServerlessEngine,
                                                       fake_server: FakeServer) -> None:
    fake_server.reply((400, {"error": {"type": "resource_already_exists_exception"}, "status": 400}))
    engine.create_index(WS, 256)
    other = uuid.uuid4()
    fake_server.reply((400, {"error": {"type": "mapper_parsing_exception", "reason": "secret text"},
                             "status": 400}))
    with pytest.raises(EngineError) as info:
        engine.create_index(other, 256)
    assert not info.value.retryable and "mapper_parsing_exception" in str(info.value)
    with pytest.raises(EngineError):
        engine.create_index(other, 0)


def chunks(n: int, dim: int = 4) -> list[ChunkInput]:
    return [ChunkInput(i, f"chunk {i}", [0.5] * dim, {"page": i + 1, "lang": "en"}) for i in range(n)]


def test_upsert_indexes_without_ids_then_deletes_the_old_chunks(engine: OpenSearchServerlessEngine,
                                                                fake_server: FakeServer) -> None:
    old_hits = {"hits": {"hits": [{"_id": "old-a", "_source": {"version": 1}, "sort": ["k1"]},
                                  {"_id": "old-b", "_source": {"version": 1}, "sort": ["k2"]}]}}
    fake_server.reply((200, {"acknowledged": True}), (200, old_hits),
                      (200, {"errors": False, "items": []}), (200, {"errors": False, "items": []}))
    engine.upsert(WS, DOC, "guide.pdf", 2, chunks(3))
    assert_signed(fake_server)
    create, listing, index, delete = fake_server.requests
    assert (create.method, create.path) == ("PUT", f"/{INDEX}")
    assert (listing.method, listing.path) == ("POST", f"/{INDEX}/_search")
    assert listing.json()["query"] == {"bool": {"filter": [{"term": {"document_id": str(DOC)}}]}}
    assert (index.method, index.path) == ("POST", "/_bulk")
    lines = index.ndjson()
    assert lines[0::2] == [{"index": {"_index": INDEX}}] * 3  # no _id: vector collections refuse them
    assert lines[1] == {"workspace_id": str(WS), "document_id": str(DOC), "chunk_key": f"{DOC}:0",
                        "ordinal": 0, "version": 2, "source": "guide.pdf", "text": "chunk 0",
                        "metadata": {"page": 1, "lang": "en"}, "embedding": [0.5] * 4}
    assert (delete.method, delete.path) == ("POST", "/_bulk")
    assert delete.ndjson() == [{"delete": {"_index": INDEX, "_id": "old-a"}},
                               {"delete": {"_index": INDEX, "_id": "old-b"}}]


def test_upsert_of_an_older_version_changes_nothing(engine: OpenSearchServerlessEngine,
                                                    fake_server: FakeServer) -> None:
    newer = {"hits": {"hits": [{"_id": "x", "_source": {"version": 5}, "sort": ["k"]}]}}
    fake_server.reply((200, {"acknowledged": True}), (200, newer))
    engine.upsert(WS, DOC, "guide.pdf", 3, chunks(2))
    assert [r.path for r in fake_server.requests] == [f"/{INDEX}", f"/{INDEX}/_search"]


def test_bulk_item_failures_raise_and_throttling_is_retryable(engine: OpenSearchServerlessEngine,
                                                              fake_server: FakeServer) -> None:
    failed = {"errors": True, "items": [
        {"index": {"status": 201}},
        {"index": {"status": 429, "error": {"type": "es_rejected_execution_exception", "reason": "x"}}}]}
    fake_server.reply((200, {"acknowledged": True}), (200, {"hits": {"hits": []}}), (200, failed))
    with pytest.raises(EngineError) as info:
        engine.upsert(WS, DOC, "guide.pdf", 1, chunks(2))
    assert info.value.retryable and "1 items failed" in str(info.value)
    with pytest.raises(EngineError, match="mixed vector dimensions"):
        engine.upsert(WS, DOC, "guide.pdf", 1, [*chunks(1, 4), *chunks(1, 8)])


def test_delete_document_pages_with_search_after(engine: OpenSearchServerlessEngine,
                                                 fake_server: FakeServer,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os_engine, "PAGE", 2)
    page1 = {"hits": {"hits": [{"_id": "a", "_source": {"version": 1}, "sort": ["k1"]},
                               {"_id": "b", "_source": {"version": 1}, "sort": ["k2"]}]}}
    page2 = {"hits": {"hits": [{"_id": "c", "_source": {"version": 1}, "sort": ["k3"]}]}}
    deleted_404 = {"errors": True, "items": [{"delete": {"status": 404, "error": {"type": "not_found"}}}]}
    fake_server.reply((200, page1), (200, page2), (200, deleted_404), (200, {"errors": False, "items": []}))
    engine.delete(WS, DOC)
    assert_signed(fake_server)
    first, second, bulk1, bulk2 = fake_server.requests
    assert "search_after" not in first.json() and second.json()["search_after"] == ["k2"]
    assert [line["delete"]["_id"] for line in bulk1.ndjson() + bulk2.ndjson()] == ["a", "b", "c"]


def test_delete_workspace_drops_the_index(engine: OpenSearchServerlessEngine,
                                          fake_server: FakeServer) -> None:
    fake_server.reply((200, {"acknowledged": True}), (404, {"error": {"type": "index_not_found_exception"}}))
    engine.delete(WS)
    engine.delete(WS)  # already gone
    assert [(r.method, r.path) for r in fake_server.requests] == [("DELETE", f"/{INDEX}")] * 2


HOSTILE = 'en"}}]},"match_all":{}},{"x":"'


def test_retrieve_sends_a_knn_query_with_filters_as_json_values(engine: OpenSearchServerlessEngine,
                                                                fake_server: FakeServer) -> None:
    source = {"document_id": str(DOC), "ordinal": 3, "version": 2, "source": "guide.pdf", "text": "hello",
              "metadata": {"page": 4, "heading_path": "A > B"}}
    hits = {"hits": {"hits": [
        {"_score": 1.8, "_source": source},
        {"_score": 1.7, "_source": {**source, "version": 1, "text": "stale copy"}},
        {"_score": 0.5, "_source": {**source, "ordinal": 4, "text": "far"}}]}}
    fake_server.reply((200, hits))
    filters = [Equals(key="lang", value=HOSTILE), In(key="year", values=[2023, "2024"]),
               Range(key="page", gte=2, lt=10)]
    query = RetrievalQuery(WS, "what is the secret question?", k=3, embedding=[0.1, 0.2], filters=filters)
    passages = engine.retrieve(query)
    assert_signed(fake_server)
    [req] = fake_server.requests
    assert (req.method, req.path) == ("POST", f"/{INDEX}/_search")  # nothing in a query string
    assert b"secret question" not in req.body  # the engine searches by vector only
    body = req.json()
    assert body["size"] == 3 and body["_source"] == {"excludes": ["embedding"]}
    knn = body["query"]["knn"]["embedding"]
    assert knn["vector"] == [0.1, 0.2] and knn["k"] == 3
    assert knn["filter"]["bool"]["filter"] == [
        {"term": {"workspace_id": str(WS)}},
        {"term": {"metadata.lang": HOSTILE}},
        {"terms": {"metadata.year": [2023, "2024"]}},
        {"range": {"metadata.page": {"gte": 2, "lt": 10}}},
    ]
    assert [p.text for p in passages] == ["hello", "far"]  # the stale duplicate is dropped
    first = passages[0]
    assert first.score == pytest.approx(0.8) and first.source == "guide.pdf"
    assert first.document_id == str(DOC)
    assert first.location == {"page": 4, "headingPath": "A > B", "ordinal": 3}
    assert passages[1].score == 0.0  # 1 / (1 - p) = 0.5 means p = -1


def test_retrieve_errors(engine: OpenSearchServerlessEngine, fake_server: FakeServer) -> None:
    query = RetrievalQuery(WS, "q", embedding=[0.1])
    fake_server.reply((404, {"error": {"type": "index_not_found_exception"}}))
    assert engine.retrieve(query) == []
    fake_server.reply((429, {"error": {"type": "too_many_requests"}}))
    with pytest.raises(EngineError) as info:
        engine.retrieve(query)
    assert info.value.retryable
    fake_server.reply((403, {"message": "denied for q"}))
    with pytest.raises(EngineError) as info:
        engine.retrieve(query)
    assert not info.value.retryable and "denied" not in str(info.value)
    with pytest.raises(EngineError, match="embedding"):
        engine.retrieve(RetrievalQuery(WS, "q"))


def test_filters_that_bypassed_validation_are_refused() -> None:
    bad = Equals.model_construct(key='lang"] OR 1=1', value="x")
    with pytest.raises(EngineError):
        translate_filters([bad])
    with pytest.raises(EngineError):
        translate_filters([{"op": "eq", "key": "lang", "value": "x"}])
    assert json.dumps(translate_filters([Equals(key="flag", value=True)])) == \
        '[{"term": {"metadata.flag": true}}]'


@pytest.mark.parametrize(("endpoint", "region", "prefix"), [
    ("http://search.example.com", REGION, "ws"),  # plain http off loopback
    ("https://host.example.com/path", REGION, "ws"),
    ("https://host.example.com", "eu-west-1; rm", "ws"),
    ("https://host.example.com", REGION, "Bad_Prefix"),
])
def test_configuration_is_validated(endpoint: str, region: str, prefix: str) -> None:
    with pytest.raises(ValueError):
        OpenSearchServerlessEngine(endpoint, region, credentials=CREDENTIALS, index_prefix=prefix)


def test_cosine_score_inverts_the_faiss_inner_product_mapping() -> None:
    assert cosine_score(2.0) == 1.0 and cosine_score(1.25) == pytest.approx(0.25)
    assert cosine_score(0.5) == 0.0 and cosine_score(None) == 0.0
