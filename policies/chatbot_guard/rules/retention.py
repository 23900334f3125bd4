"""Stateful resources survive `pulumi destroy` and accidental deletion (SEC-DATA-RETENTION).

The catalogue accepts the resource option ``protect`` or ``retainOnDelete``, but the engine sends a
policy pack only ``protect`` (AnalyzerResourceOptions has no retainOnDelete), so ``protect`` is what is
checked. On top of it, the service's own deletion protection where it has one. KMS keys always wait
7-30 days before deletion (deletionWindowInDays cannot go lower), so only ``protect`` is checked there.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from pulumi_policy import ReportViolation, ResourceValidationArgs

from ..metadata import Equivalents, RuleMeta, resource_policy
from ..props import check_all, require_known

BUCKETS = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
RDS = ("aws:rds/cluster:Cluster", "aws:rds/instance:Instance")
TABLE = "aws:dynamodb/table:Table"
STATEFUL = (
    *RDS,
    TABLE,
    *BUCKETS,
    "aws:opensearch/serverlessCollection:ServerlessCollection",
    "aws:kendra/index:Index",
    "aws:kms/key:Key",
)

# Token -> (property, value it must have, why).
_MUST_BE: Mapping[str, tuple[str, bool, str]] = {
    **{t: ("deletionProtection", True, "RDS refuses to delete the database") for t in RDS},
    TABLE: ("deletionProtectionEnabled", True, "DynamoDB refuses to delete the table"),
    **{t: ("forceDestroy", False, "deleting a bucket with objects fails, not empties it") for t in BUCKETS},
}

META = RuleMeta(
    name="stateful-resource-retention",
    description="Databases, tables, buckets, OpenSearch collections, Kendra indexes and KMS keys are "
    "protected from deletion: resource option protect plus the service's own deletion protection.",
    severity="high",
    catalogue_level="non-dev",
    catalogue_ids=("SEC-DATA-RETENTION",),
    resource_types=STATEFUL,
    remediation=(
        "Pass opts=pulumi.ResourceOptions(protect=True, retain_on_delete=True) (policy packs only see "
        "protect; retain_on_delete is invisible to them, so protect is required), and set "
        "deletion_protection=True (aws.rds.Cluster / aws.rds.Instance), deletion_protection_enabled=True "
        "(aws.dynamodb.Table), and "
        "leave force_destroy unset or False on buckets. Dev stacks may relax this (advisory there)."
    ),
    url="https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_DeleteInstance.html#USER_DeletionProtection",
    equivalents=Equivalents(cdk_nag=("AwsSolutions-RDS10",), checkov=("CKV_AWS_139", "CKV_AWS_293")),
)


def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
    def protect() -> None:
        if not args.opts.protect:
            report(
                "resource option protect is not set, so `pulumi destroy` (or a replacement) deletes it; "
                "set protect=True (retainOnDelete alone is not visible to policy packs).",
                None,
            )

    def service() -> None:
        rule = _MUST_BE.get(args.resource_type)
        if rule is None:
            return
        prop, wanted, why = rule
        value = require_known(args.props, prop, False) is True
        if value != wanted:
            state = "true" if value else "not true"
            report(f"{prop} is {state}; set it to {str(wanted).lower()} so that {why}.", None)

    checks: tuple[Callable[[], None], ...] = (protect, service)
    check_all(*checks)


POLICIES = [resource_policy(META, validate)]
