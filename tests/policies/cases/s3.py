"""Fixtures for rules/s3.py: what the SecureBucket component registers (a documents bucket logging to an
access-log bucket), plus one mutation per failure mode and a case per twin token. The TLS-only bucket
policy cases (rules/s3_transport.py) are in s3_transport.py."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from ..harness import UNKNOWN
from . import DELETE, Baseline, Resource, ref

BUCKET, BUCKET_V2 = "aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"
BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
POLICY = "aws:s3/bucketPolicy:BucketPolicy"
SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
SSE_V2 = "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2"
LOGGING = "aws:s3/bucketLogging:BucketLogging"
LOGGING_V2 = "aws:s3/bucketLoggingV2:BucketLoggingV2"
KEY = "aws:kms/key:Key"
KEY_ARN = "arn:aws:kms:eu-west-1:123456789012:key/0b5c2d4e-1111-2222-3333-444455556666"
FLAGS = dict.fromkeys(
    ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"), True
)


def tls_statement(name: str, **changes: Any) -> dict[str, Any]:
    arn = f"arn:aws:s3:::{name}"
    return {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [arn, f"{arn}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        **changes,
    }


def document(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def sse_rule(algorithm: str, key: str | None = None) -> dict[str, Any]:
    default = {"sseAlgorithm": algorithm, **({"kmsMasterKeyId": key} if key else {})}
    return {
        "applyServerSideEncryptionByDefault": default,
        "bucketKeyEnabled": key is not None,
        "blockedEncryptionTypes": ["SSE-C"],
    }


def secure_bucket(
    purpose: str, key: str | None, log_to: str | None, type_: str = BUCKET, stack: str = "prod"
) -> tuple[Resource, ...]:
    """The resources of one components.secure_bucket.SecureBucket (name = its bucket name)."""
    name = f"chatbot-{purpose}-1a2b3c"
    bucket = Resource(
        type_, purpose, {"bucket": name, "forceDestroy": False, "tags": {"purpose": purpose}}, protect=True
    )
    on = {"bucket": [ref(type_, purpose, stack)]}
    resources = [
        bucket,
        Resource(
            BLOCK, f"{purpose}-public-access-block", {"bucket": name, **FLAGS}, property_dependencies=on
        ),
        Resource(
            SSE,
            f"{purpose}-encryption",
            {"bucket": name, "rules": [sse_rule("aws:kms" if key else "AES256", key)]},
            property_dependencies=on,
        ),
        Resource(
            POLICY,
            f"{purpose}-policy",
            {"bucket": name, "policy": document(tls_statement(name))},
            property_dependencies=on,
        ),
    ]
    if log_to is not None:
        resources.append(
            Resource(
                LOGGING,
                f"{purpose}-access-logging",
                {
                    "bucket": name,
                    "targetBucket": f"chatbot-{log_to}-1a2b3c",
                    "targetPrefix": f"s3-access-logs/{purpose}/",
                },
                property_dependencies={**on, "targetBucket": [ref(BUCKET, log_to, stack)]},
            )
        )
    return tuple(resources)


def stack(stack_name: str = "prod", docs_type: str = BUCKET) -> Baseline:
    return Baseline(
        (
            Resource(KEY, "data-key", {"enableKeyRotation": True}, protect=True),
            *secure_bucket("access-logs", None, None, stack=stack_name),
            *secure_bucket("documents", KEY_ARN, "access-logs", docs_type, stack_name),
        ),
        stack=stack_name,
    )


BASE = stack()
DEV = stack("dev")
V2 = stack(docs_type=BUCKET_V2)
DOCS = "chatbot-documents-1a2b3c"


def variant(base: Baseline, name: str, deps: dict[str, list[str]] | None = None, **props: Any) -> Baseline:
    """``base`` with props of resource ``name`` changed and, when given, its property dependencies."""

    def change(r: Resource) -> Resource:
        if r.name != name:
            return r
        return replace(
            r,
            props={**r.props, **props},
            property_dependencies=r.property_dependencies if deps is None else deps,
        )

    return Baseline(tuple(map(change, base.resources)), stack=base.stack)


def inline(base: Baseline, drop: str, **props: Any) -> Baseline:
    """The documents bucket configured inline instead of by the separate resource ``drop``."""
    changed = variant(base, "documents", **props)
    return Baseline(tuple(r for r in changed.resources if r.name != drop), stack=base.stack)


PAB = "s3-public-access-block"
ENC = "s3-default-encryption"
LOGS = "s3-access-logging"

PUBLIC_ACCESS_CASES = [
    BASE.case(PAB),
    V2.case(PAB, "BucketV2 twin with its block"),
    BASE.without(
        PAB,
        "no block for the documents bucket",
        "documents-public-access-block",
        message="no aws.s3.BucketPublicAccessBlock refers to it",
        level="mandatory",
    ),
    V2.without(PAB, "BucketV2 twin without a block", "documents-public-access-block"),
    BASE.mutate(
        PAB,
        "blockPublicPolicy off",
        "documents-public-access-block",
        "blockPublicPolicy",
        False,
        message="leaves blockPublicPolicy off",
    ),
    BASE.mutate(
        PAB, "restrictPublicBuckets unset", "documents-public-access-block", "restrictPublicBuckets", DELETE
    ),
    BASE.mutate(
        PAB,
        "a flag unknown at preview",
        "documents-public-access-block",
        "ignorePublicAcls",
        UNKNOWN,
        expect="not-evaluated",
    ),
    BASE.mutate(
        PAB,
        "an unknown bucket name linked by dependency is enough",
        "documents-public-access-block",
        "bucket",
        UNKNOWN,
        expect="pass",
    ),
    DEV.without(PAB, "dev stacks are no exception", "documents-public-access-block", level="mandatory"),
    BASE.without(
        PAB,
        "a written suppression lists the bucket instead",
        "documents-public-access-block",
        expect="suppressed",
        config={
            "stack-profile": {
                "suppressions": [
                    {
                        "policy": PAB,
                        "urn": "*::documents",
                        "reason": "Public dataset bucket, reviewed 2024-11.",
                    }
                ]
            }
        },
    ),
]

BLOCK_SETTINGS = "s3-public-access-block-settings"
BLOCK_NAME = "documents-public-access-block"

BLOCK_SETTINGS_CASES = [
    BASE.case(BLOCK_SETTINGS),
    *(
        BASE.mutate(BLOCK_SETTINGS, f"{flag} false", BLOCK_NAME, flag, False, message=f"{flag} not true")
        for flag in FLAGS
    ),
    BASE.mutate(BLOCK_SETTINGS, "a flag left unset is false in AWS", BLOCK_NAME, "ignorePublicAcls", DELETE),
    BASE.mutate(
        BLOCK_SETTINGS,
        "flag unknown at preview",
        BLOCK_NAME,
        "blockPublicPolicy",
        UNKNOWN,
        expect="not-evaluated",
    ),
    DEV.mutate(
        BLOCK_SETTINGS, "dev stacks are no exception", BLOCK_NAME, "blockPublicAcls", False, level="mandatory"
    ),
    BASE.without(BLOCK_SETTINGS, "no block at all is the stack rule's business", BLOCK_NAME, expect="pass"),
]

V2_INLINE_SSE = {
    "serverSideEncryptionConfigurations": [
        {
            "rules": [
                {
                    "applyServerSideEncryptionByDefaults": [
                        {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": KEY_ARN}
                    ]
                }
            ]
        }
    ]
}

ENCRYPTION_CASES = [
    BASE.case(ENC),
    BASE.without(
        ENC, "no default encryption", "documents-encryption", message="S3 applies SSE-S3", level="mandatory"
    ),
    V2.without(ENC, "BucketV2 twin without default encryption", "documents-encryption"),
    inline(BASE, "documents-encryption", serverSideEncryptionConfiguration={"rule": sse_rule("AES256")}).case(
        ENC, "inline serverSideEncryptionConfiguration"
    ),
    inline(V2, "documents-encryption", **V2_INLINE_SSE).case(ENC, "inline BucketV2 configurations"),
    BASE.plus(
        ENC,
        "the V2 configuration resource counts",
        Resource(
            SSE_V2,
            "docs-sse-v2",
            {"bucket": DOCS, "rules": [sse_rule("AES256")]},
            property_dependencies={"bucket": [ref(BUCKET, "documents")]},
        ),
        expect="pass",
    ),
    variant(BASE, "documents-encryption", deps={}, bucket=UNKNOWN).case(
        ENC, "an unlinked configuration whose bucket is unknown: defer", expect="not-evaluated"
    ),
    variant(BASE, "documents-encryption", bucket=UNKNOWN).case(ENC, "an unknown but linked bucket name"),
]

LOGGING_CASES = [
    BASE.case(LOGS, "the access-log bucket itself is exempt"),
    BASE.without(
        LOGS,
        "documents bucket without access logging",
        "documents-access-logging",
        level="advisory",
        message="has no server access logging",
    ),
    V2.without(LOGS, "BucketV2 twin without access logging", "documents-access-logging"),
    inline(
        BASE,
        "documents-access-logging",
        logging={"targetBucket": "chatbot-access-logs-1a2b3c", "targetPrefix": "s3-access-logs/documents/"},
    ).case(LOGS, "inline logging, and its target is exempt"),
    inline(
        V2,
        "documents-access-logging",
        loggings=[
            {"targetBucket": "chatbot-access-logs-1a2b3c", "targetPrefix": "s3-access-logs/documents/"}
        ],
    ).case(LOGS, "inline BucketV2 loggings"),
    BASE.plus(
        LOGS,
        "BucketLoggingV2 counts",
        Resource(
            LOGGING_V2,
            "docs-logging-v2",
            {"bucket": DOCS, "targetBucket": "chatbot-access-logs-1a2b3c", "targetPrefix": "x/"},
            property_dependencies={"bucket": [ref(BUCKET, "documents")]},
        ),
        expect="pass",
    ),
]
LOGGING_CASES.append(
    variant(
        BASE, "documents-access-logging", deps={"bucket": [ref(BUCKET, "documents")]}, targetBucket=UNKNOWN
    ).case(LOGS, "a log destination unknown and unlinked: defer", expect="not-evaluated")
)

CASES = [*PUBLIC_ACCESS_CASES, *BLOCK_SETTINGS_CASES, *ENCRYPTION_CASES, *LOGGING_CASES]
