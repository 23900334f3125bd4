"""Fixtures for rules/bedrock.py: bedrock-guardrails (stack) and bedrock-guardrail-condition."""

import json
from typing import Any

from ..harness import UNKNOWN
from . import DELETE, Baseline, Case, Resource, ref

ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
FUNCTION = "aws:lambda/function:Function"
GUARDRAIL = "aws:bedrock/guardrail:Guardrail"
VERSION = "aws:bedrock/guardrailVersion:GuardrailVersion"
AGENT = "aws:bedrock/agentAgent:AgentAgent"
MODEL_ARN = "arn:aws:bedrock:eu-west-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0"
GUARDRAIL_ARN = "arn:aws:bedrock:eu-west-1:123456789012:guardrail/abc123"
EMBED_ARN = "arn:aws:bedrock:eu-west-1::foundation-model/amazon.titan-embed-text-v2:0"
RERANK_ARN = "arn:aws:bedrock:eu-west-1::foundation-model/amazon.rerank-v1:0"
ENDPOINT_ARN = "arn:aws:sagemaker:eu-west-1:123456789012:endpoint/chatbot-prod-llm-mistral"
ENDPOINT_ACTIONS = ("sagemaker:InvokeEndpoint", "sagemaker:InvokeEndpointWithResponseStream")
TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "lambda.amazonaws.com"}}
        ],
    }
)


def _invoke(
    condition: bool = True,
    actions: object = ("bedrock:InvokeModel", "bedrock:Converse"),
    resource: object = MODEL_ARN,
) -> str:
    statement: dict[str, object] = {
        "Sid": "Invoke",
        "Effect": "Allow",
        "Action": list(actions) if not isinstance(actions, str) else actions,
        "Resource": resource,
    }
    if condition:
        statement["Condition"] = {"StringEquals": {"bedrock:GuardrailIdentifier": f"{GUARDRAIL_ARN}:1"}}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def _self_hosted(apply: bool = True, actions: object = ENDPOINT_ACTIONS) -> str:
    """The chat worker's statements for self-hosted models: invoke the endpoints, apply the guardrail."""
    statements: list[dict[str, object]] = [
        {
            "Sid": "InvokeSelfHostedModels",
            "Effect": "Allow",
            "Resource": [ENDPOINT_ARN],
            "Action": list(actions) if not isinstance(actions, str) else actions,
        }
    ]
    if apply:
        statements.append(
            {
                "Sid": "ApplyGuardrail",
                "Effect": "Allow",
                "Action": "bedrock:ApplyGuardrail",
                "Resource": GUARDRAIL_ARN,
            }
        )
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


def _chat_role_policy(name: str, policy: object) -> Resource:
    return Resource(
        ROLE_POLICY,
        name,
        {"role": UNKNOWN, "policy": policy},
        property_dependencies={"role": [ref(ROLE, "chat-role")]},
    )


