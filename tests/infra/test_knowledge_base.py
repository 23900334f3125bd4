"""KnowledgeBaseSecret + StackKnowledgeBase: an empty CMK-encrypted secret, a role only Bedrock may assume
for this account's knowledge bases, scoped statements, RDS storage through the Data API, an encrypted S3
data source under its prefix, and a knowledge base created only after the migration made its table."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from components.knowledge_base import (
    DATA_PREFIX,
    KnowledgeBaseSecret,
    KnowledgeBaseSecretArgs,
    StackKnowledgeBase,
    StackKnowledgeBaseArgs,
)

from . import conftest as infra
from .conftest import ACCOUNT_ID, Harness

KB = "aws:bedrock/agentKnowledgeBase:AgentKnowledgeBase"
SOURCE = "aws:bedrock/agentDataSource:AgentDataSource"
REGION = "eu-west-1"
KMS = f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/data"
CLUSTER = f"arn:aws:rds:{REGION}:{ACCOUNT_ID}:cluster:chatbot-prod-rag"
BUCKET = "chatbot-prod-uploads"
SECRET_ARN = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT_ID}:secret:chatbot-prod-kb-db-user-AbCdEf"


@pytest.fixture
def mocks(pulumi_mocks, monkeypatch: pytest.MonkeyPatch):
    """The shared harness, recording each registration's dependencies (URNs) too."""
    register = infra.RecordingMonitor.RegisterResource
    dependencies: dict[str, list[str]] = {}

    def recording(self: Any, request: Any) -> Any:
        response = register(self, request)
        dependencies[request.name] = list(request.dependencies)
        return response

    monkeypatch.setattr(infra.RecordingMonitor, "RegisterResource", recording)

    def start(stack: str, preview: bool = False) -> tuple[Harness, dict[str, list[str]]]:
        return pulumi_mocks(stack, preview=preview), dependencies

    return start


def kb_args(migration: pulumi.Resource, **overrides: Any) -> StackKnowledgeBaseArgs:
    values: dict[str, Any] = {
        "prefix": "chatbot", "stack": "prod", "region": REGION, "dev": False, "retain": True,
        "cluster_arn": CLUSTER, "database_name": "chatbot", "secret_arn": SECRET_ARN,
        "uploads_bucket_name": BUCKET, "table_ready": [migration], "kms_key_arn": KMS,
    }
    return StackKnowledgeBaseArgs(**{**values, **overrides})


def build(harness: Harness, **overrides: Any) -> dict[str, Any]:
    def program() -> pulumi.Output[dict[str, Any]]:
        # Stands in for AuroraVectorStore.migration (test_vector_store.py wires the real one).
        migration = aws.lambda_.Invocation("rag-db-migrate-run", function_name="chatbot-prod-db-migrate",
                                           input="{}")
        kb = StackKnowledgeBase("kb", kb_args(migration, **overrides))
        return pulumi.Output.all(
            id=kb.knowledge_base_id, arn=kb.knowledge_base_arn, source=kb.data_source_id,
            secret=kb.secret_arn,
            entry=kb.app_entry("Company handbook"), retrieve=kb.retrieve_statements(),
            ingest=kb.ingestion_statements(), prefix=kb.ingestion_prefix)

    return harness.run(program)


def statements(harness: Harness) -> dict[str, dict[str, Any]]:
    policy = harness.policy(harness.one("aws:iam/rolePolicy:RolePolicy", "kb-policy"))
    return {s["Sid"]: s for s in policy["Statement"]}


def test_only_bedrock_may_assume_the_role_for_this_accounts_knowledge_bases(mocks) -> None:
    harness, _ = mocks("prod")
    build(harness)
    trust = json.loads(harness.one("aws:iam/role:Role").inputs["assumeRolePolicy"])
    (statement,) = trust["Statement"]
    assert statement["Principal"] == {"Service": "bedrock.amazonaws.com"}
    assert statement["Action"] == "sts:AssumeRole"
    assert statement["Condition"] == {
        "StringEquals": {"aws:SourceAccount": ACCOUNT_ID},
        "ArnLike": {"aws:SourceArn": f"arn:aws:bedrock:{REGION}:{ACCOUNT_ID}:knowledge-base/*"}}


