"""The internal `rag` service (dispatch and the Lambda handler) against the embedded PostgreSQL, moto S3 and
botocore's Stubber on bedrock-runtime."""

from __future__ import annotations

import hashlib
import io
import json
import logging
import math
import sys
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.response import StreamingBody
from botocore.stub import Stubber
from moto import mock_aws

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT / "app") not in sys.path:
    sys.path.insert(0, str(ROOT / "app"))

from chatbot_app.core.aws import reset_clients  # noqa: E402
from chatbot_app.handlers import rag_service  # noqa: E402
from chatbot_app.rag.embeddings import BedrockEmbedder  # noqa: E402
from chatbot_app.rag.service import ServiceConfig, dispatch  # noqa: E402
from chatbot_app.rag.store import ChunkInput, VectorStore  # noqa: E402
from chatbot_app.rag.uploads import document_id  # noqa: E402

TITAN = "amazon.titan-embed-text-v2:0"
COHERE = "cohere.embed-english-v3"
BUCKET = "uploads-test"
CONFIG = ServiceConfig(BUCKET, (TITAN, COHERE))
DIM = 1024


def embed(text: str, dim: int = DIM) -> list[float]:
    """Deterministic bag-of-words vector: texts sharing words are similar."""
    v = [0.0] * dim
    for word in text.lower().split():
        v[int.from_bytes(hashlib.sha256(word.encode()).digest()[:4], "big") % dim] += 1.0
    norm = math.sqrt(sum(x * x for x in v)) or 1.0
    return [x / norm for x in v]


class FakeEmbedder:
    def __init__(self, model_id: str, dimension: int, **_: Any) -> None:
        self.model_id, self.dimension, self.queries = model_id, dimension, []

    def embed_query(self, text: str) -> list[float]:
        self.queries.append(text)
        return embed(text, self.dimension)


@pytest.fixture(scope="module")
def s3() -> Iterator[Any]:
    """One mocked S3 for the module (starting moto costs ~0.5 s); every test uses fresh workspace ids."""
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1", aws_access_key_id="testing",
                              aws_secret_access_key="testing")  # noqa: S106  # nosec B106
        client.create_bucket(Bucket=BUCKET)
        yield client


@pytest.fixture
def call(store: VectorStore, s3: Any):
    def run(event: dict[str, Any], *, factory: Any = FakeEmbedder, config: ServiceConfig = CONFIG) -> dict:
        return dispatch(event, store=store, embedder_factory=factory, s3=s3, config=config)
    return run


def ok(answer: dict[str, Any]) -> dict[str, Any]:
    assert answer["ok"] is True, answer
    return answer["result"]


def err(answer: dict[str, Any], status: int, *needles: str) -> str:
    assert answer["ok"] is False and answer["status"] == status, answer
    assert all(n in answer["message"] for n in needles), answer["message"]
    return answer["message"]


def new_workspace(call, **fields: Any) -> dict[str, Any]:
    event = {"op": "createWorkspace", "name": f"ws {uuid.uuid4().hex[:6]}", "embeddingModel": TITAN,
             "chunkSize": 300, "chunkOverlap": 50, "hybridSearch": False, **fields}
    return ok(call(event))["workspace"]


def seed(store: VectorStore, s3: Any, ws: str, name: str, texts: list[str], metas: list[dict] | None = None,
         objects: int = 1) -> str:
    """A ready document with chunks, and `objects` S3 objects under its prefix."""
    wid = uuid.UUID(ws)
    doc = document_id(wid, name)
    metas = metas or [{} for _ in texts]
    store.replace_chunks(wid, doc, name, 1, [ChunkInput(i, t, embed(t), m)
                                             for i, (t, m) in enumerate(zip(texts, metas, strict=True))])
    for n in range(objects):
        s3.put_object(Bucket=BUCKET, Key=f"workspaces/{ws}/{doc}/{n + 1}/{name}", Body=b"x")
    return str(doc)


