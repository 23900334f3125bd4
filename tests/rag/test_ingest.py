"""The ingestion processor against the embedded PostgreSQL, with moto for S3 and SQS and either a
deterministic fake embedder or botocore's Stubber on bedrock-runtime InvokeModel."""

from __future__ import annotations

import hashlib
import json
import math
import random
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import psycopg
import pytest
from aws_fakes import moto_world
from bedrock_stubs import expect, reply
from botocore.stub import Stubber
from chatbot_app.rag.chunking import ChunkingConfig, chunk_document
from chatbot_app.rag.embeddings import BedrockEmbedder, EmbeddingError, EmbeddingThrottled
from chatbot_app.rag.ingest import Processor
from chatbot_app.rag.ingest_jobs import ContinuationJob, IngestConfig, ObjectJob
from chatbot_app.rag.parsers import CONTENT_TYPES, detect_format, parse
from chatbot_app.rag.store import VectorStore, WorkspaceSpec
from chatbot_app.rag.uploads import UploadTarget, new_target

from tests.data.make_samples import write_pdf

DATA = Path(__file__).resolve().parents[1] / "data"
REGION = "us-east-1"
BUCKET = "uploads-test"
TITAN = "amazon.titan-embed-text-v2:0"
COHERE = "cohere.embed-english-v3"
PLENTY: Callable[[], int] = lambda: 900_000  # noqa: E731
TIGHT: Callable[[], int] = lambda: 1_000  # noqa: E731  # below the margin: one step per invocation
CHUNK_IDS = "SELECT id, ordinal, text FROM rag.chunks WHERE workspace_id = %s ORDER BY id"
SAMPLES = ["sample.pdf", "sample.docx", "sample.pptx", "sample.xlsx", "sample.csv", "sample.html",
           "sample.md", "sample.txt", "sample.json"]


def fake_vector(text: str, dimension: int) -> list[float]:
    rng = random.Random(hashlib.sha256(text.encode()).digest())  # noqa: S311
    values = [rng.gauss(0, 1) for _ in range(dimension)]
    norm = math.sqrt(sum(x * x for x in values))
    return [x / norm for x in values]


class FakeEmbedder:
    def __init__(self, dimension: int, error: Exception | None = None, size: int | None = None) -> None:
        self.dimension, self.error, self.size = dimension, error, size
        self.texts: list[str] = []

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if self.error is not None:
            raise self.error
        self.texts.extend(texts)
        return [fake_vector(t, self.size or self.dimension) for t in texts]


