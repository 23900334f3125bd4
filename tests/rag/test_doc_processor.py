"""The doc-processor Lambda handler: SQS messages (S3 notifications sent by moto's S3, continuations),
partial batch responses, the time budget across a batch, configuration from the environment, and logs
that carry ids and counts but never document text."""

from __future__ import annotations

import hashlib
import json
import logging
import math
import random
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

import boto3
import pytest
from aws_fakes import moto_world
from chatbot_app.core.aws import reset_clients
from chatbot_app.handlers import doc_processor
from chatbot_app.rag.embeddings import EmbeddingThrottled
from chatbot_app.rag.ingest_jobs import ContinuationJob, ObjectJob
from chatbot_app.rag.store import VectorStore, WorkspaceSpec
from chatbot_app.rag.uploads import UploadTarget, new_target

DATA = Path(__file__).resolve().parents[1] / "data"
REGION = "us-east-1"
BUCKET = "uploads-handler-test"
TITAN = "amazon.titan-embed-text-v2:0"
COHERE = "cohere.embed-english-v3"


class Context:
    def __init__(self, remaining_ms: int) -> None:
        self.remaining_ms = remaining_ms

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


class FakeEmbedder:
    def __init__(self, dimension: int, throttled: bool = False) -> None:
        self.dimension, self.throttled = dimension, throttled

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if self.throttled:
            raise EmbeddingThrottled("ThrottlingException after 6 attempts")
        out = []
        for text in texts:
            rng = random.Random(hashlib.sha256(text.encode()).digest())  # noqa: S311
            v = [rng.gauss(0, 1) for _ in range(self.dimension)]
            norm = math.sqrt(sum(x * x for x in v))
            out.append([x / norm for x in v])
        return out


def fake_embedders(region: str | None) -> Any:
    return lambda model, dimension: FakeEmbedder(dimension, throttled=model == COHERE)


@pytest.fixture(scope="module")
def aws() -> Iterator[tuple[Any, Any, str]]:
    with moto_world(REGION, AWS_REGION=REGION):
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=BUCKET)
        sqs = boto3.client("sqs", region_name=REGION)
        url = sqs.create_queue(QueueName="ingest")["QueueUrl"]
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
        arn = attributes["Attributes"]["QueueArn"]
        s3.put_bucket_notification_configuration(Bucket=BUCKET, NotificationConfiguration={
            "QueueConfigurations": [{"QueueArn": arn, "Events": ["s3:ObjectCreated:*"], "Filter": {
                "Key": {"FilterRules": [{"Name": "prefix", "Value": "workspaces/"}]}}}]})
        yield s3, sqs, url


@pytest.fixture
def queue(aws: tuple[Any, Any, str], app_uri: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The handler's environment; yields a function that turns what is on the queue into an SQS event."""
    s3, sqs, url = aws
    sqs.purge_queue(QueueUrl=url)
    for name, value in {"DB_DSN": app_uri, "UPLOADS_BUCKET": BUCKET, "INGEST_QUEUE_URL": url,
                        "MAX_UPLOAD_BYTES": "100000", "UPLOAD_FORMATS": "pdf,txt,html,markdown",
                        "EMBEDDING_MODELS": f"{TITAN},{COHERE}", "BEDROCK_REGION": REGION}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(doc_processor, "bedrock_embedders", fake_embedders)
    reset_clients()
    doc_processor._processor.cache_clear()

    def receive() -> dict[str, Any]:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageSystemAttributeNames=["All"])
        messages = got.get("Messages", [])
        for m in messages:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        return {"Records": [record(m["Body"], m["MessageId"], int(m["Attributes"]["ApproximateReceiveCount"]))
                            for m in messages]}

    yield receive
    doc_processor._processor.cache_clear()


def record(body: str, message_id: str | None = None, receives: int = 1) -> dict[str, Any]:
    return {"messageId": message_id or str(uuid.uuid4()), "receiptHandle": "handle", "body": body,
            "attributes": {"ApproximateReceiveCount": str(receives)}, "messageAttributes": {},
            "eventSource": "aws:sqs", "awsRegion": REGION}


def s3_body(key: str, event: str = "ObjectCreated:Post") -> str:
    return json.dumps({"Records": [{"eventVersion": "2.1", "eventSource": "aws:s3", "eventName": event,
                                    "s3": {"bucket": {"name": BUCKET},
                                           "object": {"key": quote_plus(key, safe="/"), "size": 10}}}]})


