"""Fixtures for rules/plaintext_secrets.py (SEC-NO-PLAINTEXT-SECRETS), including both reference-chatbot
defects: a federation clientSecret inside a String parameter's JSON, and a Hugging Face token in a model
container's environment. Secret-looking values are built at import time so no literal trips a scanner."""

from __future__ import annotations

import json
from typing import Any

from ..harness import UNKNOWN, secret
from . import DELETE, Baseline, Resource

ENV = "no-secrets-in-environment"
SSM = "ssm-parameter-no-plaintext-secrets"
TAGS = "no-secrets-in-tags"

OPENAI_REF = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:chatbot/openai-AbCdEf"
HF = "hf_" + "Ab1" * 12
SK = "sk-" + "proj-" + "x9Y8" * 8
JWT = ".".join(["eyJhbGciOiJIUzI1NiJ9", "eyJzdWIiOiIxMjM0NTY3ODkwIn0", "c2lnbmF0dXJlLXNpZ25hdHVyZQ"])
PEM = "-----BEGIN " + "RSA PRIVATE KEY-----\nMIIEow...\n-----END RSA PRIVATE KEY-----"
AKID = "AKIA" + "IOSFODNN7EXAMPLE"
SAK = "wJalrXUtnFEMI/K7MDENG/" + "bPxRfiCYEXAMPLEKEY"
TAGS_OK = {"app": "chatbot", "stack": "prod", "owner": "platform"}

LAMBDA = Resource(
    "aws:lambda/function:Function",
    "api",
    {
        "runtime": "python3.12",
        "handler": "handler.main",
        "role": "arn:aws:iam::123456789012:role/api",
        "environment": {
            "variables": {
                "SESSIONS_TABLE_NAME": "chatbot-sessions",
                "OPENAI_SECRET_ARN": OPENAI_REF,
                "DB_SECRET_NAME": "chatbot/db",
                "TOKEN_TTL": "3600",
                "LOG_LEVEL": "INFO",
                "API_KEY_PARAMETER": "/chatbot/key",
            }
        },
        "tags": TAGS_OK,
    },
)
CONTAINERS = [
    {
        "name": "ingest",
        "image": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/ingest@sha256:" + "a" * 64,
        "environment": [{"name": "BUCKET_NAME", "value": "docs"}],
        "secrets": [{"name": "DB_PASSWORD", "valueFrom": OPENAI_REF}],
    }
]
TASK = Resource(
    "aws:ecs/taskDefinition:TaskDefinition",
    "ingest",
    {
        "family": "ingest",
        "requiresCompatibilities": ["FARGATE"],
        "cpu": "1024",
        "memory": "2048",
        "networkMode": "awsvpc",
        "containerDefinitions": json.dumps(CONTAINERS),
    },
)
MODEL = Resource(
    "aws:sagemaker/model:Model",
    "mistral",
    {
        "executionRoleArn": "arn:aws:iam::123456789012:role/sm",
        "enableNetworkIsolation": True,
        "primaryContainer": {
            "image": "763104351884.dkr.ecr.eu-west-1.amazonaws.com/hf-tgi:2.4",
            "environment": {"HF_MODEL_ID": "mistralai/Mistral-7B-Instruct-v0.3", "SM_NUM_GPUS": "1"},
        },
    },
)
BATCH = Resource(
    "aws:batch/jobDefinition:JobDefinition",
    "unstructured",
    {
        "type": "container",
        "platformCapabilities": ["FARGATE"],
        "containerProperties": json.dumps(
            {
                "image": "unstructured@sha256:" + "b" * 64,
                "environment": [{"name": "CHUNK_SIZE", "value": "1000"}],
            }
        ),
    },
)
ENV_BASE = Baseline((LAMBDA, TASK, MODEL, BATCH))
VARS = "environment.variables"


def ecs(*env: dict[str, Any]) -> str:
    return json.dumps([{**CONTAINERS[0], "environment": list(env)}])