CHAT_ENV = {"variables": {"GUARDRAIL_ID": UNKNOWN, "GUARDRAIL_VERSION": UNKNOWN, "MODEL_ID": MODEL_ARN}}
BASE = Baseline(
    (
        Resource(
            GUARDRAIL,
            "guardrail",
            {
                "name": "chatbot",
                "blockedInputMessaging": "Sorry.",
                "blockedOutputsMessaging": "Sorry.",
                "contentPolicyConfig": {
                    "filtersConfigs": [{"type": "HATE", "inputStrength": "HIGH", "outputStrength": "HIGH"}]
                },
            },
        ),
        Resource(
            VERSION,
            "guardrail-v1",
            {"guardrailArn": UNKNOWN},
            property_dependencies={"guardrailArn": [ref(GUARDRAIL, "guardrail")]},
        ),
        Resource(ROLE, "chat-role", {"assumeRolePolicy": TRUST, "name": "chatbot-chat"}),
        Resource(
            ROLE_POLICY,
            "chat-invoke",
            {"role": UNKNOWN, "policy": _invoke()},
            property_dependencies={"role": [ref(ROLE, "chat-role")]},
        ),
        Resource(
            FUNCTION,
            "chat",
            {
                "name": "chatbot-chat",
                "runtime": "python3.13",
                "handler": "app.handler",
                "role": UNKNOWN,
                "environment": CHAT_ENV,
            },
            property_dependencies={
                "role": [ref(ROLE, "chat-role")],
                "environment": [ref(GUARDRAIL, "guardrail"), ref(VERSION, "guardrail-v1")],
            },
        ),
    )
)
# An existing guardrail referenced by literal id/version, no Guardrail resource in the stack.
_NO_GUARDRAIL = tuple(r for r in BASE.resources if r.type not in (GUARDRAIL, VERSION))
EXISTING = Baseline(
    tuple(
        Resource(
            r.type,
            r.name,
            {**r.props, "environment": {"variables": {"GUARDRAIL_ID": "abc123", "GUARDRAIL_VERSION": "3"}}},
            property_dependencies={"role": [ref(ROLE, "chat-role")]},
        )
        if r.type == FUNCTION
        else r
        for r in _NO_GUARDRAIL
    )
)
DEV = Baseline(EXISTING.resources, stack="dev")
# A stack with no Bedrock use at all.
NO_BEDROCK = Baseline(
    (
        Resource(ROLE, "worker-role", {"assumeRolePolicy": TRUST}),
        Resource(
            ROLE_POLICY,
            "worker-s3",
            {
                "role": "worker",
                "policy": json.dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [
                            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}
                        ],
                    }
                ),
            },
        ),
    )
)
AGENT_RES = Resource(
    AGENT,
    "agent",
    {
        "agentName": "helper",
        "agentResourceRoleArn": "arn:aws:iam::123456789012:role/agent",
        "foundationModel": "anthropic.claude-3-haiku-20240307-v1:0",
        "guardrailConfigurations": [{"guardrailIdentifier": UNKNOWN, "guardrailVersion": UNKNOWN}],
    },
)
BARE_AGENT = Resource(AGENT, "agent", {**AGENT_RES.props, "guardrailConfigurations": []})
OTHER_FN = Resource(
    FUNCTION,
    "summarise",
    {"name": "chatbot-summarise", "runtime": "python3.13", "handler": "app.handler", "role": UNKNOWN},
    property_dependencies={"role": [ref(ROLE, "chat-role")]},
)
MANAGED = Resource(
    ATTACHMENT,
    "full-access",
    {"role": "chatbot-other", "policyArn": "arn:aws:iam::aws:policy/AmazonBedrockFullAccess"},
)

# The chat worker answering with self-hosted SageMaker models only (no Bedrock invoke statement).
SELF_HOSTED = _chat_role_policy("chat-self-hosted", _self_hosted())
ENDPOINTS_ONLY = Baseline(tuple(SELF_HOSTED if r.name == "chat-invoke" else r for r in BASE.resources))
SAGEMAKER_MANAGED = Resource(
    ATTACHMENT,
    "sagemaker-full-access",
    {"role": UNKNOWN, "policyArn": "arn:aws:iam::aws:policy/AmazonSageMakerFullAccess"},
    property_dependencies={"role": [ref(ROLE, "chat-role")]},
)

G, C = "bedrock-guardrails", "bedrock-guardrail-condition"


def _worker_policy(title: str, policy: str, **kwargs: Any) -> Case:
    """G on a stack with no Bedrock use whose one role policy becomes ``policy``."""
    return NO_BEDROCK.mutate(G, title, "worker-s3", "policy", policy, **kwargs)


def _endpoints_without_apply(title: str, actions: object = ENDPOINT_ACTIONS, **kwargs: Any) -> Case:
    """G on the self-hosted chat worker whose role may invoke endpoints but not call ApplyGuardrail."""
    policy = _self_hosted(apply=False, actions=actions)
    return ENDPOINTS_ONLY.mutate(G, title, "chat-self-hosted", "policy", policy, **kwargs)


def _unconditioned(
    title: str,
    actions: object = ("bedrock:InvokeModel", "bedrock:Converse"),
    resource: object = MODEL_ARN,
    **kwargs: Any,
) -> Case:
    """C on the baseline whose invoke statement (``actions`` on ``resource``) lacks the condition."""
    policy = _invoke(condition=False, actions=actions, resource=resource)
    return BASE.mutate(C, title, "chat-invoke", "policy", policy, **kwargs)