def workspace(store: VectorStore, model: str = TITAN) -> uuid.UUID:
    dimension = 1024 if model == COHERE else 256
    return store.create_workspace(WorkspaceSpec(name="handler", embedding_model=model, dimension=dimension,
                                                chunk_size=32, chunk_overlap=8))


def upload(s3: Any, ws: uuid.UUID, name: str, data: bytes) -> UploadTarget:
    content_type = {"pdf": "application/pdf", "txt": "text/plain", "html": "text/html"}[name.rsplit(".")[-1]]
    target = new_target(ws, name, content_type)
    s3.put_object(Bucket=BUCKET, Key=target.key, Body=data)
    return target


# Message bodies ------------------------------------------------------------------------------------------
def test_jobs_in_s3_notifications_and_continuations() -> None:
    key = "workspaces/a/b/1/Quarterly report (v2).pdf"
    assert doc_processor.jobs_in(s3_body(key)) == [ObjectJob(BUCKET, key)]  # URL-decoded
    assert doc_processor.jobs_in(s3_body(key, "ObjectRemoved:Delete")) == []
    assert doc_processor.jobs_in(json.dumps({"Service": "Amazon S3", "Event": "s3:TestEvent"})) == []
    job = ContinuationJob(uuid.uuid4(), uuid.uuid4(), 17, BUCKET, key)
    assert doc_processor.jobs_in(job.body()) == [job]
    for bad in ("not json", "[1]", "{}", '{"continuation": 3}', '{"Records": [{"eventSource": "aws:s3",'
                ' "eventName": "ObjectCreated:Put", "s3": {}}]}',
                json.dumps({"continuation": {**json.loads(job.body())["continuation"], "version": True}}),
                json.dumps({"continuation": {**json.loads(job.body())["continuation"], "version": -1}}),
                json.dumps({"continuation": {"workspaceId": "x"}})):
        with pytest.raises(ValueError):
            doc_processor.jobs_in(bad)


# The handler ---------------------------------------------------------------------------------------------
def test_s3_notification_through_the_queue_to_a_ready_document(aws, queue, store: VectorStore) -> None:
    s3 = aws[0]
    ws = workspace(store)
    target = upload(s3, ws, "Kiln guide.html", (DATA / "sample.html").read_bytes())
    event = queue()  # moto's S3 sent the notification (and maybe the s3:TestEvent) to the queue
    jobs = [j for r in event["Records"] for j in doc_processor.jobs_in(r["body"])]
    assert jobs == [ObjectJob(BUCKET, target.key)]  # the key arrives URL-encoded
    event["Records"].append(record("not json"))
    assert doc_processor.handler(event, Context(900_000)) == {"batchItemFailures": []}
    (doc,) = store.list_documents(ws)
    assert (doc.source, doc.status, doc.chunk_count > 0) == ("Kiln guide.html", "ready", True)


def test_only_messages_with_transient_errors_are_redelivered(aws, queue, store: VectorStore) -> None:
    s3 = aws[0]
    ok, throttled, corrupt = workspace(store), workspace(store, COHERE), workspace(store)
    a = upload(s3, ok, "mill.txt", (DATA / "sample.txt").read_bytes())
    b = upload(s3, throttled, "mill.txt", (DATA / "sample.txt").read_bytes())
    c = upload(s3, corrupt, "broken.pdf", (DATA / "corrupt.pdf").read_bytes())
    records = [record(s3_body(t.key), message_id=name) for name, t in (("a", a), ("b", b), ("c", c))]
    response = doc_processor.handler({"Records": records}, Context(900_000))
    assert response == {"batchItemFailures": [{"itemIdentifier": "b"}]}
    assert [d.status for d in (*store.list_documents(ok), *store.list_documents(throttled),
                               *store.list_documents(corrupt))] == ["ready", "processing", "failed"]


