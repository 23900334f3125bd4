"""Customer managed KMS keys, one per data class, with rotation and a least-privilege key policy."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components.aws_context import AwsContext
from components.naming import resource_name

# The account root may administer the key but not use it; usage is granted separately and narrowly.
ADMIN_ACTIONS: tuple[str, ...] = (
    "kms:Create*",
    "kms:Describe*",
    "kms:Enable*",
    "kms:List*",
    "kms:Put*",
    "kms:Update*",
    "kms:Revoke*",
    "kms:Disable*",
    "kms:Get*",
    "kms:Delete*",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:ScheduleKeyDeletion",
    "kms:CancelKeyDeletion",
    "kms:RotateKeyOnDemand",
)
USAGE_ACTIONS: tuple[str, ...] = (
    "kms:Encrypt",
    "kms:Decrypt",
    "kms:ReEncrypt*",
    "kms:GenerateDataKey*",
    "kms:DescribeKey",
)


@dataclass(frozen=True)
class ClassGrants:
    """Who may use a key of one data class, besides administrators."""

    via_services: tuple[str, ...] = ()  # account principals may use the key only through these services
    logs_service: bool = False  # CloudWatch Logs encrypts log groups of this account with it
    cloudfront_read: bool = False  # CloudFront (OAC) may decrypt objects of this account's buckets
    s3_event_notifications: bool = False  # S3 may send this account's bucket events to encrypted queues


DATA_CLASS_GRANTS: dict[str, ClassGrants] = {
    "data": ClassGrants(
        # aoss, kendra and sagemaker: the optional retrieval engines and self-hosted model endpoints.
        via_services=("s3", "dynamodb", "sqs", "sns", "secretsmanager", "bedrock", "rds", "aoss", "kendra",
                      "sagemaker"),
        cloudfront_read=True,
        s3_event_notifications=True,
    ),
    "logs": ClassGrants(logs_service=True),
}


def key_policy(account_id: str, partition: str, region: str, data_class: str) -> dict[str, Any]:
    """The key policy document for one data class (pure, so it is tested without Pulumi)."""
    grants = DATA_CLASS_GRANTS[data_class]
    root = f"arn:{partition}:iam::{account_id}:root"
    statements: list[dict[str, Any]] = [
        {
            "Sid": "KeyAdministration",
            "Effect": "Allow",
            "Principal": {"AWS": root},
            "Action": list(ADMIN_ACTIONS),
            "Resource": "*",
        }
    ]
    if grants.via_services:
        statements.append(
            {
                "Sid": "UseThroughAwsServices",
                "Effect": "Allow",
                "Principal": {"AWS": root},
                "Action": list(USAGE_ACTIONS),
                "Resource": "*",
                "Condition": {
                    "StringEquals": {
                        "kms:CallerAccount": account_id,
                        "kms:ViaService": [f"{svc}.{region}.amazonaws.com" for svc in grants.via_services],
                    }
                },
            }
        )
    if grants.logs_service:
        statements.append(
            {
                "Sid": "CloudWatchLogs",
                "Effect": "Allow",
                "Principal": {"Service": f"logs.{region}.amazonaws.com"},
                "Action": list(USAGE_ACTIONS),
                "Resource": "*",
                "Condition": {
                    "ArnLike": {
                        "kms:EncryptionContext:aws:logs:arn": f"arn:{partition}:logs:{region}:{account_id}:*"
                    }
                },
            }
        )
    if grants.cloudfront_read:
        # Conditioned on the account, not a distribution ARN: the distribution depends on the bucket,
        # so naming it here would create a dependency cycle.
        statements.append(
            {
                "Sid": "CloudFrontOriginAccessControlRead",
                "Effect": "Allow",
                "Principal": {"Service": "cloudfront.amazonaws.com"},
                "Action": ["kms:Decrypt"],
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
            }
        )
    if grants.s3_event_notifications:
        # S3 encrypts the event messages it sends to an SSE-KMS queue (the ingestion queue) with this key.
        statements.append(
            {
                "Sid": "S3EventNotificationsToEncryptedQueues",
                "Effect": "Allow",
                "Principal": {"Service": "s3.amazonaws.com"},
                "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}


@dataclass(frozen=True)
class KeysArgs:
    prefix: str
    stack: str
    data_classes: tuple[str, ...]
    retain: bool
    region: str

    def __post_init__(self) -> None:
        unknown = [c for c in self.data_classes if c not in DATA_CLASS_GRANTS]
        if unknown:
            raise ValueError(f"unknown data classes {unknown}; known: {sorted(DATA_CLASS_GRANTS)}")
        if not self.data_classes or len(set(self.data_classes)) != len(self.data_classes):
            raise ValueError(f"data_classes must be non-empty and unique, got {self.data_classes!r}")


class Keys(pulumi.ComponentResource):
    """One symmetric, rotating CMK (plus alias) per data class."""

    key_arns: dict[str, pulumi.Output[str]]
    keys: dict[str, aws.kms.Key]

    def __init__(self, name: str, args: KeysArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("chatbot:keys:Keys", name, None, opts)
        context = AwsContext.of(self)
        account_id, partition = context.account_id, context.partition

        self.keys = {}
        self.key_arns = {}
        for data_class in args.data_classes:
            policy = pulumi.Output.all(account_id, partition).apply(
                lambda ap, dc=data_class: json.dumps(key_policy(ap[0], ap[1], args.region, dc))
            )
            key = aws.kms.Key(
                f"{name}-{data_class}",
                description=f"{args.prefix} {args.stack}: {data_class} encryption key",
                customer_master_key_spec="SYMMETRIC_DEFAULT",
                key_usage="ENCRYPT_DECRYPT",
                enable_key_rotation=True,
                deletion_window_in_days=30 if args.retain else 7,
                policy=policy,
                opts=pulumi.ResourceOptions(parent=self, protect=args.retain, retain_on_delete=args.retain),
            )
            aws.kms.Alias(
                f"{name}-{data_class}-alias",
                name=f"alias/{resource_name(args.prefix, args.stack, data_class, max_length=250)}",
                target_key_id=key.key_id,
                opts=pulumi.ResourceOptions(parent=self),
            )
            self.keys[data_class] = key
            self.key_arns[data_class] = key.arn

        self.register_outputs({"key_arns": self.key_arns})
