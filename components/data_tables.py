"""The chat application's DynamoDB tables and its uploads bucket.

Every table has the application's key schema (string `pk` hash key, string `sk` range key), on-demand
billing (no idle cost), point-in-time recovery, and encryption with the data CMK when the stack has one
(else the AWS owned key). Tables whose items expire carry a TTL on `expiresAt` (epoch seconds).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.secure_bucket import SecureBucket, SecureBucketArgs

TABLE_NAMES: tuple[str, ...] = ("sessions", "connections", "settings", "usage", "audit")
TTL_TABLES: frozenset[str] = frozenset({"connections", "usage"})
HASH_KEY = "pk"
RANGE_KEY = "sk"
TTL_ATTRIBUTE = "expiresAt"
# Browsers upload with a presigned POST (a form post): no other method and no custom header is needed.
UPLOAD_METHODS: tuple[str, ...] = ("POST",)
UPLOAD_CORS_MAX_AGE_SECONDS = 3600
# An origin is scheme + host (+ port): no path, no wildcard, https only.
_ORIGIN = re.compile(r"^https://[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:\d{1,5})?$")


def check_origin(origin: str) -> str:
    """Return `origin` when it is one explicit https origin; raise ValueError otherwise."""
    if not _ORIGIN.match(origin):
        raise ValueError(
            f"upload_origin must be one https origin such as https://chat.example.com (lower case, no "
            f"path, no wildcard), got {origin!r}"
        )
    return origin


@dataclass(frozen=True)
class DataTablesArgs:
    """`kms_key_arn` None means the AWS owned key for tables and SSE-S3 for the uploads bucket (dev only).

    `upload_origin` is the website origin; it is the only origin the uploads bucket's CORS rule admits.
    None defers the rule to `allow_uploads_from` (the stack knows the origin only once the website exists,
    and the website's CSP needs the API, which needs these tables).
    """

    kms_key_arn: pulumi.Input[str] | None
    access_log_bucket: pulumi.Input[str]
    upload_origin: pulumi.Input[str] | None
    retain: bool

    def __post_init__(self) -> None:
        if isinstance(self.upload_origin, str):
            check_origin(self.upload_origin)  # fail at construction, not at deploy time


def _encryption(kms_key_arn: pulumi.Input[str] | None) -> aws.dynamodb.TableServerSideEncryptionArgs:
    if kms_key_arn is None:
        # enabled=False is the AWS owned key; enabled=True without a key would be aws/dynamodb, which
        # costs KMS calls without giving the account control over the key.
        return aws.dynamodb.TableServerSideEncryptionArgs(enabled=False)
    return aws.dynamodb.TableServerSideEncryptionArgs(enabled=True, kms_key_arn=kms_key_arn)


class DataTables(pulumi.ComponentResource):
    """Five tables (TABLE_NAMES) and a SecureBucket for uploads that only the website may POST to."""

    tables: dict[str, aws.dynamodb.Table]
    table_names: dict[str, pulumi.Output[str]]
    table_arns: dict[str, pulumi.Output[str]]
    uploads_bucket: SecureBucket
    uploads_cors: aws.s3.BucketCorsConfiguration | None

    def __init__(self, name: str, args: DataTablesArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("chatbot:storage:DataTables", name, None, opts)
        self.tables = {}
        for table in TABLE_NAMES:
            self.tables[table] = aws.dynamodb.Table(
                f"{name}-{table}",
                billing_mode="PAY_PER_REQUEST",
                hash_key=HASH_KEY,
                range_key=RANGE_KEY,
                attributes=[
                    aws.dynamodb.TableAttributeArgs(name=HASH_KEY, type="S"),
                    aws.dynamodb.TableAttributeArgs(name=RANGE_KEY, type="S"),
                ],
                point_in_time_recovery=aws.dynamodb.TablePointInTimeRecoveryArgs(enabled=True),
                server_side_encryption=_encryption(args.kms_key_arn),
                ttl=(
                    aws.dynamodb.TableTtlArgs(attribute_name=TTL_ATTRIBUTE, enabled=True)
                    if table in TTL_TABLES
                    else None
                ),
                deletion_protection_enabled=args.retain,
                tags={"purpose": table},
                opts=pulumi.ResourceOptions(parent=self, protect=args.retain, retain_on_delete=args.retain),
            )
        self.table_names = {table: t.name for table, t in self.tables.items()}
        self.table_arns = {table: t.arn for table, t in self.tables.items()}

        self.uploads_bucket = SecureBucket(
            f"{name}-uploads",
            SecureBucketArgs(
                purpose="uploads",
                kms_key_arn=args.kms_key_arn,
                access_log_bucket=args.access_log_bucket,
                retain=args.retain,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self._name = name
        self.uploads_cors = None
        if args.upload_origin is not None:
            self.allow_uploads_from(args.upload_origin)

        self.register_outputs(
            {
                "table_names": self.table_names,
                "table_arns": self.table_arns,
                "uploads_bucket_name": self.uploads_bucket.bucket_name,
            }
        )

    def allow_uploads_from(self, upload_origin: pulumi.Input[str]) -> aws.s3.BucketCorsConfiguration:
        """The uploads bucket's CORS rule: presigned POST from the website origin only. Once."""
        if self.uploads_cors is not None:
            raise RuntimeError("allow_uploads_from was already called")
        if isinstance(upload_origin, str):
            check_origin(upload_origin)
        origin = pulumi.Output.from_input(upload_origin).apply(check_origin)
        self.uploads_cors = aws.s3.BucketCorsConfiguration(
            f"{self._name}-uploads-cors",
            bucket=self.uploads_bucket.bucket_name,
            cors_rules=[
                aws.s3.BucketCorsConfigurationCorsRuleArgs(
                    id="presigned-post-from-website",
                    allowed_methods=list(UPLOAD_METHODS),
                    allowed_origins=[origin],
                    max_age_seconds=UPLOAD_CORS_MAX_AGE_SECONDS,
                )
            ],
            # S3 aborts concurrent configuration changes on one bucket (OperationAborted): go after the
            # bucket's last configuration, its policy.
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=[self.uploads_bucket.policy] if self.uploads_bucket.policy is not None else [],
            ),
        )
        return self.uploads_cors
