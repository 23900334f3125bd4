"""Fixtures for rules/dynamodb.py: the chat sessions table on a customer managed key, as at preview."""

from ..harness import UNKNOWN
from . import DELETE, Baseline, Resource, ref

KEY = "aws:kms/key:Key"
TABLE = "aws:dynamodb/table:Table"
REPLICA = "aws:dynamodb/tableReplica:TableReplica"
PITR, CMK = "dynamodb-point-in-time-recovery", "dynamodb-customer-managed-key"
REPLICA_KEY = "arn:aws:kms:us-east-1:111122223333:key/3f1b2c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"


def _resources(stack: str) -> tuple[Resource, ...]:
    return (
        Resource(KEY, "data-key", {"enableKeyRotation": True, "description": "chat data"}),
        Resource(TABLE, "sessions", {
            "billingMode": "PAY_PER_REQUEST",
            "hashKey": "SessionId",
            "rangeKey": "UserId",
            "attributes": [{"name": "SessionId", "type": "S"}, {"name": "UserId", "type": "S"}],
            "pointInTimeRecovery": {"enabled": True},
            "serverSideEncryption": {"enabled": True, "kmsKeyArn": UNKNOWN},
            "deletionProtectionEnabled": True,
        }, property_dependencies={"serverSideEncryption": [ref(KEY, "data-key", stack)]}),
    )


BASE = Baseline(_resources("prod"))
DEV = Baseline(_resources("dev"), stack="dev")
NO_KEY = Baseline(tuple(r for r in BASE.resources if r.type != KEY))
REQUIRED = {"stack-profile": {"customerManagedKeys": "required"}}
GOOD_REPLICA = Resource(REPLICA, "sessions-us", {
    "globalTableArn": UNKNOWN, "pointInTimeRecovery": True, "kmsKeyArn": REPLICA_KEY,
})

CASES = [
    # SEC-BACKUPS (DynamoDB)
    BASE.case(PITR),
    BASE.mutate(PITR, "recovery off", "sessions", "pointInTimeRecovery.enabled", False, level="mandatory",
                message="pointInTimeRecovery.enabled"),
    BASE.mutate(PITR, "recovery unset", "sessions", "pointInTimeRecovery", DELETE),
    BASE.mutate(PITR, "unknown at preview", "sessions", "pointInTimeRecovery.enabled", UNKNOWN,
                expect="not-evaluated"),
    BASE.mutate(PITR, "inline replica without recovery", "sessions", "replicas",
                [{"regionName": "us-east-1", "kmsKeyArn": REPLICA_KEY}], message="replicas[0]"),
    BASE.mutate(PITR, "inline replica with recovery", "sessions", "replicas",
                [{"regionName": "us-east-1", "kmsKeyArn": REPLICA_KEY, "pointInTimeRecovery": True}],
                expect="pass"),
    BASE.plus(PITR, "TableReplica with recovery", GOOD_REPLICA, expect="pass"),
    BASE.plus(PITR, "TableReplica without recovery", Resource(REPLICA, "sessions-us", {
        "globalTableArn": UNKNOWN, "kmsKeyArn": REPLICA_KEY}), message="TableReplica"),
    DEV.mutate(PITR, "advisory on dev", "sessions", "pointInTimeRecovery.enabled", False, level="advisory"),
    # SEC-CMK-AT-REST (DynamoDB)
    BASE.case(CMK, "key ARN unknown at preview is enough"),
    BASE.mutate(CMK, "AWS owned key", "sessions", "serverSideEncryption", DELETE, level="mandatory",
                message="serverSideEncryption.enabled is not true"),
    BASE.mutate(CMK, "AWS managed key", "sessions", "serverSideEncryption.kmsKeyArn", DELETE,
                message="kmsKeyArn is not a customer managed key"),
    BASE.mutate(CMK, "alias/aws/dynamodb", "sessions", "serverSideEncryption.kmsKeyArn",
                "arn:aws:kms:eu-west-1:111122223333:alias/aws/dynamodb"),
    BASE.mutate(CMK, "encryption switched off", "sessions", "serverSideEncryption.enabled", False),
    BASE.mutate(CMK, "inline replica without a key", "sessions", "replicas",
                [{"regionName": "us-east-1", "pointInTimeRecovery": True}], message="replicas[0].kmsKeyArn"),
    BASE.plus(CMK, "TableReplica with a key", GOOD_REPLICA, expect="pass"),
    BASE.plus(CMK, "TableReplica without a key", Resource(REPLICA, "sessions-us", {
        "globalTableArn": UNKNOWN, "pointInTimeRecovery": True}), message="sessions-us"),
    NO_KEY.mutate(CMK, "no CMK in the stack: not required", "sessions", "serverSideEncryption", DELETE,
                  expect="pass"),
    NO_KEY.mutate(CMK, "required by pack config", "sessions", "serverSideEncryption", DELETE,
                  config=REQUIRED),
    DEV.mutate(CMK, "advisory on dev", "sessions", "serverSideEncryption", DELETE, level="advisory"),
]
