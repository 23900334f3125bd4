"""Retrieval: the internal `rag` service function and the document ingestion pipeline.

    uploads bucket --ObjectCreated workspaces/*--> ingestion queue (SSE, TLS only, DLQ)
        --> doc-processor (VPC) --> pgvector                 rest / chat_worker --invoke--> rag (VPC)

Both functions run in the VPC's private subnets and join the database's clients security group; nothing
else in the stack needs the VPC. The rag function is invoked only by the roles the chat API grants it to
(they authenticate users and check groups); it has no trigger and no URL. The processor takes one message
per invocation: a document can be large, and a long document continues in a message it sends itself
(app/chatbot_app/rag/ingest.py), so no invocation runs into the Lambda timeout.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from components.aws_context import AwsContext
from components.database_access import DatabaseAccess
from components.iam_statements import key_via_service_statement
from components.lambda_function import AppFunction, AppFunctionArgs, FunctionVpc
from components.naming import resource_name
from components.retrieval_engines import EngineParts

HANDLERS = "chatbot_app.handlers"
UPLOAD_PREFIX = "workspaces/"  # app/chatbot_app/rag/uploads.py PREFIX
PROCESSOR_TIMEOUT_SECONDS = 300  # the processor hands over well before this (its time budget)
# AWS's guidance for SQS event sources: visibility timeout at least six times the function timeout.
QUEUE_VISIBILITY_SECONDS = 6 * PROCESSOR_TIMEOUT_SECONDS
# What the VPC functions call besides the database (S3 and DynamoDB go through gateway endpoints):
# embeddings, the processor's continuation messages, and the migration's master secret.
INTERFACE_ENDPOINTS: tuple[str, ...] = ("bedrock-runtime", "sqs", "secretsmanager")
DLQ_RETENTION_SECONDS = 14 * 24 * 3600  # the maximum: time to look at what failed


@dataclass(frozen=True)
class RetrievalArgs:
    prefix: str
    stack: str
    region: str
    code: pulumi.Input[pulumi.Archive]
    database: DatabaseAccess
    uploads_bucket_name: pulumi.Input[str]
    bedrock_region: str
    embedding_models: tuple[str, ...]
    max_upload_bytes: int
    upload_formats: tuple[str, ...]
    log_retention_days: int
    logs_kms_key_arn: pulumi.Input[str] | None
    data_kms_key_arn: pulumi.Input[str] | None  # None: SQS-managed encryption (dev only)
    retain: bool
    xray_tracing: bool
    max_receive_count: int = 5  # deliveries before a message goes to the DLQ
    processor_concurrency: int = 4  # documents processed at once: bounds the load on the database
    processor_memory_mb: int = 2048  # parsing large PDFs and Office files
    engines: EngineParts = field(default_factory=EngineParts)  # the engines beyond pgvector

    @property
    def rag_function_name(self) -> str:
        """Known before deployment, so the callers' IAM grants and environment can name it."""
        return resource_name(self.prefix, self.stack, "rag", max_length=64)

    def __post_init__(self) -> None:
        if not self.embedding_models:
            raise ValueError("embedding_models must name at least one embedding model")
        if any("," in model for model in (*self.embedding_models, *self.upload_formats)):
            raise ValueError("embedding_models and upload_formats must not contain commas")
        if not self.upload_formats:
            raise ValueError("upload_formats must allow at least one format")
        if not 1 <= self.max_receive_count <= 1000:
            raise ValueError(f"max_receive_count must be 1..1000, got {self.max_receive_count}")
        if not 2 <= self.processor_concurrency <= 1000:  # SQS event sources' maximum concurrency range
            raise ValueError(f"processor_concurrency must be 2..1000, got {self.processor_concurrency}")
        if self.max_upload_bytes < 1:
            raise ValueError("max_upload_bytes must be positive")


def embedding_model_arns(partition: str, region: str, models: tuple[str, ...]) -> list[str]:
    return [f"arn:{partition}:bedrock:{region}::foundation-model/{model}" for model in models]


def queue_policy(queue_arn: str, bucket_arn: str | None, account: str) -> str:
    """TLS only; for the ingestion queue, S3 may send the uploads bucket's events (and no other's)."""
    statements: list[dict[str, Any]] = [
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "sqs:*",
            "Resource": queue_arn,
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
    ]
    if bucket_arn is not None:
        statements.append(
            {
                "Sid": "UploadsBucketEvents",
                "Effect": "Allow",
                "Principal": {"Service": "s3.amazonaws.com"},
                "Action": "sqs:SendMessage",
                "Resource": queue_arn,
                "Condition": {
                    "ArnEquals": {"aws:SourceArn": bucket_arn},
                    "StringEquals": {"aws:SourceAccount": account},
                },
            }
        )
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