class Spy:
    """Records which client methods were called."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.calls = inner, []

    def __getattr__(self, name: str) -> Any:
        self.calls.append(name)
        return getattr(self.inner, name)


class Harness:
    def __init__(self, store: VectorStore, owner_uri: str, s3: Any, sqs: Any, queue_url: str) -> None:
        self.store, self.owner_uri, self.s3, self.sqs, self.queue_url = store, owner_uri, s3, sqs, queue_url
        self.embedders: dict[tuple[str, int], Any] = {}

    def processor(self, embedder: Callable[[str, int], Any] | None = None, store: VectorStore | None = None,
                  s3: Any = None, **config: Any) -> Processor:
        settings = {"max_upload_bytes": 10_000_000, **config}
        return Processor(IngestConfig(BUCKET, self.queue_url, **settings), store=store or self.store,
                         s3=s3 or self.s3, sqs=self.sqs, embedder_factory=embedder or self.fake)

    def fake(self, model: str, dimension: int) -> FakeEmbedder:
        return self.embedders.setdefault((model, dimension), FakeEmbedder(dimension))

    def workspace(self, dimension: int = 256, chunk_size: int = 300, overlap: int = 50,
                  model: str = TITAN) -> uuid.UUID:
        return self.store.create_workspace(WorkspaceSpec(
            name=f"ws-{uuid.uuid4().hex[:6]}", embedding_model=model, dimension=dimension,
            chunk_size=chunk_size, chunk_overlap=overlap))

    def upload(self, workspace: uuid.UUID, name: str, data: bytes, version: int = 1) -> UploadTarget:
        target = new_target(workspace, name, CONTENT_TYPES[detect_format(name)], now_ns=version)
        self.s3.put_object(Bucket=BUCKET, Key=target.key, Body=data)
        return target

    def drain(self, processor: Processor, remaining: Callable[[], int] = TIGHT,
              limit: int | None = None) -> list[str]:
        """Run the continuation messages on the queue (at most `limit` of them) until it is empty."""
        outcomes: list[str] = []
        while limit is None or len(outcomes) < limit:
            got = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=1)
            if not got.get("Messages"):
                break
            (message,) = got["Messages"]
            job = ContinuationJob.from_message(json.loads(message["Body"])["continuation"])
            outcomes.append(processor.run(job, remaining))
            self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
        return outcomes

    def rows(self, sql: str, *params: Any) -> list[tuple]:
        with psycopg.connect(self.owner_uri) as conn:  # the owner: not subject to RLS
            return conn.execute(sql, params).fetchall()

    def chunks(self, workspace: uuid.UUID) -> list[tuple]:
        return self.rows("SELECT ordinal, text, metadata, embedding::text FROM rag.chunks"
                         " WHERE workspace_id = %s ORDER BY document_id, ordinal", workspace)

    def staging(self, workspace: uuid.UUID) -> tuple[int, int]:
        """(ingestions in flight, staged chunks) of the workspace."""
        ((ingestions, staged),) = self.rows(
            "SELECT (SELECT count(*) FROM rag.ingestions WHERE workspace_id = %s),"
            " (SELECT count(*) FROM rag.staged_chunks WHERE workspace_id = %s)", workspace, workspace)
        return ingestions, staged

    def document(self, workspace: uuid.UUID) -> Any:
        (doc,) = self.store.list_documents(workspace)
        return doc


def job(target: UploadTarget) -> ObjectJob:
    return ObjectJob(BUCKET, target.key)


@pytest.fixture(scope="module")
def aws() -> Iterator[tuple[Any, Any]]:
    """One moto world for the module (starting it per test costs more than the tests); each test uses its
    own workspaces, so its own keys, and its own queue."""
    with moto_world(REGION):
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=BUCKET)
        yield s3, boto3.client("sqs", region_name=REGION)


@pytest.fixture
def env(store: VectorStore, rag_db: str, aws: tuple[Any, Any]) -> Harness:
    s3, sqs = aws
    url = sqs.create_queue(QueueName=f"ingest-{uuid.uuid4().hex[:12]}")["QueueUrl"]
    return Harness(store, rag_db, s3, sqs, url)


# Every format -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("sample", SAMPLES)
def test_every_sample_type_is_ingested(env: Harness, sample: str) -> None:
    ws = env.workspace(chunk_size=64, overlap=16)
    data = (DATA / sample).read_bytes()
    target = env.upload(ws, sample, data)
    assert env.processor().run(job(target), PLENTY) == "ready"
    doc = env.document(ws)
    assert (doc.id, doc.source, doc.version, doc.status, doc.reason) == (
        target.document_id, sample, 1, "ready", None)
    rows = env.chunks(ws)
    expected = chunk_document(parse(data, sample), ChunkingConfig(64, 16))
    assert doc.chunk_count == len(rows) == len(expected) > 0
    assert [(r[0], r[1], r[2]) for r in rows] == [(c.index, c.text, c.metadata()) for c in expected]
    hits = env.store.search(ws, fake_vector(expected[-1].embedding_text(), 256), k=1)
    assert hits[0].text == expected[-1].text and hits[0].similarity == pytest.approx(1.0, abs=1e-5)
    assert env.staging(ws) == (0, 0)
    if sample == "sample.pdf":
        assert [r[2]["page"] for r in rows] == [1, 2, 3]


# Bedrock request shape (Stubber) -------------------------------------------------------------------------
def test_titan_requests_through_the_stubber(env: Harness) -> None:
    ws = env.workspace(dimension=512, chunk_size=32, overlap=8)
    data = (DATA / "sample.md").read_bytes()
    target = env.upload(ws, "notes.md", data)
    texts = [c.embedding_text() for c in chunk_document(parse(data, "notes.md"), ChunkingConfig(32, 8))]
    client = boto3.client("bedrock-runtime", region_name=REGION)
    with Stubber(client) as stubber:
        for text in texts:  # Titan v2: one InvokeModel per text
            body = {"inputText": text, "dimensions": 512, "normalize": True, "embeddingTypes": ["float"]}
            stubber.add_response("invoke_model", reply({"embedding": fake_vector(text, 512),
                                                         "inputTextTokenCount": 5}), expect(TITAN, body))
        processor = env.processor(lambda m, d: BedrockEmbedder(m, d, client=client, concurrency=1))
        assert processor.run(job(target), PLENTY) == "ready"
        stubber.assert_no_pending_responses()
    assert any(" > " in t for t in texts)  # headings travel with the chunk to the embedding model
    assert env.document(ws).chunk_count == len(texts)


def test_cohere_embeds_a_batch_in_one_request_through_the_stubber(env: Harness) -> None:
    ws = env.workspace(dimension=1024, chunk_size=32, overlap=8, model=COHERE)
    data = (DATA / "sample.docx").read_bytes()
    target = env.upload(ws, "handbook.docx", data)
    texts = [c.embedding_text() for c in chunk_document(parse(data, "x.docx"), ChunkingConfig(32, 8))]
    client = boto3.client("bedrock-runtime", region_name=REGION)
    with Stubber(client) as stubber:
        body = {"texts": texts, "input_type": "search_document", "truncate": "END",
                "embedding_types": ["float"]}
        vectors = [fake_vector(t, 1024) for t in texts]
        stubber.add_response("invoke_model", reply({"embeddings": {"float": vectors}}),
                             expect(COHERE, body))
        processor = env.processor(lambda m, d: BedrockEmbedder(m, d, client=client))
        assert processor.run(job(target), PLENTY) == "ready"
        stubber.assert_no_pending_responses()
    assert env.document(ws).chunk_count == len(texts) > 1


# Redelivery, versions -------------------------------------------------------------------------------------
def test_redelivered_message_changes_nothing(env: Harness) -> None:
    ws = env.workspace()
    target = env.upload(ws, "mill.txt", (DATA / "sample.txt").read_bytes())
    processor = env.processor()
    assert processor.run(job(target), PLENTY) == "ready"
    before = env.rows(CHUNK_IDS, ws)
    embedded = len(env.fake(TITAN, 256).texts)
    assert processor.run(job(target), PLENTY) == "ignored"
    assert processor.run(ContinuationJob(ws, target.document_id, 1, BUCKET, target.key), PLENTY) == "ignored"
    assert env.rows(CHUNK_IDS, ws) == before
    assert len(env.fake(TITAN, 256).texts) == embedded  # no second embedding call
    doc = env.document(ws)
    assert (doc.version, doc.status, doc.chunk_count) == (1, "ready", len(before))


def test_reupload_replaces_and_a_late_older_version_is_ignored(env: Harness) -> None:
    ws = env.workspace()
    old = env.upload(ws, "notes.txt", b"Swallows nest under the eaves.", version=10)
    new = env.upload(ws, "notes.txt", b"Swifts never land on the ground.", version=20)
    processor = env.processor()
    assert processor.run(job(old), PLENTY) == "ready"
    assert [r[1] for r in env.chunks(ws)] == ["Swallows nest under the eaves."]
    assert processor.run(job(new), PLENTY) == "ready"
    assert processor.run(job(old), PLENTY) == "ignored"  # late redelivery of the older upload
    doc = env.document(ws)
    assert (doc.id, doc.version, doc.status, doc.chunk_count) == (new.document_id, 20, "ready", 1)
    assert [r[1] for r in env.chunks(ws)] == ["Swifts never land on the ground."]


def test_newer_upload_supersedes_an_ingestion_in_flight(env: Harness) -> None:
    ws = env.workspace(chunk_size=32, overlap=8)
    old = env.upload(ws, "book.pdf", (DATA / "sample.pdf").read_bytes(), version=1)
    new = env.upload(ws, "book.pdf", (DATA / "sample.pdf").read_bytes(), version=2)
    processor = env.processor(pages_per_step=1)
    assert processor.run(job(old), TIGHT) == "continued"  # one page staged, a continuation queued
    assert processor.run(job(new), PLENTY) == "ready"
    assert env.drain(processor) == ["ignored"]  # the older version's continuation finds nothing to do
    doc = env.document(ws)
    assert (doc.version, doc.status) == (2, "ready")
    assert env.staging(ws) == (0, 0)


# Continuation across invocations -----------------------------------------------------------------------
def test_large_document_continues_across_invocations_and_swaps_atomically(env: Harness) -> None:
    data = (DATA / "sample.pdf").read_bytes()
    reference = env.workspace(chunk_size=32, overlap=8)
    assert env.processor().run(job(env.upload(reference, "guide.pdf", data)), PLENTY) == "ready"

    ws = env.workspace(chunk_size=32, overlap=8)
    older = write_pdf([["An older edition of the guide."]])
    assert env.processor().run(job(env.upload(ws, "guide.pdf", older, version=1)), PLENTY) == "ready"
    previous = env.chunks(ws)
    assert len(previous) == 1
    processor = env.processor(pages_per_step=1, embed_batch=1)
    target = env.upload(ws, "guide.pdf", data, version=2)
    outcomes = [processor.run(job(target), TIGHT)]
    while outcomes[-1] == "continued":
        assert env.chunks(ws) == previous  # readers keep seeing the old version until the swap
        assert env.document(ws).status == "processing"
        outcomes.extend(env.drain(processor, limit=1))
    expected = len(env.chunks(reference))
    assert outcomes == ["continued"] * (3 + expected) + ["ready"]  # 3 pages, one chunk per embed step
    assert env.chunks(ws) == env.chunks(reference)  # same texts, locations and embeddings
    doc = env.document(ws)
    assert (doc.version, doc.status, doc.chunk_count) == (2, "ready", expected)
    assert env.staging(ws) == (0, 0)


def test_a_duplicate_message_leaves_a_live_ingestion_to_its_holder(env: Harness) -> None:
    ws = env.workspace()
    target = env.upload(ws, "mill.txt", (DATA / "sample.txt").read_bytes())
    holder = uuid.uuid4()
    claim = env.store.claim_ingestion(ws, target.document_id, target.file_name, 1, holder, 600, create=True)
    assert claim.outcome == "start"
    assert env.processor().run(job(target), PLENTY) == "ignored"
    assert env.document(ws).status == "processing"
    env.store.release_ingestion(ws, target.document_id, 1, holder)  # the holder ran out of time
    assert env.processor().run(job(target), PLENTY) == "ready"


# Failures --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("sample", "name", "reason"), [
    ("corrupt.pdf", "broken.pdf", "PDF"),
    ("encrypted.pdf", "locked.pdf", "password-protected"),
    ("corrupt.docx", "broken.docx", "Office Open XML"),
])
def test_corrupt_and_encrypted_files_fail_with_a_reason(env: Harness, sample: str, name: str,
                                                        reason: str) -> None:
    ws = env.workspace()
    target = env.upload(ws, name, (DATA / sample).read_bytes())
    assert env.processor().run(job(target), PLENTY) == "failed"  # consumed, not retried
    doc = env.document(ws)
    assert doc.status == "failed" and reason in doc.reason and doc.chunk_count == 0
    assert env.chunks(ws) == [] and env.staging(ws) == (0, 0)


def test_oversized_file_fails_without_being_downloaded(env: Harness) -> None:
    ws = env.workspace()
    data = (DATA / "sample.docx").read_bytes()
    target = env.upload(ws, "big.docx", data)
    s3 = Spy(env.s3)
    assert env.processor(s3=s3, max_upload_bytes=1000).run(job(target), PLENTY) == "failed"
    doc = env.document(ws)
    assert doc.status == "failed" and f"{len(data)} bytes" in doc.reason and "MAX_UPLOAD_BYTES" in doc.reason
    assert "1000" in doc.reason and "get_object" not in s3.calls and "head_object" in s3.calls


def test_format_not_allowed_on_the_stack_fails(env: Harness) -> None:
    ws = env.workspace()
    target = env.upload(ws, "mill.txt", (DATA / "sample.txt").read_bytes())
    assert env.processor(upload_formats=frozenset({"pdf"})).run(job(target), PLENTY) == "failed"
    assert "'txt' is not allowed" in env.document(ws).reason


def test_file_without_text_fails(env: Harness) -> None:
    ws = env.workspace()
    target = env.upload(ws, "blank.txt", b"  \n\n   \n")
    assert env.processor().run(job(target), PLENTY) == "failed"
    assert "no text" in env.document(ws).reason


def test_wrong_or_deleted_workspace_leaves_no_rows(env: Harness) -> None:
    absent = uuid.uuid4()
    deleted = env.workspace()
    env.store.delete_workspace(deleted)
    processor = env.processor()
    for ws in (absent, deleted):
        target = env.upload(ws, "mill.txt", (DATA / "sample.txt").read_bytes())
        assert processor.run(job(target), PLENTY) == "ignored"
        assert env.rows("SELECT count(*) FROM rag.documents WHERE workspace_id = %s", ws) == [(0,)]


def test_workspace_deleted_during_ingestion(env: Harness) -> None:
    ws = env.workspace(chunk_size=32, overlap=8)
    target = env.upload(ws, "book.pdf", (DATA / "sample.pdf").read_bytes())
    processor = env.processor(pages_per_step=1)
    assert processor.run(job(target), TIGHT) == "continued"
    env.store.delete_workspace(ws)
    assert env.drain(processor) == ["ignored"]
    assert env.staging(ws) == (0, 0)


@pytest.mark.parametrize("key", [
    "workspaces/not-a-uuid/x.pdf",
    "elsewhere/report.pdf",
    f"workspaces/{uuid.uuid4()}/{uuid.uuid4()}/1/report.pdf",  # document id does not match the name
    "workspaces/{ws}/{doc}/1/../../etc/passwd",
])
def test_keys_outside_the_layout_are_refused(env: Harness, key: str) -> None:
    ws = env.workspace()
    key = key.format(ws=ws, doc=uuid.uuid4())
    env.s3.put_object(Bucket=BUCKET, Key=key, Body=b"%PDF-1.4")
    s3 = Spy(env.s3)
    assert env.processor(s3=s3).run(ObjectJob(BUCKET, key), PLENTY) == "ignored"
    assert s3.calls == [] and env.store.list_documents(ws) == []


def test_unsupported_extension_and_foreign_bucket_are_refused(env: Harness) -> None:
    ws = env.workspace()
    target = env.upload(ws, "mill.txt", b"text")
    exe = target.key.replace(str(target.document_id), str(uuid.uuid4())).replace("mill.txt", "run.exe")
    assert env.processor().run(ObjectJob(BUCKET, exe), PLENTY) == "ignored"
    assert env.processor().run(ObjectJob("another-bucket", target.key), PLENTY) == "ignored"
    assert env.store.list_documents(ws) == []


def test_throttling_is_retried_and_fails_the_document_on_the_last_receive(env: Harness) -> None:
    ws = env.workspace()
    target = env.upload(ws, "mill.txt", (DATA / "sample.txt").read_bytes())
    throttled = FakeEmbedder(256, EmbeddingThrottled("ThrottlingException after 6 attempts"))
    processor = env.processor(lambda m, d: throttled, max_receives=3)
    assert processor.run(job(target), PLENTY, receives=1) == "retry"
    assert env.document(ws).status == "processing"
    assert processor.run(job(target), PLENTY, receives=3) == "retry"  # on to the DLQ, and recorded
    doc = env.document(ws)
    assert doc.status == "failed" and "throttling" in doc.reason and "3 attempts" in doc.reason
    assert env.processor().run(job(target), PLENTY) == "ready"  # a redrive from the DLQ ingests it


@pytest.mark.parametrize("embedder", [
    FakeEmbedder(256, EmbeddingError("amazon.titan-embed-text-v2:0: AccessDeniedException: no access")),
    FakeEmbedder(256, size=128),  # vectors of the wrong dimension
])
def test_embedding_errors_retrying_cannot_fix_fail_the_document(env: Harness, embedder: FakeEmbedder) -> None:
    ws = env.workspace()
    target = env.upload(ws, "mill.txt", (DATA / "sample.txt").read_bytes())
    assert env.processor(lambda m, d: embedder).run(job(target), PLENTY) == "failed"
    assert env.document(ws).reason.startswith("embedding failed")


def test_invalid_workspace_settings_fail_the_document(env: Harness) -> None:
    ws = env.workspace(model=COHERE, dimension=1024)
    target = env.upload(ws, "mill.txt", (DATA / "sample.txt").read_bytes())
    assert env.processor(embedding_models=frozenset({TITAN})).run(job(target), PLENTY) == "failed"
    assert "not enabled" in env.document(ws).reason
    ws = env.workspace(chunk_size=8, overlap=2)  # valid for the database, too small for the chunker
    target = env.upload(ws, "mill.txt", (DATA / "sample.txt").read_bytes())
    assert env.processor().run(job(target), PLENTY) == "failed"
    assert "chunking" in env.document(ws).reason


def test_a_dropped_database_connection_is_reopened(env: Harness, app_uri: str) -> None:
    attempts = {"n": 0}

    def flaky() -> psycopg.Connection:
        attempts["n"] += 1
        if attempts["n"] == 1:
            raise psycopg.OperationalError("connection refused")
        return psycopg.connect(app_uri)

    ws = env.workspace()
    target = env.upload(ws, "mill.txt", (DATA / "sample.txt").read_bytes())
    store = VectorStore(flaky)
    try:
        assert env.processor(store=store).run(job(target), PLENTY) == "ready"
    finally:
        store.close()

    def down() -> psycopg.Connection:
        raise psycopg.OperationalError("the database is unreachable")

    assert env.processor(store=VectorStore(down)).run(job(target), PLENTY) == "retry"


def test_a_connection_lost_mid_ingestion_resumes_under_the_same_lease(env: Harness, app_uri: str) -> None:
    class DropsOnce(VectorStore):
        dropped = False

        def stage_embeddings(self, *args: Any, **kwargs: Any) -> Any:
            if not self.dropped:
                self.dropped = True
                raise psycopg.OperationalError("server closed the connection unexpectedly")
            return super().stage_embeddings(*args, **kwargs)

    ws = env.workspace()
    target = env.upload(ws, "mill.txt", (DATA / "sample.txt").read_bytes())
    store = DropsOnce(lambda: psycopg.connect(app_uri))
    try:
        assert env.processor(store=store).run(job(target), PLENTY) == "ready"
    finally:
        store.close()
    assert store.dropped and env.document(ws).status == "ready"


def test_staging_rows_are_scoped_by_row_level_security(env: Harness, app_uri: str) -> None:
    ws = env.workspace(chunk_size=32, overlap=8)
    target = env.upload(ws, "book.pdf", (DATA / "sample.pdf").read_bytes())
    assert env.processor().run(job(target), TIGHT) == "continued"
    assert env.staging(ws)[0] == 1 and env.staging(ws)[1] > 0
    with psycopg.connect(app_uri) as conn:  # the application role without a workspace context
        for table in ("rag.ingestions", "rag.staged_chunks"):
            assert conn.execute(f"SELECT count(*) FROM {table}").fetchone() == (0,)  # noqa: S608
        conn.execute("SELECT set_config('app.workspace_ids', %s, true)", (str(uuid.uuid4()),))
        assert conn.execute("SELECT count(*) FROM rag.staged_chunks").fetchone() == (0,)


def test_the_final_swap_waits_for_an_invocation_with_time_for_it(env: Harness) -> None:
    ws = env.workspace(chunk_size=32, overlap=8)
    target = env.upload(ws, "guide.pdf", (DATA / "sample.pdf").read_bytes())
    processor = env.processor(finish_ms_per_chunk=20_000)  # 4 chunks: 80 s beyond the 60 s margin
    assert processor.run(job(target), lambda: 100_000) == "continued"  # parsed and embedded, not swapped
    assert env.staging(ws) == (1, 4) and env.chunks(ws) == []
    assert env.drain(processor, lambda: 100_000) == ["ready"]  # first step of an invocation: always runs
    assert env.document(ws).chunk_count == 4
