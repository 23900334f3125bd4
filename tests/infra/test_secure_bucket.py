"""SecureBucket: private, encrypted, versioned, TLS-only, access-logged; retention follows the stack."""

from typing import Any

import pytest

from components.secure_bucket import ACCESS_LOG_PREFIX, SecureBucket, SecureBucketArgs

from .conftest import ACCOUNT_ID, Harness

S3 = "aws:s3/"
KMS_ARN = f"arn:aws:kms:eu-west-1:{ACCOUNT_ID}:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def by_sid(harness: Harness, name: str) -> dict[str, dict[str, Any]]:
    policy = harness.policy(harness.one(f"{S3}bucketPolicy:BucketPolicy", f"{name}-policy"))
    return {s["Sid"]: s for s in policy["Statement"]}


def build(
    harness: Harness, args: SecureBucketArgs, extra: list[dict[str, Any]] | None = None
) -> SecureBucket:
    def program() -> SecureBucket:
        bucket = SecureBucket("b", args)
        if extra is not None:
            bucket.attach_policy(extra)
        return bucket

    return harness.run(program)


def test_data_bucket_baseline(pulumi_mocks) -> None:
    harness = pulumi_mocks("prod")
    build(harness, SecureBucketArgs("data", KMS_ARN, "logs-bucket", retain=True))

    block = harness.one(f"{S3}bucketPublicAccessBlock:BucketPublicAccessBlock").inputs
    assert all(
        block[k] is True
        for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    )
    ownership = harness.one(f"{S3}bucketOwnershipControls:BucketOwnershipControls").inputs
    assert ownership["rule"] == {"objectOwnership": "BucketOwnerEnforced"}
    rule = harness.one(
        f"{S3}bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    ).inputs["rules"][0]
    assert rule["applyServerSideEncryptionByDefault"] == {
        "sseAlgorithm": "aws:kms",
        "kmsMasterKeyId": KMS_ARN,
    }
    assert rule["bucketKeyEnabled"] is True
    assert rule["blockedEncryptionTypes"] == ["SSE-C"]
    versioning = harness.one(f"{S3}bucketVersioning:BucketVersioning").inputs
    assert versioning["versioningConfiguration"]["status"] == "Enabled"
    logging = harness.one(f"{S3}bucketLogging:BucketLogging").inputs
    assert logging["targetBucket"] == "logs-bucket"
    assert logging["targetPrefix"] == f"{ACCESS_LOG_PREFIX}data/"

    deny = by_sid(harness, "b")["DenyInsecureTransport"]
    assert deny["Effect"] == "Deny" and deny["Action"] == "s3:*"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert deny["Resource"] == ["arn:aws:s3:::b-bucket-a1b2c3", "arn:aws:s3:::b-bucket-a1b2c3/*"]


def test_access_log_bucket_uses_sse_s3_and_admits_log_delivery(pulumi_mocks) -> None:
    harness = pulumi_mocks("dev")
    build(harness, SecureBucketArgs("access-logs", None, None, retain=False))

    rule = harness.one(
        f"{S3}bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    ).inputs["rules"][0]
    assert rule["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "AES256"}
    assert harness.of_type(f"{S3}bucketLogging:BucketLogging") == []
    delivery = by_sid(harness, "b")["S3ServerAccessLogDelivery"]
    assert delivery["Principal"] == {"Service": "logging.s3.amazonaws.com"}
    assert delivery["Action"] == "s3:PutObject"
    assert delivery["Resource"] == f"arn:aws:s3:::b-bucket-a1b2c3/{ACCESS_LOG_PREFIX}*"
    assert delivery["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT_ID}}


def test_access_log_bucket_cannot_use_kms() -> None:
    with pytest.raises(ValueError, match="SSE-S3"):
        SecureBucketArgs("access-logs", KMS_ARN, None, retain=True)


def test_purpose_must_be_a_name() -> None:
    with pytest.raises(ValueError, match="purpose"):
        SecureBucketArgs("Data Bucket", None, "logs", retain=True)


@pytest.mark.parametrize(("retain", "stack"), [(True, "prod"), (False, "dev")])
def test_retention_follows_settings(pulumi_mocks, retain: bool, stack: str) -> None:
    harness = pulumi_mocks(stack)
    build(harness, SecureBucketArgs("data", None, "logs-bucket", retain=retain))
    bucket = harness.one(f"{S3}bucket:Bucket")
    assert (bucket.protect, bucket.retain_on_delete) == (retain, retain)
    assert bucket.inputs["forceDestroy"] is (not retain)
    assert bucket.inputs["tags"] == {"purpose": "data"}
    others = [r for r in harness.resources if r.custom and r.type != f"{S3}bucket:Bucket"]
    assert others and not any(r.protect or r.retain_on_delete for r in others)


def test_deferred_policy_is_attached_once_with_extra_statements(pulumi_mocks) -> None:
    harness = pulumi_mocks("dev")
    extra = {
        "Sid": "Extra",
        "Effect": "Allow",
        "Principal": {"Service": "cloudfront.amazonaws.com"},
        "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::b-bucket-a1b2c3/*",
    }
    build(harness, SecureBucketArgs("web", None, "logs-bucket", retain=False, defer_policy=True), [extra])
    assert set(by_sid(harness, "b")) == {"DenyInsecureTransport", "Extra"}


def test_attaching_the_policy_twice_fails(pulumi_mocks) -> None:
    harness = pulumi_mocks("dev")

    def program() -> None:
        bucket = SecureBucket("b", SecureBucketArgs("data", None, "logs-bucket", retain=False))
        with pytest.raises(RuntimeError, match="already attached"):
            bucket.attach_policy()

    harness.run(program)
    assert len(harness.of_type(f"{S3}bucketPolicy:BucketPolicy")) == 1