def test_a_large_document_continues_through_the_queue(aws, queue, store: VectorStore) -> None:
    s3 = aws[0]
    ws = workspace(store)
    target = upload(s3, ws, "guide.pdf", (DATA / "sample.pdf").read_bytes())
    tight = Context(1_000)  # below the margin: one step per invocation
    event, invocations = queue(), 0
    while event["Records"]:
        assert doc_processor.handler(event, tight) == {"batchItemFailures": []}
        invocations += 1
        event = queue()
    (doc,) = store.list_documents(ws)
    assert (doc.id, doc.status) == (target.document_id, "ready")
    assert invocations == 3  # parse, embed, swap in


def test_messages_without_time_left_go_back_to_the_queue(aws, queue, store: VectorStore) -> None:
    s3 = aws[0]
    ws = workspace(store)
    first = upload(s3, ws, "one.txt", b"The first file.")
    second = upload(s3, ws, "two.txt", b"The second file.")
    queue()
    bodies = [s3_body(first.key), s3_body(second.key)]
    response = doc_processor.handler({"Records": [record(b) for b in bodies]}, Context(1_000))
    assert response == {"batchItemFailures": []}
    event = queue()
    assert {d.source: d.status for d in store.list_documents(ws)} == {"one.txt": "processing"}
    # The first one's continuation, and the second one put back as it was (not started).
    assert sorted(next(iter(json.loads(r["body"]))) for r in event["Records"]) == ["Records", "continuation"]
    assert bodies[1] in [r["body"] for r in event["Records"]]
    assert doc_processor.handler(event, Context(900_000)) == {"batchItemFailures": []}
    assert {d.source: d.status for d in store.list_documents(ws)} == {"one.txt": "ready", "two.txt": "ready"}


def test_a_misconfigured_function_redelivers_everything(queue, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("UPLOADS_BUCKET")
    doc_processor._processor.cache_clear()
    response = doc_processor.handler({"Records": [record("{}", "m1"), record("{}", "m2")]}, None)
    assert response == {"batchItemFailures": [{"itemIdentifier": "m1"}, {"itemIdentifier": "m2"}]}


def test_logs_carry_ids_and_counts_never_text(aws, queue, store: VectorStore,
                                              caplog: pytest.LogCaptureFixture) -> None:
    s3 = aws[0]
    ws = workspace(store)
    phrase = "Ultramarine-7 is the vault phrase."
    good = upload(s3, ws, "vault.txt", f"{phrase}\n\n{phrase}".encode())
    bad = upload(s3, ws, "vault.pdf", b"%PDF-1.4 " + phrase.encode())
    queue()
    caplog.set_level(logging.DEBUG)
    event = {"Records": [record(s3_body(good.key)), record(s3_body(bad.key))]}
    assert doc_processor.handler(event, Context(900_000)) == {"batchItemFailures": []}
    assert "Ultramarine" not in caplog.text and "vault phrase" not in caplog.text
    events = [json.loads(r.getMessage()) for r in caplog.records if r.getMessage().startswith("{")]
    ready = next(e for e in events if e["event"] == "ready")
    assert ready["documentId"] == str(good.document_id) and ready["chunks"] == 1 and "seconds" in ready
    assert any(e["event"] == "failed" and e["documentId"] == str(bad.document_id) for e in events)


def test_configuration_from_the_environment() -> None:
    from chatbot_app.rag.ingest_jobs import IngestConfig, IngestConfigError

    base = {"UPLOADS_BUCKET": "b", "INGEST_QUEUE_URL": "https://sqs/q", "MAX_UPLOAD_BYTES": "5000"}
    config = IngestConfig.from_env({**base, "UPLOAD_FORMATS": "pdf, txt", "EMBEDDING_MODELS": TITAN,
                                    "INGEST_MAX_RECEIVES": "5", "INGEST_TIME_MARGIN_MS": "30000"})
    assert (config.upload_formats, config.embedding_models) == (frozenset({"pdf", "txt"}), frozenset({TITAN}))
    assert (config.max_upload_bytes, config.max_receives, config.margin_ms) == (5000, 5, 30000)
    assert IngestConfig.from_env(base).max_receives is None
    for bad in ({"UPLOADS_BUCKET": ""}, {"MAX_UPLOAD_BYTES": "0"}, {"MAX_UPLOAD_BYTES": "ten"},
                {"UPLOAD_FORMATS": "pdf,exe"}, {"EMBEDDING_MODELS": "gpt"}):
        with pytest.raises(IngestConfigError):
            IngestConfig.from_env({**base, **bad})
