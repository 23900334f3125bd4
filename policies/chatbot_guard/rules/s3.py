"""S3: every bucket has a public access block with all four flags on (part of SEC-S3-BASELINE).

A stack policy, because the block is a separate resource. Both bucket tokens are covered: tools that
check only one of them miss buckets.
"""

from __future__ import annotations

from functools import partial

from pulumi_policy import PolicyResource, ReportViolation, StackValidationArgs
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError

from ..metadata import Equivalents, RuleMeta, stack_policy
from ..props import Known, Unknown, check_all, known, lookup, require_known

BUCKETS = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
FLAGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")

META = RuleMeta(
    name="s3-public-access-block",
    description="Every S3 bucket has a public access block with all four settings enabled.",
    severity="critical",
    catalogue_level="all",
    catalogue_ids=("SEC-S3-BASELINE",),
    resource_types=(*BUCKETS, BLOCK),
    remediation=(
        "Create an aws.s3.BucketPublicAccessBlock with bucket=<bucket>.id and blockPublicAcls, "
        "blockPublicPolicy, ignorePublicAcls and restrictPublicBuckets all true."
    ),
    url="https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html",
    equivalents=Equivalents(
        cdk_nag=("AwsSolutions-S2",),
        pdk_nag=("AwsPrototyping-S3BucketLevelPublicAccessProhibited",),
        checkov=("CKV_AWS_53", "CKV_AWS_54", "CKV_AWS_55", "CKV_AWS_56"),
    ),
)


def _targets(block: PolicyResource, bucket: PolicyResource) -> bool | None:
    """Does ``block`` apply to ``bucket``? ``None`` when its bucket name is not known yet."""
    if any(dep.urn == bucket.urn for dep in block.property_dependencies.get("bucket", [])):
        return True
    ref = lookup(block.props, "bucket")
    if isinstance(ref, Unknown):
        return None
    names = {known(bucket.props, "bucket"), known(bucket.props, "id")} - {None, ""}
    return isinstance(ref, Known) and ref.value in names


def _off_flags(block: PolicyResource) -> list[str]:
    # A flag left unset defaults to false in AWS.
    return [flag for flag in FLAGS if require_known(block.props, flag, False) is not True]


def _check_bucket(
    bucket: PolicyResource, blocks: list[PolicyResource], report: ReportViolation
) -> None:
    verdicts = [(block, _targets(block, bucket)) for block in blocks]
    matches = [block for block, verdict in verdicts if verdict]
    undecided = [block for block, verdict in verdicts if verdict is None]
    problems: list[str] = []
    pending: UnknownValueError | None = None
    for block in matches:
        try:
            off = _off_flags(block)
        except UnknownValueError as error:
            pending = pending or error
            continue
        if not off:
            return
        problems.append(f"{block.name} leaves {', '.join(off)} off")
    if pending is not None:
        raise pending
    if not matches and undecided:
        # Some block's bucket is unknown and not linked by a dependency: decide during `pulumi up`.
        raise UnknownValueError(UNKNOWN_STRING_VALUE, [undecided[0].name, "bucket"])
    detail = "; ".join(problems) if problems else "no aws.s3.BucketPublicAccessBlock refers to it"
    report(f"Bucket {bucket.name} is not fully protected from public access: {detail}.", bucket.urn)


def validate(args: StackValidationArgs, report: ReportViolation) -> None:
    blocks = [r for r in args.resources if r.resource_type == BLOCK]
    buckets = [r for r in args.resources if r.resource_type in BUCKETS]
    check_all(*(partial(_check_bucket, bucket, blocks, report) for bucket in buckets))


POLICIES = [stack_policy(META, validate)]
