"""Retrieval: the rag service and the ingestion pipeline's security properties (queues, IAM, VPC)."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pytest

from components.database_access import DatabaseAccess
from components.retrieval import QUEUE_VISIBILITY_SECONDS, Retrieval, RetrievalArgs, queue_policy

from .conftest import ACCOUNT_ID, MOCK_REGION, Harness

KMS_ARN = f"arn:aws:kms:{MOCK_REGION}:{ACCOUNT_ID}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
QUEUE = "aws:sqs/queue:Queue"
FUNCTION = "aws:lambda/function:Function"
POLICY = "aws:iam/rolePolicy:RolePolicy"


def args(kms: str | None = KMS_ARN, **overrides: Any) -> RetrievalArgs:
    database = DatabaseAccess(host="db.cluster-x.us-east-1.rds.amazonaws.com", port=5433,
                              cluster_resource_id="cluster-ABCDEFGHIJKL", client_security_group_id="sg-0123",
                              subnet_ids=["subnet-a", "subnet-b"])
    values: dict[str, Any] = dict(
        prefix="chatbot", stack="prod", region=MOCK_REGION, code=pulumi.AssetArchive({}), database=database,
        uploads_bucket_name="uploads-bucket", bedrock_region=MOCK_REGION,
        embedding_models=("amazon.titan-embed-text-v2:0", "cohere.embed-english-v3"),
        max_upload_bytes=25 * 1024 * 1024, upload_formats=("pdf", "txt"), log_retention_days=365,
        logs_kms_key_arn=KMS_ARN, data_kms_key_arn=kms, retain=True, xray_tracing=False,
    )
    values.update(overrides)
    return RetrievalArgs(**values)


def build(harness: Harness, retrieval_args: RetrievalArgs) -> dict[str, Any]:
    def program() -> pulumi.Output:
        retrieval = Retrieval("rag", retrieval_args)
        return pulumi.Output.all(name=retrieval.rag_function_name, arn=retrieval.rag_function_arn)

    return harness.run(program)


def role_statements(harness: Harness, role: str) -> dict[str, dict[str, Any]]:
    policy = harness.one(POLICY, f"rag-{role}-policy")
    return {s["Sid"]: s for s in harness.policy(policy)["Statement"]}


def test_queues_are_encrypted_with_the_data_key_and_failures_go_to_the_dlq(pulumi_mocks) -> None:
    harness = pulumi_mocks("prod")
    build(harness, args())
    queue, dlq = harness.one(QUEUE, "rag-ingest"), harness.one(QUEUE, "rag-ingest-dlq")
    for q in (queue, dlq):
        assert q.inputs["kmsMasterKeyId"] == KMS_ARN
        assert "sqsManagedSseEnabled" not in q.inputs
    redrive = json.loads(queue.inputs["redrivePolicy"])
    assert redrive["maxReceiveCount"] == 5 and redrive["deadLetterTargetArn"].endswith("ingest-dlq")
    assert queue.inputs["visibilityTimeoutSeconds"] == QUEUE_VISIBILITY_SECONDS
    assert dlq.inputs["messageRetentionSeconds"] == 14 * 24 * 3600


def test_dev_queues_use_sqs_managed_encryption(pulumi_mocks) -> None:
    harness = pulumi_mocks("dev")
    build(harness, args(kms=None, stack="dev"))
    for q in harness.of_type(QUEUE):
        assert q.inputs["sqsManagedSseEnabled"] is True


def test_queue_policies_deny_plain_http_and_admit_only_the_uploads_bucket() -> None:
    document = json.loads(queue_policy("arn:aws:sqs:r:1:q", "arn:aws:s3:::uploads", "1"))
    deny, allow = document["Statement"]
    assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert allow["Principal"] == {"Service": "s3.amazonaws.com"} and allow["Action"] == "sqs:SendMessage"
    assert allow["Condition"]["ArnEquals"] == {"aws:SourceArn": "arn:aws:s3:::uploads"}
    assert allow["Condition"]["StringEquals"] == {"aws:SourceAccount": "1"}
    assert len(json.loads(queue_policy("arn:aws:sqs:r:1:dlq", None, "1"))["Statement"]) == 1


def test_uploads_under_the_workspace_prefix_reach_the_processor_one_at_a_time(pulumi_mocks) -> None:
    harness = pulumi_mocks("prod")
    build(harness, args())
    notification = harness.one("aws:s3/bucketNotification:BucketNotification")
    (queue_rule,) = notification.inputs["queues"]
    assert queue_rule["filterPrefix"] == "workspaces/" and queue_rule["events"] == ["s3:ObjectCreated:*"]
    mapping = harness.one("aws:lambda/eventSourceMapping:EventSourceMapping")
    assert mapping.inputs["batchSize"] == 1
    assert mapping.inputs["functionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping.inputs["scalingConfig"] == {"maximumConcurrency": 4}


def test_both_functions_run_in_the_vpc_as_database_clients(pulumi_mocks) -> None:
    harness = pulumi_mocks("prod")
    build(harness, args())
    functions = {f.name: f for f in harness.of_type(FUNCTION)}
    assert set(functions) == {"rag-rag-function", "rag-doc-processor-function"}
    for function in functions.values():
        assert function.inputs["vpcConfig"] == {"subnetIds": ["subnet-a", "subnet-b"],
                                                "securityGroupIds": ["sg-0123"]}
        env = function.inputs["environment"]["variables"]
        assert env["DB_USER"] == "chatbot_app" and env["DB_PORT"] == "5433" and "DB_PASSWORD" not in env
        assert env["EMBEDDING_MODELS"] == "amazon.titan-embed-text-v2:0,cohere.embed-english-v3"
    processor_env = functions["rag-doc-processor-function"].inputs["environment"]["variables"]
    assert processor_env["UPLOAD_FORMATS"] == "pdf,txt" and processor_env["INGEST_MAX_RECEIVES"] == "5"
    assert processor_env["MAX_UPLOAD_BYTES"] == str(25 * 1024 * 1024)


def test_each_role_gets_only_what_it_uses(pulumi_mocks) -> None:
    harness = pulumi_mocks("prod")
    build(harness, args())
    connect = f"arn:aws:rds-db:{MOCK_REGION}:{ACCOUNT_ID}:dbuser:cluster-ABCDEFGHIJKL/chatbot_app"
    models = [f"arn:aws:bedrock:{MOCK_REGION}::foundation-model/amazon.titan-embed-text-v2:0",
              f"arn:aws:bedrock:{MOCK_REGION}::foundation-model/cohere.embed-english-v3"]

    rag = role_statements(harness, "rag")
    assert rag["ConnectAsAppUser"]["Resource"] == [connect]
    assert rag["EmbedWithAllowedModels"]["Resource"] == models
    assert rag["EmbedWithAllowedModels"]["Action"] == ["bedrock:InvokeModel"]
    assert rag["ListWorkspaceObjects"]["Condition"] == {"StringLike": {"s3:prefix": ["workspaces/*"]}}
    assert rag["DeleteWorkspaceObjects"]["Resource"] == ["arn:aws:s3:::uploads-bucket/workspaces/*"]
    assert "ReadUploads" not in rag and "ConsumeAndContinue" not in rag

    processor = role_statements(harness, "doc-processor")
    assert processor["ReadUploads"]["Action"] == ["s3:GetObject"]
    assert processor["ReadUploads"]["Resource"] == ["arn:aws:s3:::uploads-bucket/workspaces/*"]
    queue_arn = f"arn:aws:sqs:{MOCK_REGION}:{ACCOUNT_ID}:chatbot-prod-ingest"
    assert processor["ConsumeAndContinue"]["Resource"] == [queue_arn]
    assert processor["QueueKeyThroughSqs"]["Condition"] == {
        "StringEquals": {"kms:ViaService": f"sqs.{MOCK_REGION}.amazonaws.com"}}
    assert "DeleteWorkspaceObjects" not in processor
    assert processor["ListWorkspaceObjects"]["Condition"] == {"StringLike": {"s3:prefix": ["workspaces/*"]}}
    for statements in (rag, processor):
        assert statements["AttachToVpc"]["Resource"] == [f"arn:aws:ec2:{MOCK_REGION}:{ACCOUNT_ID}:*/*"]
        for sid, statement in statements.items():
            if statement["Resource"] == ["*"]:
                assert sid in ("DescribeVpcNetworkInterfaces",), sid


@pytest.mark.parametrize("field, value, message", [
    ("embedding_models", (), "embedding_models must name"),
    ("upload_formats", (), "upload_formats must allow"),
    ("upload_formats", ("pdf,txt",), "must not contain commas"),
    ("processor_concurrency", 1, "processor_concurrency must be 2..1000"),
    ("max_receive_count", 0, "max_receive_count must be 1..1000"),
])
def test_bad_arguments_are_refused(field: str, value: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        args(**{field: value})
