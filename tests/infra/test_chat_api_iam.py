"""ChatApi's functions: the app contract (environment) and least-privilege roles; invalid args refused."""

from __future__ import annotations

from typing import Any

import pytest

from components.chat_api import (
    FUNCTIONS,
    SELECTS_MODELS,
    TABLES,
    RetrievalAccess,
    invoke_statements,
    model_arns,
)

from .chat_api_harness import (
    DATA_KEY,
    FUNCTION,
    GUARDRAIL,
    MODELS,
    REGION,
    args,
    build,
    policies,
    statements_of,
)
from .conftest import ACCOUNT_ID, Harness


def test_functions_are_arm64_python314_with_the_app_contract(pulumi_mocks) -> None:
    harness = pulumi_mocks("prod")
    build(harness)
    functions = {f.name.removeprefix("chat-").removesuffix("-function"): f.inputs
                 for f in harness.of_type(FUNCTION)}
    assert set(functions) == {spec.role for spec in FUNCTIONS.values()}
    for role, inputs in functions.items():
        assert inputs["runtime"] == "python3.14" and inputs["architectures"] == ["arm64"]
        assert inputs["handler"].startswith("chatbot_app.handlers.")
        assert inputs["tracingConfig"] == {"mode": "Active"}
        env = inputs["environment"]["variables"]
        assert {f"{t.upper()}_TABLE" for t in TABLES} <= set(env), role
        assert env["GUARDRAIL_ID"] == GUARDRAIL and env["GUARDRAIL_VERSION"] == "3"
        assert env["DEFAULT_MODEL_ID"] == "anthropic.claude-3-5-haiku-20241022-v1:0"
        assert env["USER_POOL_ID"] == "eu-west-1_pool" and env["USER_POOL_CLIENT_ID"] == "client"
    assert functions["rest"]["environment"]["variables"]["CHAT_WORKER_FUNCTION"] == "chatbot-prod-chat-worker"
    config = harness.one("aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig").inputs
    assert config["maximumRetryAttempts"] == 0


def test_the_functions_choosing_a_model_know_the_allowed_models(pulumi_mocks) -> None:
    harness = pulumi_mocks("prod")
    build(harness)
    assert set(SELECTS_MODELS) == {"rest", "chat_worker"}
    for fn, spec in FUNCTIONS.items():
        env = harness.one(FUNCTION, f"chat-{spec.role}-function").inputs["environment"]["variables"]
        if fn in SELECTS_MODELS:
            assert env["ALLOWED_MODELS"] == ",".join(MODELS), fn
            assert env["DEFAULT_MODEL_ID"] in env["ALLOWED_MODELS"].split(",")  # what the app requires
        else:
            assert "ALLOWED_MODELS" not in env, fn


