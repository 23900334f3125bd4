"""Ingestion into an opensearch workspace: staged and embedded in PostgreSQL, then bulk-written (signed) to
the collection at the document's version and marked ready without touching rag.chunks; engine failures either
retry or fail the document with the reason."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import psycopg
import pytest
from aws_fakes import moto_world
from chatbot_app.rag.engine_config import EngineConfig
from chatbot_app.rag.engines.registry import EngineRegistry
from chatbot_app.rag.ingest import Processor
from chatbot_app.rag.ingest_jobs import IngestConfig, ObjectJob
from chatbot_app.rag.store import VectorStore, WorkspaceSpec
from chatbot_app.rag.uploads import new_target
from engine_fakes import CREDENTIALS, FakeServer, verify_sigv4

REGION = "us-east-1"
BUCKET = "uploads-engines"
TITAN = "amazon.titan-embed-text-v2:0"
TEXT = ("Quinces ripen in autumn. " * 40 + "\n\n") * 3
PLENTY = 900_000


class Embedder:
    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [[1.0] + [0.0] * 255 for _ in texts]


@pytest.fixture(scope="module")
def aws() -> Iterator[tuple[Any, Any]]:
    with moto_world(REGION):
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=BUCKET)
        yield s3, boto3.client("sqs", region_name=REGION)


class Harness:
    def __init__(self, store: VectorStore, owner_uri: str, s3: Any, sqs: Any, endpoint: str) -> None:
        self.store, self.owner_uri, self.s3 = store, owner_uri, s3
        self.queue = sqs.create_queue(QueueName=f"q-{uuid.uuid4().hex[:12]}")["QueueUrl"]
        engines = EngineConfig(engines=("pgvector", "opensearch"), opensearch_endpoint=endpoint,
                               opensearch_region="eu-west-1")
        self.processor = Processor(IngestConfig(BUCKET, self.queue, 10_000_000, engines=engines), store=store,
                                   s3=s3, sqs=sqs, embedder_factory=lambda model, dim: Embedder(),
                                   engines=EngineRegistry(engines, store, opensearch_credentials=CREDENTIALS))

    def upload(self, engine: str = "opensearch") -> tuple[uuid.UUID, Any]:
        ws = self.store.create_workspace(WorkspaceSpec(name="w", embedding_model=TITAN, dimension=256,
                                                       chunk_size=100, chunk_overlap=10, engine=engine))
        target = new_target(ws, "notes.txt", "text/plain", now_ns=7)
        self.s3.put_object(Bucket=BUCKET, Key=target.key, Body=TEXT.encode())
        return ws, target

    def count(self, sql: str, ws: uuid.UUID) -> int:
        with psycopg.connect(self.owner_uri) as conn:
            return conn.execute(sql, (ws,)).fetchone()[0]


@pytest.fixture()
def env(store: VectorStore, rag_db: str, aws: tuple[Any, Any], fake_server: FakeServer) -> Harness:
    return Harness(store, rag_db, aws[0], aws[1], fake_server.url)


def test_opensearch_ingestion_bulk_writes_the_chunks_and_marks_ready(env: Harness,
                                                                     fake_server: FakeServer) -> None:
    ws, target = env.upload()
    assert env.processor.run(ObjectJob(BUCKET, target.key), lambda: PLENTY) == "ready"
    [doc] = env.store.list_documents(ws)
    assert (doc.status, doc.version) == ("ready", 7) and doc.chunk_count > 1
    index = f"ws-{ws.hex}"
    create, listing, bulk = fake_server.requests
    assert (create.method, create.path) == ("PUT", f"/{index}")
    assert (listing.method, listing.path) == ("POST", f"/{index}/_search")
    assert (bulk.method, bulk.path) == ("POST", "/_bulk")
    for req in fake_server.requests:
        verify_sigv4(req, CREDENTIALS, "eu-west-1", "aoss")
    lines = bulk.ndjson()
    actions, sources = lines[::2], lines[1::2]
    assert actions == [{"index": {"_index": index}}] * doc.chunk_count
    assert [s["ordinal"] for s in sources] == list(range(doc.chunk_count))
    first = sources[0]
    assert (first["workspace_id"], first["document_id"], first["version"], first["source"]) == (
        str(ws), str(target.document_id), 7, "notes.txt")
    assert first["embedding"] == [1.0] + [0.0] * 255 and "Quinces" in first["text"]
    # Nothing in rag.chunks, no staging left behind.
    assert env.count("SELECT count(*) FROM rag.chunks WHERE workspace_id = %s", ws) == 0
    assert env.count("SELECT count(*) FROM rag.ingestions WHERE workspace_id = %s", ws) == 0


def test_pgvector_ingestion_still_swaps_in_the_database(env: Harness, fake_server: FakeServer) -> None:
    ws, target = env.upload(engine="pgvector")
    assert env.processor.run(ObjectJob(BUCKET, target.key), lambda: PLENTY) == "ready"
    [doc] = env.store.list_documents(ws)
    assert env.count("SELECT count(*) FROM rag.chunks WHERE workspace_id = %s", ws) == doc.chunk_count > 1
    assert fake_server.requests == []


def test_a_retryable_engine_error_retries_and_resumes(env: Harness, fake_server: FakeServer) -> None:
    ws, target = env.upload()
    fake_server.reply((200, {"acknowledged": True}), (200, {"hits": {"hits": []}}),
                      (429, {"error": {"type": "too_many_requests"}, "status": 429}))
    job = ObjectJob(BUCKET, target.key)
    assert env.processor.run(job, lambda: PLENTY) == "retry"
    [doc] = env.store.list_documents(ws)
    assert doc.status == "processing"  # the staging stays for the redelivered message
    assert env.count("SELECT count(*) FROM rag.staged_chunks WHERE workspace_id = %s", ws) > 1
    assert env.processor.run(job, lambda: PLENTY) == "ready"
    assert env.store.list_documents(ws)[0].status == "ready"


def test_a_refusal_fails_the_document_with_the_reason(env: Harness, fake_server: FakeServer) -> None:
    ws, target = env.upload()
    fake_server.reply((200, {"acknowledged": True}), (200, {"hits": {"hits": []}}),
                      (200, {"errors": True, "items": [{"index": {"status": 400, "error": {
                          "type": "mapper_parsing_exception", "reason": "secret document text"}}}]}))
    assert env.processor.run(ObjectJob(BUCKET, target.key), lambda: PLENTY) == "failed"
    [doc] = env.store.list_documents(ws)
    assert doc.status == "failed" and "opensearch" in doc.reason and "mapper_parsing_exception" in doc.reason
    assert "secret" not in doc.reason
    assert env.count("SELECT count(*) FROM rag.ingestions WHERE workspace_id = %s", ws) == 0


def test_uploads_into_read_only_workspaces_are_ignored(env: Harness) -> None:
    ws = env.store.create_workspace(WorkspaceSpec(name="k", embedding_model=None, dimension=None,
                                                  engine="kendra", engine_ref="0" * 36))
    target = new_target(ws, "a.txt", "text/plain", now_ns=1)
    env.s3.put_object(Bucket=BUCKET, Key=target.key, Body=b"text")
    assert env.processor.run(ObjectJob(BUCKET, target.key), lambda: PLENTY) == "ignored"
    assert env.store.list_documents(ws) == []


def test_a_document_deleted_while_its_chunks_were_sent_is_removed_again(
        env: Harness, store: VectorStore, fake_server: FakeServer, monkeypatch: pytest.MonkeyPatch) -> None:
    ws, target = env.upload()
    engine = env.processor.engines.base_engine(store.get_workspace(ws))
    upsert = engine.upsert
    deleted: list[tuple[uuid.UUID, uuid.UUID | None]] = []

    def upsert_then_lose_the_document(*args: Any) -> None:
        upsert(*args)
        store.delete_document(ws, target.document_id)  # the user deletes it meanwhile

    monkeypatch.setattr(engine, "upsert", upsert_then_lose_the_document)
    monkeypatch.setattr(engine, "delete", lambda w, d=None: deleted.append((w, d)))
    assert env.processor.run(ObjectJob(BUCKET, target.key), lambda: PLENTY) == "ignored"
    assert deleted == [(ws, target.document_id)]

