"""What the stack's SQS event source mapping does for the document processor: poll the ingest queue and
call handlers.doc_processor with SQS-shaped events, one message per batch (the stack's batch_size=1),
deleting the messages the handler did not report as failed (ReportBatchItemFailures).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from .lambda_bridge import LambdaRuntime

log = logging.getLogger("local_server.processor")
WAIT_SECONDS = 1  # long-poll briefly, so stop() returns within about a second


def sqs_event(message: dict[str, Any], queue_arn: str, region: str) -> dict[str, Any]:
    attributes = dict(message.get("Attributes") or {})
    return {"Records": [{
        "messageId": message["MessageId"], "receiptHandle": message["ReceiptHandle"], "body": message["Body"],
        "attributes": attributes, "messageAttributes": message.get("MessageAttributes") or {},
        "md5OfBody": message.get("MD5OfBody", ""), "eventSource": "aws:sqs", "eventSourceARN": queue_arn,
        "awsRegion": region,
    }]}


class QueuePoller:
    def __init__(self, runtime: LambdaRuntime, sqs: Any, queue_url: str, queue_arn: str) -> None:
        self._runtime, self._sqs = runtime, sqs
        self._queue_url, self._queue_arn = queue_url, queue_arn
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="doc-processor-poller", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop polling; a document being processed finishes its current invocation first."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.poll_once()
            except Exception:
                log.exception("polling the ingest queue failed; trying again")
                self._stop.wait(1.0)

    def poll_once(self) -> int:
        """Receive and process at most one message; returns how many were received."""
        answer = self._sqs.receive_message(QueueUrl=self._queue_url, MaxNumberOfMessages=1,
                                           WaitTimeSeconds=WAIT_SECONDS, AttributeNames=["All"],
                                           MessageAttributeNames=["All"])
        messages = answer.get("Messages") or []
        for message in messages:
            self._process(message)
        return len(messages)

    def _process(self, message: dict[str, Any]) -> None:
        event = sqs_event(message, self._queue_arn, self._runtime.region)
        try:
            result = self._runtime.call("doc-processor", event)
        except Exception:
            # Like Lambda: the whole batch comes back after the visibility timeout.
            log.exception("the document processor raised; message %s will be redelivered",
                          message["MessageId"])
            return
        failed = {f.get("itemIdentifier") for f in (result or {}).get("batchItemFailures", [])}
        if message["MessageId"] not in failed:
            self._sqs.delete_message(QueueUrl=self._queue_url, ReceiptHandle=message["ReceiptHandle"])
