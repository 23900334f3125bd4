"""KendraIndex: a created index (edition, CMK, protection, the CloudWatch role per the Kendra guide, user
tokens) or attached ones (ids, ARNs, no resources), optionally cross-account; least-privilege statements."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from components.kendra_engine import KendraIndex, KendraIndexArgs, KendraJwtTokens, index_trust_policy
from components.lambda_function import check_statement

from .conftest import ACCOUNT_ID, Harness

INDEX = "aws:kendra/index:Index"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
REGION = "eu-west-1"
KMS = f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/data"
INDEX_A = "0123abcd-4567-89ef-0123-456789abcdef"
INDEX_B = "fedcba98-7654-3210-fedc-ba9876543210"
REMOTE_ROLE = "arn:aws:iam::444455556666:role/kendra-reader"


def args(**overrides: Any) -> KendraIndexArgs:
    values: dict[str, Any] = {
        "prefix": "chatbot", "stack": "prod", "region": REGION, "dev": False, "retain": True,
        "create": True, "edition": "ENTERPRISE_EDITION", "kms_key_arn": KMS,
    }
    return KendraIndexArgs(**{**values, **overrides})


def attach(**overrides: Any) -> KendraIndexArgs:
    return args(**{"create": False, "kms_key_arn": None, "existing_index_ids": (INDEX_A, INDEX_B),
                   **overrides})


def build(harness: Harness, index_args: KendraIndexArgs) -> dict[str, Any]:
    def program() -> pulumi.Output[dict[str, Any]]:
        kendra = KendraIndex("kendra", index_args)
        return pulumi.Output.all(ids=kendra.index_ids, arns=kendra.index_arns,
                                 statements=kendra.retrieval_statements())

    return harness.run(program)


def test_created_index_uses_the_edition_and_the_cmk_and_is_protected(pulumi_mocks) -> None:
    harness = pulumi_mocks("prod")
    outputs = build(harness, args())
    index = harness.one(INDEX)
    assert index.inputs["edition"] == "ENTERPRISE_EDITION"
    assert index.inputs["serverSideEncryptionConfiguration"] == {"kmsKeyId": KMS}
    assert index.inputs["roleArn"] == f"arn:aws:iam::{ACCOUNT_ID}:role/kendra-index-role"
    assert index.inputs["name"] == "chatbot-prod-kendra"
    assert index.inputs["userContextPolicy"] == "ATTRIBUTE_FILTER"
    assert "userTokenConfigurations" not in index.inputs
    assert index.protect and index.retain_on_delete
    assert outputs["ids"] == ["kendra-index-id"]
    assert outputs["arns"] == [f"arn:aws:mock:us-east-1:{ACCOUNT_ID}:index/kendra-index"]


def test_dev_index_may_use_the_aws_owned_key_and_is_not_protected(pulumi_mocks) -> None:
    harness = pulumi_mocks("dev")
    build(harness, args(stack="dev", dev=True, retain=False, edition="DEVELOPER_EDITION", kms_key_arn=None))
    index = harness.one(INDEX)
    assert index.inputs["edition"] == "DEVELOPER_EDITION"
    assert "serverSideEncryptionConfiguration" not in index.inputs
    assert not index.protect and not index.retain_on_delete


def test_index_role_is_kendras_for_this_account_with_the_guides_cloudwatch_policy(pulumi_mocks) -> None:
    harness = pulumi_mocks("prod")
    build(harness, args())
    [trust] = harness.policy(harness.one(ROLE), "assumeRolePolicy")["Statement"]
    assert trust["Principal"] == {"Service": "kendra.amazonaws.com"} and trust["Action"] == "sts:AssumeRole"
    assert trust["Condition"] == {
        "StringEquals": {"aws:SourceAccount": ACCOUNT_ID},
        "ArnLike": {"aws:SourceArn": f"arn:aws:kendra:{REGION}:{ACCOUNT_ID}:index/*"},
    }
    statements = {s["Sid"]: s for s in harness.policy(harness.one(ROLE_POLICY))["Statement"]}
    groups = f"arn:aws:logs:{REGION}:{ACCOUNT_ID}:log-group:/aws/kendra/*"
    assert statements["KendraMetrics"]["Condition"] == {
        "StringEquals": {"cloudwatch:namespace": "AWS/Kendra"}}
    assert statements["CreateKendraLogGroup"]["Resource"] == [groups]
    assert statements["WriteKendraLogs"]["Resource"] == [f"{groups}:log-stream:*"]
    for sid, statement in statements.items():
        check_statement(statement)  # single actions only
        if statement["Resource"] == ["*"]:  # only where IAM has no resource-level permissions
            assert sid in ("KendraMetrics", "FindLogGroups")
    assert {a for s in statements.values() for a in s["Action"]} == {
        "cloudwatch:PutMetricData", "logs:DescribeLogGroups", "logs:CreateLogGroup",
        "logs:DescribeLogStreams", "logs:CreateLogStream", "logs:PutLogEvents"}


def test_user_tokens_configure_jwt_access_control(pulumi_mocks) -> None:
    harness = pulumi_mocks("prod")
    tokens = KendraJwtTokens(issuer="https://issuer.example.com/pool",
                             jwks_url="https://issuer.example.com/pool/.well-known/jwks.json")
    build(harness, args(user_tokens=tokens))
    index = harness.one(INDEX).inputs
    assert index["userContextPolicy"] == "USER_TOKEN"
    assert index["userTokenConfigurations"] == {"jwtTokenTypeConfiguration": {
        "keyLocation": "URL", "url": tokens.jwks_url, "issuer": tokens.issuer,
        "userNameAttributeField": "cognito:username", "groupAttributeField": "cognito:groups"}}


def test_created_index_statement_is_retrieve_and_query_on_its_arn(pulumi_mocks) -> None:
    outputs = build(pulumi_mocks("prod"), args())
    assert outputs["statements"] == [{"Sid": "KendraRetrieve", "Effect": "Allow",
                                      "Action": ["kendra:Retrieve", "kendra:Query"],
                                      "Resource": outputs["arns"]}]
    check_statement(outputs["statements"][0])


def test_attached_indexes_create_nothing_and_give_their_arns(pulumi_mocks) -> None:
    harness = pulumi_mocks("prod")
    outputs = build(harness, attach())
    assert [r.type for r in harness.resources] == ["chatbot:rag:KendraIndex"]
    assert outputs["ids"] == [INDEX_A, INDEX_B]
    arns = [f"arn:aws:kendra:{REGION}:{ACCOUNT_ID}:index/{i}" for i in (INDEX_A, INDEX_B)]
    assert outputs["arns"] == arns
    assert outputs["statements"][0]["Resource"] == arns
    assert outputs["statements"][0]["Action"] == ["kendra:Retrieve", "kendra:Query"]


def test_cross_account_indexes_are_reached_only_by_assuming_the_given_role(pulumi_mocks) -> None:
    harness = pulumi_mocks("prod")
    outputs = build(harness, attach(cross_account_role_arn=REMOTE_ROLE,
                                    cross_account_external_id="chatbot-prod", index_region="us-west-2"))
    assert outputs["arns"] == [f"arn:aws:kendra:us-west-2:444455556666:index/{i}" for i in (INDEX_A, INDEX_B)]
    assert outputs["statements"] == [{"Sid": "AssumeKendraCrossAccountRole", "Effect": "Allow",
                                      "Action": ["sts:AssumeRole"], "Resource": [REMOTE_ROLE]}]
    check_statement(outputs["statements"][0])


@pytest.mark.parametrize(("maker", "overrides", "field"), [
    (args, {"edition": "GEN_AI_ENTERPRISE_EDITION"}, "edition"),
    (args, {"kms_key_arn": None}, "kms_key_arn"),
    (args, {"existing_index_ids": (INDEX_A,)}, "existing_index_ids"),
    (args, {"cross_account_role_arn": REMOTE_ROLE, "cross_account_external_id": "x-id"},
     "cross_account_role_arn"),
    (args, {"user_tokens": KendraJwtTokens(issuer="i" * 66, jwks_url="https://x")}, "user_tokens.issuer"),
    (args, {"user_tokens": KendraJwtTokens(issuer="iss", jwks_url="http://x")}, "user_tokens.jwks_url"),
    (attach, {"existing_index_ids": ()}, "existing_index_ids"),
    (attach, {"existing_index_ids": ("not-an-index",)}, "existing_index_ids"),
    (attach, {"existing_index_ids": (INDEX_A, INDEX_A)}, "existing_index_ids"),
    (attach, {"kms_key_arn": KMS}, "kms_key_arn"),
    (attach, {"cross_account_role_arn": REMOTE_ROLE}, "cross_account_external_id"),
    (attach, {"cross_account_role_arn": "arn:aws:iam::444455556666:user/bob",
              "cross_account_external_id": "chatbot"}, "cross_account_role_arn"),
    (attach, {"cross_account_role_arn": REMOTE_ROLE, "cross_account_external_id": "bad id"},
     "cross_account_external_id"),
    (attach, {"index_region": "Mars"}, "index_region"),
])
def test_bad_arguments_are_refused_naming_the_field(
    maker: Any, overrides: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValueError, match=field):
        maker(**overrides)


def test_index_waits_for_its_role_policy(pulumi_mocks, monkeypatch) -> None:
    dependencies: dict[str, list[str]] = {}
    original = aws.kendra.Index.__init__

    def spy(self: Any, resource_name: str, *a: Any, **kw: Any) -> None:
        dependencies[resource_name] = [d._name for d in kw["opts"].depends_on]
        original(self, resource_name, *a, **kw)

    monkeypatch.setattr(aws.kendra.Index, "__init__", spy)
    build(pulumi_mocks("prod"), args())
    assert dependencies["kendra-index"] == ["kendra-index-policy"]


def test_trust_policy_names_the_partition_and_region() -> None:
    trust = json.loads(index_trust_policy("123456789012", "aws-cn", "cn-north-1"))
    source = trust["Statement"][0]["Condition"]["ArnLike"]["aws:SourceArn"]
    assert source == "arn:aws-cn:kendra:cn-north-1:123456789012:index/*"
