"""WebCrawler: outside any VPC, a role that may only register documents through the rag service and put
pages under workspaces/ (KMS only through S3), the crawl limits in its environment, bounded concurrency
and no retries of a failed crawl."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pytest

from components.web_crawler import HANDLER, TIMEOUT_SECONDS, WebCrawler, WebCrawlerArgs

from .conftest import ACCOUNT_ID, MOCK_REGION, Harness

KMS = f"arn:aws:kms:{MOCK_REGION}:{ACCOUNT_ID}:key/data"
LOGS_KMS = f"arn:aws:kms:{MOCK_REGION}:{ACCOUNT_ID}:key/logs"
FUNCTION = "aws:lambda/function:Function"
POLICY = "aws:iam/rolePolicy:RolePolicy"
INVOKE_CONFIG = "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig"
RAG_FUNCTION = "chatbot-prod-rag"
BUCKET = "chatbot-prod-uploads"


def args(**overrides: Any) -> WebCrawlerArgs:
    values: dict[str, Any] = dict(
        prefix="chatbot", stack="prod", region=MOCK_REGION, code=pulumi.AssetArchive({}),
        rag_function_name=RAG_FUNCTION, uploads_bucket_name=BUCKET, uploads_kms_key_arn=KMS,
        allowed_domains=("docs.example.com", "support.example.com"), max_pages=200, min_interval_ms=1500,
        feeds=True, max_upload_bytes=25 * 1024 * 1024, log_retention_days=365, logs_kms_key_arn=LOGS_KMS,
        retain=True, xray_tracing=False,
    )
    values.update(overrides)
    return WebCrawlerArgs(**values)


def build(harness: Harness, crawler_args: WebCrawlerArgs) -> str:
    return harness.run(lambda: WebCrawler("rag-crawler", crawler_args).function.function_name)


def statements(harness: Harness) -> dict[str, dict[str, Any]]:
    policy = harness.one(POLICY, "rag-crawler-function-policy")
    return {s["Sid"]: s for s in harness.policy(policy)["Statement"]}


def test_the_crawler_runs_outside_the_vpc_with_its_limits(pulumi_mocks) -> None:
    harness = pulumi_mocks("prod")
    name = build(harness, args())
    (function,) = harness.of_type(FUNCTION)
    assert name == function.inputs["name"] == "chatbot-prod-web-crawler" == args().function_name
    assert "vpcConfig" not in function.inputs  # it needs the internet and nothing inside the VPC
    assert function.inputs["handler"] == HANDLER and function.inputs["timeout"] == TIMEOUT_SECONDS == 900
    assert function.inputs["reservedConcurrentExecutions"] == 2
    assert function.inputs["environment"]["variables"] == {
        "RAG_FUNCTION_NAME": RAG_FUNCTION,
        "UPLOADS_BUCKET": BUCKET,
        "CRAWLER_ALLOWED_DOMAINS": "docs.example.com,support.example.com",
        "CRAWLER_MAX_PAGES": "200",
        "CRAWLER_MIN_INTERVAL_MS": "1500",
        "CRAWLER_FEEDS": "true",
        "MAX_UPLOAD_BYTES": str(25 * 1024 * 1024),
        "UPLOADS_KMS_KEY_ARN": KMS,
    }


def test_a_failed_crawl_is_not_retried(pulumi_mocks) -> None:
    harness = pulumi_mocks("prod")
    name = build(harness, args(max_concurrent_crawls=3))
    config = harness.one(INVOKE_CONFIG)
    assert config.inputs["functionName"] == name
    assert config.inputs["maximumRetryAttempts"] == 0
    assert config.inputs["maximumEventAgeInSeconds"] == 900
    assert harness.one(FUNCTION).inputs["reservedConcurrentExecutions"] == 3


def test_the_role_registers_documents_and_puts_pages_under_workspaces_only(pulumi_mocks) -> None:
    harness = pulumi_mocks("prod")
    build(harness, args())
    granted = statements(harness)
    assert set(granted) == {"OwnLogGroup", "RegisterDocuments", "PutCrawledPages", "UploadsKeyThroughS3"}
    assert granted["RegisterDocuments"] == {
        "Sid": "RegisterDocuments", "Effect": "Allow", "Action": ["lambda:InvokeFunction"],
        "Resource": [f"arn:aws:lambda:{MOCK_REGION}:{ACCOUNT_ID}:function:{RAG_FUNCTION}"]}
    assert granted["PutCrawledPages"] == {
        "Sid": "PutCrawledPages", "Effect": "Allow", "Action": ["s3:PutObject"],
        "Resource": [f"arn:aws:s3:::{BUCKET}/workspaces/*"]}
    assert granted["UploadsKeyThroughS3"] == {
        "Sid": "UploadsKeyThroughS3", "Effect": "Allow", "Action": ["kms:GenerateDataKey"], "Resource": [KMS],
        "Condition": {"StringEquals": {"kms:ViaService": f"s3.{MOCK_REGION}.amazonaws.com"}}}
    assert granted["OwnLogGroup"]["Resource"] == [
        f"arn:aws:logs:{MOCK_REGION}:{ACCOUNT_ID}:log-group:/aws/lambda/chatbot-prod-web-crawler:*"]
    # No read, list or delete of anything, no database, no VPC attachment.
    document = json.dumps(list(granted.values()))
    for action in ("s3:GetObject", "s3:DeleteObject", "s3:ListBucket", "rds-db:connect", "ec2:"):
        assert action not in document


def test_dev_crawler_without_cmk_gets_no_kms_statement(pulumi_mocks) -> None:
    harness = pulumi_mocks("dev")
    build(harness, args(stack="dev", uploads_kms_key_arn=None, logs_kms_key_arn=None, retain=False,
                        allowed_domains=(), feeds=False, xray_tracing=True))
    granted = statements(harness)
    assert set(granted) == {"OwnLogGroup", "XRayTraces", "RegisterDocuments", "PutCrawledPages"}
    env = harness.one(FUNCTION).inputs["environment"]["variables"]
    assert env["CRAWLER_ALLOWED_DOMAINS"] == "" and env["CRAWLER_FEEDS"] == "false"
    assert "UPLOADS_KMS_KEY_ARN" not in env


@pytest.mark.parametrize("field, value", [
    ("max_pages", 0), ("max_pages", 1001),
    ("min_interval_ms", 199), ("min_interval_ms", 60_001),
    ("allowed_domains", ("docs.example.com/private",)), ("allowed_domains", ("a.example.com,b.example.com",)),
    ("max_concurrent_crawls", 0), ("max_concurrent_crawls", 11),
])
def test_bad_arguments_are_refused_naming_the_field(field: str, value: Any) -> None:
    with pytest.raises(ValueError, match=f"^{field} must"):
        args(**{field: value})