ENV_CASES = [
    ENV_BASE.case(ENV, "ARNs, names, parameters and settings about secrets are fine"),
    ENV_BASE.mutate(
        ENV,
        "an API key in a Lambda environment",
        "api",
        f"{VARS}.OPENAI_API_KEY",
        "abc123",
        level="mandatory",
        message="environment.variables.OPENAI_API_KEY",
    ),
    ENV_BASE.mutate(
        ENV,
        "a Pulumi secret is still plain text in the console",
        "api",
        f"{VARS}.DB_PASSWORD",
        secret("hunter2-but-longer"),
    ),
    ENV_BASE.mutate(ENV, "a camelCase clientSecret", "api", f"{VARS}.clientSecret", "s3cr3t"),
    ENV_BASE.mutate(
        ENV,
        "a Hugging Face token under an innocent name",
        "api",
        f"{VARS}.MODEL_HUB",
        HF,
        message="Hugging Face token",
    ),
    ENV_BASE.mutate(ENV, "an sk- key", "api", f"{VARS}.LLM", SK, message="sk- API key"),
    ENV_BASE.mutate(ENV, "a JWT", "api", f"{VARS}.BOOTSTRAP", JWT, message="JSON Web Token"),
    ENV_BASE.mutate(ENV, "a private key", "api", f"{VARS}.SIGNING", PEM, message="private key"),
    ENV_BASE.mutate(
        ENV,
        "a database URL with a password",
        "api",
        f"{VARS}.DATABASE_URL",
        "postgresql://app:pa55word@db:5432/chatbot",
        message="URL with a password",
    ),
    ENV_BASE.mutate(
        ENV,
        "a JSON config with a nested secret",
        "api",
        f"{VARS}.CONFIG",
        json.dumps({"oidc": {"clientId": "abc", "clientSecret": "xyz"}}),
        message="CONFIG.oidc.clientSecret",
    ),
    ENV_BASE.mutate(
        ENV,
        "the secret ARN itself unknown at preview",
        "api",
        f"{VARS}.OPENAI_SECRET_ARN",
        UNKNOWN,
        expect="pass",
    ),
    ENV_BASE.mutate(
        ENV,
        "a secret-named value unknown at preview",
        "api",
        f"{VARS}.DB_PASSWORD",
        UNKNOWN,
        expect="not-evaluated",
    ),
    ENV_BASE.mutate(
        ENV,
        "ECS plain environment with a token",
        "ingest",
        "containerDefinitions",
        ecs({"name": "GITHUB_TOKEN", "value": "t0ken-value"}),
        message="GITHUB_TOKEN",
    ),
    ENV_BASE.mutate(
        ENV,
        "ECS AWS key pair in two variables",
        "ingest",
        "containerDefinitions",
        ecs({"name": "AWS_ACCESS_KEY_ID", "value": AKID}, {"name": "AWS_SK", "value": SAK}),
        message="AWS access key id",
    ),
    ENV_BASE.mutate(
        ENV,
        "ECS definitions unknown at preview",
        "ingest",
        "containerDefinitions",
        UNKNOWN,
        expect="not-evaluated",
    ),
    ENV_BASE.mutate(
        ENV,
        "SageMaker HF token (the reference chatbot's defect)",
        "mistral",
        "primaryContainer.environment.HUGGING_FACE_HUB_TOKEN",
        HF,
        message="HUGGING_FACE_HUB_TOKEN",
    ),
    ENV_BASE.mutate(
        ENV,
        "SageMaker pipeline container",
        "mistral",
        "containers",
        [{"image": "x", "environment": {"HF_TOKEN": "abc"}}],
        message="containers[0].environment",
    ),
    ENV_BASE.mutate(
        ENV,
        "Batch container environment",
        "unstructured",
        "containerProperties",
        json.dumps({"image": "x", "environment": [{"name": "API_KEY", "value": "k"}]}),
    ),
    ENV_BASE.mutate(
        ENV,
        "Batch EKS pod envs",
        "unstructured",
        "eksProperties",
        {"podProperties": {"containers": [{"image": "x", "envs": [{"name": "PASSWORD", "value": "p"}]}]}},
    ),
    Baseline(ENV_BASE.resources, stack="dev").mutate(
        ENV, "dev is no exception", "api", f"{VARS}.SECRET", "x", level="mandatory"
    ),
]

