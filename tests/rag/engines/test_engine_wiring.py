"""The rag service routed through each workspace's engine: the real PostgreSQL catalogue, Kendra and knowledge
bases through botocore's Stubber, OpenSearch through the signed requests a loopback server receives."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from chatbot_app.rag.engine_config import EngineConfig, KendraIndex, KnowledgeBase
from chatbot_app.rag.engines.registry import EngineRegistry
from chatbot_app.rag.service import ServiceConfig, dispatch
from chatbot_app.rag.store import ChunkInput, VectorStore
from chatbot_app.rag.uploads import document_id
from engine_fakes import CREDENTIALS, FakeServer, verify_sigv4
from moto import mock_aws

TITAN = "amazon.titan-embed-text-v2:0"
BUCKET = "uploads-wiring"
INDEX_ID = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
KB_ID = "KBABCDE123"
RERANK = "amazon.rerank-v1:0"
REGION = "eu-west-1"
KEYS = {"aws_access_key_id": "AKIDTEST", "aws_secret_access_key": "secret"}


class FakeEmbedder:
    def __init__(self, model_id: str, dimension: int) -> None:
        self.dimension = dimension
        self.queries: list[str] = []

    def embed_query(self, text: str) -> list[float]:
        self.queries.append(text)
        return [1.0] + [0.0] * (self.dimension - 1)


@pytest.fixture(scope="module")
def s3() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1", **KEYS)
        client.create_bucket(Bucket=BUCKET)
        yield client


@pytest.fixture()
def stubs() -> Iterator[dict[str, tuple[Any, Stubber]]]:
    names = ("kendra", "bedrock-agent-runtime")
    made = {name: boto3.client(name, region_name=REGION, **KEYS) for name in names}
    stubbers = {name: Stubber(c) for name, c in made.items()}
    for stub in stubbers.values():
        stub.activate()
    yield {name: (made[name], stubbers[name]) for name in made}
    for stub in stubbers.values():
        stub.assert_no_pending_responses()
        stub.deactivate()


class Service:
    def __init__(self, store: VectorStore, s3: Any, stubs: dict[str, tuple[Any, Stubber]], endpoint: str,
                 engines: tuple[str, ...] = ("pgvector", "opensearch", "kendra", "bedrock-kb")) -> None:
        self.engine_config = EngineConfig(
            engines=engines, opensearch_endpoint=endpoint, opensearch_region=REGION,
            kendra_indexes=(KendraIndex(INDEX_ID, "HR handbook", REGION),),
            knowledge_bases=(KnowledgeBase(KB_ID, "Product docs", REGION),),
            rerank_models=(RERANK,), rerank_region=REGION)
        self.config = ServiceConfig(BUCKET, (TITAN,), self.engine_config)
        self.store, self.s3, self.stubs = store, s3, stubs
        self.registry = EngineRegistry(self.engine_config, store, clients=lambda name, _: stubs[name][0],
                                       opensearch_credentials=CREDENTIALS)

    def __call__(self, event: dict[str, Any]) -> dict[str, Any]:
        return dispatch(event, store=self.store, embedder_factory=FakeEmbedder, s3=self.s3,
                        config=self.config, engines=self.registry)

    def ok(self, event: dict[str, Any]) -> dict[str, Any]:
        answer = self(event)
        assert answer["ok"] is True, answer
        return answer["result"]

    def create(self, **fields: Any) -> dict[str, Any]:
        event = {"op": "createWorkspace", "name": f"ws {uuid.uuid4().hex[:6]}", **fields}
        return self.ok(event)["workspace"]


@pytest.fixture()
def service(store: VectorStore, s3: Any, stubs: dict[str, tuple[Any, Stubber]],
            fake_server: FakeServer) -> Service:
    return Service(store, s3, stubs, fake_server.url)


def refused(answer: dict[str, Any], status: int, *needles: str) -> None:
    assert answer["ok"] is False and answer["status"] == status, answer
    assert all(n in answer["message"] for n in needles), answer["message"]


# Creating workspaces -------------------------------------------------------------------------------------
def test_engine_choice_is_persisted_and_answered(service: Service, fake_server: FakeServer) -> None:
    kendra = service.create(engine="kendra", engineRef=INDEX_ID, rerankModel=RERANK)
    assert (kendra["engine"], kendra["engineRef"], kendra["rerankModel"]) == ("kendra", INDEX_ID, RERANK)
    assert kendra["embeddingModel"] is None and kendra["dimension"] is None
    assert service.ok({"op": "getWorkspace", "workspaceId": kendra["id"]})["workspace"] == kendra
    spec = service.store.get_workspace(uuid.UUID(kendra["id"]))
    assert spec is not None and (spec.engine, spec.engine_ref, spec.read_only) == ("kendra", INDEX_ID, True)
    plain = service.create(embeddingModel=TITAN)
    assert (plain["engine"], plain["engineRef"], plain["rerankModel"]) == ("pgvector", None, None)
    assert fake_server.requests == []  # neither touched OpenSearch


def test_an_opensearch_workspace_gets_its_index(service: Service, fake_server: FakeServer) -> None:
    ws = service.create(engine="opensearch", embeddingModel=TITAN)
    assert (ws["engine"], ws["dimension"]) == ("opensearch", 1024)
    [req] = fake_server.requests
    assert (req.method, req.path) == ("PUT", f"/ws-{uuid.UUID(ws['id']).hex}")
    assert req.json()["mappings"]["properties"]["embedding"]["dimension"] == 1024
    verify_sigv4(req, CREDENTIALS, REGION, "aoss")


def test_a_failed_index_creation_leaves_no_workspace(service: Service, fake_server: FakeServer) -> None:
    fake_server.reply((403, {"error": {"type": "security_exception"}, "status": 403}))
    refused(service({"op": "createWorkspace", "name": "no index", "engine": "opensearch",
                     "embeddingModel": TITAN}), 500, "opensearch index")
    assert all(w.name != "no index" for w in service.store.list_workspaces())


@pytest.mark.parametrize(("fields", "needles"), [
    ({"engine": "faiss", "embeddingModel": TITAN}, ("engine", "pgvector")),
    ({"engine": "kendra"}, ("engineRef", INDEX_ID)),
    ({"engine": "kendra", "engineRef": "0" * 36}, ("engineRef", "Kendra index", INDEX_ID)),
    ({"engine": "bedrock-kb", "engineRef": INDEX_ID}, ("engineRef", "knowledge base", KB_ID)),
    ({"engine": "pgvector", "embeddingModel": TITAN, "engineRef": KB_ID}, ("engineRef", "only the kendra")),
    ({"embeddingModel": TITAN, "rerankModel": "cohere.rerank-v9"}, ("rerankModel", RERANK)),
    ({"engine": "kendra", "engineRef": INDEX_ID, "embeddingModel": TITAN}, ("embeddingModel", "own model")),
    ({"engine": "opensearch"}, ("embeddingModel", "required for the opensearch engine")),
    ({"engine": "opensearch", "embeddingModel": TITAN, "hybridSearch": True}, ("hybridSearch",)),
])
def test_invalid_engine_choices_are_400_naming_the_field(service: Service, fields: dict,
                                                         needles: tuple[str, ...]) -> None:
    refused(service({"op": "createWorkspace", "name": "bad", **fields}), 400, *needles)


def test_engines_the_stack_does_not_enable_are_refused(store: VectorStore, s3: Any, stubs: Any) -> None:
    only_pg = Service(store, s3, stubs, "https://unused.eu-west-1.aoss.amazonaws.com", engines=("pgvector",))
    refused(only_pg({"op": "createWorkspace", "name": "x", "engine": "opensearch", "embeddingModel": TITAN}),
            400, "engine: must be one of the engines enabled on this stack: pgvector")
    assert only_pg.create(embeddingModel=TITAN)["engine"] == "pgvector"  # the default engine


def test_uploads_into_read_only_engines_are_409_naming_the_engine(service: Service) -> None:
    for engine, ref in (("kendra", INDEX_ID), ("bedrock-kb", KB_ID)):
        ws = service.create(engine=engine, engineRef=ref)
        wid = uuid.UUID(ws["id"])
        event = {"op": "registerUpload", "workspaceId": ws["id"], "fileName": "a.txt",
                 "documentId": str(document_id(wid, "a.txt")), "version": 1}
        refused(service(event), 409, f"the {engine} engine", "takes no uploads")
        assert service.store.list_documents(wid) == []


# Search, routed per engine -------------------------------------------------------------------------------
def test_kendra_search_goes_to_retrieve_and_keeps_the_hit_shape(service: Service) -> None:
    ws = service.create(engine="kendra", engineRef=INDEX_ID)
    _, stub = service.stubs["kendra"]
    item = {"Id": "r1", "DocumentId": "doc-1", "DocumentTitle": "Handbook", "Content": "Holidays: 25 days.",
            "DocumentURI": "https://intranet.example.com/handbook.pdf",
            "DocumentAttributes": [{"Key": "_excerpt_page_number", "Value": {"LongValue": 7}}],
            "ScoreAttributes": {"ScoreConfidence": "HIGH"}}
    stub.add_response("retrieve", {"QueryId": "q", "ResultItems": [item]},
                      {"IndexId": INDEX_ID, "QueryText": "holidays?", "PageSize": 3})
    hits = service.ok({"op": "search", "workspaceId": ws["id"], "query": "holidays?", "k": 3})["hits"]
    assert hits == [{"documentId": "doc-1", "fileName": "Handbook", "ordinal": None,
                     "text": "Holidays: 25 days.", "score": 0.75, "similarity": 0.75,
                     "location": {"url": "https://intranet.example.com/handbook.pdf", "page": 7}}]


def test_knowledge_base_search_is_reranked_when_the_workspace_asks(service: Service) -> None:
    ws = service.create(engine="bedrock-kb", engineRef=KB_ID, rerankModel=RERANK)
    _, stub = service.stubs["bedrock-agent-runtime"]
    results = [{"content": {"text": f"passage {n}"}, "score": 0.5 - n / 10,
                "location": {"type": "WEB", "webLocation": {"url": f"https://docs.example.com/{n}"}}}
               for n in range(3)]
    stub.add_response("retrieve", {"retrievalResults": results},
                      {"knowledgeBaseId": KB_ID, "retrievalQuery": {"text": "setup"},
                       "retrievalConfiguration": {"vectorSearchConfiguration": {"numberOfResults": 3}}})
    stub.add_response("rerank", {"results": [{"index": 2, "relevanceScore": 0.9}]})
    hits = service.ok({"op": "search", "workspaceId": ws["id"], "query": "setup", "k": 1})["hits"]
    assert [(h["text"], h["score"], h["location"]["url"]) for h in hits] == [
        ("passage 2", 0.9, "https://docs.example.com/2")]


def test_opensearch_search_sends_the_query_vector(service: Service, fake_server: FakeServer) -> None:
    ws = service.create(engine="opensearch", embeddingModel=TITAN)
    doc = str(uuid.uuid4())
    source = {"document_id": doc, "ordinal": 4, "version": 1, "source": "guide.html", "text": "Crawled text",
              "metadata": {"url": "https://example.com/guide", "page": 2}}
    fake_server.reply((200, {"hits": {"hits": [{"_id": "x", "_score": 1.5, "_source": source}]}}))
    hits = service.ok({"op": "search", "workspaceId": ws["id"], "query": "guide", "k": 2})["hits"]
    assert hits == [{"documentId": doc, "fileName": "guide.html", "ordinal": 4, "text": "Crawled text",
                     "score": 0.5, "similarity": 0.5,
                     "location": {"page": 2, "url": "https://example.com/guide"}}]
    knn = fake_server.requests[-1].json()["query"]["knn"]["embedding"]
    assert knn["vector"][:2] == [1.0, 0.0] and len(knn["vector"]) == 1024 and knn["k"] == 2


def test_pgvector_search_goes_through_its_engine(service: Service) -> None:
    ws = service.create(embeddingModel=TITAN)
    wid = uuid.UUID(ws["id"])
    doc = document_id(wid, "a.txt")
    service.store.replace_chunks(wid, doc, "a.txt", 1, [ChunkInput(0, "first", [1.0] + [0.0] * 1023,
                                                                   {"page": 1})])
    hits = service.ok({"op": "search", "workspaceId": ws["id"], "query": "first"})["hits"]
    assert hits == [{"documentId": str(doc), "fileName": "a.txt", "ordinal": 0, "text": "first",
                     "score": pytest.approx(1.0), "similarity": pytest.approx(1.0), "location": {"page": 1}}]


def test_a_disabled_engine_or_index_is_a_409(service: Service, store: VectorStore, s3: Any,
                                             stubs: Any) -> None:
    ws = service.create(engine="kendra", engineRef=INDEX_ID)
    later = Service(store, s3, stubs, "https://unused.eu-west-1.aoss.amazonaws.com", engines=("pgvector",))
    refused(later({"op": "search", "workspaceId": ws["id"], "query": "q"}), 409, "kendra", "not enabled")


def test_a_filter_the_engine_cannot_express_is_a_400(service: Service) -> None:
    ws = service.create(engine="kendra", engineRef=INDEX_ID)
    event = {"op": "search", "workspaceId": ws["id"], "query": "q",
             "filters": [{"field": "flag", "op": "eq", "value": True}]}
    refused(service(event), 400, "filters", "boolean")


def test_engine_failures_are_500_without_detail(service: Service) -> None:
    ws = service.create(engine="kendra", engineRef=INDEX_ID)
    service.stubs["kendra"][1].add_client_error("retrieve", "ThrottlingException", http_status_code=400)
    refused(service({"op": "search", "workspaceId": ws["id"], "query": "q"}), 500, "kendra engine failed")


# Deleting from writable external engines ------------------------------------------------------------------
def test_deleting_opensearch_documents_and_workspaces_deletes_their_chunks(service: Service,
                                                                         fake_server: FakeServer) -> None:
    ws = service.create(engine="opensearch", embeddingModel=TITAN)
    wid = uuid.UUID(ws["id"])
    doc = document_id(wid, "a.txt")
    service.store.enqueue_document(wid, doc, "a.txt", 1)
    index = f"/ws-{wid.hex}"
    fake_server.reply((200, {"hits": {"hits": [{"_id": "c1", "_source": {"version": 1}, "sort": ["k"]}]}}),
                      (200, {"errors": False, "items": []}))
    service.ok({"op": "deleteDocument", "workspaceId": ws["id"], "documentId": str(doc)})
    search, bulk = fake_server.requests[-2:]
    assert (search.method, search.path) == ("POST", f"{index}/_search")
    assert search.json()["query"]["bool"]["filter"] == [{"term": {"document_id": str(doc)}}]
    assert bulk.path == "/_bulk" and bulk.ndjson() == [{"delete": {"_index": index[1:], "_id": "c1"}}]
    service.ok({"op": "deleteWorkspace", "workspaceId": ws["id"]})
    assert (fake_server.requests[-1].method, fake_server.requests[-1].path) == ("DELETE", index)
    assert service.store.get_workspace(wid) is None
    assert json.loads(json.dumps(service.ok({"op": "listWorkspaces"})))  # still answers
