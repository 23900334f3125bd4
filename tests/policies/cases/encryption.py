"""Fixtures for rules/encryption.py (SEC-CMK-AT-REST): a stack that creates a KMS key must use it."""

from __future__ import annotations

from ..harness import UNKNOWN
from . import DELETE, Baseline, Resource
from .s3 import BUCKET_V2, KEY, KEY_ARN, V2_INLINE_SSE, inline, secure_bucket, stack, variant

S3 = "s3-bucket-cmk"
LOGS = "log-group-cmk"
KENDRA = "kendra-index-cmk"
BEDROCK = "bedrock-cmk"
REQUIRED = {"stack-profile": {"customerManagedKeys": "required"}}
OPTIONAL = {"stack-profile": {"customerManagedKeys": "optional"}}

BASE = stack()
DEV = stack("dev")
V2 = stack(docs_type=BUCKET_V2)
ENCRYPTION = "documents-encryption"
DEFAULT = "rules.0.applyServerSideEncryptionByDefault"

S3_CASES = [
    BASE.case(S3, "documents on the CMK, the access-log bucket on SSE-S3"),
    V2.case(S3, "BucketV2 twin on the CMK"),
    BASE.mutate(
        S3,
        "SSE-S3 on a data bucket",
        ENCRYPTION,
        f"{DEFAULT}.sseAlgorithm",
        "AES256",
        level="mandatory",
        message="sseAlgorithm is 'AES256'",
    ),
    BASE.mutate(
        S3,
        "aws:kms with the AWS managed key",
        ENCRYPTION,
        f"{DEFAULT}.kmsMasterKeyId",
        "alias/aws/s3",
        message="names the AWS managed key",
    ),
    BASE.mutate(
        S3,
        "aws:kms without a key id uses aws/s3",
        ENCRYPTION,
        f"{DEFAULT}.kmsMasterKeyId",
        DELETE,
        message="is not set",
    ),
    BASE.mutate(
        S3,
        "a key ARN unknown at preview is present",
        ENCRYPTION,
        f"{DEFAULT}.kmsMasterKeyId",
        UNKNOWN,
        expect="pass",
    ),
    BASE.mutate(S3, "DSSE-KMS counts", ENCRYPTION, f"{DEFAULT}.sseAlgorithm", "aws:kms:dsse", expect="pass"),
    BASE.without(S3, "no default encryption at all", ENCRYPTION, message="declares no default encryption"),
    V2.without(S3, "BucketV2 twin without encryption", ENCRYPTION),
    inline(V2, ENCRYPTION, **V2_INLINE_SSE).case(S3, "BucketV2 inline SSE-KMS"),
    DEV.mutate(S3, "dev stacks: advisory", ENCRYPTION, f"{DEFAULT}.sseAlgorithm", "AES256", level="advisory"),
    Baseline(tuple(r for r in BASE.resources if r.type != KEY)).case(
        S3, "a stack without keys does not need them (auto)"
    ),
    Baseline(tuple(r for r in BASE.resources if r.type != KEY)).mutate(
        S3,
        "customerManagedKeys required without a key in the stack",
        ENCRYPTION,
        f"{DEFAULT}.sseAlgorithm",
        "AES256",
        config=REQUIRED,
    ),
    BASE.mutate(
        S3,
        "customerManagedKeys optional",
        ENCRYPTION,
        f"{DEFAULT}.sseAlgorithm",
        "AES256",
        config=OPTIONAL,
        expect="pass",
    ),
    BASE.without(
        S3,
        "a bucket that no longer receives access logs needs the CMK",
        "documents-access-logging",
        message="access-logs",
    ),
    variant(BASE, "documents-access-logging", deps={}, targetBucket=UNKNOWN).case(
        S3, "an unknown, unlinked log destination: defer the SSE-S3 bucket", expect="not-evaluated"
    ),
    BASE.plus(
        S3,
        "a second SSE-S3 bucket that logs elsewhere",
        *secure_bucket("feedback", None, "access-logs"),
        message="feedback",
    ),
]

GROUP = "aws:cloudwatch/logGroup:LogGroup"
INDEX = "aws:kendra/index:Index"
KEY_RESOURCE = Resource(KEY, "data-key", {"enableKeyRotation": True}, protect=True)


def with_key(*resources: Resource, stack_name: str = "prod") -> Baseline:
    return Baseline((KEY_RESOURCE, *resources), stack=stack_name)


LOG_BASE = with_key(
    Resource(GROUP, "api-logs", {"name": "/chatbot/api", "retentionInDays": 90.0, "kmsKeyId": KEY_ARN})
)
LOG_CASES = [
    LOG_BASE.case(LOGS),
    LOG_BASE.mutate(
        LOGS, "no kmsKeyId", "api-logs", "kmsKeyId", DELETE, level="mandatory", message="kmsKeyId is not set"
    ),
    LOG_BASE.mutate(LOGS, "key ARN unknown at preview", "api-logs", "kmsKeyId", UNKNOWN, expect="pass"),
    Baseline((LOG_BASE.resources[1],)).mutate(
        LOGS, "no key in the stack", "api-logs", "kmsKeyId", DELETE, expect="pass"
    ),
    Baseline(LOG_BASE.resources, stack="dev").mutate(
        LOGS, "dev: advisory", "api-logs", "kmsKeyId", DELETE, level="advisory"
    ),
]

