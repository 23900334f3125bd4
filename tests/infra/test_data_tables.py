"""DataTables: the app's key schema, backups, encryption, retention, TTL, and the uploads bucket."""

import pulumi
import pytest

from components.data_tables import TABLE_NAMES, DataTables, DataTablesArgs, check_origin

from .conftest import ACCOUNT_ID, Harness

TABLE = "aws:dynamodb/table:Table"
CORS = "aws:s3/bucketCorsConfiguration:BucketCorsConfiguration"
KMS_ARN = f"arn:aws:kms:eu-west-1:{ACCOUNT_ID}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
ORIGIN = "https://chat.example.com"


def build(harness: Harness, args: DataTablesArgs) -> dict:
    def program() -> pulumi.Output:
        tables = DataTables("data", args)
        return pulumi.Output.all(names=tables.table_names, arns=tables.table_arns,
                                 bucket=tables.uploads_bucket.bucket_name)

    return harness.run(program)


def tables_by_role(harness: Harness) -> dict:
    return {r.name.removeprefix("data-"): r for r in harness.of_type(TABLE)}


def test_every_table_has_the_app_key_schema_and_backups(pulumi_mocks) -> None:
    harness = pulumi_mocks("prod")
    out = build(harness, DataTablesArgs(KMS_ARN, "logs-bucket", ORIGIN, retain=True))

    tables = tables_by_role(harness)
    assert set(tables) == set(TABLE_NAMES) == {"sessions", "connections", "settings", "usage", "audit"}
    for table in tables.values():
        inputs = table.inputs
        assert inputs["hashKey"] == "pk" and inputs["rangeKey"] == "sk"
        assert sorted(inputs["attributes"], key=lambda a: a["name"]) == [
            {"name": "pk", "type": "S"}, {"name": "sk", "type": "S"}]
        assert inputs["billingMode"] == "PAY_PER_REQUEST"
        assert inputs["pointInTimeRecovery"] == {"enabled": True}
        assert inputs["serverSideEncryption"] == {"enabled": True, "kmsKeyArn": KMS_ARN}
        assert "name" not in inputs  # auto-named: a replacement never collides with the old table
    assert set(out["names"]) == set(out["arns"]) == set(TABLE_NAMES)
    assert out["arns"]["audit"].endswith("table/data-audit")
    assert out["bucket"] == "data-uploads-bucket-a1b2c3"


def test_ttl_only_on_expiring_tables(pulumi_mocks) -> None:
    harness = pulumi_mocks("dev")
    build(harness, DataTablesArgs(None, "logs-bucket", ORIGIN, retain=False))
    ttl = {role: t.inputs.get("ttl") for role, t in tables_by_role(harness).items()}
    assert ttl == {
        "sessions": None, "settings": None, "audit": None,
        "connections": {"attributeName": "expiresAt", "enabled": True},
        "usage": {"attributeName": "expiresAt", "enabled": True},
    }


def test_without_a_cmk_tables_use_the_aws_owned_key_and_the_bucket_sse_s3(pulumi_mocks) -> None:
    harness = pulumi_mocks("dev")
    build(harness, DataTablesArgs(None, "logs-bucket", ORIGIN, retain=False))
    for table in harness.of_type(TABLE):
        assert table.inputs["serverSideEncryption"] == {"enabled": False}
        assert table.inputs["pointInTimeRecovery"] == {"enabled": True}  # backups stay on in dev
    rule = harness.one(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    ).inputs["rules"][0]
    assert rule["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "AES256"}


@pytest.mark.parametrize(("retain", "stack"), [(True, "prod"), (False, "dev")])
def test_retention_follows_settings(pulumi_mocks, retain: bool, stack: str) -> None:
    harness = pulumi_mocks(stack)
    build(harness, DataTablesArgs(KMS_ARN, "logs-bucket", ORIGIN, retain=retain))
    for table in harness.of_type(TABLE):
        assert (table.protect, table.retain_on_delete) == (retain, retain)
        assert table.inputs["deletionProtectionEnabled"] is retain
    bucket = harness.one("aws:s3/bucket:Bucket")
    assert (bucket.protect, bucket.inputs["forceDestroy"]) == (retain, not retain)


def test_uploads_bucket_is_a_secure_bucket_with_a_cmk_and_access_logs(pulumi_mocks) -> None:
    harness = pulumi_mocks("prod")
    build(harness, DataTablesArgs(KMS_ARN, "logs-bucket", ORIGIN, retain=True))
    rule = harness.one(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    ).inputs["rules"][0]
    assert rule["applyServerSideEncryptionByDefault"] == {
        "sseAlgorithm": "aws:kms", "kmsMasterKeyId": KMS_ARN}
    logging = harness.one("aws:s3/bucketLogging:BucketLogging").inputs
    assert logging["targetBucket"] == "logs-bucket" and logging["targetPrefix"].endswith("uploads/")
    block = harness.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").inputs
    assert all(block[k] is True for k in
               ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"))
    secure = harness.one("chatbot:storage:SecureBucket")
    assert secure.parent.endswith("chatbot:storage:DataTables::data")


def test_cors_admits_presigned_post_from_the_website_origin_only(pulumi_mocks) -> None:
    harness = pulumi_mocks("prod")
    build(harness, DataTablesArgs(KMS_ARN, "logs-bucket", ORIGIN, retain=True))
    cors = harness.one(CORS)
    assert cors.inputs["bucket"] == "data-uploads-bucket-a1b2c3"
    (rule,) = cors.inputs["corsRules"]
    assert rule["allowedMethods"] == ["POST"]
    assert rule["allowedOrigins"] == [ORIGIN]
    assert "allowedHeaders" not in rule  # a form post needs none; never "*"


def test_cors_origin_may_come_from_an_output(pulumi_mocks) -> None:
    harness = pulumi_mocks("dev")
    origin = pulumi.Output.from_input("https://d111111abcdef8.cloudfront.net")
    build(harness, DataTablesArgs(None, "logs-bucket", origin, retain=False))
    assert harness.one(CORS).inputs["corsRules"][0]["allowedOrigins"] == ["https://d111111abcdef8.cloudfront.net"]


@pytest.mark.parametrize("origin", [
    "*", "http://chat.example.com", "https://*.example.com", "https://chat.example.com/", "https://a.com/x",
    "https://Chat.example.com", "",
])
def test_origin_must_be_one_explicit_https_origin(origin: str) -> None:
    with pytest.raises(ValueError, match="upload_origin"):
        DataTablesArgs(None, "logs-bucket", origin, retain=False)


def test_origin_with_a_port_is_accepted() -> None:
    assert check_origin("https://localhost:8443") == "https://localhost:8443"


def test_cors_can_be_deferred_until_the_website_origin_exists(pulumi_mocks) -> None:
    harness = pulumi_mocks("prod")

    def program() -> pulumi.Output:
        tables = DataTables("data", DataTablesArgs(KMS_ARN, "logs-bucket", None, retain=True))
        assert tables.uploads_cors is None
        tables.allow_uploads_from(pulumi.Output.from_input(ORIGIN))
        with pytest.raises(RuntimeError, match="already called"):
            tables.allow_uploads_from(ORIGIN)
        return tables.uploads_bucket.bucket_name

    harness.run(program)
    (rule,) = harness.one(CORS).inputs["corsRules"]
    assert rule["allowedOrigins"] == [ORIGIN]
