"""Document processor, fed by the ingestion queue: S3 ObjectCreated notifications for uploads under
workspaces/ and the continuation messages the processor sends itself when a document needs more than one
invocation. The work is done by rag.ingest.Processor.

Returns a partial batch response (the event source mapping must enable ReportBatchItemFailures): only a
message that hit a transient error is redelivered; a document failure is recorded on the document and the
message consumed. Messages of the batch that there is no time left to start are put back on the queue.

Environment: DB_HOST DB_PORT DB_NAME DB_USER (or DB_DSN), UPLOADS_BUCKET, INGEST_QUEUE_URL, MAX_UPLOAD_BYTES,
UPLOAD_FORMATS, EMBEDDING_MODELS, BEDROCK_REGION; optional INGEST_TIME_MARGIN_MS, INGEST_MAX_RECEIVES,
EMBEDDING_PROVIDER (`local` only on a laptop: enables local mode's embedding model); the engines' RAG_ENGINES,
OPENSEARCH_ENDPOINT and OPENSEARCH_REGION (opensearch workspaces' chunks are bulk-written there; see
rag/engine_config.py).
"""

from __future__ import annotations

import functools
import json
import logging
import os
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import unquote_plus

from ..rag.db import DatabaseConfigError, connector_from_env
from ..rag.embeddings import with_local_model
from ..rag.ingest import Outcome, Processor, bedrock_embedders
from ..rag.ingest_jobs import ContinuationJob, IngestConfig, IngestConfigError, ObjectJob
from ..rag.store import VectorStore

log = logging.getLogger(__name__)
log.setLevel(logging.INFO)
logging.getLogger("chatbot_app.rag").setLevel(logging.INFO)

NO_CONTEXT_REMAINING_MS = 300_000  # a local run without a Lambda context


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    records = event.get("Records") or []
    try:
        processor = _processor()
    except (IngestConfigError, DatabaseConfigError) as exc:
        log.error("misconfigured function: %s", exc)  # redeliver: nothing was done, the DLQ keeps them
        return {"batchItemFailures": [{"itemIdentifier": str(r.get("messageId", ""))} for r in records]}
    remaining = getattr(context, "get_remaining_time_in_millis", None) or (lambda: NO_CONTEXT_REMAINING_MS)
    return process_batch(records, processor, remaining)


@functools.cache
def _processor() -> Processor:
    from ..core.aws import client  # cached boto3 clients, created on first use

    env = os.environ
    config = IngestConfig.from_env(env)
    region = env.get("AWS_REGION")
    store = VectorStore(connector_from_env(env))
    # Local mode's embedder for its model id under EMBEDDING_PROVIDER=local; Bedrock's for every other id.
    embedders = with_local_model(bedrock_embedders(env.get("BEDROCK_REGION") or region))
    return Processor(config, store=store, s3=client("s3", region), sqs=client("sqs", region),
                     embedder_factory=embedders)


def process_batch(records: Sequence[Mapping[str, Any]], processor: Processor,
                  remaining_ms: Callable[[], int]) -> dict[str, Any]:
    started = time.monotonic()
    failures: list[dict[str, str]] = []
    for index, record in enumerate(records):
        message_id = str(record.get("messageId", ""))
        if index and remaining_ms() < processor.config.margin_ms:
            outcome = _requeue(processor, record)  # a fresh invocation starts it with a full budget
        else:
            outcome = _message(processor, record, remaining_ms)
        if outcome == "retry":
            failures.append({"itemIdentifier": message_id})
    log.info(json.dumps({"event": "batch", "messages": len(records), "redeliver": len(failures),
                         "seconds": round(time.monotonic() - started, 3)}))
    return {"batchItemFailures": failures}


def jobs_in(body: str) -> list[ObjectJob | ContinuationJob]:
    """The uploads a message body asks for: an S3 event notification (ObjectCreated records only; the
    s3:TestEvent sent when notifications are configured has none) or a continuation. ValueError otherwise."""
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise ValueError("the message body is not JSON") from exc
    if not isinstance(data, dict):
        raise ValueError("the message body is not a JSON object")
    if "continuation" in data:
        if not isinstance(data["continuation"], dict):
            raise ValueError("malformed continuation message")
        return [ContinuationJob.from_message(data["continuation"])]
    if data.get("Event") == "s3:TestEvent":
        return []
    records = data.get("Records")
    if not isinstance(records, list):
        raise ValueError("the message is neither an S3 event notification nor a continuation")
    jobs: list[ObjectJob | ContinuationJob] = []
    for record in records:
        if not isinstance(record, dict) or record.get("eventSource") != "aws:s3":
            continue
        if not str(record.get("eventName", "")).startswith("ObjectCreated:"):
            continue
        try:
            bucket = record["s3"]["bucket"]["name"]
            key = record["s3"]["object"]["key"]
        except (KeyError, TypeError) as exc:
            raise ValueError("an S3 record without bucket name or object key") from exc
        if not isinstance(bucket, str) or not isinstance(key, str):
            raise ValueError("an S3 record whose bucket name or object key is not a string")
        jobs.append(ObjectJob(bucket, unquote_plus(key)))  # keys arrive URL-encoded, spaces as '+'
    return jobs


def _message(processor: Processor, record: Mapping[str, Any], remaining_ms: Callable[[], int]) -> Outcome:
    message_id = str(record.get("messageId", ""))
    try:
        jobs = jobs_in(str(record.get("body", "")))
    except ValueError as exc:
        # Retrying cannot fix a malformed message; say why without echoing its content.
        log.warning(json.dumps({"event": "message_ignored", "messageId": message_id, "why": str(exc)}))
        return "ignored"
    try:
        receives = int((record.get("attributes") or {}).get("ApproximateReceiveCount") or 1)
    except ValueError:
        receives = 1
    outcomes = [processor.run(job, remaining_ms, receives) for job in jobs]
    if "retry" in outcomes:
        return "retry"
    return outcomes[-1] if outcomes else "ignored"


def _requeue(processor: Processor, record: Mapping[str, Any]) -> Outcome:
    message_id = str(record.get("messageId", ""))
    try:
        processor.sqs.send_message(QueueUrl=processor.config.queue_url,
                                   MessageBody=str(record.get("body", "")))
    except Exception:
        log.exception("could not put message %s back on the queue; it will be redelivered", message_id)
        return "retry"
    log.info(json.dumps({"event": "requeued", "messageId": message_id}))
    return "continued"
