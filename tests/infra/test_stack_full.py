"""The whole stack with every issue-6 option on (tests/stacks/Pulumi.{dev,prod}-full.yaml): the engines,
the crawler, the self-hosted models and the guardrail's content reach the right functions, and no further."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pulumi
import pytest

from components.settings import settings_from_config
from components.stack import build_stack
from tests.settings.helpers import REPO, flatten_stack_file

from . import conftest as infra
from .conftest import ACCOUNT_ID, Harness, Recorded

STACKS = ("dev-full", "prod-full")
FUNCTION = "aws:lambda/function:Function"
POLICY = "aws:iam/rolePolicy:RolePolicy"
ATTACHED_INDEX = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
KENDRA_ROLE = "arn:aws:iam::444455556666:role/chatbot-kendra-reader"
ENGINE_KEYS = ("RAG_ENGINES", "RERANK_MODELS", "KENDRA_INDEXES", "KNOWLEDGE_BASES")


def _build(stack: str) -> tuple[Harness, dict[str, Any], dict[str, str]]:
    """One build per stack file, in its own event loop and mocks (the assertions only read records)."""
    config = flatten_stack_file(REPO / "tests" / "stacks" / f"Pulumi.{stack}.yaml")
    settings = settings_from_config(config, stack=stack)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        harness = infra._start(stack)
        outputs = harness.run(lambda: build_stack(settings, code=pulumi.AssetArchive({})))
    finally:
        pulumi.runtime.set_all_config({})
        loop.close()
        asyncio.set_event_loop(None)
    return harness, outputs, config


@pytest.fixture(scope="module")
def built() -> Iterator[dict[str, tuple[Harness, dict[str, Any], dict[str, str]]]]:
    yield {stack: _build(stack) for stack in STACKS}


def functions(harness: Harness) -> dict[str, Recorded]:
    return {f.inputs["name"]: f for f in harness.of_type(FUNCTION)}


def env(function: Recorded) -> dict[str, str]:
    return function.inputs["environment"]["variables"]


def statements(harness: Harness, policy_name: str) -> dict[str, dict[str, Any]]:
    found = harness.policy(harness.one(POLICY, policy_name))["Statement"]
    sids = [s["Sid"] for s in found]
    assert len(sids) == len(set(sids)), f"{policy_name}: IAM refuses duplicate Sids {sids}"
    return {s["Sid"]: s for s in found}


def lambda_arn(stack: str, role: str) -> str:
    return f"arn:aws:lambda:{region(stack)}:{ACCOUNT_ID}:function:chatbot-{stack}-{role}"


def region(stack: str) -> str:
    return "us-east-1" if stack == "dev-full" else "eu-west-1"


@pytest.mark.parametrize("stack", STACKS)
def test_the_chat_worker_may_invoke_exactly_the_self_hosted_endpoints(built, stack: str) -> None:
    harness, outputs, config = built[stack]
    names = [m["name"] for m in json.loads(config["chatbot:selfHostedModels"])]
    endpoints = outputs["selfHostedEndpoints"]
    assert list(endpoints) == names
    worker = statements(harness, "chat-chat-worker-policy")
    assert worker["InvokeSelfHostedModels"]["Action"] == [
        "sagemaker:InvokeEndpoint", "sagemaker:InvokeEndpointWithResponseStream"]
    assert worker["InvokeSelfHostedModels"]["Resource"] == [
        f"arn:aws:sagemaker:{region(stack)}:{ACCOUNT_ID}:endpoint/{endpoints[n]}" for n in names]
    # SageMaker output passes the guardrail through ApplyGuardrail, on the stack's guardrail only.
    assert worker["ApplyGuardrail"]["Action"] == ["bedrock:ApplyGuardrail"]
    assert worker["ApplyGuardrail"]["Resource"] == [outputs["guardrailArn"]]
    invokers = [p.name for p in harness.of_type(POLICY) if "sagemaker:InvokeEndpoint" in p.inputs["policy"]]
    assert invokers == ["chat-chat-worker-policy"]

    by_name = functions(harness)
    listed = [(m["modelId"], m["endpointName"]) for m in json.loads(
        env(by_name[f"chatbot-{stack}-chat-worker"])["SAGEMAKER_MODELS"])]
    assert listed == [(f"sagemaker.{n}", endpoints[n]) for n in names]
    holders = sorted(name for name, f in by_name.items() if "SAGEMAKER_MODELS" in env(f))
    assert holders == [f"chatbot-{stack}-chat-worker", f"chatbot-{stack}-rest"]
    assert env(by_name[f"chatbot-{stack}-rest"])["SAGEMAKER_MODELS"] == env(
        by_name[f"chatbot-{stack}-chat-worker"])["SAGEMAKER_MODELS"]


@pytest.mark.parametrize("stack", STACKS)
def test_the_rest_function_starts_crawls_on_that_crawler_only(built, stack: str) -> None:
    harness, _, config = built[stack]
    by_name = functions(harness)
    crawler = by_name[f"chatbot-{stack}-web-crawler"]
    assert "vpcConfig" not in crawler.inputs
    rest = env(by_name[f"chatbot-{stack}-rest"])
    assert rest["CRAWLER_FUNCTION_NAME"] == crawler.inputs["name"]
    assert rest["CRAWLER_MAX_PAGES"] == env(crawler)["CRAWLER_MAX_PAGES"] == config.get(
        "chatbot:crawlerMaxPages", "100")
    domains = json.loads(config["chatbot:crawlerAllowedDomains"])
    assert env(crawler)["CRAWLER_ALLOWED_DOMAINS"] == ",".join(domains)
    invocable = sorted(r for s in statements(harness, "chat-rest-policy").values()
                       if "lambda:InvokeFunction" in s["Action"] for r in s["Resource"])
    assert invocable == sorted(lambda_arn(stack, f) for f in ("chat-worker", "rag", "web-crawler"))
    (retries,) = [c for c in harness.of_type("aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig")
                  if c.inputs["functionName"] == crawler.inputs["name"]]
    assert retries.inputs["maximumRetryAttempts"] == 0
    crawl = statements(harness, "rag-crawler-function-policy")
    assert crawl["RegisterDocuments"]["Resource"] == [lambda_arn(stack, "rag")]


@pytest.mark.parametrize("stack", STACKS)
def test_the_rag_and_processor_functions_carry_the_engines(built, stack: str) -> None:
    harness, outputs, _ = built[stack]
    by_name = functions(harness)
    rag, processor = env(by_name[f"chatbot-{stack}-rag"]), env(by_name[f"chatbot-{stack}-doc-processor"])
    rest = env(by_name[f"chatbot-{stack}-rest"])
    for environment in (rag, processor, rest):
        assert environment["RAG_ENGINES"] == "pgvector,opensearch,kendra,bedrock-kb"
    for key in ENGINE_KEYS:
        assert rest[key] == rag[key], key  # what a workspace may choose is what the service serves
    for environment in (rag, processor):
        assert environment["OPENSEARCH_ENDPOINT"] == outputs["opensearchCollectionEndpoint"]
        assert environment["OPENSEARCH_REGION"] == region(stack)
    assert [i["id"] for i in json.loads(rag["KENDRA_INDEXES"])] == outputs["kendraIndexIds"]
    assert outputs["knowledgeBaseId"] in [kb["id"] for kb in json.loads(rag["KNOWLEDGE_BASES"])]
    granted = statements(harness, "rag-rag-policy")
    assert granted["RetrieveFromKnowledgeBases"]["Resource"][-1] == (
        f"arn:aws:bedrock:{region(stack)}:{ACCOUNT_ID}:knowledge-base/{outputs['knowledgeBaseId']}")
    assert {"Rerank", "InvokeRerankModels", "KendraRetrieve", "OpenSearchCollectionApi"} <= set(granted)
    processor_granted = statements(harness, "rag-doc-processor-policy")
    assert "OpenSearchCollectionApi" in processor_granted
    assert not {"Rerank", "KendraRetrieve", "RetrieveFromKnowledgeBases"} & set(processor_granted)
    if stack == "dev-full":
        assert granted["AssumeKendraCrossAccountRole"]["Resource"] == [KENDRA_ROLE]
        assert outputs["kendraIndexIds"][1:] == [ATTACHED_INDEX]
    access = harness.one("aws:opensearch/serverlessAccessPolicy:ServerlessAccessPolicy")
    blocks = json.loads(access.inputs["policy"])
    roles = [f"arn:aws:iam::{ACCOUNT_ID}:role/rag-{r}-role" for r in ("rag", "doc-processor")]
    assert [b["Principal"] for b in blocks] == [roles, roles[:1]]


@pytest.mark.parametrize("stack", STACKS)
def test_engine_resources_follow_the_environment(built, stack: str) -> None:
    harness, outputs, _ = built[stack]
    prod = stack == "prod-full"
    (kb_role,) = [r for r in harness.of_type("aws:iam/role:Role") if r.name == "rag-kb-role"]
    (trust,) = json.loads(kb_role.inputs["assumeRolePolicy"])["Statement"]
    assert trust["Principal"] == {"Service": "bedrock.amazonaws.com"}
    assert trust["Condition"] == {
        "StringEquals": {"aws:SourceAccount": ACCOUNT_ID},
        "ArnLike": {"aws:SourceArn": f"arn:aws:bedrock:{region(stack)}:{ACCOUNT_ID}:knowledge-base/*"}}
    index = harness.one("aws:kendra/index:Index")
    encryption = index.inputs.get("serverSideEncryptionConfiguration")
    assert (encryption["kmsKeyId"].endswith("key/keys-data-key-id") if prod else encryption is None)
    assert index.inputs["edition"] == ("ENTERPRISE_EDITION" if prod else "DEVELOPER_EDITION")
    collection = harness.one("aws:opensearch/serverlessCollection:ServerlessCollection")
    assert collection.inputs["standbyReplicas"] == ("ENABLED" if prod else "DISABLED")
    assert collection.protect == prod
    services = {e.inputs["serviceName"].rsplit(".", 1)[-1]
                for e in harness.of_type("aws:ec2/vpcEndpoint:VpcEndpoint")}
    assert {"kendra", "bedrock-agent-runtime"} <= services
    assert ("sts" in services) == (not prod)  # the cross-account Kendra role (and dev tools) need it
    (guardrail,) = harness.of_type("aws:bedrock/guardrail:Guardrail")
    (topic,) = guardrail.inputs["topicPolicyConfig"]["topicsConfigs"]
    assert (topic["name"], topic["type"]) == ("Investment advice", "DENY")
    assert topic["definition"].startswith("Recommendations to buy, sell or hold")
    assert {"kendraIndexIds", "opensearchCollectionEndpoint", "knowledgeBaseId",
            "selfHostedEndpoints"} <= set(outputs)