def test_roles_are_least_privilege(pulumi_mocks) -> None:
    harness = pulumi_mocks("prod")
    build(harness)
    for name, statements in policies(harness).items():
        for statement in statements:
            actions = statement["Action"]
            assert all(a != "*" and not a.endswith(":*") for a in actions), name
            if statement["Resource"] == ["*"]:
                assert set(actions) <= {"bedrock:ListFoundationModels", "bedrock:ListInferenceProfiles",
                                        "xray:PutTraceSegments", "xray:PutTelemetryRecords",
                                        "logs:DescribeLogGroups"}, name
    authorizer = statements_of(harness, "ws-authorizer")
    assert {s["Sid"] for s in authorizer} == {"OwnLogGroup", "XRayTraces"}
    assert authorizer[0]["Resource"] == [
        f"arn:aws:logs:{REGION}:{ACCOUNT_ID}:log-group:/aws/lambda/chatbot-prod-ws-authorizer:*"
    ]
    connect = {s["Sid"]: s for s in statements_of(harness, "ws-connect")}
    assert connect["ConnectionsTable"]["Action"] == ["dynamodb:PutItem"]
    assert connect["ConnectionsTable"]["Resource"] == [args().table_arns["connections"]]
    assert connect["DataKeyThroughDynamoDB"]["Resource"] == [DATA_KEY]
    assert connect["DataKeyThroughDynamoDB"]["Condition"]["StringEquals"]["kms:ViaService"] == (
        f"dynamodb.{REGION}.amazonaws.com")
    rest = {s["Sid"]: s for s in statements_of(harness, "rest")}
    assert "InvokeModels" not in rest and "ConnectionsTable" not in rest
    assert rest["StartChatWorker"]["Action"] == ["lambda:InvokeFunction"]
    assert rest["StartChatWorker"]["Resource"] == [
        f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:chatbot-prod-chat-worker"]


def test_the_worker_invokes_only_allowed_models_with_the_guardrail(pulumi_mocks) -> None:
    harness = pulumi_mocks("prod")
    build(harness)
    worker = {s["Sid"]: s for s in statements_of(harness, "chat-worker")}
    guard = {"bedrock:GuardrailIdentifier": f"{GUARDRAIL}:3"}
    direct = worker["InvokeModels"]
    assert direct["Resource"] == [
        f"arn:aws:bedrock:{REGION}::foundation-model/anthropic.claude-3-5-haiku-20241022-v1:0",
        f"arn:aws:bedrock:{REGION}:{ACCOUNT_ID}:inference-profile/eu.amazon.nova-pro-v1:0",
    ]
    assert direct["Condition"]["StringEquals"] == guard
    routed = worker["InvokeModelsThroughProfiles"]
    assert routed["Resource"] == ["arn:aws:bedrock:*::foundation-model/amazon.nova-pro-v1:0"]
    assert routed["Condition"]["StringLike"]["bedrock:InferenceProfileArn"] == [direct["Resource"][1]]
    assert worker["ApplyGuardrail"]["Resource"] == [GUARDRAIL]
    assert worker["PostToOwnConnections"]["Action"] == ["execute-api:ManageConnections"]
    assert worker["PostToOwnConnections"]["Resource"][0].endswith("/api/POST/@connections/*")
    assert worker["ConnectionsTable"]["Action"] == ["dynamodb:Query", "dynamodb:DeleteItem"]


def test_no_models_configured_allows_the_regions_models_and_profiles_only() -> None:
    arns = model_arns("aws", REGION, ACCOUNT_ID, ())
    assert arns["direct"] == [f"arn:aws:bedrock:{REGION}::foundation-model/*",
                              f"arn:aws:bedrock:{REGION}:{ACCOUNT_ID}:inference-profile/*"]
    (direct, routed) = invoke_statements(arns, None)
    assert "Condition" not in direct
    assert routed["Condition"] == {"StringLike": {"bedrock:InferenceProfileArn": [arns["direct"][1]]}}


def test_without_guardrail_or_cmk_nothing_refers_to_them(pulumi_mocks) -> None:
    harness = pulumi_mocks("dev")
    build(harness, args(stack="dev", guardrail_arn=None, guardrail_version=None, data_kms_key_arn=None,
                        logs_kms_key_arn=None, retain=False, xray_tracing=False, log_retention_days=7))
    for function in harness.of_type(FUNCTION):
        assert "GUARDRAIL_ID" not in function.inputs["environment"]["variables"]
        assert function.inputs["tracingConfig"] == {"mode": "PassThrough"}
    sids = {s["Sid"] for statements in policies(harness).values() for s in statements}
    assert not sids & {"ApplyGuardrail", "DataKeyThroughDynamoDB", "XRayTraces"}
    for group in harness.of_type("aws:cloudwatch/logGroup:LogGroup"):
        assert "kmsKeyId" not in group.inputs and not group.protect
    assert harness.one("aws:apigateway/stage:Stage").inputs["xrayTracingEnabled"] is False


def test_without_configured_models_every_model_is_allowed(pulumi_mocks) -> None:
    harness = pulumi_mocks("dev")
    build(harness, args(stack="dev", bedrock_models=()))
    for function in harness.of_type(FUNCTION):
        env = function.inputs["environment"]["variables"]
        assert "ALLOWED_MODELS" not in env and "DEFAULT_MODEL_ID" not in env  # the app: absent = all
    worker = {s["Sid"]: s for s in statements_of(harness, "chat-worker")}
    assert worker["InvokeModels"]["Resource"][0] == f"arn:aws:bedrock:{REGION}::foundation-model/*"


def test_the_api_gateway_logging_role_is_scoped_to_api_log_groups(pulumi_mocks) -> None:
    harness = pulumi_mocks("prod")
    build(harness)
    statements = policies(harness)["chat-apigateway-logs-policy"]
    write = next(s for s in statements if s["Sid"] == "WriteApiLogs")
    prefix = f"arn:aws:logs:{REGION}:{ACCOUNT_ID}:log-group:"
    assert write["Resource"] == [f"{prefix}/aws/apigateway/*", f"{prefix}API-Gateway-Execution-Logs_*"]
    account = harness.one("aws:apigateway/account:Account").inputs
    assert account["cloudwatchRoleArn"].endswith("chat-apigateway-logs-role")


def test_the_account_logging_role_can_be_left_to_the_account(pulumi_mocks) -> None:
    harness = pulumi_mocks("prod")
    build(harness, args(manage_api_gateway_account=False))
    assert not harness.of_type("aws:apigateway/account:Account")
    assert "chat-apigateway-logs-policy" not in policies(harness)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"table_names": {"sessions": "s"}}, "tables"),
        ({"guardrail_version": None}, "guardrail"),
        ({"stage_name": "my-stage"}, "stage_name"),
        ({"chat_rate_limit_per_ip": 2000}, "chat_rate_limit_per_ip"),
        ({"bedrock_models": ("a.b,c",)}, "commas"),
    ],
)
def test_invalid_args_are_rejected(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        args(**overrides)


@pytest.mark.parametrize(
    ("scoped", "message"),
    [
        (("per-ip", 50, ("POST",)), "unique"),
        (("chat", 5000, ("POST",)), "exceed"),
        (("chat", 50, ("FETCH",)), "methods"),
        (("Chat!", 50, ("POST",)), "name"),
    ],
)
def test_invalid_scoped_rate_limits_are_rejected(scoped: tuple[Any, ...], message: str) -> None:
    from components.firewall import ScopedRateLimit, WebFirewallArgs

    with pytest.raises(ValueError, match=message):
        WebFirewallArgs("chatbot", "prod", "REGIONAL", 1000, 300, (), 365, None, True,
                        scoped_rate_limits=(ScopedRateLimit(*scoped),))


def retrieval(kms: str | None = DATA_KEY) -> RetrievalAccess:
    return RetrievalAccess(rag_function_name="chatbot-prod-rag", uploads_bucket_name="uploads-bucket",
                           uploads_kms_key_arn=kms, max_upload_bytes=1024, upload_formats=("pdf", "md"))


def env_of(harness: Harness, role: str) -> dict[str, str]:
    return harness.one(FUNCTION, f"chat-{role}-function").inputs["environment"]["variables"]


def test_with_retrieval_rest_and_worker_call_only_the_rag_service(pulumi_mocks) -> None:
    harness = pulumi_mocks("prod")
    build(harness, args(retrieval=retrieval()))
    rag_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:chatbot-prod-rag"
    for role in ("rest", "chat-worker"):
        by_sid = {s["Sid"]: s for s in statements_of(harness, role)}
        assert by_sid["CallRagService"]["Resource"] == [rag_arn]
        assert env_of(harness, role)["RAG_FUNCTION"] == "chatbot-prod-rag"
    rest = {s["Sid"]: s for s in statements_of(harness, "rest")}
    assert rest["SignWorkspaceUploads"] == {
        "Sid": "SignWorkspaceUploads", "Effect": "Allow", "Action": ["s3:PutObject"],
        "Resource": ["arn:aws:s3:::uploads-bucket/workspaces/*"]}
    assert rest["UploadsKeyThroughS3"]["Condition"] == {
        "StringEquals": {"kms:ViaService": f"s3.{REGION}.amazonaws.com"}}
    worker = {s["Sid"] for s in statements_of(harness, "chat-worker")}
    assert "SignWorkspaceUploads" not in worker
    for role in ("ws-authorizer", "ws-connect", "ws-disconnect"):
        assert "CallRagService" not in {s["Sid"] for s in statements_of(harness, role)}
        assert "RAG_FUNCTION" not in env_of(harness, role)
    rest_env = env_of(harness, "rest")
    assert rest_env["UPLOAD_FORMATS"] == "pdf,md" and rest_env["MAX_UPLOAD_BYTES"] == "1024"
    assert rest_env["UPLOADS_KMS_KEY_ARN"] == DATA_KEY
    assert env_of(harness, "chat-worker")["RAG_TOP_K"] == "5"


def test_without_retrieval_nothing_refers_to_it(pulumi_mocks) -> None:
    harness = pulumi_mocks("prod")
    build(harness)
    for role in ("rest", "chat-worker"):
        sids = {s["Sid"] for s in statements_of(harness, role)}
        assert not sids & {"CallRagService", "SignWorkspaceUploads", "UploadsKeyThroughS3"}
        assert "RAG_FUNCTION" not in env_of(harness, role)
