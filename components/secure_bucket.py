"""An S3 bucket that is private, encrypted, versioned, TLS-only and access-logged, with no way to opt out."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

# Every bucket logs under this prefix of the access-log bucket; its policy admits S3 log delivery only here.
ACCESS_LOG_PREFIX = "s3-access-logs/"
_PURPOSE = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")


@dataclass(frozen=True)
class SecureBucketArgs:
    """`kms_key_arn` None means SSE-S3; `access_log_bucket` None means this *is* the access-log bucket."""

    purpose: str
    kms_key_arn: pulumi.Input[str] | None
    access_log_bucket: pulumi.Input[str] | None
    retain: bool
    defer_policy: bool = False

    def __post_init__(self) -> None:
        if not _PURPOSE.match(self.purpose):
            raise ValueError(f"purpose must match {_PURPOSE.pattern}, got {self.purpose!r}")
        if self.is_access_log_bucket and self.kms_key_arn is not None:
            # S3 server access logging cannot deliver to a bucket whose default encryption is SSE-KMS.
            raise ValueError(
                "the access-log bucket (access_log_bucket=None) must use SSE-S3 (kms_key_arn=None)"
            )

    @property
    def is_access_log_bucket(self) -> bool:
        return self.access_log_bucket is None


_RuleArgs = aws.s3.BucketServerSideEncryptionConfigurationRuleArgs
_ByDefaultArgs = aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs


def _encryption_rule(kms_key_arn: pulumi.Input[str] | None) -> _RuleArgs:
    if kms_key_arn is None:
        return _RuleArgs(
            apply_server_side_encryption_by_default=_ByDefaultArgs(sse_algorithm="AES256"),
            blocked_encryption_types=["SSE-C"],
        )
    return _RuleArgs(
        apply_server_side_encryption_by_default=_ByDefaultArgs(
            sse_algorithm="aws:kms", kms_master_key_id=kms_key_arn
        ),
        bucket_key_enabled=True,  # fewer KMS calls: cheaper and less throttling
        blocked_encryption_types=["SSE-C"],
    )


class SecureBucket(pulumi.ComponentResource):
    bucket: aws.s3.Bucket
    bucket_name: pulumi.Output[str]
    arn: pulumi.Output[str]
    regional_domain_name: pulumi.Output[str]
    public_access_block: aws.s3.BucketPublicAccessBlock
    policy: aws.s3.BucketPolicy | None

    def __init__(self, name: str, args: SecureBucketArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("chatbot:storage:SecureBucket", name, None, opts)
        self._name = name
        self._args = args
        self.policy = None

        self.bucket = aws.s3.Bucket(
            f"{name}-bucket",
            force_destroy=not args.retain,  # dev stacks must be destroyable with objects inside
            tags={"purpose": args.purpose},
            opts=pulumi.ResourceOptions(parent=self, protect=args.retain, retain_on_delete=args.retain),
        )
        bucket_name = self.bucket.bucket
        child = pulumi.ResourceOptions(parent=self)
        self.public_access_block = aws.s3.BucketPublicAccessBlock(
            f"{name}-public-access-block",
            bucket=bucket_name,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=child,
        )
        aws.s3.BucketOwnershipControls(
            f"{name}-ownership",
            bucket=bucket_name,
            rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-encryption",
            bucket=bucket_name,
            rules=[_encryption_rule(args.kms_key_arn)],
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.s3.BucketVersioning(
            f"{name}-versioning",
            bucket=bucket_name,
            versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(status="Enabled"),
            opts=pulumi.ResourceOptions(parent=self),
        )
        if args.access_log_bucket is not None:
            aws.s3.BucketLogging(
                f"{name}-access-logging",
                bucket=bucket_name,
                target_bucket=args.access_log_bucket,
                target_prefix=f"{ACCESS_LOG_PREFIX}{args.purpose}/",
                target_object_key_format=aws.s3.BucketLoggingTargetObjectKeyFormatArgs(
                    partitioned_prefix=aws.s3.BucketLoggingTargetObjectKeyFormatPartitionedPrefixArgs(
                        partition_date_source="EventTime"
                    )
                ),
                opts=pulumi.ResourceOptions(parent=self),
            )

        self.bucket_name = bucket_name
        self.arn = self.bucket.arn
        self.regional_domain_name = self.bucket.bucket_regional_domain_name
        if not args.defer_policy:
            self.attach_policy()
        self.register_outputs(
            {
                "bucket_name": self.bucket_name,
                "arn": self.arn,
                "regional_domain_name": self.regional_domain_name,
            }
        )

    def _base_statements(self) -> list[dict[str, Any]]:
        statements: list[dict[str, Any]] = [
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [self.arn, pulumi.Output.concat(self.arn, "/*")],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ]
        if self._args.is_access_log_bucket:
            account_id = aws.get_caller_identity_output(opts=pulumi.InvokeOptions(parent=self)).account_id
            statements.append(
                {
                    "Sid": "S3ServerAccessLogDelivery",
                    "Effect": "Allow",
                    "Principal": {"Service": "logging.s3.amazonaws.com"},
                    "Action": "s3:PutObject",
                    "Resource": pulumi.Output.concat(self.arn, f"/{ACCESS_LOG_PREFIX}*"),
                    "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
                }
            )
        return statements

    def attach_policy(self, extra_statements: Sequence[Mapping[str, Any]] = ()) -> aws.s3.BucketPolicy:
        """Create the bucket policy: the TLS-only deny (+ log delivery) plus `extra_statements`. Once only."""
        if self.policy is not None:
            raise RuntimeError(f"{self._name}: the bucket policy is already attached")
        document = pulumi.Output.json_dumps(
            {"Version": "2012-10-17", "Statement": [*self._base_statements(), *map(dict, extra_statements)]}
        )
        self.policy = aws.s3.BucketPolicy(
            f"{self._name}-policy",
            bucket=self.bucket_name,
            policy=document,
            # S3 aborts concurrent configuration changes on one bucket (OperationAborted), so order them.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.public_access_block]),
        )
        return self.policy
