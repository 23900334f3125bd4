"""AppFunction: arm64/python3.14, an owned JSON log group, and a role limited to what it is given."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pytest

from components.lambda_function import AppFunction, AppFunctionArgs, base_statements, check_statement

from .conftest import ACCOUNT_ID, MOCK_REGION, Harness

LOGS_KEY = "arn:aws:kms:us-east-1:111122223333:key/logs"
TABLE = f"arn:aws:dynamodb:us-east-1:{ACCOUNT_ID}:table/sessions"
GROUP_ARN = f"arn:aws:logs:{MOCK_REGION}:{ACCOUNT_ID}:log-group:/aws/lambda/chatbot-prod-rest"


def args(**overrides: Any) -> AppFunctionArgs:
    values: dict[str, Any] = {
        "prefix": "chatbot",
        "stack": "prod",
        "region": MOCK_REGION,
        "role": "rest",
        "handler": "chatbot_app.handlers.rest.handler",
        "code": pulumi.AssetArchive({}),
        "log_retention_days": 365,
        "logs_kms_key_arn": LOGS_KEY,
        "retain": True,
        "xray_tracing": True,
        "statements": [
            {"Sid": "Sessions", "Effect": "Allow", "Action": ["dynamodb:GetItem"], "Resource": [TABLE]}
        ],
        "environment": {"SESSIONS_TABLE": "sessions"},
    }
    return AppFunctionArgs(**{**values, **overrides})


def build(harness: Harness, function_args: AppFunctionArgs) -> None:
    harness.run(lambda: AppFunction("rest", function_args).function_name)


def statements(harness: Harness) -> dict[str, dict[str, Any]]:
    policy = harness.one("aws:iam/rolePolicy:RolePolicy")
    return {s["Sid"]: s for s in json.loads(policy.inputs["policy"])["Statement"]}


def test_function_runtime_logging_and_tracing(pulumi_mocks) -> None:
    harness = pulumi_mocks("prod")
    build(harness, args(reserved_concurrency=5))
    function = harness.one("aws:lambda/function:Function").inputs
    assert function["runtime"] == "python3.14" and function["architectures"] == ["arm64"]
    assert function["name"] == "chatbot-prod-rest"
    assert function["loggingConfig"] == {"logFormat": "JSON", "logGroup": "/aws/lambda/chatbot-prod-rest"}
    assert function["tracingConfig"] == {"mode": "Active"}
    assert function["reservedConcurrentExecutions"] == 5
    assert function["environment"] == {"variables": {"SESSIONS_TABLE": "sessions"}}
    group = harness.one("aws:cloudwatch/logGroup:LogGroup")
    assert group.inputs["name"] == "/aws/lambda/chatbot-prod-rest"
    assert group.inputs["retentionInDays"] == 365 and group.inputs["kmsKeyId"] == LOGS_KEY
    assert group.protect and group.retain_on_delete


def test_role_has_only_its_statements_and_its_own_log_group(pulumi_mocks) -> None:
    harness = pulumi_mocks("prod")
    build(harness, args())
    found = statements(harness)
    assert set(found) == {"OwnLogGroup", "XRayTraces", "Sessions"}
    assert found["OwnLogGroup"]["Action"] == ["logs:CreateLogStream", "logs:PutLogEvents"]
    assert found["OwnLogGroup"]["Resource"] == [f"{GROUP_ARN}:*"]
    assert found["Sessions"]["Resource"] == [TABLE]
    assert not harness.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")  # no managed policies
    role = harness.one("aws:iam/role:Role").inputs
    trust = json.loads(role["assumeRolePolicy"])["Statement"]
    assert trust == [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                      "Action": "sts:AssumeRole"}]
    assert "managedPolicyArns" not in role


def test_outputs_inside_statements_and_computed_statements_are_resolved(pulumi_mocks) -> None:
    harness = pulumi_mocks("prod")
    computed = pulumi.Output.from_input(TABLE).apply(
        lambda arn: [{"Sid": "Later", "Effect": "Allow", "Action": ["dynamodb:Query"], "Resource": [arn]}]
    )
    build(harness, args(
        statements=[{"Sid": "Now", "Effect": "Allow", "Action": ["dynamodb:PutItem"],
                     "Resource": [pulumi.Output.from_input(TABLE)]}],
        extra_statements=[computed],
    ))
    found = statements(harness)
    assert found["Now"]["Resource"] == [TABLE] and found["Later"]["Resource"] == [TABLE]


def test_dev_function_without_tracing_or_cmk(pulumi_mocks) -> None:
    harness = pulumi_mocks("dev")
    build(harness, args(stack="dev", xray_tracing=False, logs_kms_key_arn=None, retain=False,
                        log_retention_days=7, environment={}))
    function = harness.one("aws:lambda/function:Function").inputs
    assert function["tracingConfig"] == {"mode": "PassThrough"}
    assert "environment" not in function
    assert "XRayTraces" not in statements(harness)
    group = harness.one("aws:cloudwatch/logGroup:LogGroup")
    assert "kmsKeyId" not in group.inputs and not group.protect


def test_xray_is_the_only_star_resource() -> None:
    for statement in base_statements("arn:aws:logs:r:1:log-group:g", True):
        if statement["Resource"] == ["*"]:
            assert statement["Action"] == ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]


@pytest.mark.parametrize(
    "statement",
    [
        {"Sid": "a", "Effect": "Allow", "Action": ["*"], "Resource": ["x"]},
        {"Sid": "b", "Effect": "Allow", "Action": ["dynamodb:*"], "Resource": ["x"]},
        {"Sid": "c", "Effect": "Allow", "NotAction": ["s3:GetObject"], "Resource": ["x"]},
        {"Sid": "d", "Effect": "Deny", "Action": ["s3:GetObject"], "Resource": ["x"]},
        {"Sid": "e", "Effect": "Allow", "Action": ["s3:GetObject"]},
    ],
)
def test_broad_statements_are_refused(statement: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=statement["Sid"]):
        check_statement(statement)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"role": "Rest"}, "role"),
        ({"handler": "handler"}, "handler"),
        ({"environment": {"AWS_REGION": "x"}}, "reserved"),
        ({"memory_mb": 64}, "memory_mb"),
        ({"timeout_seconds": 901}, "timeout_seconds"),
        ({"reserved_concurrency": 0}, "reserved_concurrency"),
    ],
)
def test_invalid_args_are_rejected(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        args(**overrides)