def keys(s3: Any, prefix: str = "workspaces/") -> list[str]:
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix)
    return [o["Key"] for page in pages for o in page.get("Contents", [])]


# Workspaces --------------------------------------------------------------------------------------------
def test_create_get_list_workspace(call) -> None:
    ws = new_workspace(call, embeddingModel=COHERE, chunkSize=500, chunkOverlap=250, hybridSearch=True)
    assert ws["embeddingModel"] == COHERE and ws["dimension"] == 1024 and ws["hybridSearch"] is True
    assert (ws["chunkSize"], ws["chunkOverlap"]) == (500, 250)
    assert ok(call({"op": "getWorkspace", "workspaceId": ws["id"]}))["workspace"] == ws
    assert ws in ok(call({"op": "listWorkspaces"}))["workspaces"]
    defaults = ok(call({"op": "createWorkspace", "name": " Plain ", "embeddingModel": TITAN}))["workspace"]
    assert (defaults["name"], defaults["chunkSize"], defaults["chunkOverlap"]) == ("Plain", 300, 50)


@pytest.mark.parametrize(("fields", "needles"), [
    ({"embeddingModel": "amazon.titan-embed-text-v1"}, ("embeddingModel", TITAN, COHERE)),
    ({"chunkOverlap": 300}, ("chunkOverlap", "chunkSize/2 (150)")),
    ({"chunkOverlap": 151}, ("chunkOverlap",)),
    ({"chunkSize": 15}, ("chunkSize", "16")),
    ({"chunkSize": 8001}, ("chunkSize", "8000")),
    ({"chunkSize": "300"}, ("chunkSize", "integer")),
    ({"chunkOverlap": -1}, ("chunkOverlap", "0")),
    ({"hybridSearch": "yes"}, ("hybridSearch", "boolean")),
    ({"name": ""}, ("name",)),
    ({"name": "x" * 201}, ("name", "200")),
    ({"name": "bad\x00name"}, ("name",)),
    ({"dimension": 256}, ("dimension", "unknown field", "embeddingModel", "chunkOverlap")),
    ({"embedding_model": TITAN}, ("embedding_model", "unknown field")),
])
def test_create_workspace_rejects_bad_fields(call, fields: dict, needles: tuple[str, ...]) -> None:
    event = {"op": "createWorkspace", "name": "n", "embeddingModel": TITAN, "chunkSize": 300, **fields}
    err(call(event), 400, *needles)


def test_embedding_model_must_be_enabled_on_this_stack(call) -> None:
    only_titan = ServiceConfig(BUCKET, (TITAN,))
    event = {"op": "createWorkspace", "name": "n", "embeddingModel": COHERE}
    err(call(event, config=only_titan), 400, "embeddingModel", TITAN)


@pytest.mark.parametrize("event", [
    {"op": "dropTables"}, {"op": None}, {}, {"op": ["search"]}, {"op": "__class__"},
])
def test_unknown_op(call, event: dict) -> None:
    err(call(event), 400, "op", "listWorkspaces", "search")


@pytest.mark.parametrize("value", ["not-a-uuid", 42, None, "{123e4567-e89b-12d3-a456-426614174000}",
                                   "123e4567e89b12d3a456426614174000", "' OR 1=1 --"])
def test_bad_workspace_id(call, value: Any) -> None:
    for op in ("getWorkspace", "deleteWorkspace", "listDocuments"):
        err(call({"op": op, "workspaceId": value}), 400, "workspaceId", "UUID")


def test_missing_and_extra_fields_are_named(call) -> None:
    err(call({"op": "getWorkspace"}), 400, "workspaceId: required")
    err(call({"op": "listWorkspaces", "all": True}), 400, "all: unknown field; allowed: op")
    wid = str(uuid.uuid4())
    err(call({"op": "getWorkspace", "workspaceId": wid, "tenant": "x"}), 400, "tenant", "workspaceId")