CONFIG = {
    "prefix": "chatbot",
    "cognitoFederation": {
        "enabled": True,
        "customProviderType": "OIDC",
        "clientId": "abc",
        "clientSecret": "do-not-store-me",
    },
}
PARAMETER = Resource(
    "aws:ssm/parameter:Parameter",
    "config",
    {
        "name": "/chatbot/prod/config",
        "type": "String",
        "tier": "Standard",
        "value": json.dumps({"prefix": "chatbot", "oidcClientSecretArn": OPENAI_REF, "rateLimitPerIp": 400}),
    },
)
SSM_BASE = Baseline((PARAMETER,))
SSM_CASES = [
    SSM_BASE.case(SSM, "a configuration that names the secret's ARN"),
    SSM_BASE.mutate(
        SSM,
        "the whole config, client secret included (reference chatbot)",
        "config",
        "value",
        json.dumps(CONFIG),
        level="mandatory",
        message="value.cognitoFederation.clientSecret",
    ),
    SSM_BASE.mutate(SSM, "a SecureString may hold it", "config", "type", "SecureString", expect="pass"),
    SSM_BASE.mutate(
        SSM,
        "a secret-named String parameter",
        "config",
        "name",
        "/chatbot/db-password",
        message="name says it holds a secret",
    ),
    SSM_BASE.mutate(SSM, "an sk- key in a StringList", "config", "value", f"a,{SK}", message="sk- API key"),
    SSM_BASE.mutate(SSM, "insecureValue with a JWT", "config", "insecureValue", JWT),
    SSM_BASE.mutate(
        SSM, "an innocent value unknown at preview", "config", "value", UNKNOWN, expect="not-evaluated"
    ),
    Baseline(
        (
            Resource(
                PARAMETER.type, "pw", {"name": "/chatbot/db/password", "type": "String", "value": UNKNOWN}
            ),
        )
    ).case(SSM, "a secret-named String parameter: presence is enough", expect="violation"),
    SSM_BASE.mutate(SSM, "the value dropped", "config", "value", DELETE, expect="pass"),
]

PROVIDER = Resource(
    "pulumi:providers:aws", "eu-west-1", {"region": "eu-west-1", "defaultTags": json.dumps({"tags": TAGS_OK})}
)
ASG = Resource(
    "aws:autoscaling/group:Group",
    "workers",
    {"maxSize": 1.0, "minSize": 0.0, "tags": [{"key": "app", "value": "chatbot", "propagateAtLaunch": True}]},
)
TAGS_BASE = Baseline((PROVIDER, LAMBDA, PARAMETER, ASG))
TAG_CASES = [
    TAGS_BASE.case(TAGS),
    TAGS_BASE.mutate(
        TAGS,
        "a token in a Lambda tag",
        "api",
        "tags.deploy-token",
        "abc123",
        level="mandatory",
        message="tags.deploy-token",
    ),
    TAGS_BASE.mutate(TAGS, "a JWT under an innocent tag", "config", "tags", {"note": JWT}),
    TAGS_BASE.mutate(
        TAGS,
        "provider defaultTags",
        "eu-west-1",
        "defaultTags",
        json.dumps({"tags": {**TAGS_OK, "api_key": "k-123"}}),
        message="defaultTags.tags.api_key",
    ),
    TAGS_BASE.mutate(
        TAGS,
        "autoscaling list-form tags",
        "workers",
        "tags",
        [{"key": "password", "value": "p", "propagateAtLaunch": True}],
        message="tags.password",
    ),
    TAGS_BASE.mutate(
        TAGS, "a secret-named tag unknown at preview", "api", "tags.secret", UNKNOWN, expect="not-evaluated"
    ),
    TAGS_BASE.mutate(
        TAGS, "a tag naming the secret is fine", "api", "tags.secret-name", "chatbot/openai", expect="pass"
    ),
]

CASES = [*ENV_CASES, *SSM_CASES, *TAG_CASES]
