"""Shared fixtures of the ChatApi tests: valid args, a connection, and a run of construct + connect."""

from __future__ import annotations

import json
from typing import Any

import pulumi

from components.chat_api import TABLES, ChatApi, ChatApiArgs, ChatApiConnection

from .conftest import ACCOUNT_ID, Harness

METHOD = "aws:apigateway/method:Method"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
FUNCTION = "aws:lambda/function:Function"
ORIGIN = "https://chat.example.com"
LOGS_KEY = "arn:aws:kms:eu-west-1:111122223333:key/logs"
DATA_KEY = "arn:aws:kms:eu-west-1:111122223333:key/data"
GUARDRAIL = "arn:aws:bedrock:eu-west-1:111122223333:guardrail/abc123"
REGION = "eu-west-1"
USER_POOL_ARN = f"arn:aws:cognito-idp:{REGION}:{ACCOUNT_ID}:userpool/eu-west-1_pool"
MODELS = ("anthropic.claude-3-5-haiku-20241022-v1:0", "eu.amazon.nova-pro-v1:0")


def args(**overrides: Any) -> ChatApiArgs:
    values: dict[str, Any] = {
        "prefix": "chatbot",
        "stack": "prod",
        "region": REGION,
        "code": pulumi.AssetArchive({}),
        "table_names": {t: f"{t}-table" for t in TABLES},
        "table_arns": {t: f"arn:aws:dynamodb:{REGION}:{ACCOUNT_ID}:table/{t}" for t in TABLES},
        "log_retention_days": 365,
        "logs_kms_key_arn": LOGS_KEY,
        "data_kms_key_arn": DATA_KEY,
        "retain": True,
        "xray_tracing": True,
        "rate_limit_per_ip": 1000,
        "rate_limit_window_seconds": 300,
        "chat_rate_limit_per_ip": 100,
        "quota_messages_per_day": 300,
        "quota_tokens_per_day": 1_000_000,
        "bedrock_region": REGION,
        "bedrock_models": MODELS,
        "guardrail_arn": GUARDRAIL,
        "guardrail_version": "3",
        "geo_allowlist": ("GB", "IE"),
    }
    return ChatApiArgs(**{**values, **overrides})


def connection(**overrides: Any) -> ChatApiConnection:
    values: dict[str, Any] = {
        "user_pool_id": "eu-west-1_pool",
        "user_pool_arn": USER_POOL_ARN,
        "user_pool_client_id": "client",
        "allowed_origin": ORIGIN,
    }
    return ChatApiConnection(**{**values, **overrides})


# Outputs the shared mock does not compute (it returns inputs plus an ARN).
COMPUTED: dict[str, dict[str, str]] = {
    "aws:apigateway/restApi:RestApi": {
        "rootResourceId": "root", "executionArn": f"arn:aws:execute-api:{REGION}:{ACCOUNT_ID}:rest123"},
    "aws:apigatewayv2/api:Api": {"executionArn": f"arn:aws:execute-api:{REGION}:{ACCOUNT_ID}:ws123"},
    "aws:apigateway/stage:Stage": {"invokeUrl": f"https://rest123.execute-api.{REGION}.amazonaws.com/api"},
    "aws:apigatewayv2/stage:Stage": {"invokeUrl": f"wss://ws123.execute-api.{REGION}.amazonaws.com/api"},
    "aws:lambda/function:Function": {"invokeArn": "arn:aws:apigateway:invoke/function"},
}


def add_computed_outputs(harness: Harness) -> None:
    recorded = harness.mocks.new_resource

    def new_resource(mock_args: Any) -> tuple[str | None, dict[str, Any]]:
        resource_id, outputs = recorded(mock_args)
        return resource_id, {**COMPUTED.get(mock_args.typ, {}), **outputs}

    harness.mocks.new_resource = new_resource  # type: ignore[method-assign]


def build(harness: Harness, chat_args: ChatApiArgs | None = None) -> dict[str, Any]:
    """Construct and connect a ChatApi; returns its resolved outputs."""
    add_computed_outputs(harness)

    def program() -> Any:
        api = ChatApi("chat", chat_args or args())
        api.connect(connection())
        return pulumi.Output.all(
            rest=api.rest_api_url, ws=api.websocket_url, names=api.function_names, acl=api.web_acl_arn,
            rest_origin=api.rest_origin, ws_origin=api.websocket_origin, rest_name=api.rest_api_name,
            logs=api.log_group_names,
        )

    return harness.run(program)


def policies(harness: Harness) -> dict[str, list[dict[str, Any]]]:
    """Role policy statements by the policy's logical name."""
    return {r.name: json.loads(r.inputs["policy"])["Statement"] for r in harness.of_type(ROLE_POLICY)}


def statements_of(harness: Harness, role: str) -> list[dict[str, Any]]:
    return policies(harness)[f"chat-{role}-policy"]