CASES = [
    BASE.case(G, "guardrail and version created, function carries them"),
    EXISTING.case(G, "existing guardrail through GUARDRAIL_ID / GUARDRAIL_VERSION"),
    NO_BEDROCK.case(G, "a stack that does not use Bedrock"),
    BASE.without(
        G,
        "no guardrail version",
        "guardrail-v1",
        message="no aws.bedrock.GuardrailVersion",
        level="mandatory",
    ),
    BASE.mutate(
        G, "function without the guardrail variables", "chat", "environment", DELETE, message="GUARDRAIL_ID"
    ),
    BASE.plus(G, "a second invoking function without the variables", OTHER_FN, message="summarise"),
    EXISTING.mutate(
        G, "DRAFT version", "chat", "environment.variables.GUARDRAIL_VERSION", "DRAFT", message="DRAFT"
    ),
    EXISTING.mutate(G, "no guardrail anywhere", "chat", "environment", DELETE, message="has no guardrail"),
    DEV.mutate(G, "no guardrail on dev is advisory", "chat", "environment", DELETE, level="advisory"),
    NO_BEDROCK.plus(G, "AWS managed AmazonBedrockFullAccess counts as use", MANAGED, message="full-access"),
    NO_BEDROCK.mutate(
        G,
        "AmazonBedrockFullAccess in a role's managedPolicyArns counts as use",
        "worker-role",
        "managedPolicyArns",
        ["arn:aws:iam::aws:policy/AmazonBedrockFullAccess"],
        message="worker-role",
    ),
    NO_BEDROCK.mutate(
        G,
        "a customer managed policy named like an AWS one is not the AWS one",
        "worker-role",
        "managedPolicyArns",
        ["arn:aws:iam::123456789012:policy/AmazonBedrockFullAccess"],
        expect="pass",
    ),
    NO_BEDROCK.plus(G, "Bedrock agent without guardrail", BARE_AGENT, message="agent"),
    BASE.plus(G, "agent with the stack's guardrail", AGENT_RES, expect="pass"),
    BASE.plus(G, "agent without guardrailConfigurations", BARE_AGENT, message="guardrailConfigurations"),
    _worker_policy("bedrock:Invoke* in a policy", _invoke(actions="bedrock:Invoke*"), message="worker-s3"),
    _worker_policy("unknown policy document and no guardrail", UNKNOWN, expect="not-evaluated"),
    _worker_policy(
        "embedding and rerank models only are not model use",
        _invoke(condition=False, resource=[EMBED_ARN, RERANK_ARN]),
        expect="pass",
    ),
    _worker_policy(
        "every foundation model, embedding ones included, is model use",
        _invoke(condition=False, resource="arn:aws:bedrock:eu-west-1::foundation-model/*"),
        message="has no guardrail",
    ),
    BASE.mutate(
        G, "unknown document with a guardrail in place", "chat-invoke", "policy", UNKNOWN, expect="pass"
    ),
    BASE.plus(G, "self-hosted endpoints with bedrock:ApplyGuardrail", SELF_HOSTED, expect="pass"),
    ENDPOINTS_ONLY.case(G, "self-hosted endpoints only, guardrail applied by the app"),
    _endpoints_without_apply(
        "endpoints without bedrock:ApplyGuardrail", message="does not allow bedrock:ApplyGuardrail"
    ),
    _endpoints_without_apply(
        "InvokeEndpointWithResponseStream alone counts",
        "sagemaker:InvokeEndpointWithResponseStream",
        message="SageMaker endpoints",
    ),
    ENDPOINTS_ONLY.mutate(
        G,
        "endpoint invoke without the guardrail variables",
        "chat",
        "environment",
        DELETE,
        message="GUARDRAIL_ID",
    ),
    BASE.plus(
        G,
        "AWS managed AmazonSageMakerFullAccess needs ApplyGuardrail",
        SAGEMAKER_MANAGED,
        message="ApplyGuardrail",
    ),
    _worker_policy(
        "sagemaker:Invoke* makes the stack a model user",
        _self_hosted(apply=False, actions="sagemaker:Invoke*"),
        message="has no guardrail",
    ),
    BASE.plus(
        G,
        "endpoints without ApplyGuardrail next to an unknown document",
        _chat_role_policy("chat-self-hosted", _self_hosted(apply=False)),
        _chat_role_policy("chat-unknown", UNKNOWN),
        expect="not-evaluated",
    ),
    BASE.case(C, "statement has bedrock:GuardrailIdentifier"),
    NO_BEDROCK.case(C, "no Bedrock statements"),
    _unconditioned(
        "statement without the condition", level="advisory", message="bedrock:GuardrailIdentifier"
    ),
    _unconditioned(
        "wildcard action without the condition", "bedrock:*", message="InvokeModelWithResponseStream"
    ),
    _unconditioned(
        "embedding and rerank models need no condition", resource=[EMBED_ARN, RERANK_ARN], expect="pass"
    ),
    _unconditioned(
        "a text model beside embedding models needs it",
        resource=[EMBED_ARN, MODEL_ARN],
        message="statement 'Invoke'",
    ),
    _unconditioned(
        "a look-alike model name is not an embedding model",
        resource=EMBED_ARN.replace("amazon.titan-embed-", "amazon.titan-text-"),
        message="Invoke",
    ),
    BASE.mutate(
        C,
        "inline role policy (twin token)",
        "chat-role",
        "inlinePolicies",
        [{"name": "invoke", "policy": _invoke(condition=False)}],
        message="inlinePolicies[0].policy",
    ),
    BASE.mutate(C, "unknown document", "chat-invoke", "policy", UNKNOWN, expect="not-evaluated"),
]
