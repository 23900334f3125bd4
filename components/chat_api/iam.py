"""IAM statement builders of the chat functions and API Gateway's logging role: pure, tested without Pulumi.

Least privilege: DynamoDB actions on the exact table ARNs, Bedrock invocation on the allowed models only
(conditioned on the guardrail when there is one), "*" only where IAM accepts nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from components.iam_statements import key_via_service_statement

# Cross-region inference profile IDs start with a geography: eu.anthropic..., us.amazon.nova-...
PROFILE_PREFIXES = frozenset({"us", "eu", "apac", "us-gov", "global", "ca", "jp", "au"})
DDB = "dynamodb"
# Table -> DynamoDB actions, per function (TransactWriteItems needs the per-item actions).
TABLE_ACCESS: dict[str, dict[str, tuple[str, ...]]] = {
    "rest": {
        "sessions": ("GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "BatchWriteItem"),
        "settings": ("GetItem", "PutItem"),
        "audit": ("PutItem",),
        "usage": ("GetItem", "UpdateItem"),
    },
    "chat_worker": {
        "sessions": ("GetItem", "Query", "PutItem", "UpdateItem"),
        "settings": ("GetItem",),
        "usage": ("UpdateItem",),
        "connections": ("Query", "DeleteItem"),
    },
    "ws_authorizer": {},
    "ws_connect": {"connections": ("PutItem",)},
    "ws_disconnect": {"connections": ("GetItem", "DeleteItem")},
}
LISTS_MODELS = ("rest",)
INVOKES_MODELS = ("chat_worker",)


def is_inference_profile(model_id: str) -> bool:
    return model_id.split(".", 1)[0] in PROFILE_PREFIXES and model_id.count(".") >= 2


def model_arns(partition: str, region: str, account: str, models: tuple[str, ...]) -> dict[str, list[str]]:
    """ARNs the chat may invoke: `direct` (models and profiles), `via_profile` (models a profile routes to,
    in any region of its geography) and `profiles` (what the via_profile grant is conditioned on)."""
    bedrock = f"arn:{partition}:bedrock"
    if not models:
        profiles = [f"{bedrock}:{region}:{account}:inference-profile/*"]
        return {
            "direct": [f"{bedrock}:{region}::foundation-model/*", *profiles],
            "via_profile": [f"{bedrock}:*::foundation-model/*"],
            "profiles": profiles,
        }
    direct, via, profiles = [], [], []
    for model in models:
        if is_inference_profile(model):
            profiles.append(f"{bedrock}:{region}:{account}:inference-profile/{model}")
            via.append(f"{bedrock}:*::foundation-model/{model.split('.', 1)[1]}")
        else:
            direct.append(f"{bedrock}:{region}::foundation-model/{model}")
    return {"direct": direct + profiles, "via_profile": via, "profiles": profiles}


def invoke_statements(
    arns: Mapping[str, list[str]], guardrail: str | None
) -> list[dict[str, Any]]:
    """InvokeModel* (what Converse/ConverseStream need), only with the guardrail when there is one."""
    actions = ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"]
    guard = {"StringEquals": {"bedrock:GuardrailIdentifier": guardrail}} if guardrail else {}
    statements: list[dict[str, Any]] = []
    if arns["direct"]:
        statement: dict[str, Any] = {"Sid": "InvokeModels", "Effect": "Allow", "Action": actions,
                                     "Resource": arns["direct"]}
        if guard:
            statement["Condition"] = guard
        statements.append(statement)
    if arns["via_profile"]:
        # The profile's regions' models, reachable only through the allowed profiles.
        statements.append({
            "Sid": "InvokeModelsThroughProfiles", "Effect": "Allow", "Action": actions,
            "Resource": arns["via_profile"],
            "Condition": {**guard, "StringLike": {"bedrock:InferenceProfileArn": arns["profiles"]}},
        })
    return statements


def table_statements(fn: str, table_arns: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "Sid": f"{table.capitalize()}Table",
            "Effect": "Allow",
            "Action": [f"{DDB}:{action}" for action in actions],
            "Resource": [table_arns[table]],
        }
        for table, actions in TABLE_ACCESS[fn].items()
    ]


def list_models_statement() -> dict[str, Any]:
    # ListFoundationModels and ListInferenceProfiles act on no resource: IAM accepts only "*" for them.
    return {
        "Sid": "ListModels",
        "Effect": "Allow",
        "Action": ["bedrock:ListFoundationModels", "bedrock:ListInferenceProfiles"],
        "Resource": ["*"],
    }


def data_key_statement(key_arn: Any, region: str) -> dict[str, Any]:
    return key_via_service_statement("DataKeyThroughDynamoDB", key_arn, "dynamodb", region,
                                     ["kms:Decrypt", "kms:GenerateDataKey"])


def api_gateway_logs_statements(log_group_prefix: str) -> list[dict[str, Any]]:
    """API Gateway's CloudWatch role: find log groups, write only to API Gateway's own groups.
    `log_group_prefix` is arn:<partition>:logs:<region>:<account>:log-group:"""
    return [
        {"Sid": "FindLogGroups", "Effect": "Allow", "Action": ["logs:DescribeLogGroups"],
         "Resource": [f"{log_group_prefix}*"]},
        {"Sid": "WriteApiLogs", "Effect": "Allow",
         "Action": ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
         "Resource": [f"{log_group_prefix}/aws/apigateway/*",
                      f"{log_group_prefix}API-Gateway-Execution-Logs_*"]},
    ]
