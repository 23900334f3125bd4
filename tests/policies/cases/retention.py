"""Fixtures for rules/retention.py (SEC-DATA-RETENTION): protect plus the service's deletion protection."""

from __future__ import annotations

from dataclasses import replace

from ..harness import UNKNOWN
from . import DELETE, Baseline, Case, Resource

RULE = "stateful-resource-retention"
CLUSTER = Resource(
    "aws:rds/cluster:Cluster",
    "vectors",
    {
        "engine": "aurora-postgresql",
        "engineMode": "provisioned",
        "storageEncrypted": True,
        "deletionProtection": True,
        "backupRetentionPeriod": 35.0,
        "skipFinalSnapshot": False,
    },
    protect=True,
)
INSTANCE = Resource(
    "aws:rds/instance:Instance",
    "legacy-db",
    {
        "engine": "postgres",
        "instanceClass": "db.t4g.micro",
        "allocatedStorage": 20.0,
        "deletionProtection": True,
        "storageEncrypted": True,
    },
    protect=True,
)
TABLE = Resource(
    "aws:dynamodb/table:Table",
    "sessions",
    {
        "billingMode": "PAY_PER_REQUEST",
        "hashKey": "id",
        "attributes": [{"name": "id", "type": "S"}],
        "deletionProtectionEnabled": True,
        "pointInTimeRecovery": {"enabled": True},
    },
    protect=True,
)
BUCKET = Resource(
    "aws:s3/bucket:Bucket",
    "documents",
    {"bucket": "chatbot-documents-1a2b3c", "forceDestroy": False},
    protect=True,
)
BUCKET_V2 = Resource(
    "aws:s3/bucketV2:BucketV2", "feedback", {"bucket": "chatbot-feedback-1a2b3c"}, protect=True
)
COLLECTION = Resource(
    "aws:opensearch/serverlessCollection:ServerlessCollection",
    "vectors-os",
    {"name": "chatbot", "type": "VECTORSEARCH"},
    protect=True,
)
INDEX = Resource(
    "aws:kendra/index:Index",
    "kendra",
    {"name": "chatbot", "edition": "DEVELOPER_EDITION", "roleArn": "arn:aws:iam::123456789012:role/k"},
    protect=True,
)
KEY = Resource(
    "aws:kms/key:Key", "data-key", {"enableKeyRotation": True, "deletionWindowInDays": 30.0}, protect=True
)
ALL = (CLUSTER, INSTANCE, TABLE, BUCKET, BUCKET_V2, COLLECTION, INDEX, KEY)
BASE = Baseline(ALL)
DEV = Baseline(ALL, stack="dev")


def unprotected(name: str, base: Baseline = BASE, **kwargs: object) -> Case:
    resources = tuple(replace(r, protect=False) if r.name == name else r for r in base.resources)
    expect = str(kwargs.pop("expect", "violation"))
    return Case(
        RULE,
        f"{name} without protect ({base.stack})",
        resources,
        expect,
        stack=base.stack,
        message=str(kwargs.pop("message", "protect is not set")),
        **kwargs,
    )  # type: ignore[arg-type]


CASES = [
    BASE.case(RULE),
    *(unprotected(r.name, level="mandatory") for r in ALL),  # one per token, twins included
    unprotected("vectors", DEV, level="advisory"),
    BASE.mutate(
        RULE,
        "Aurora deletionProtection off",
        "vectors",
        "deletionProtection",
        False,
        message="deletionProtection is not true",
    ),
    BASE.mutate(RULE, "RDS instance deletionProtection unset", "legacy-db", "deletionProtection", DELETE),
    BASE.mutate(
        RULE,
        "DynamoDB deletionProtectionEnabled off",
        "sessions",
        "deletionProtectionEnabled",
        False,
        message="deletionProtectionEnabled",
    ),
    BASE.mutate(
        RULE, "bucket forceDestroy", "documents", "forceDestroy", True, message="forceDestroy is true"
    ),
    BASE.mutate(RULE, "BucketV2 forceDestroy", "feedback", "forceDestroy", True),
    BASE.mutate(
        RULE,
        "deletion protection unknown at preview",
        "vectors",
        "deletionProtection",
        UNKNOWN,
        expect="not-evaluated",
    ),
    DEV.mutate(
        RULE, "dev stacks may destroy data (advisory)", "documents", "forceDestroy", True, level="advisory"
    ),
]