def test_missing_workspace_is_404(call) -> None:
    wid = str(uuid.uuid4())
    doc = str(document_id(uuid.UUID(wid), "a.txt"))
    for event in ({"op": "getWorkspace"}, {"op": "deleteWorkspace"}, {"op": "listDocuments"},
                  {"op": "deleteDocument", "documentId": doc},
                  {"op": "registerUpload", "documentId": doc, "fileName": "a.txt", "version": 1},
                  {"op": "search", "query": "anything", "k": 3}):
        err(call({**event, "workspaceId": wid}), 404, "workspaceId", wid)


# Documents ---------------------------------------------------------------------------------------------
def test_register_upload_and_list_documents(call) -> None:
    ws = new_workspace(call)["id"]
    doc = str(document_id(uuid.UUID(ws), "Report 2024.pdf"))
    event = {"op": "registerUpload", "workspaceId": ws, "documentId": doc, "fileName": "Report 2024.pdf",
             "version": 1_700_000_000_000_000_000}
    document = ok(call(event))["document"]
    assert document["id"] == doc and document["status"] == "queued" and document["chunkCount"] == 0
    assert document["fileName"] == "Report 2024.pdf" and document["reason"] is None
    assert datetime.fromisoformat(document["updatedAt"]).tzinfo is not None
    assert ok(call(event))["document"] == document  # a retry of the same version is idempotent
    err(call({**event, "version": 5}), 409, "version")
    newer = ok(call({**event, "version": event["version"] + 1}))["document"]
    assert newer["version"] == event["version"] + 1
    assert ok(call({"op": "listDocuments", "workspaceId": ws}))["documents"] == [newer]


@pytest.mark.parametrize(("fields", "needles"), [
    ({"fileName": "../etc/passwd.txt"}, ("fileName", "plain file name")),
    ({"fileName": "virus.exe"}, ("fileName", "unsupported file type")),
    ({"documentId": str(uuid.uuid4())}, ("documentId", "fileName")),
    ({"version": -1}, ("version",)),
    ({"version": "1"}, ("version", "integer")),
    ({"version": 2**63}, ("version",)),
])
def test_register_upload_validation(call, fields: dict, needles: tuple[str, ...]) -> None:
    ws = new_workspace(call)["id"]
    event = {"op": "registerUpload", "workspaceId": ws, "fileName": "a.txt", "version": 1,
             "documentId": str(document_id(uuid.UUID(ws), "a.txt")), **fields}
    err(call(event), 400, *needles)


def test_delete_document_removes_only_its_rows_and_objects(call, store, s3) -> None:
    ws = new_workspace(call)["id"]
    gone = seed(store, s3, ws, "gone.txt", ["alpha beta"], objects=3)
    kept = seed(store, s3, ws, "kept.txt", ["gamma delta"], objects=2)
    ok(call({"op": "deleteDocument", "workspaceId": ws, "documentId": gone}))
    assert [d["id"] for d in ok(call({"op": "listDocuments", "workspaceId": ws}))["documents"]] == [kept]
    assert sorted(keys(s3, f"workspaces/{ws}/")) == [f"workspaces/{ws}/{kept}/{n}/kept.txt" for n in (1, 2)]
    err(call({"op": "deleteDocument", "workspaceId": ws, "documentId": gone}), 404, "documentId")


def test_delete_workspace_removes_rows_and_only_its_objects(call, store, s3) -> None:
    a, b = new_workspace(call)["id"], new_workspace(call)["id"]
    seed(store, s3, a, "big.txt", ["one two"], objects=1005)  # more than one DeleteObjects page
    seed(store, s3, a, "small.txt", ["three"])
    kept = seed(store, s3, b, "other.txt", ["four"], objects=2)
    s3.put_object(Bucket=BUCKET, Key=f"elsewhere/{a}/x.txt", Body=b"x")  # not under the workspace prefix
    ok(call({"op": "deleteWorkspace", "workspaceId": a}))
    err(call({"op": "getWorkspace", "workspaceId": a}), 404)
    assert keys(s3, f"workspaces/{a}/") == []
    assert keys(s3, f"workspaces/{b}/") == [f"workspaces/{b}/{kept}/{n}/other.txt" for n in (1, 2)]
    assert keys(s3, "elsewhere/") == [f"elsewhere/{a}/x.txt"]
    assert [d["id"] for d in ok(call({"op": "listDocuments", "workspaceId": b}))["documents"]] == [kept]
    assert store.list_documents(uuid.UUID(a)) == []


