"""Local stand-ins for the AWS services the handlers call: moto's server on a loopback port, with the
resources the stack creates (components/data_tables.py, components/retrieval.py) made at start.

moto keeps everything in memory: tables, uploads and queue messages are gone after a restart (the
PostgreSQL data in the data dir is kept).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

import requests

from .environment import FAKE_KEY, INGEST_MAX_RECEIVES, INGEST_QUEUE, PREFIX, TABLES, UPLOADS_BUCKET

TTL_TABLES = ("connections", "usage")  # components/data_tables.py TTL_TABLES, attribute expiresAt
UPLOAD_PREFIX = "workspaces/"
QUEUE_VISIBILITY_SECONDS = 120  # a redelivery after a failed step comes back within two minutes locally
UPLOAD_CORS_MAX_AGE_SECONDS = 3600


@dataclass(frozen=True)
class Resources:
    queue_url: str
    queue_arn: str
    dead_letter_queue_url: str


class MotoServer:
    """moto in server mode in this process (a daemon thread), bound to 127.0.0.1 on a free port."""

    def __init__(self) -> None:
        from moto.server import ThreadedMotoServer

        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no request log on the console
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self.url = ""

    def start(self) -> str:
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.url = f"http://{host}:{port}"
        # moto's state is per process: start empty even if this process ran a server (or moto) before.
        requests.post(f"{self.url}/moto-api/reset", timeout=10).raise_for_status()
        return self.url

    def stop(self) -> None:
        if self.url:
            self._server.stop()
            self.url = ""


def _client(service: str, endpoint: str, region: str) -> Any:
    import boto3

    # moto does not check credentials; fixed fake ones keep real keys (Bedrock mode) off this set-up.
    return boto3.client(service, endpoint_url=endpoint, region_name=region, aws_access_key_id=FAKE_KEY,
                        aws_secret_access_key=FAKE_KEY)


def create_tables(endpoint: str, region: str) -> None:
    ddb = _client("dynamodb", endpoint, region)
    for table in TABLES:
        name = f"{PREFIX}-{table}"
        ddb.create_table(
            TableName=name, BillingMode="PAY_PER_REQUEST",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                       {"AttributeName": "sk", "KeyType": "RANGE"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                  {"AttributeName": "sk", "AttributeType": "S"}],
        )
        if table in TTL_TABLES:
            ddb.update_time_to_live(TableName=name,
                                    TimeToLiveSpecification={"Enabled": True, "AttributeName": "expiresAt"})


def create_uploads(endpoint: str, region: str, origin: str) -> Resources:
    """The uploads bucket (CORS: POST from the site's origin only), the ingest queue with its dead-letter
    queue, and the bucket's ObjectCreated notification for workspaces/ to the queue."""
    s3, sqs = _client("s3", endpoint, region), _client("sqs", endpoint, region)
    bucket: dict[str, Any] = {"Bucket": UPLOADS_BUCKET}
    if region != "us-east-1":
        bucket["CreateBucketConfiguration"] = {"LocationConstraint": region}
    s3.create_bucket(**bucket)
    s3.put_bucket_encryption(Bucket=UPLOADS_BUCKET, ServerSideEncryptionConfiguration={
        "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})
    s3.put_bucket_cors(Bucket=UPLOADS_BUCKET, CORSConfiguration={"CORSRules": [{
        "ID": "presigned-post-from-website", "AllowedMethods": ["POST"], "AllowedOrigins": [origin],
        "MaxAgeSeconds": UPLOAD_CORS_MAX_AGE_SECONDS}]})
    dlq_url = sqs.create_queue(QueueName=f"{INGEST_QUEUE}-dlq")["QueueUrl"]
    dlq_arn = _arn(sqs, dlq_url)
    queue_url = sqs.create_queue(QueueName=INGEST_QUEUE, Attributes={
        "VisibilityTimeout": str(QUEUE_VISIBILITY_SECONDS),
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": INGEST_MAX_RECEIVES}),
    })["QueueUrl"]
    queue_arn = _arn(sqs, queue_url)
    prefix = {"Key": {"FilterRules": [{"Name": "prefix", "Value": UPLOAD_PREFIX}]}}
    s3.put_bucket_notification_configuration(Bucket=UPLOADS_BUCKET, NotificationConfiguration={
        "QueueConfigurations": [{"QueueArn": queue_arn, "Events": ["s3:ObjectCreated:*"], "Filter": prefix}]})
    return Resources(queue_url, queue_arn, dlq_url)


def _arn(sqs: Any, url: str) -> str:
    return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