class Retrieval(pulumi.ComponentResource):
    rag_function: AppFunction
    processor: AppFunction
    queue: aws.sqs.Queue
    dead_letter_queue: aws.sqs.Queue
    rag_function_name: pulumi.Output[str]
    rag_function_arn: pulumi.Output[str]

    def __init__(self, name: str, args: RetrievalArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("chatbot:rag:Retrieval", name, None, opts)
        self._name, self._args = name, args
        context = AwsContext.of(self)
        self._account, self._partition = context.account_id, context.partition
        self._bucket_arn = pulumi.Output.concat("arn:", context.partition, ":s3:::", args.uploads_bucket_name)
        self._connect_arn = args.database.connect_arn(context.partition, args.region, context.account_id)
        self._vpc = FunctionVpc(args.database.subnet_ids, [args.database.client_security_group_id])

        self._queues()
        engines = args.engines
        self.rag_function = self._function(
            "rag", f"{HANDLERS}.rag_service.handler", self._rag_statements(), memory_mb=512,
            timeout_seconds=25,  # under REST's 29 s
            environment=engines.rag_environment, extra_statements=engines.rag_statements)
        self.processor = self._function(
            "doc-processor", f"{HANDLERS}.doc_processor.handler", self._processor_statements(),
            memory_mb=args.processor_memory_mb, timeout_seconds=PROCESSOR_TIMEOUT_SECONDS,
            environment={
                "INGEST_QUEUE_URL": self.queue.url,
                "MAX_UPLOAD_BYTES": str(args.max_upload_bytes),
                "UPLOAD_FORMATS": ",".join(args.upload_formats),
                # On the last delivery the processor records the failure before SQS moves the message.
                "INGEST_MAX_RECEIVES": str(args.max_receive_count),
                **engines.processor_environment,
            },
            extra_statements=engines.processor_statements,
        )
        aws.lambda_.EventSourceMapping(
            f"{name}-processor-events",
            event_source_arn=self.queue.arn,
            function_name=self.processor.function_name,
            batch_size=1,  # one document per invocation: its own time budget
            function_response_types=["ReportBatchItemFailures"],
            scaling_config=aws.lambda_.EventSourceMappingScalingConfigArgs(
                maximum_concurrency=args.processor_concurrency
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.rag_function_name = self.rag_function.function_name
        self.rag_function_arn = self.rag_function.arn
        self.register_outputs({
            "rag_function_name": self.rag_function_name,
            "rag_function_arn": self.rag_function_arn,
            "processor_function_name": self.processor.function_name,
            "queue_url": self.queue.url,
            "dead_letter_queue_name": self.dead_letter_queue.name,
        })

    def _encryption(self) -> dict[str, Any]:
        if self._args.data_kms_key_arn is None:
            return {"sqs_managed_sse_enabled": True}
        return {"kms_master_key_id": self._args.data_kms_key_arn, "kms_data_key_reuse_period_seconds": 300}

    def _queues(self) -> None:
        args, name = self._args, self._name
        self.dead_letter_queue = aws.sqs.Queue(
            f"{name}-ingest-dlq",
            name=resource_name(args.prefix, args.stack, "ingest-dlq", max_length=80),
            message_retention_seconds=DLQ_RETENTION_SECONDS,
            **self._encryption(),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self._queue_name = resource_name(args.prefix, args.stack, "ingest", max_length=80)
        self.queue = aws.sqs.Queue(
            f"{name}-ingest",
            name=self._queue_name,
            visibility_timeout_seconds=QUEUE_VISIBILITY_SECONDS,
            redrive_policy=self.dead_letter_queue.arn.apply(lambda arn: json.dumps(
                {"deadLetterTargetArn": arn, "maxReceiveCount": args.max_receive_count})),
            **self._encryption(),
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.sqs.QueuePolicy(
            f"{name}-ingest-dlq-policy",
            queue_url=self.dead_letter_queue.url,
            policy=pulumi.Output.all(self.dead_letter_queue.arn, self._account).apply(
                lambda qa: queue_policy(qa[0], None, qa[1])),
            opts=pulumi.ResourceOptions(parent=self),
        )
        policy = aws.sqs.QueuePolicy(
            f"{name}-ingest-policy",
            queue_url=self.queue.url,
            policy=pulumi.Output.all(self.queue.arn, self._bucket_arn, self._account).apply(
                lambda qba: queue_policy(qba[0], qba[1], qba[2])),
            opts=pulumi.ResourceOptions(parent=self),
        )
        # The bucket's only notification configuration (S3 keeps one per bucket).
        aws.s3.BucketNotification(
            f"{name}-uploads-events",
            bucket=args.uploads_bucket_name,
            queues=[aws.s3.BucketNotificationQueueArgs(
                queue_arn=self.queue.arn, events=["s3:ObjectCreated:*"], filter_prefix=UPLOAD_PREFIX,
            )],
            # S3 tests delivery when the configuration is saved: the queue must already admit it.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[policy]),
        )

    def _model_statement(self) -> pulumi.Output[list[dict[str, Any]]]:
        args = self._args
        return self._partition.apply(lambda partition: [{
            "Sid": "EmbedWithAllowedModels", "Effect": "Allow", "Action": ["bedrock:InvokeModel"],
            "Resource": embedding_model_arns(partition, args.bedrock_region, args.embedding_models),
        }])

    def _list_workspace_objects(self) -> dict[str, Any]:
        return {"Sid": "ListWorkspaceObjects", "Effect": "Allow", "Action": ["s3:ListBucket"],
                "Resource": [self._bucket_arn],
                "Condition": {"StringLike": {"s3:prefix": [f"{UPLOAD_PREFIX}*"]}}}

    def _common_statements(self) -> list[dict[str, Any]]:
        return [{"Sid": "ConnectAsAppUser", "Effect": "Allow", "Action": ["rds-db:connect"],
                 "Resource": [self._connect_arn]}]

    def _rag_statements(self) -> list[dict[str, Any]]:
        objects = pulumi.Output.concat(self._bucket_arn, "/", UPLOAD_PREFIX, "*")
        return [
            *self._common_statements(),
            self._list_workspace_objects(),
            {"Sid": "DeleteWorkspaceObjects", "Effect": "Allow", "Action": ["s3:DeleteObject"],
             "Resource": [objects]},
        ]

    def _processor_statements(self) -> list[dict[str, Any]]:
        args = self._args
        statements = [
            *self._common_statements(),
            {"Sid": "ReadUploads", "Effect": "Allow", "Action": ["s3:GetObject"],
             "Resource": [pulumi.Output.concat(self._bucket_arn, "/", UPLOAD_PREFIX, "*")]},
            # Without ListBucket a deleted object answers 403, not 404, and would be retried to the DLQ.
            self._list_workspace_objects(),
            {"Sid": "ConsumeAndContinue", "Effect": "Allow",
             "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes",
                        "sqs:ChangeMessageVisibility", "sqs:SendMessage"],
             # Built from known parts (not queue.arn) so the policy is readable at preview.
             "Resource": [pulumi.Output.concat("arn:", self._partition, ":sqs:", args.region, ":",
                                               self._account, ":", self._queue_name)]},
        ]
        key = args.data_kms_key_arn
        if key is not None:
            statements.append(key_via_service_statement("UploadsKeyThroughS3", key, "s3", args.region,
                                                        ["kms:Decrypt"]))
            statements.append(key_via_service_statement("QueueKeyThroughSqs", key, "sqs", args.region,
                                                        ["kms:Decrypt", "kms:GenerateDataKey"]))
        return statements

    def _function(self, role: str, handler: str, statements: list[dict[str, Any]], *, memory_mb: int,
                  timeout_seconds: int, environment: dict[str, pulumi.Input[str]] | None = None,
                  extra_statements: list[pulumi.Output[list[dict[str, Any]]]] | None = None) -> AppFunction:
        args = self._args
        env: dict[str, pulumi.Input[str]] = {
            **args.database.environment(),
            "UPLOADS_BUCKET": args.uploads_bucket_name,
            "EMBEDDING_MODELS": ",".join(args.embedding_models),
            "BEDROCK_REGION": args.bedrock_region,
            **(environment or {}),
        }
        return AppFunction(
            f"{self._name}-{role}",
            AppFunctionArgs(
                prefix=args.prefix, stack=args.stack, region=args.region, role=role, handler=handler,
                code=args.code, log_retention_days=args.log_retention_days,
                logs_kms_key_arn=args.logs_kms_key_arn, retain=args.retain, xray_tracing=args.xray_tracing,
                statements=statements, extra_statements=[self._model_statement(), *(extra_statements or [])],
                environment=env,
                memory_mb=memory_mb, timeout_seconds=timeout_seconds, vpc=self._vpc,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