def test_the_role_reaches_exactly_its_model_cluster_secret_prefix_and_key(mocks) -> None:
    harness, _ = mocks("prod")
    build(harness)
    found = statements(harness)
    assert found["EmbedWithTheModel"]["Action"] == ["bedrock:InvokeModel"]
    assert found["EmbedWithTheModel"]["Resource"] == [
        f"arn:aws:bedrock:{REGION}::foundation-model/amazon.titan-embed-text-v2:0"]
    assert found["DescribeTheCluster"] == {"Sid": "DescribeTheCluster", "Effect": "Allow",
                                           "Action": ["rds:DescribeDBClusters"], "Resource": [CLUSTER]}
    assert found["QueryThroughDataApi"]["Action"] == ["rds-data:ExecuteStatement",
                                                      "rds-data:BatchExecuteStatement"]
    assert found["QueryThroughDataApi"]["Resource"] == [CLUSTER]
    assert found["ReadDatabaseCredentials"]["Action"] == ["secretsmanager:GetSecretValue"]
    assert found["ReadDatabaseCredentials"]["Resource"] == [SECRET_ARN]
    listing = found["ListDataSourcePrefix"]
    assert listing["Action"] == ["s3:ListBucket"] and listing["Resource"] == [f"arn:aws:s3:::{BUCKET}"]
    assert listing["Condition"]["StringLike"] == {"s3:prefix": [DATA_PREFIX, f"{DATA_PREFIX}*"]}
    assert found["ReadDataSourceObjects"]["Resource"] == [f"arn:aws:s3:::{BUCKET}/knowledge-base/*"]
    assert found["ReadDataSourceObjects"]["Action"] == ["s3:GetObject"]
    via = {sid: (s["Action"], s["Condition"]["StringEquals"]["kms:ViaService"])
           for sid, s in found.items() if sid in ("DecryptDataSourceObjects", "DecryptDatabaseCredentials",
                                                  "EncryptIngestionData")}
    assert via == {
        "DecryptDataSourceObjects": (["kms:Decrypt"], f"s3.{REGION}.amazonaws.com"),
        "DecryptDatabaseCredentials": (["kms:Decrypt"], f"secretsmanager.{REGION}.amazonaws.com"),
        "EncryptIngestionData": (["kms:Decrypt", "kms:GenerateDataKey"], f"bedrock.{REGION}.amazonaws.com"),
    }
    for statement in found.values():
        assert "*" not in statement["Resource"] and all(":*" not in a for a in statement["Action"])


def test_the_knowledge_base_stores_vectors_in_the_aurora_table(mocks) -> None:
    harness, dependencies = mocks("prod")
    build(harness, embedding_model="amazon.titan-embed-text-v2:0", dimension=512)
    record = harness.one(KB)
    kb = record.inputs
    assert kb["name"] == "chatbot-prod-kb" and kb["roleArn"].endswith("role/kb-role")
    vector = kb["knowledgeBaseConfiguration"]
    assert vector["type"] == "VECTOR"
    assert vector["vectorKnowledgeBaseConfiguration"]["embeddingModelArn"].endswith(
        "foundation-model/amazon.titan-embed-text-v2:0")
    assert vector["vectorKnowledgeBaseConfiguration"]["embeddingModelConfiguration"] == {
        "bedrockEmbeddingModelConfiguration": {"dimensions": 512, "embeddingDataType": "FLOAT32"}}
    storage = kb["storageConfiguration"]
    assert storage["type"] == "RDS"
    assert storage["rdsConfiguration"] == {
        "credentialsSecretArn": SECRET_ARN, "databaseName": "chatbot", "resourceArn": CLUSTER,
        "tableName": "bedrock_integration.bedrock_kb",
        "fieldMapping": {"primaryKeyField": "id", "vectorField": "embedding", "textField": "chunks",
                         "metadataField": "metadata", "customMetadataField": "custom_metadata"}}
    urns = {r.name: r.urn for r in harness.resources}
    assert {urns["rag-db-migrate-run"], urns["kb-policy"]} <= set(dependencies["kb-kb"])
    assert record.protect and record.retain_on_delete


def test_a_single_size_model_takes_no_dimension_setting(mocks) -> None:
    harness, _ = mocks("prod")
    build(harness, embedding_model="cohere.embed-english-v3", dimension=1024)
    vector = harness.one(KB).inputs["knowledgeBaseConfiguration"]["vectorKnowledgeBaseConfiguration"]
    assert "embeddingModelConfiguration" not in vector


