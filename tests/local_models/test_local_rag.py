"""Local mode end to end on the embedded PostgreSQL, with moto for S3, SQS and DynamoDB: under
EMBEDDING_PROVIDER=local a workspace uses wordllama (256 dimensions); an uploaded document goes through the
real document processor handler (S3 notification -> SQS -> doc_processor) and the real rag service handler
finds the right chunk; under MODEL_PROVIDER=local the chat quotes it with its citation."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from chatbot_app.core import aws, rag_client
from chatbot_app.core.config import get_config
from chatbot_app.handlers import chat_worker, doc_processor, rag_service
from chatbot_app.local import answers

from tests.app.conftest import REGION, WS_ENDPOINT, Tokens, call, connect
from tests.app.stubs import Socket
from tests.app.test_chat import queue

DATA = Path(__file__).resolve().parents[1] / "data"
LOCAL_EMBEDDINGS = "local.wordllama-256"
TITAN = "amazon.titan-embed-text-v2:0"
BUCKET = "local-uploads"
MANAGER = ["workspace_manager"]


@pytest.fixture
def laptop(ddb: Any, app_uri: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """What the local server sets up: an uploads bucket that notifies the ingestion queue, the rag service
    and the document processor handlers in-process, local embeddings. Yields the SQS client."""
    s3, sqs = aws.client("s3", REGION), aws.client("sqs", REGION)
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    url = sqs.create_queue(QueueName="ingest")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    s3.put_bucket_notification_configuration(Bucket=BUCKET, NotificationConfiguration={
        "QueueConfigurations": [{"QueueArn": arn, "Events": ["s3:ObjectCreated:*"]}]})
    for name, value in {"EMBEDDING_PROVIDER": "local", "EMBEDDING_MODELS": LOCAL_EMBEDDINGS,
                        "DB_DSN": app_uri, "UPLOADS_BUCKET": BUCKET, "INGEST_QUEUE_URL": url,
                        "MAX_UPLOAD_BYTES": "100000", "RAG_FUNCTION": "rag"}.items():
        monkeypatch.setenv(name, value)
    get_config.cache_clear()
    rag_service.reset()
    doc_processor._processor.cache_clear()
    rag_client.set_transport(lambda event: rag_service.handler(event, None))
    yield sqs
    rag_client.set_transport(None)
    rag_service.reset()
    doc_processor._processor.cache_clear()


def ingest_sample(tokens: Tokens, sqs: Any) -> tuple[str, str]:
    """Create a local-model workspace, upload sample.md and run the processor on the queue's messages;
    returns (workspace id, document id)."""
    manager = tokens.make("mgr", MANAGER)
    body = {"name": "Bees", "embeddingModel": LOCAL_EMBEDDINGS, "chunkSize": 16, "chunkOverlap": 0}
    status, ws = call("POST", "/workspaces", manager, body)
    assert status == 201, ws
    assert (ws["embeddingModel"], ws["dimension"]) == (LOCAL_EMBEDDINGS, 256)
    data = (DATA / "sample.md").read_bytes()
    upload = {"fileName": "sample.md", "contentType": "text/markdown", "size": len(data)}
    status, ticket = call("POST", f"/workspaces/{ws['id']}/documents", manager, upload)
    assert status == 201, ticket
    # The browser's POST to the presigned URL, as the object it stores.
    aws.client("s3", REGION).put_object(Bucket=BUCKET, Key=ticket["upload"]["fields"]["key"], Body=data)
    got = sqs.receive_message(QueueUrl=os.environ["INGEST_QUEUE_URL"], MaxNumberOfMessages=10,
                              MessageSystemAttributeNames=["All"])
    records = [{"messageId": m["MessageId"], "body": m["Body"], "attributes": m["Attributes"]}
               for m in got["Messages"]]
    assert doc_processor.handler({"Records": records}, None) == {"batchItemFailures": []}
    (doc,) = call("GET", f"/workspaces/{ws['id']}/documents", manager)[1]["documents"]
    assert doc["status"] == "ready" and doc["chunkCount"] >= 3, doc
    return ws["id"], doc["id"]


def search(ws: str, query: str) -> list[dict[str, Any]]:
    answer = rag_service.handler({"op": "search", "workspaceId": ws, "query": query, "k": 3}, None)
    assert answer["ok"] is True, answer
    return answer["result"]["hits"]


def test_a_document_is_embedded_locally_and_search_finds_the_right_chunk(
    laptop: Any, tokens: Tokens, rag_db: str
) -> None:
    ws, doc = ingest_sample(tokens, laptop)
    with psycopg.connect(rag_db) as conn:  # the owner, not subject to RLS
        rows = conn.execute("SELECT vector_dims(embedding), vector_norm(embedding) FROM rag.chunks"
                            " WHERE workspace_id = %s", (ws,)).fetchall()
    # The stored vectors are wordllama's: 256 dimensions, unit length.
    assert rows and all(dims == 256 and norm == pytest.approx(1.0, abs=1e-4) for dims, norm in rows)
    for question, expected in [
        ("How often should I inspect the hive?", "Inspect every nine days in spring."),
        ("Where should the bees get water?", "Bees need water near the hive."),
        ("What must be left for the bees in winter?", "Leave the honey they need to overwinter."),
    ]:
        hits = search(ws, question)
        assert expected in hits[0]["text"], (question, [h["text"] for h in hits])
        assert hits[0]["documentId"] == doc and hits[0]["fileName"] == "sample.md"


def test_the_local_model_cannot_be_chosen_without_embedding_provider_local(
    laptop: Any, tokens: Tokens, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("EMBEDDING_PROVIDER")
    monkeypatch.setenv("EMBEDDING_MODELS", TITAN)
    rag_service.reset()
    body = {"name": "Bees", "embeddingModel": LOCAL_EMBEDDINGS}
    status, answer = call("POST", "/workspaces", tokens.make("mgr", MANAGER), body)
    assert status == 400 and "embeddingModel: must be one of the models enabled" in answer["error"]["message"]


def test_the_whole_laptop_flow_answers_with_a_quote_and_its_citation(
    laptop: Any, tokens: Tokens, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MODEL_PROVIDER", "local")
    monkeypatch.setattr(answers, "WORD_DELAY_SECONDS", 0.0)
    get_config.cache_clear()
    ws, doc = ingest_sample(tokens, laptop)
    token = connect(tokens)
    sid = call("POST", "/sessions", token, {"title": "Bees", "workspaceId": ws})[1]["sessionId"]
    job = queue(token, sid, text="How often should I inspect the hive?")
    socket = Socket(WS_ENDPOINT)
    assert chat_worker.handler(job, None)["status"] == "stored"
    frames = socket.frames
    assert [f["type"] for f in frames[:2]] == ["start", "sources"] and frames[-1]["type"] == "end"
    sources, text = frames[1]["sources"], socket.text()
    assert text.startswith(answers.FOUND)
    quoted = dict(re.findall(r"^- “(.+)” \[(\d+)\]$", text, flags=re.M))
    n = int(quoted["Inspect every nine days in spring."])
    assert sources[n - 1]["documentId"] == doc and sources[n - 1]["fileName"] == "sample.md"
