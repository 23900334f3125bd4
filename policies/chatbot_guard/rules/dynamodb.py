"""DynamoDB: point-in-time recovery (SEC-BACKUPS) and customer managed keys (SEC-CMK-AT-REST).

``aws:dynamodb/globalTable:GlobalTable`` (the 2017 global tables) only joins tables that are declared
as ``aws:dynamodb/table:Table`` resources of their own, which these rules check; it has no recovery or
encryption settings itself. ``aws:dynamodb/tableReplica:TableReplica`` creates a table and is checked.
"""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs, StackValidationArgs

from ..cmk import cmk_required, customer_managed_key_set
from ..metadata import Equivalents, RuleMeta, resource_policy, stack_policy
from ..props import Known, Unknown, check_all, lookup, require_known

TABLE = "aws:dynamodb/table:Table"
TABLE_REPLICA = "aws:dynamodb/tableReplica:TableReplica"
_DOCS = "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/"

PITR = RuleMeta(
    name="dynamodb-point-in-time-recovery",
    description=(
        "DynamoDB tables, their replicas (replicas[]) and TableReplica resources have point-in-time "
        "recovery enabled."
    ),
    severity="medium",
    catalogue_level="non-dev",
    catalogue_ids=("SEC-BACKUPS",),
    resource_types=(TABLE, TABLE_REPLICA),
    remediation=(
        "Set point_in_time_recovery=aws.dynamodb.TablePointInTimeRecoveryArgs(enabled=True) on the Table, "
        "point_in_time_recovery=True on each replicas[] entry and on aws.dynamodb.TableReplica."
    ),
    url=f"{_DOCS}PointInTimeRecovery.html",
    equivalents=Equivalents(
        cdk_nag=("AwsSolutions-DDB3",),
        pdk_nag=("AwsPrototyping-DynamoDBPITREnabled",),
        checkov=("CKV_AWS_28",),
    ),
)


def _replica_paths(args: ResourceValidationArgs) -> list[str]:
    replicas = require_known(args.props, "replicas", [])
    return [f"replicas[{i}]" for i in range(len(replicas))]


def validate_pitr(args: ResourceValidationArgs, report: ReportViolation) -> None:
    props = args.props
    if args.resource_type == TABLE_REPLICA:
        if require_known(props, "pointInTimeRecovery", False) is not True:
            report("pointInTimeRecovery is not true; set it to true on the TableReplica.", None)
        return

    def table() -> None:
        if require_known(props, "pointInTimeRecovery.enabled", False) is not True:
            report("pointInTimeRecovery.enabled is not true; enable point-in-time recovery.", None)

    def replicas() -> None:
        paths = _replica_paths(args)
        off = [p for p in paths if require_known(props, f"{p}.pointInTimeRecovery", False) is not True]
        if off:
            report(f"{', '.join(off)}: pointInTimeRecovery is not true; enable it on every replica.", None)

    check_all(table, replicas)


CMK = RuleMeta(
    name="dynamodb-customer-managed-key",
    description=(
        "When the stack uses customer managed keys (see stack-profile customerManagedKeys), every DynamoDB "
        "table and replica is encrypted with one (serverSideEncryption.enabled + kmsKeyArn), not the AWS "
        "owned or AWS managed aws/dynamodb key."
    ),
    severity="medium",
    catalogue_level="non-dev",
    catalogue_ids=("SEC-CMK-AT-REST",),
    resource_types=(TABLE, TABLE_REPLICA),
    remediation=(
        "Set server_side_encryption=aws.dynamodb.TableServerSideEncryptionArgs(enabled=True, "
        "kms_key_arn=<your aws.kms.Key>.arn), and kms_key_arn=<key in that region> on every replica."
    ),
    url=f"{_DOCS}EncryptionAtRest.html",
    equivalents=Equivalents(checkov=("CKV_AWS_119",)),
)


def _table_problems(props: object) -> list[str]:
    problems: list[str] = []
    enabled = lookup(props, "serverSideEncryption.enabled")
    # Enabled-but-unknown is rare; presence of a key ARN is what the CMK needs at preview.
    if not isinstance(enabled, Unknown) and not (isinstance(enabled, Known) and enabled.value is True):
        problems.append("serverSideEncryption.enabled is not true")
    if not customer_managed_key_set(props, "serverSideEncryption.kmsKeyArn"):
        problems.append("serverSideEncryption.kmsKeyArn is not a customer managed key")
    replicas = lookup(props, "replicas")
    count = len(replicas.value) if isinstance(replicas, Known) else 0
    problems += [
        f"replicas[{i}].kmsKeyArn is not a customer managed key"
        for i in range(count)
        if not customer_managed_key_set(props, f"replicas[{i}].kmsKeyArn")
    ]
    return problems


def validate_cmk(args: StackValidationArgs, report: ReportViolation) -> None:
    if not cmk_required(args):
        return
    for resource in args.resources:
        if resource.resource_type == TABLE:
            problems = _table_problems(resource.props)
        elif resource.resource_type == TABLE_REPLICA:
            ok = customer_managed_key_set(resource.props, "kmsKeyArn")
            problems = [] if ok else ["kmsKeyArn is not a customer managed key"]
        else:
            continue
        if problems:
            report(f"DynamoDB {resource.name}: {'; '.join(problems)}; use your KMS key's ARN.", resource.urn)


POLICIES = [resource_policy(PITR, validate_pitr), stack_policy(CMK, validate_cmk)]
