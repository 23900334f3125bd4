"""S3 tokens and how a bucket is linked to the resources that configure it.

Shared by the S3 rule modules (``s3.py``, ``s3_transport.py``) and ``encryption.py`` (SSE-KMS with a
CMK). No ``POLICIES`` here: this module holds no rule.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial

from pulumi_policy import PolicyResource, ReportViolation, StackValidationArgs

from .. import links
from ..links import Links, values_at
from ..props import check_all, is_present, known

BUCKET, BUCKET_V2 = "aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"
BUCKETS = (BUCKET, BUCKET_V2)
BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
ENCRYPTION_CONFIGS = (
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
)
LOGGING_CONFIGS = ("aws:s3/bucketLogging:BucketLogging", "aws:s3/bucketLoggingV2:BucketLoggingV2")
FLAGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")

# Where each bucket token keeps its inline settings: (property-dependency key, path).
INLINE_ENCRYPTION = {
    BUCKET: "serverSideEncryptionConfiguration.rule.applyServerSideEncryptionByDefault",
    BUCKET_V2: "serverSideEncryptionConfigurations[0].rules[0].applyServerSideEncryptionByDefaults[0]",
}
INLINE_LOGGING = {
    BUCKET: ("logging", "logging.targetBucket"),
    BUCKET_V2: ("loggings", "loggings[0].targetBucket"),
}
_CONFIG_ENCRYPTION = "rules[0].applyServerSideEncryptionByDefault"
S3_URL = "https://docs.aws.amazon.com/AmazonS3/latest/userguide"
# A resource refers to a bucket by its name (``bucket``) or id, which are the same for S3.
BUCKET_ATTRS = ("bucket", "id")
Resources = list[PolicyResource]


def bucket_names(bucket: PolicyResource) -> set[str]:
    return {known(bucket.props, "bucket"), known(bucket.props, "id")} - {None, ""}


def refers_to(resource: PolicyResource, key: str, path: str, bucket: PolicyResource) -> bool | None:
    """Does ``resource``'s ``path`` name ``bucket``? ``None`` when the name is unknown and not linked.

    Only a dependency on another bucket rules ``bucket`` out: a name computed from, say, a random
    suffix may still be this bucket's.
    """
    return links.refers_to(
        resource, key, bucket, BUCKET_ATTRS, values=values_at(resource.props, path), deciding_types=BUCKETS
    )


def linked(
    resources: Iterable[PolicyResource], types: Iterable[str], bucket: PolicyResource, key: str = "bucket"
) -> Links:
    return links.linked(resources, types, bucket, key, BUCKET_ATTRS, deciding_types=BUCKETS)


@dataclass(frozen=True)
class EncryptionDefault:
    """One applyServerSideEncryptionByDefault block that applies to a bucket."""

    source: str
    resource: PolicyResource
    path: str


def encryption_defaults(
    bucket: PolicyResource, resources: Resources
) -> tuple[list[EncryptionDefault], Links]:
    found = []
    inline = INLINE_ENCRYPTION[bucket.resource_type]
    if is_present(bucket.props, inline):
        found.append(EncryptionDefault(f"{bucket.name} (inline)", bucket, inline))
    config_links = linked(resources, ENCRYPTION_CONFIGS, bucket)
    found += [EncryptionDefault(r.name, r, _CONFIG_ENCRYPTION) for r in config_links.matches]
    return found, config_links


def is_log_target(bucket: PolicyResource, resources: Resources) -> bool | None:
    """Is ``bucket`` a server access log destination? ``None`` when some destination is not known yet."""
    verdicts = []
    for resource in resources:
        if resource.resource_type in LOGGING_CONFIGS:
            verdicts.append(refers_to(resource, "targetBucket", "targetBucket", bucket))
        elif resource.resource_type in BUCKETS and resource.urn != bucket.urn:
            key, path = INLINE_LOGGING[resource.resource_type]
            if is_present(resource.props, path):
                verdicts.append(refers_to(resource, key, path, bucket))
    if any(verdicts):
        return True
    return None if None in verdicts else False


def each_bucket(
    check: Callable[[PolicyResource, Resources, ReportViolation], None],
) -> Callable[[StackValidationArgs, ReportViolation], None]:
    """A stack validation that runs ``check`` on every bucket (unknowns re-raised after all ran)."""

    def validate(args: StackValidationArgs, report: ReportViolation) -> None:
        resources = list(args.resources)
        buckets = [r for r in resources if r.resource_type in BUCKETS]
        check_all(*(partial(check, bucket, resources, report) for bucket in buckets))

    return validate
