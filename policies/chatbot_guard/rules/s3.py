"""S3: the bucket baseline (SEC-S3-BASELINE) and server access logging (SEC-S3-ACCESS-LOGS).

Stack policies, because the public access block, default encryption and logging can each be a separate
resource; plus a resource rule on the public access block itself, which can remediate. Both bucket
tokens are covered: tools that check only one of them miss buckets. The TLS-only bucket policy is in
``s3_transport.py``; tokens and linking helpers in ``s3_common.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import PolicyResource, ReportViolation, ResourceValidationArgs
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError

from ..metadata import Equivalents, RuleMeta, resource_policy, stack_policy
from ..props import is_present, require_known, unwrap
from .s3_common import (
    BLOCK,
    BUCKETS,
    ENCRYPTION_CONFIGS,
    FLAGS,
    INLINE_LOGGING,
    LOGGING_CONFIGS,
    S3_URL,
    Resources,
    each_bucket,
    encryption_defaults,
    is_log_target,
    linked,
)

# ----- s3-public-access-block -----

PUBLIC_ACCESS_META = RuleMeta(
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
    url=f"{S3_URL}/access-control-block-public-access.html",
    equivalents=Equivalents(
        cdk_nag=("AwsSolutions-S2",),
        pdk_nag=("AwsPrototyping-S3BucketLevelPublicAccessProhibited",),
        checkov=("CKV_AWS_53", "CKV_AWS_54", "CKV_AWS_55", "CKV_AWS_56"),
    ),
)
META = PUBLIC_ACCESS_META  # the name the first version of this module exported


def _check_public_access(bucket: PolicyResource, resources: Resources, report: ReportViolation) -> None:
    links = linked(resources, (BLOCK,), bucket)
    problems: list[str] = []
    pending: UnknownValueError | None = None
    for block in links.matches:
        try:
            # A flag left unset defaults to false in AWS.
            off = [flag for flag in FLAGS if require_known(block.props, flag, False) is not True]
        except UnknownValueError as error:
            pending = pending or error
            continue
        if not off:
            return
        problems.append(f"{block.name} leaves {', '.join(off)} off")
    if pending is not None:
        raise pending
    if not links.matches:
        links.defer("bucket")
    detail = "; ".join(problems) if problems else "no aws.s3.BucketPublicAccessBlock refers to it"
    report(f"Bucket {bucket.name} is not fully protected from public access: {detail}.", bucket.urn)


# ----- s3-public-access-block-settings (the block resource itself; remediates) -----

BLOCK_SETTINGS_META = RuleMeta(
    name="s3-public-access-block-settings",
    description="Every S3 bucket public access block turns all four settings on.",
    severity="critical",
    catalogue_level="all",
    catalogue_ids=("SEC-S3-BASELINE",),
    resource_types=(BLOCK,),
    remediation=(
        "Set block_public_acls, block_public_policy, ignore_public_acls and restrict_public_buckets to True "
        "on the aws.s3.BucketPublicAccessBlock (set this policy to remediate to have Pulumi do it)."
    ),
    url=f"{S3_URL}/access-control-block-public-access.html",
    equivalents=Equivalents(checkov=("CKV_AWS_53", "CKV_AWS_54", "CKV_AWS_55", "CKV_AWS_56")),
)


def _flags_off(props: Any) -> tuple[list[str], UnknownValueError | None]:
    """The known flags that are not true (unset means false in AWS), and the first unknown one."""
    off: list[str] = []
    pending: UnknownValueError | None = None
    for flag in FLAGS:
        try:
            if require_known(props, flag, False) is not True:
                off.append(flag)
        except UnknownValueError as error:
            pending = pending or error
    return off, pending


def validate_block_settings(args: ResourceValidationArgs, report: ReportViolation) -> None:
    off, pending = _flags_off(args.props)
    if off:
        report(f"{', '.join(off)} not true; set all of {', '.join(FLAGS)} to true.", None)
    if pending is not None:
        raise pending


def remediate_block_settings(args: ResourceValidationArgs) -> Mapping[str, Any] | None:
    off, pending = _flags_off(args.props)
    if not off and pending is None:
        return None
    # Every flag ends up true whatever it was, so a flag unknown at preview needs no waiting.
    # The raw values keep their Secret wrappers, so secrets stay secret in the response.
    updated = dict(unwrap(args.props))
    updated.update(dict.fromkeys(FLAGS, True))
    return updated


# ----- s3-default-encryption -----

ENCRYPTION_META = RuleMeta(
    name="s3-default-encryption",
    description="Every S3 bucket declares its default encryption explicitly.",
    severity="medium",
    catalogue_level="all",
    catalogue_ids=("SEC-S3-BASELINE",),
    resource_types=(*BUCKETS, *ENCRYPTION_CONFIGS),
    remediation=(
        "Create an aws.s3.BucketServerSideEncryptionConfiguration for the bucket with rules[0]."
        "apply_server_side_encryption_by_default.sse_algorithm 'aws:kms' and kms_master_key_id=<CMK arn> "
        "('AES256' only for an access-log bucket)."
    ),
    url=f"{S3_URL}/default-bucket-encryption.html",
    equivalents=Equivalents(
        pdk_nag=("AwsPrototyping-S3DefaultEncryptionKMS",),
        checkov=("CKV_AWS_19", "CKV_AWS_145"),
    ),
)


def _check_encryption(bucket: PolicyResource, resources: Resources, report: ReportViolation) -> None:
    found, links = encryption_defaults(bucket, resources)
    if any(is_present(d.resource.props, f"{d.path}.sseAlgorithm") for d in found):
        return
    links.defer("bucket")
    report(
        f"Bucket {bucket.name} declares no default encryption: no serverSideEncryptionConfiguration and no "
        "aws.s3.BucketServerSideEncryptionConfiguration refers to it. S3 applies SSE-S3 to new objects "
        "anyway, but the catalogue asks for explicit default encryption (SSE-KMS with a CMK when the stack "
        "has customer managed keys) so that it is reviewed and cannot drift.",
        bucket.urn,
    )


# ----- s3-access-logging -----

LOGGING_META = RuleMeta(
    name="s3-access-logging",
    description="Every S3 bucket except an access-log destination has server access logging.",
    severity="low",
    catalogue_level="advisory",
    catalogue_ids=("SEC-S3-ACCESS-LOGS",),
    resource_types=(*BUCKETS, *LOGGING_CONFIGS),
    remediation=(
        "Create an aws.s3.BucketLogging with bucket=<bucket>.bucket, target_bucket=<access-log "
        "bucket>.bucket and a target_prefix per bucket; the access-log bucket itself is exempt."
    ),
    url=f"{S3_URL}/ServerLogs.html",
    equivalents=Equivalents(
        cdk_nag=("AwsSolutions-S1",),
        pdk_nag=("AwsPrototyping-S3BucketLoggingEnabled",),
        checkov=("CKV_AWS_18",),
    ),
)


def _check_logging(bucket: PolicyResource, resources: Resources, report: ReportViolation) -> None:
    _, inline = INLINE_LOGGING[bucket.resource_type]
    links = linked(resources, LOGGING_CONFIGS, bucket)
    if is_present(bucket.props, inline) or links.matches:
        return
    target = is_log_target(bucket, resources)
    if target:
        return
    links.defer("bucket")
    if target is None:
        raise UnknownValueError(UNKNOWN_STRING_VALUE, ["targetBucket"])
    report(
        f"Bucket {bucket.name} has no server access logging: no logging.targetBucket and no "
        "aws.s3.BucketLogging refers to it, and it is not an access-log destination itself.",
        bucket.urn,
    )


POLICIES = [
    stack_policy(PUBLIC_ACCESS_META, each_bucket(_check_public_access)),
    resource_policy(BLOCK_SETTINGS_META, validate_block_settings, remediate=remediate_block_settings),
    stack_policy(ENCRYPTION_META, each_bucket(_check_encryption)),
    stack_policy(LOGGING_META, each_bucket(_check_logging)),
]