INDEX_PROPS = {
    "name": "chatbot-docs",
    "edition": "DEVELOPER_EDITION",
    "roleArn": "arn:aws:iam::123456789012:role/k",
    "serverSideEncryptionConfiguration": {"kmsKeyId": KEY_ARN},
}
KENDRA_BASE = with_key(Resource(INDEX, "kendra", INDEX_PROPS, protect=True))
KENDRA_CASES = [
    KENDRA_BASE.case(KENDRA),
    KENDRA_BASE.mutate(
        KENDRA,
        "no server-side encryption configuration",
        "kendra",
        "serverSideEncryptionConfiguration",
        DELETE,
        message="kmsKeyId is not set",
    ),
    KENDRA_BASE.mutate(
        KENDRA,
        "AWS managed alias",
        "kendra",
        "serverSideEncryptionConfiguration.kmsKeyId",
        "alias/aws/kendra",
        message="AWS managed key",
    ),
    KENDRA_BASE.mutate(
        KENDRA,
        "key unknown at preview",
        "kendra",
        "serverSideEncryptionConfiguration.kmsKeyId",
        UNKNOWN,
        expect="pass",
    ),
]

GUARDRAIL = Resource(
    "aws:bedrock/guardrail:Guardrail",
    "guardrail",
    {
        "name": "chatbot",
        "blockedInputMessaging": "Sorry.",
        "blockedOutputsMessaging": "Sorry.",
        "contentPolicyConfig": {
            "filtersConfigs": [{"type": "HATE", "inputStrength": "HIGH", "outputStrength": "HIGH"}]
        },
        "kmsKeyArn": KEY_ARN,
    },
)
MODEL = Resource(
    "aws:bedrock/customModel:CustomModel",
    "tuned",
    {
        "customModelName": "tuned",
        "baseModelIdentifier": "amazon.titan-text-express-v1",
        "jobName": "tune",
        "roleArn": "arn:aws:iam::123456789012:role/b",
        "customModelKmsKeyId": KEY_ARN,
        "outputDataConfig": {"s3Uri": "s3://out/"},
        "trainingDataConfig": {"s3Uri": "s3://in/x.jsonl"},
        "hyperparameters": {"epochCount": "1"},
    },
)
AGENT = Resource(
    "aws:bedrock/agentAgent:AgentAgent",
    "agent",
    {
        "agentName": "chatbot",
        "agentResourceRoleArn": "arn:aws:iam::123456789012:role/a",
        "foundationModel": "anthropic.claude-3-haiku-20240307-v1:0",
        "customerEncryptionKeyArn": KEY_ARN,
    },
)
FLOW = Resource(
    "aws:bedrock/agentFlow:AgentFlow",
    "flow",
    {
        "name": "flow",
        "executionRoleArn": "arn:aws:iam::123456789012:role/f",
        "customerEncryptionKeyArn": KEY_ARN,
    },
)
PROMPT = Resource(
    "aws:bedrock/agentPrompt:AgentPrompt", "prompt", {"name": "p", "customerEncryptionKeyArn": KEY_ARN}
)
SOURCE = Resource(
    "aws:bedrock/agentDataSource:AgentDataSource",
    "source",
    {
        "name": "docs",
        "knowledgeBaseId": "KB12345678",
        "dataSourceConfiguration": {"type": "S3", "s3Configuration": {"bucketArn": "arn:aws:s3:::docs"}},
        "serverSideEncryptionConfiguration": {"kmsKeyArn": KEY_ARN},
    },
)
MEMORY = Resource(
    "aws:bedrock/agentcoreMemory:AgentcoreMemory",
    "memory",
    {"name": "memory", "eventExpiryDuration": 30.0, "encryptionKeyArn": KEY_ARN},
)
BEDROCK_BASE = with_key(GUARDRAIL, MODEL, AGENT, FLOW, PROMPT, SOURCE, MEMORY)
BEDROCK_CASES = [
    BEDROCK_BASE.case(BEDROCK),
    BEDROCK_BASE.mutate(
        BEDROCK,
        "guardrail without kmsKeyArn",
        "guardrail",
        "kmsKeyArn",
        DELETE,
        message="kmsKeyArn is not set",
        level="mandatory",
    ),
    BEDROCK_BASE.mutate(
        BEDROCK,
        "custom model without a key",
        "tuned",
        "customModelKmsKeyId",
        DELETE,
        message="customModelKmsKeyId",
    ),
    BEDROCK_BASE.mutate(BEDROCK, "agent without a key", "agent", "customerEncryptionKeyArn", DELETE),
    BEDROCK_BASE.mutate(BEDROCK, "flow without a key", "flow", "customerEncryptionKeyArn", DELETE),
    BEDROCK_BASE.mutate(BEDROCK, "prompt without a key", "prompt", "customerEncryptionKeyArn", DELETE),
    BEDROCK_BASE.mutate(
        BEDROCK,
        "data source without a key",
        "source",
        "serverSideEncryptionConfiguration",
        DELETE,
        message="serverSideEncryptionConfiguration.kmsKeyArn",
    ),
    BEDROCK_BASE.mutate(BEDROCK, "agent memory without a key", "memory", "encryptionKeyArn", DELETE),
    BEDROCK_BASE.mutate(
        BEDROCK, "agent key unknown at preview", "agent", "customerEncryptionKeyArn", UNKNOWN, expect="pass"
    ),
    Baseline(BEDROCK_BASE.resources, stack="dev").mutate(
        BEDROCK, "dev: advisory", "guardrail", "kmsKeyArn", DELETE, level="advisory"
    ),
]

CASES = [*S3_CASES, *LOG_CASES, *KENDRA_CASES, *BEDROCK_CASES]
