"""OpenSearchVectorCollection: CMK encryption, VPC-endpoint-only network policy, data access for exactly the
given roles, standby replicas per flag, protection per retain, service name limits, refused arguments."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from components.lambda_function import check_statement
from components.opensearch_engine import (
    INDEX_PERMISSIONS,
    OpenSearchVectorCollection,
    OpenSearchVectorCollectionArgs,
    data_access_policy,
)

from .conftest import ACCOUNT_ID, Harness

COLLECTION = "aws:opensearch/serverlessCollection:ServerlessCollection"
SECURITY_POLICY = "aws:opensearch/serverlessSecurityPolicy:ServerlessSecurityPolicy"
ACCESS_POLICY = "aws:opensearch/serverlessAccessPolicy:ServerlessAccessPolicy"
VPC_ENDPOINT = "aws:opensearch/serverlessVpcEndpoint:ServerlessVpcEndpoint"
GROUP = "aws:ec2/securityGroup:SecurityGroup"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
KMS = f"arn:aws:kms:eu-west-1:{ACCOUNT_ID}:key/data"
RAG_ROLE = f"arn:aws:iam::{ACCOUNT_ID}:role/chatbot-prod-rag"
PROCESSOR_ROLE = f"arn:aws:iam::{ACCOUNT_ID}:role/chatbot-prod-doc-processor"
CLIENTS_SG = "sg-0clients"
NAME = re.compile(r"^[a-z][a-z0-9-]{2,31}$")


def args(**overrides: Any) -> OpenSearchVectorCollectionArgs:
    values: dict[str, Any] = {
        "prefix": "chatbot", "stack": "prod", "vpc_id": "vpc-0123",
        "private_subnet_ids": ["subnet-p1", "subnet-p2"],
        "client_security_group_id": CLIENTS_SG, "principal_role_arns": [RAG_ROLE, PROCESSOR_ROLE],
        "kms_key_arn": KMS, "dev": False, "retain": True,
    }
    return OpenSearchVectorCollectionArgs(**{**values, **overrides})


def dev_args(**overrides: Any) -> OpenSearchVectorCollectionArgs:
    return args(**{"stack": "dev", "kms_key_arn": None, "dev": True, "retain": False,
                   "standby_replicas": False, **overrides})


def build(harness: Harness, collection_args: OpenSearchVectorCollectionArgs) -> dict[str, Any]:
    def program() -> pulumi.Output[dict[str, Any]]:
        vectors = OpenSearchVectorCollection("vectors", collection_args)
        return pulumi.Output.all(
            name=vectors.collection_name, arn=vectors.collection_arn, id=vectors.collection_id,
            endpoint=vectors.collection_endpoint, vpce=vectors.vpc_endpoint_id,
            statements=vectors.client_statements(),
        )

    return harness.run(program)


def security_policy(harness: Harness, kind: str) -> Any:
    found = [r for r in harness.of_type(SECURITY_POLICY) if r.inputs["type"] == kind]
    assert len(found) == 1
    return found[0], json.loads(found[0].inputs["policy"])


def test_prod_collection_is_encrypted_with_the_cmk_and_protected(pulumi_mocks) -> None:
    harness = pulumi_mocks("prod")
    outputs = build(harness, args())
    collection = harness.one(COLLECTION)
    assert collection.inputs["name"] == outputs["name"] == "chatbot-prod-vectors"
    assert collection.inputs["type"] == "VECTORSEARCH"
    assert collection.inputs["standbyReplicas"] == "ENABLED"
    assert collection.protect and collection.retain_on_delete
    record, policy = security_policy(harness, "encryption")
    selects = [{"ResourceType": "collection", "Resource": ["collection/chatbot-prod-vectors"]}]
    assert policy == {"Rules": selects, "AWSOwnedKey": False, "KmsARN": KMS}
    assert record.retain_on_delete  # a retained collection keeps the policy naming its key
    assert outputs["id"] == "vectors-collection-id" and outputs["arn"].endswith("/vectors-collection")


def test_dev_collection_uses_an_aws_owned_key_no_standby_and_no_protection(pulumi_mocks) -> None:
    harness = pulumi_mocks("dev")
    build(harness, dev_args())
    collection = harness.one(COLLECTION)
    assert collection.inputs["standbyReplicas"] == "DISABLED"
    assert not collection.protect and not collection.retain_on_delete
    _, policy = security_policy(harness, "encryption")
    assert policy["AWSOwnedKey"] is True and "KmsARN" not in policy


def test_standby_replicas_follow_the_flag_not_the_stack(pulumi_mocks) -> None:
    harness = pulumi_mocks("dev")
    build(harness, dev_args(standby_replicas=True))
    assert harness.one(COLLECTION).inputs["standbyReplicas"] == "ENABLED"


def test_collection_waits_for_its_encryption_and_network_policies(pulumi_mocks, monkeypatch) -> None:
    dependencies: dict[str, list[str]] = {}
    original = aws.opensearch.ServerlessCollection.__init__

    def spy(self: Any, resource_name: str, *a: Any, **kw: Any) -> None:
        dependencies[resource_name] = [d._name for d in kw["opts"].depends_on]
        original(self, resource_name, *a, **kw)

    monkeypatch.setattr(aws.opensearch.ServerlessCollection, "__init__", spy)
    build(pulumi_mocks("prod"), args())
    assert sorted(dependencies["vectors-collection"]) == ["vectors-encryption", "vectors-network"]


def test_network_policy_allows_no_public_access_and_names_the_vpc_endpoint(pulumi_mocks) -> None:
    harness = pulumi_mocks("prod")
    outputs = build(harness, args())
    _, policy = security_policy(harness, "network")
    assert policy == [{
        "Description": "chatbot-prod-vectors: private, through its VPC endpoint",
        "Rules": [{"ResourceType": "collection", "Resource": ["collection/chatbot-prod-vectors"]}],
        "AllowFromPublic": False,
        "SourceVPCEs": [outputs["vpce"]],
    }]
    assert outputs["vpce"] == "vectors-vpce-id"
    assert all(rule["ResourceType"] != "dashboard" for block in policy for rule in block["Rules"])


def test_vpc_endpoint_is_in_the_private_subnets_behind_a_clients_only_group(pulumi_mocks) -> None:
    harness = pulumi_mocks("prod")
    build(harness, args())
    endpoint = harness.one(VPC_ENDPOINT).inputs
    assert endpoint["subnetIds"] == ["subnet-p1", "subnet-p2"] and endpoint["vpcId"] == "vpc-0123"
    assert endpoint["securityGroupIds"] == ["vectors-vpce-sg-id"]
    assert "egress" not in harness.one(GROUP).inputs and "ingress" not in harness.one(GROUP).inputs
    ingress = harness.one(INGRESS).inputs
    assert ingress == {**ingress, "securityGroupId": "vectors-vpce-sg-id",
                       "referencedSecurityGroupId": CLIENTS_SG, "fromPort": 443, "toPort": 443,
                       "ipProtocol": "tcp"}
    assert "cidrIpv4" not in ingress
    egress = harness.one(EGRESS).inputs
    assert egress["securityGroupId"] == CLIENTS_SG
    assert egress["referencedSecurityGroupId"] == "vectors-vpce-sg-id"
    assert (egress["fromPort"], egress["toPort"]) == (443, 443)


def test_data_access_policy_grants_exactly_the_given_roles_the_engine_permissions(pulumi_mocks) -> None:
    harness = pulumi_mocks("prod")
    build(harness, args())
    record = harness.one(ACCESS_POLICY)
    assert record.inputs["type"] == "data"
    [block] = json.loads(record.inputs["policy"])
    assert block["Principal"] == [RAG_ROLE, PROCESSOR_ROLE]
    rules = {rule["ResourceType"]: rule for rule in block["Rules"]}
    assert rules["index"]["Resource"] == ["index/chatbot-prod-vectors/*"]
    assert rules["index"]["Permission"] == list(INDEX_PERMISSIONS)
    assert "aoss:DeleteIndex" not in rules["index"]["Permission"]
    assert rules["collection"] == {"ResourceType": "collection",
                                   "Resource": ["collection/chatbot-prod-vectors"],
                                   "Permission": ["aoss:DescribeCollectionItems"]}
    assert not any("*" in p for rule in block["Rules"] for p in rule["Permission"])


def test_only_the_named_deleters_may_delete_indexes(pulumi_mocks) -> None:
    harness = pulumi_mocks("prod")
    build(harness, args(index_deleter_role_arns=[RAG_ROLE]))
    engine, deleters = json.loads(harness.one(ACCESS_POLICY).inputs["policy"])
    assert engine["Principal"] == [RAG_ROLE, PROCESSOR_ROLE]
    assert "aoss:DeleteIndex" not in {p for rule in engine["Rules"] for p in rule["Permission"]}
    assert deleters["Principal"] == [RAG_ROLE]
    assert deleters["Rules"] == [{"ResourceType": "index", "Resource": ["index/chatbot-prod-vectors/*"],
                                  "Permission": ["aoss:DeleteIndex"]}]


def test_principals_computed_from_roles_resolve_into_the_policy(pulumi_mocks) -> None:
    harness = pulumi_mocks("prod")

    def program() -> Any:
        role = aws.iam.Role("rag-role", assume_role_policy="{}")
        arn = role.name.apply(lambda _: RAG_ROLE)  # the mock's ARN is not an IAM one; the real one is
        OpenSearchVectorCollection("vectors", args(principal_role_arns=[arn]))
        return arn

    harness.run(program)
    [block] = json.loads(harness.one(ACCESS_POLICY).inputs["policy"])
    assert block["Principal"] == [RAG_ROLE]


def test_all_service_names_fit_the_limits_even_for_long_prefixes(pulumi_mocks) -> None:
    harness = pulumi_mocks("prod")
    build(harness, args(prefix="a-very-long-chatbot-prefix", stack="production-eu"))
    names = [r.inputs["name"] for t in (COLLECTION, SECURITY_POLICY, ACCESS_POLICY, VPC_ENDPOINT)
             for r in harness.of_type(t)]
    assert len(names) == 5 and len(set(names)) == 5
    assert all(NAME.match(n) for n in names), names


def test_client_statement_is_api_access_on_the_collection_only(pulumi_mocks) -> None:
    outputs = build(pulumi_mocks("prod"), args())
    assert outputs["statements"] == [{"Sid": "OpenSearchCollectionApi", "Effect": "Allow",
                                      "Action": ["aoss:APIAccessAll"], "Resource": [outputs["arn"]]}]
    check_statement(outputs["statements"][0])


@pytest.mark.parametrize(("overrides", "field"), [
    ({"kms_key_arn": None}, "kms_key_arn"),
    ({"principal_role_arns": ["*"]}, "principal_role_arns"),
    ({"principal_role_arns": [f"arn:aws:iam::{ACCOUNT_ID}:root"]}, "principal_role_arns"),
    ({"principal_role_arns": [f"arn:aws:iam::{ACCOUNT_ID}:user/alice"]}, "principal_role_arns"),
    ({"principal_role_arns": [f"arn:aws:iam::{ACCOUNT_ID}:role/*"]}, "principal_role_arns"),
    ({"principal_role_arns": [RAG_ROLE, RAG_ROLE]}, "principal_role_arns"),
    ({"index_deleter_role_arns": ["*"]}, "index_deleter_role_arns"),
    ({"private_subnet_ids": [f"subnet-{i}" for i in range(7)]}, "private_subnet_ids"),
    ({"private_subnet_ids": []}, "private_subnet_ids"),
    ({"prefix": "1chat"}, "prefix"),
])
def test_bad_arguments_are_refused_naming_the_field(overrides: dict[str, Any], field: str) -> None:
    with pytest.raises(ValueError, match=field):
        args(**overrides)


def test_access_granted_later_once_and_to_named_roles_only(pulumi_mocks) -> None:
    harness = pulumi_mocks("prod")

    def program() -> dict[str, Any]:
        collection = OpenSearchVectorCollection("vectors", args(principal_role_arns=[]))
        with pytest.raises(ValueError, match="principal_role_arns"):
            collection.grant_access([])
        with pytest.raises(ValueError, match="principal_role_arns"):
            collection.grant_access(["*"])
        collection.grant_access([RAG_ROLE], [RAG_ROLE])
        with pytest.raises(ValueError, match="already set"):
            collection.grant_access([PROCESSOR_ROLE])
        return {}

    harness.run(program)
    policy = json.loads(harness.one("aws:opensearch/serverlessAccessPolicy:ServerlessAccessPolicy")
                        .inputs["policy"])
    assert [block["Principal"] for block in policy] == [[RAG_ROLE], [RAG_ROLE]]


def test_computed_principals_are_checked_when_known() -> None:
    with pytest.raises(ValueError, match="principal_role_arns"):
        data_access_policy("chatbot-prod-vectors", ["*"])


# The three new components in a tiny Pulumi program, for the real policy pack through the offline preview.
PROGRAM = '''
import json
import sys

sys.path.insert(0, {root!r})

import pulumi
import pulumi_aws as aws

from components.kendra_engine import KendraIndex, KendraIndexArgs
from components.keys import Keys, KeysArgs
from components.knowledge_base_access import KnowledgeBaseAccess
from components.opensearch_engine import OpenSearchVectorCollection, OpenSearchVectorCollectionArgs

stack = pulumi.get_stack()
dev = stack == "dev"
region = "eu-west-1"
key_arn = None if dev else Keys("keys", KeysArgs(
    prefix="chatbot", stack=stack, data_classes=("data",), retain=True, region=region)).key_arns["data"]
role = aws.iam.Role("rag-role", name=f"chatbot-{{stack}}-rag", assume_role_policy=json.dumps({{
    "Version": "2012-10-17", "Statement": [{{"Effect": "Allow", "Action": "sts:AssumeRole",
                                            "Principal": {{"Service": "lambda.amazonaws.com"}}}}]}}))
partition = aws.get_partition_output().partition
account = aws.get_caller_identity_output().account_id
role_arn = pulumi.Output.concat("arn:", partition, ":iam::", account, ":role/", role.name)
clients = aws.ec2.SecurityGroup("clients", vpc_id="vpc-0123", description="rag clients")
vectors = OpenSearchVectorCollection("vectors", OpenSearchVectorCollectionArgs(
    prefix="chatbot", stack=stack, vpc_id="vpc-0123", private_subnet_ids=["subnet-0a", "subnet-0b"],
    client_security_group_id=clients.id, principal_role_arns=[role_arn], kms_key_arn=key_arn, dev=dev,
    retain=not dev, standby_replicas=not dev))
kendra = KendraIndex("kendra", KendraIndexArgs(
    prefix="chatbot", stack=stack, region=region, dev=dev, retain=not dev, create=True,
    edition="DEVELOPER_EDITION" if dev else "ENTERPRISE_EDITION", kms_key_arn=key_arn))
remote = KendraIndex("kendra-remote", KendraIndexArgs(
    prefix="chatbot", stack=stack, region=region, dev=dev, retain=not dev,
    existing_index_ids=("0123abcd-4567-89ef-0123-456789abcdef",),
    cross_account_role_arn="arn:aws:iam::444455556666:role/kendra-reader", cross_account_external_id="x-1"))
knowledge_bases = KnowledgeBaseAccess(("ABCDEF1234",), region=region)
parts = pulumi.Output.all(vectors.client_statements(), kendra.retrieval_statements(),
                          remote.retrieval_statements(), knowledge_bases.statements(partition, account))
aws.iam.RolePolicy("rag-policy", role=role.id, policy=parts.apply(lambda p: json.dumps(
    {{"Version": "2012-10-17", "Statement": [s for part in p for s in part]}})))
'''


@pytest.mark.parametrize(("stack", "advisories"), [
    ("prod", set()),
    # Dev may leave data unprotected; the pack says so, as an advisory, for both stateful resources.
    ("dev", {("stateful-resource-retention", "vectors-collection"),
             ("stateful-resource-retention", "kendra-index")}),
])
def test_the_policy_pack_passes_a_program_using_the_components(tmp_path, stack, advisories) -> None:
    from tools.preview.__main__ import main

    root = Path(__file__).resolve().parents[2]
    (tmp_path / "Pulumi.yaml").write_text("name: chatbot\nruntime: python\n")
    (tmp_path / f"Pulumi.{stack}.yaml").write_text("config:\n  aws:region: eu-west-1\n")
    (tmp_path / "__main__.py").write_text(PROGRAM.format(root=str(root)))
    report_file = tmp_path / "report.json"
    code = main(["--cwd", str(tmp_path), "--stack", stack, "--policy-pack", str(root / "policies"),
                 "--mode", "deploy", "--no-tree", "--json", str(report_file)])
    report = json.loads(report_file.read_text())
    assert code == 0, report["violations"]
    assert report["summary"]["mandatory"] == 0 and report["notEvaluated"] == []
    found = {(v["policy"], v["urn"].rsplit("::", 1)[-1]) for v in report["violations"]}
    assert found == advisories
    types = {r["type"] for r in report["resources"]}
    assert {COLLECTION, SECURITY_POLICY, ACCESS_POLICY, VPC_ENDPOINT, "aws:kendra/index:Index"} <= types
