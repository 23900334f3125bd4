"""RetrievalEngines: the interface endpoints, environment and IAM statements each engine setting gives the
rag service and the document processor, and the OpenSearch data access granted to exactly their roles."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any, cast

import pulumi
import pytest

from components.network import Network
from components.retrieval_engines import RetrievalEngines, RetrievalEnginesArgs, interface_endpoints
from components.settings import StackSettings

from .conftest import ACCOUNT_ID, MOCK_REGION, Harness, dev_settings, prod_settings

ALL_ENGINES = json.dumps(["pgvector", "opensearch", "kendra", "bedrock-kb"])
ATTACHED_INDEX = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
OTHER_ACCOUNT_ROLE = "arn:aws:iam::444455556666:role/chatbot-kendra-reader"
ATTACHED_KB, CREATED_KB = "KB12345678", "KBSTACK001"
RERANK = ["amazon.rerank-v1:0", "cohere.rerank-v3-5:0"]
KMS = f"arn:aws:kms:eu-west-1:{ACCOUNT_ID}:key/data"
RAG_ROLE = f"arn:aws:iam::{ACCOUNT_ID}:role/chatbot-dev-rag"
PROCESSOR_ROLE = f"arn:aws:iam::{ACCOUNT_ID}:role/chatbot-dev-doc-processor"
# The mocks' ARN for the created index (conftest._computed_outputs): Kendra returns the real one.
CREATED_INDEX_ARN = f"arn:aws:mock:{MOCK_REGION}:{ACCOUNT_ID}:index/rag-kendra-index"
ACCESS_POLICY = "aws:opensearch/serverlessAccessPolicy:ServerlessAccessPolicy"
COLLECTION = "aws:opensearch/serverlessCollection:ServerlessCollection"
KENDRA_INDEX = "aws:kendra/index:Index"
NETWORK = cast(Network, SimpleNamespace(vpc_id="vpc-0123", private_subnet_ids=["subnet-a", "subnet-b"]))


def rag(**overrides: str) -> dict[str, str]:
    return {"chatbot:ragEnabled": "true", **overrides}


def full(**overrides: str) -> StackSettings:
    """Every engine in a dev stack: created + attached (cross-account) Kendra, attached KBs, rerank."""
    return dev_settings(**rag(**{
        "chatbot:ragEngines": ALL_ENGINES, "chatbot:opensearchStandbyReplicas": "false",
        "chatbot:kendraCreateIndex": "true", "chatbot:kendraIndexIds": json.dumps([ATTACHED_INDEX]),
        "chatbot:kendraRoleArn": OTHER_ACCOUNT_ROLE, "chatbot:kendraExternalId": "chatbot-dev",
        "chatbot:knowledgeBaseIds": json.dumps([ATTACHED_KB]), "chatbot:ragRerankModels": json.dumps(RERANK),
        **overrides}))


def build(harness: Harness, settings: StackSettings, kms: str | None = None,
          created_kb: str | None = None) -> dict[str, Any]:
    def program() -> pulumi.Output[dict[str, Any]]:
        engines = RetrievalEngines("rag-engines", RetrievalEnginesArgs(
            settings, network=NETWORK, client_security_group_id="sg-clients", data_kms_key_arn=kms,
            created_knowledge_base_id=created_kb))
        engines.grant(RAG_ROLE, PROCESSOR_ROLE)
        parts = engines.parts
        return pulumi.Output.all(
            rag_env=pulumi.Output.all(**parts.rag_environment),
            processor_env=pulumi.Output.all(**parts.processor_environment),
            rag=pulumi.Output.all(*parts.rag_statements, pulumi.Output.from_input([])),
            processor=pulumi.Output.all(*parts.processor_statements, pulumi.Output.from_input([])))

    result = harness.run(program)
    for role in ("rag", "processor"):
        statements = [s for part in result[role] for s in part]
        sids = [s["Sid"] for s in statements]
        assert len(sids) == len(set(sids)), f"IAM refuses a policy with duplicate Sids: {sids}"
        result[role] = {s["Sid"]: s for s in statements}
    return result


@pytest.mark.parametrize("overrides, expected", [
    ({}, ()),
    ({"chatbot:ragEngines": '["pgvector","kendra"]', "chatbot:kendraCreateIndex": "true"}, ("kendra",)),
    ({"chatbot:ragEngines": '["pgvector","kendra"]', "chatbot:kendraIndexIds": json.dumps([ATTACHED_INDEX]),
      "chatbot:kendraRoleArn": OTHER_ACCOUNT_ROLE, "chatbot:kendraExternalId": "x-id"}, ("kendra", "sts")),
    ({"chatbot:ragEngines": '["pgvector","bedrock-kb"]', "chatbot:knowledgeBaseIds": f'["{ATTACHED_KB}"]'},
     ("bedrock-agent-runtime",)),
    ({"chatbot:ragRerankModels": '["cohere.rerank-v3-5:0"]'}, ("bedrock-agent-runtime",)),
    ({"chatbot:ragEngines": '["pgvector","opensearch"]'}, ()),  # the collection brings its own endpoint
])
def test_interface_endpoints_follow_the_engines(overrides: dict[str, str], expected: tuple[str, ...]) -> None:
    assert interface_endpoints(dev_settings(**rag(**overrides))) == expected


def test_every_engine_gives_the_functions_its_environment(pulumi_mocks) -> None:
    harness = pulumi_mocks("dev")
    result = build(harness, full(), created_kb=CREATED_KB)
    env, processor_env = result["rag_env"], result["processor_env"]
    assert env["RAG_ENGINES"] == "pgvector,opensearch,kendra,bedrock-kb"
    assert env["RERANK_MODELS"] == ",".join(RERANK) and env["RERANK_REGION"] == "us-east-1"
    assert env["OPENSEARCH_ENDPOINT"] and env["OPENSEARCH_REGION"] == "us-east-1"
    assert json.loads(env["KENDRA_INDEXES"]) == [
        {"id": "rag-kendra-index-id", "name": "chatbot-dev index", "region": "us-east-1", "roleArn": None,
         "externalId": None},
        {"id": ATTACHED_INDEX, "name": "Kendra 0a1b2c3d", "region": "us-east-1",
         "roleArn": OTHER_ACCOUNT_ROLE, "externalId": "chatbot-dev"},
    ]
    assert json.loads(env["KNOWLEDGE_BASES"]) == [
        {"id": ATTACHED_KB, "name": f"Knowledge base {ATTACHED_KB}", "region": "us-east-1"},
        {"id": CREATED_KB, "name": "Stack knowledge base", "region": "us-east-1"},
    ]
    # The processor writes chunks (pgvector, OpenSearch); it never queries Kendra or knowledge bases.
    assert set(processor_env) == {"RAG_ENGINES", "RERANK_MODELS", "RERANK_REGION", "OPENSEARCH_ENDPOINT",
                                  "OPENSEARCH_REGION"}
    assert processor_env["OPENSEARCH_ENDPOINT"] == env["OPENSEARCH_ENDPOINT"]


def test_pgvector_alone_adds_only_the_engine_list(pulumi_mocks) -> None:
    harness = pulumi_mocks("dev")
    result = build(harness, dev_settings(**rag()))
    assert result["rag_env"] == {"RAG_ENGINES": "pgvector", "RERANK_MODELS": "", "RERANK_REGION": "us-east-1"}
    assert result["rag"] == {} and result["processor"] == {}
    assert harness.of_type(COLLECTION) == [] and harness.of_type(KENDRA_INDEX) == []
    assert harness.of_type(ACCESS_POLICY) == []


def test_rerank_may_invoke_only_the_rerank_models(pulumi_mocks) -> None:
    harness = pulumi_mocks("dev")
    statements = build(harness, full())["rag"]
    assert statements["Rerank"]["Action"] == ["bedrock:Rerank"]
    assert statements["InvokeRerankModels"] == {
        "Sid": "InvokeRerankModels", "Effect": "Allow", "Action": ["bedrock:InvokeModel"],
        "Resource": [f"arn:aws:bedrock:us-east-1::foundation-model/{m}" for m in RERANK]}


def test_cross_account_kendra_is_only_assuming_its_role(pulumi_mocks) -> None:
    harness = pulumi_mocks("dev")
    statements = build(harness, full())["rag"]
    assert statements["AssumeKendraCrossAccountRole"] == {
        "Sid": "AssumeKendraCrossAccountRole", "Effect": "Allow", "Action": ["sts:AssumeRole"],
        "Resource": [OTHER_ACCOUNT_ROLE]}
    # The created index is queried directly, on its own ARN; nothing names the other account's index.
    assert statements["KendraRetrieve"]["Action"] == ["kendra:Retrieve", "kendra:Query"]
    assert statements["KendraRetrieve"]["Resource"] == [CREATED_INDEX_ARN]
    assert ATTACHED_INDEX not in json.dumps(list(statements.values()))
    assert statements["RetrieveFromKnowledgeBases"] == {
        "Sid": "RetrieveFromKnowledgeBases", "Effect": "Allow", "Action": ["bedrock:Retrieve"],
        "Resource": [f"arn:aws:bedrock:us-east-1:{ACCOUNT_ID}:knowledge-base/{ATTACHED_KB}"]}


def test_same_account_kendra_and_created_knowledge_base_are_queried_on_their_arns(pulumi_mocks) -> None:
    harness = pulumi_mocks("dev")
    settings = dev_settings(**rag(**{
        "chatbot:ragEngines": '["pgvector","kendra","bedrock-kb"]',
        "chatbot:kendraIndexIds": json.dumps([ATTACHED_INDEX]), "chatbot:knowledgeBaseCreate": "true"}))
    result = build(harness, settings, created_kb=CREATED_KB)
    statements = result["rag"]
    assert statements["KendraRetrieve"]["Resource"] == [
        f"arn:aws:kendra:us-east-1:{ACCOUNT_ID}:index/{ATTACHED_INDEX}"]
    assert statements["RetrieveFromKnowledgeBases"]["Resource"] == [
        f"arn:aws:bedrock:us-east-1:{ACCOUNT_ID}:knowledge-base/{CREATED_KB}"]
    assert "AssumeKendraCrossAccountRole" not in statements and "Rerank" not in statements
    assert harness.of_type(KENDRA_INDEX) == []  # attaching creates nothing
    assert json.loads(result["rag_env"]["KNOWLEDGE_BASES"]) == [
        {"id": CREATED_KB, "name": "Stack knowledge base", "region": "us-east-1"}]


def test_created_and_same_account_attached_kendra_indexes_together(pulumi_mocks) -> None:
    """Two KendraIndex components in one role policy: each index ARN named, every Sid unique."""
    harness = pulumi_mocks("dev")
    settings = dev_settings(**rag(**{
        "chatbot:ragEngines": '["pgvector","kendra"]', "chatbot:kendraCreateIndex": "true",
        "chatbot:kendraIndexIds": json.dumps([ATTACHED_INDEX])}))
    statements = build(harness, settings)["rag"]  # build() refuses duplicate Sids
    resources = [r for s in statements.values() if s["Action"] == ["kendra:Retrieve", "kendra:Query"]
                 for r in s["Resource"]]
    assert sorted(resources) == sorted(
        [CREATED_INDEX_ARN, f"arn:aws:kendra:us-east-1:{ACCOUNT_ID}:index/{ATTACHED_INDEX}"])


def test_created_kendra_index_uses_the_data_key_outside_dev(pulumi_mocks) -> None:
    harness = pulumi_mocks("prod")
    settings = prod_settings(**rag(**{
        "chatbot:ragDbMinAcu": "0.5", "chatbot:ragEngines": '["pgvector","kendra"]',
        "chatbot:kendraCreateIndex": "true", "chatbot:kendraEdition": "ENTERPRISE_EDITION"}))
    build(harness, settings, kms=KMS)
    index = harness.one(KENDRA_INDEX)
    assert index.inputs["serverSideEncryptionConfiguration"] == {"kmsKeyId": KMS}
    assert index.inputs["edition"] == "ENTERPRISE_EDITION"
    assert index.protect and index.retain_on_delete


def test_opensearch_data_access_names_exactly_the_two_roles_and_only_rag_deletes(pulumi_mocks) -> None:
    harness = pulumi_mocks("dev")
    result = build(harness, full())
    (policy,) = harness.of_type(ACCESS_POLICY)
    blocks = json.loads(policy.inputs["policy"])
    assert [b["Principal"] for b in blocks] == [[RAG_ROLE, PROCESSOR_ROLE], [RAG_ROLE]]
    granted = [p for block in blocks for rule in block["Rules"] for p in rule["Permission"]]
    assert granted.count("aoss:DeleteIndex") == 1
    assert blocks[1]["Rules"][0]["Permission"] == ["aoss:DeleteIndex"]
    assert "aoss:DeleteIndex" not in json.dumps(blocks[0])
    # Both roles pass IAM's side of the check on this collection only.
    for role in ("rag", "processor"):
        api = result[role]["OpenSearchCollectionApi"]
        assert api["Action"] == ["aoss:APIAccessAll"] and api["Resource"] == [
            f"arn:aws:mock:{MOCK_REGION}:{ACCOUNT_ID}:serverlesscollection/rag-vectors-collection"]
    assert harness.one(COLLECTION).inputs["standbyReplicas"] == "DISABLED"


def test_the_created_knowledge_base_is_queried_where_it_lives(pulumi_mocks) -> None:
    """The stack's knowledge base lives with its Aurora cluster (the stack's region); attached ones and
    reranking are in the Bedrock region."""
    harness = pulumi_mocks("dev")
    settings = dev_settings(**rag(**{
        "chatbot:bedrockRegion": "us-west-2", "chatbot:natGateway": "true",
        "chatbot:ragEngines": '["pgvector","bedrock-kb"]', "chatbot:knowledgeBaseCreate": "true",
        "chatbot:knowledgeBaseIds": json.dumps([ATTACHED_KB])}))
    result = build(harness, settings, created_kb=CREATED_KB)
    assert json.loads(result["rag_env"]["KNOWLEDGE_BASES"]) == [
        {"id": ATTACHED_KB, "name": f"Knowledge base {ATTACHED_KB}", "region": "us-west-2"},
        {"id": CREATED_KB, "name": "Stack knowledge base", "region": "us-east-1"},
    ]
    assert result["rag"]["RetrieveFromKnowledgeBases"]["Resource"] == [
        f"arn:aws:bedrock:us-west-2:{ACCOUNT_ID}:knowledge-base/{ATTACHED_KB}",
        f"arn:aws:bedrock:us-east-1:{ACCOUNT_ID}:knowledge-base/{CREATED_KB}"]