# Search ------------------------------------------------------------------------------------------------
CORPUS = ["quince jam recipe with sugar", "pear tart baking guide", "quince harvest in autumn",
          "tax forms for the year", "history of the quince tree"]
METAS = [{"page": 1, "lang": "en"}, {"page": 2, "lang": "fr"},
         {"page": 3, "heading_path": ["Fruit", "Quince"]}, {"page": 4, "lang": "en"},
         {"page": 5, "sheet": "Trees", "lang": "en"}]


@pytest.fixture
def corpus(call, store, s3) -> tuple[str, str]:
    ws = new_workspace(call)["id"]
    return ws, seed(store, s3, ws, "fruit.md", CORPUS, METAS)


def search(call, ws: str, query: str = "quince", k: int = 5, **fields: Any) -> dict[str, Any]:
    return call({"op": "search", "workspaceId": ws, "query": query, "k": k, **fields})


def test_search_returns_hits_with_file_name_location_and_scores(call, corpus) -> None:
    ws, doc = corpus
    hits = ok(search(call, ws, "quince harvest in autumn", k=3))["hits"]
    assert len(hits) == 3 and hits[0]["text"] == "quince harvest in autumn"
    assert hits[0] == {"documentId": doc, "fileName": "fruit.md", "ordinal": 2, "text": CORPUS[2],
                       "score": pytest.approx(1.0), "similarity": pytest.approx(1.0),
                       "location": {"page": 3, "headingPath": ["Fruit", "Quince"]}}
    assert [h["score"] for h in hits] == sorted((h["score"] for h in hits), reverse=True)
    assert all("quince" in h["text"] for h in hits)
    assert ok(search(call, ws, k=20))["hits"][-1]["location"] in ({"page": 2}, {"page": 4})


@pytest.mark.parametrize(("fields", "needles"), [
    ({"k": 0}, ("k", "greater than or equal to 1")),
    ({"k": 21}, ("k", "less than or equal to 20")),
    ({"k": "5"}, ("k", "integer")),
    ({"k": 2.5}, ("k", "integer")),
    ({"query": "   "}, ("query",)),
    ({"query": "x" * 2001}, ("query", "2000")),
    ({"query": "a\x00b"}, ("query: must not contain NUL",)),
    ({"query": "a\ud800b"}, ("query",)),
    ({"filters": {"page": 1}}, ("filters", "list")),
    ({"filters": [{"field": "page", "op": "like", "value": "%"}]}, ("filters.0: op must be one of: eq, in",)),
    ({"filters": [{"field": "page", "value": 1}]}, ("filters.0: op must be one of",)),
    ({"filters": [{"field": "a'b", "op": "eq", "value": 1}]}, ("filters.0.field: must be a metadata key",)),
    ({"filters": [{"key": "page", "op": "eq", "value": 1}]},
     ("filters.0.key: unknown field; allowed: op, field, value",)),
    ({"filters": [{"field": "page", "op": "range"}]}, ("filters.0", "bound")),
    ({"filters": [{"field": "page", "op": "eq", "value": 1}] * 17}, ("filters", "16")),
])
def test_search_validation(call, corpus, fields: dict, needles: tuple[str, ...]) -> None:
    err(search(call, corpus[0], **fields), 400, *needles)