def test_the_data_source_reads_its_prefix_and_encrypts_with_the_cmk(mocks) -> None:
    harness, _ = mocks("prod")
    out = build(harness)
    record = harness.one(SOURCE)
    source = record.inputs
    assert source["knowledgeBaseId"] == out["id"] == "kb-kb-id"
    assert source["dataSourceConfiguration"] == {"type": "S3", "s3Configuration": {
        "bucketArn": f"arn:aws:s3:::{BUCKET}", "inclusionPrefixes": ["knowledge-base/"]}}
    assert source["serverSideEncryptionConfiguration"] == {"kmsKeyArn": KMS}
    assert source["vectorIngestionConfiguration"]["chunkingConfiguration"] == {
        "chunkingStrategy": "FIXED_SIZE",
        "fixedSizeChunkingConfiguration": {"maxTokens": 300, "overlapPercentage": 20}}
    assert source["dataDeletionPolicy"] == "RETAIN" and record.protect


def test_outputs_feed_the_app_and_the_uploader(mocks) -> None:
    harness, _ = mocks("prod")
    out = build(harness)
    assert out["entry"] == {"id": "kb-kb-id", "name": "Company handbook", "region": REGION}
    assert out["secret"] == SECRET_ARN and out["prefix"] == "knowledge-base/" and out["source"]
    assert out["retrieve"] == [{"Sid": "RetrieveFromKnowledgeBases", "Effect": "Allow",
                                "Action": ["bedrock:Retrieve"], "Resource": [out["arn"]]}]
    upload, sync = out["ingest"]
    assert upload["Action"] == ["s3:PutObject"]
    assert upload["Resource"] == [f"arn:aws:s3:::{BUCKET}/knowledge-base/*"]
    assert sync["Action"] == ["bedrock:StartIngestionJob", "bedrock:GetIngestionJob"]
    assert sync["Resource"] == [out["arn"]]


def test_dev_without_a_cmk_cleans_up_after_itself(mocks) -> None:
    harness, _ = mocks("dev")
    build(harness, stack="dev", dev=True, retain=False, kms_key_arn=None)
    source = harness.one(SOURCE)
    assert "serverSideEncryptionConfiguration" not in source.inputs
    assert source.inputs["dataDeletionPolicy"] == "DELETE" and not source.protect
    assert not harness.one(KB).protect
    assert not any(sid.startswith(("Decrypt", "Encrypt")) for sid in statements(harness))


def test_the_secret_is_created_empty_under_the_cmk(mocks) -> None:
    harness, _ = mocks("prod")

    def program() -> pulumi.Output[str]:
        return KnowledgeBaseSecret("kb-secret", KnowledgeBaseSecretArgs(
            prefix="chatbot", stack="prod", dev=False, retain=True, kms_key_arn=KMS)).arn

    arn = harness.run(program)
    record = harness.one("aws:secretsmanager/secret:Secret")
    assert record.inputs["name"] == "chatbot-prod-kb-db-user" and record.inputs["kmsKeyId"] == KMS
    assert record.inputs["recoveryWindowInDays"] == 30 and record.protect
    assert arn.endswith("secret/kb-secret-secret")
    assert not harness.of_type("aws:secretsmanager/secretVersion:SecretVersion")  # no value in state


def test_preview_with_unknown_outputs_builds(mocks) -> None:
    harness, _ = mocks("prod", preview=True)
    build(harness)
    assert harness.one(KB).inputs["storageConfiguration"]["rdsConfiguration"]["resourceArn"] == CLUSTER


@pytest.mark.parametrize(("overrides", "fragment"), [
    ({"embedding_model": "amazon.titan-embed-g1-text-02"}, "embedding_model must be one of"),
    ({"dimension": 1536}, "dimension must be one of"),
    ({"embedding_model": "cohere.embed-english-v3", "dimension": 512}, "dimension must be one of"),
    ({"kms_key_arn": None}, "kms_key_arn is required outside dev"),
    ({"chunk_max_tokens": 10}, "chunk_max_tokens must be"),
    ({"chunk_overlap_percent": 0}, "chunk_overlap_percent must be"),
    ({"table_ready": []}, "table_ready must hold the store's migration"),
])
def test_impossible_arguments_are_refused(overrides: dict[str, Any], fragment: str) -> None:
    migration = pulumi.CustomResource.__new__(pulumi.CustomResource)  # never registered: validation only
    with pytest.raises(ValueError, match=fragment):
        kb_args(migration, **overrides)


def test_a_secret_without_a_cmk_is_refused_outside_dev() -> None:
    with pytest.raises(ValueError, match="kms_key_arn is required outside dev"):
        KnowledgeBaseSecretArgs(prefix="chatbot", stack="prod", dev=False, retain=True)