def test_search_filters(call, corpus) -> None:
    ws, _ = corpus

    def pages(*filters: dict) -> list[int]:
        hits = ok(search(call, ws, k=20, filters=list(filters)))["hits"]
        return sorted(h["location"]["page"] for h in hits)

    assert pages({"field": "lang", "op": "eq", "value": "en"}) == [1, 4, 5]
    assert pages({"field": "page", "op": "in", "values": [2, 3, 99]}) == [2, 3]
    assert pages({"field": "page", "op": "range", "gte": 2, "lt": 5}) == [2, 3, 4]
    en, after_one = {"field": "lang", "op": "eq", "value": "en"}, {"field": "page", "op": "range", "gt": 1}
    assert pages(en, after_one) == [4, 5]
    assert pages({"field": "page", "op": "eq", "value": "1"}) == []  # typed: the string "1" is not 1


INJECTED_FIELDS = ["page'; DROP TABLE rag.chunks; --", "page') OR 1=1 --", "page -> 'x'", "a.b", "1page",
                   "", "x" * 65, "page\x00"]
INJECTED_VALUES = ["en' OR '1'='1", "'; DELETE FROM rag.chunks; --", '{"lang": "en"}', "%", "en\\",
                   "$$ OR true $$", '"en"']


@pytest.mark.parametrize("field", INJECTED_FIELDS)
def test_injection_in_filter_field_is_a_400(call, corpus, store, field: str) -> None:
    ws, _ = corpus
    for f in ({"field": field, "op": "eq", "value": "en"}, {"field": field, "op": "in", "values": ["en"]},
              {"field": field, "op": "range", "gte": 1}):
        err(search(call, ws, filters=[f]), 400, "filters.0", "field")
    assert len(store.list_documents(uuid.UUID(ws))) == 1
    assert len(ok(search(call, ws, k=20))["hits"]) == len(CORPUS)


@pytest.mark.parametrize("value", INJECTED_VALUES)
def test_injection_in_filter_value_matches_nothing(call, corpus, value: str) -> None:
    ws, _ = corpus
    for f in ({"field": "lang", "op": "eq", "value": value}, {"field": "lang", "op": "in", "values": [value]},
              {"field": "lang", "op": "range", "gte": value, "lte": value}):
        assert ok(search(call, ws, filters=[f]))["hits"] == []
    for bad in (value + "\x00", value + "\ud800"):  # not storable in jsonb: refused before the database
        err(search(call, ws, filters=[{"field": "lang", "op": "in", "values": ["en", bad]}]), 400, "filters")
    assert len(ok(search(call, ws, k=20))["hits"]) == len(CORPUS)


def test_search_is_isolated_per_workspace(call, store, s3) -> None:
    a, b = new_workspace(call)["id"], new_workspace(call)["id"]
    doc_a = seed(store, s3, a, "same.txt", ["shared secret words", "only in a"])
    seed(store, s3, b, "same.txt", ["shared secret words", "only in b", "more b text"], [{"lang": "en"}] * 3)
    for query in ("shared secret words", "only in b", "more b text"):
        hits = ok(search(call, a, query, k=20))["hits"]
        assert {h["documentId"] for h in hits} == {doc_a} and len(hits) == 2
    only_b = [{"field": "lang", "op": "in", "values": ["en"]}]  # matches B's chunks, none of A's
    assert ok(search(call, a, "only in b", k=20, filters=only_b))["hits"] == []
    assert len(ok(search(call, b, "only in b", k=20, filters=only_b))["hits"]) == 3


def test_hybrid_workspace_search(call, store, s3) -> None:
    ws = new_workspace(call, hybridSearch=True)["id"]
    seed(store, s3, ws, "h.txt", CORPUS, METAS)
    hits = ok(search(call, ws, "quince tree history", k=2))["hits"]
    # Ranked by RRF (first in both the vector and the text ranking); scored, as with every engine, by the
    # engine-neutral 0..1 similarity (the pgvector engine's cosine), not by the RRF value.
    assert hits[0]["text"] == CORPUS[4] and hits[0]["similarity"] == pytest.approx(3 / math.sqrt(15))
    assert hits[0]["score"] == pytest.approx(3 / math.sqrt(15))
    assert all(h["score"] == h["similarity"] for h in hits)


def test_search_with_a_model_no_longer_enabled_is_409(call, corpus) -> None:
    answer = call({"op": "search", "workspaceId": corpus[0], "query": "quince"},
                  config=ServiceConfig(BUCKET, (COHERE,)))
    err(answer, 409, "embedding model", TITAN)


def test_query_embedding_through_bedrock_stubber(call, corpus) -> None:
    ws, doc = corpus
    runtime = boto3.client("bedrock-runtime", region_name="us-east-1")
    body = {"inputText": "quince jam", "dimensions": DIM, "normalize": True, "embeddingTypes": ["float"]}
    raw = json.dumps({"embeddingsByType": {"float": embed("quince jam recipe with sugar")},
                      "inputTextTokenCount": 2}).encode()
    with Stubber(runtime) as stubber:
        stubber.add_response("invoke_model", {"body": StreamingBody(io.BytesIO(raw), len(raw)),
                                              "contentType": "application/json"},
                             {"modelId": TITAN, "body": json.dumps(body).encode(),
                              "contentType": "application/json", "accept": "application/json"})
        made: list[tuple[str, int]] = []

        def factory(model_id: str, dimension: int) -> BedrockEmbedder:
            made.append((model_id, dimension))
            return BedrockEmbedder(model_id, dimension, client=runtime)

        hits = ok(call({"op": "search", "workspaceId": ws, "query": "  quince jam ", "k": 1},
                       factory=factory))["hits"]
        stubber.assert_no_pending_responses()
    assert made == [(TITAN, DIM)] and hits[0]["documentId"] == doc and hits[0]["ordinal"] == 0


def test_unexpected_errors_are_500_with_a_generic_message(call, corpus, caplog) -> None:
    def broken(model_id: str, dimension: int) -> FakeEmbedder:
        raise RuntimeError("connection string with password=hunter2")

    with caplog.at_level(logging.ERROR, logger="chatbot_app.rag.service"):
        answer = call({"op": "search", "workspaceId": corpus[0], "query": "q"}, factory=broken)
    assert err(answer, 500) == "internal error"
    assert "hunter2" in caplog.text


# Handler -----------------------------------------------------------------------------------------------
@pytest.fixture
def handler_env(app_uri: str, s3: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name, value in {"DB_DSN": app_uri, "UPLOADS_BUCKET": BUCKET, "EMBEDDING_MODELS": f"{TITAN},{COHERE}",
                        "AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "testing",
                        "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(rag_service, "BedrockEmbedder", FakeEmbedder)
    rag_service.reset()
    reset_clients()
    yield
    rag_service.reset()
    reset_clients()


def test_handler_serves_ops_and_logs_without_the_query(handler_env, caplog) -> None:
    with caplog.at_level(logging.INFO, logger="chatbot_app.handlers.rag_service"):
        ws = ok(rag_service.handler({"op": "createWorkspace", "name": "h", "embeddingModel": TITAN}, None))
        wid = ws["workspace"]["id"]
        hits = ok(rag_service.handler({"op": "search", "workspaceId": wid, "query": "confidential merger"},
                                      None))["hits"]
        err(rag_service.handler({"op": "nope"}, None), 400, "op")
        ok(rag_service.handler({"op": "deleteWorkspace", "workspaceId": wid}, None))
    assert hits == []
    lines = [r.getMessage() for r in caplog.records if r.name == "chatbot_app.handlers.rag_service"]
    assert f"rag op=search workspace={wid} outcome=ok" in lines[1]
    assert lines[2].startswith("rag op=unknown workspace=- outcome=400")
    assert "confidential" not in caplog.text


def test_handler_misconfigured_is_500(handler_env, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("UPLOADS_BUCKET")
    rag_service.reset()
    assert rag_service.handler({"op": "listWorkspaces"}, None) == {
        "ok": False, "status": 500, "message": "internal error"}

