"""DevTools: SageMaker Studio only in dev, VpcOnly in private subnets, a scoped inline role (no managed
policy), a security group that admits only itself, idle apps shut down."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.devtools import (
    APP_PORTS,
    NFS_PORT,
    STUDIO_INTERFACE_ENDPOINTS,
    STUDIO_LOG_GROUP,
    DevTools,
    DevToolsArgs,
    execution_role_policy,
)
from components.network import service_name

from .conftest import ACCOUNT_ID, MOCK_REGION, Harness

DOMAIN = "aws:sagemaker/domain:Domain"
PROFILE = "aws:sagemaker/userProfile:UserProfile"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
GROUP = "aws:ec2/securityGroup:SecurityGroup"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
ATTACHMENTS = (
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment", "aws:iam/policyAttachment:PolicyAttachment",
)
SUBNETS = ["subnet-private-1", "subnet-private-2"]
VPC_CIDR = "10.0.0.0/16"
S3_PREFIX_LIST = "pl-63a5400a"
INVOKE = {"Sid": "InvokeOneModel", "Effect": "Allow", "Action": "bedrock:InvokeModel",
          "Resource": f"arn:aws:bedrock:{MOCK_REGION}::foundation-model/amazon.nova-lite-v1:0"}


def args(**overrides: Any) -> DevToolsArgs:
    values: dict[str, Any] = {
        "prefix": "chatbot", "stack": "dev", "region": MOCK_REGION, "environment": "dev",
        "vpc_id": "vpc-0a1b2c3d4e5f67890", "vpc_cidr": VPC_CIDR, "subnet_ids": SUBNETS,
        "kms_key_arn": None, "retain": False,
    }
    return DevToolsArgs(**{**values, **overrides})


def build(harness: Harness, devtools_args: DevToolsArgs) -> None:
    harness.run(lambda: DevTools("dev-tools", devtools_args).domain_id)


@pytest.mark.parametrize("environment", ["prod", "staging", "test"])
def test_refuses_to_exist_outside_dev(environment: str) -> None:
    with pytest.raises(ValueError, match="SEC-DEV-TOOLS-DEV-ONLY"):
        args(environment=environment)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [({"user_profile": "bad name"}, "user_profile"), ({"idle_timeout_minutes": 30}, "idle_timeout_minutes")],
)
def test_invalid_args(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        args(**overrides)


def test_domain_is_vpc_only_in_the_private_subnets(pulumi_mocks) -> None:
    harness = pulumi_mocks("dev")
    build(harness, args(kms_key_arn="arn:aws:kms:us-east-1:111122223333:key/data"))
    domain = harness.one(DOMAIN).inputs
    assert domain["authMode"] == "IAM"
    assert domain["appNetworkAccessType"] == "VpcOnly"
    assert domain["vpcId"] == "vpc-0a1b2c3d4e5f67890" and domain["subnetIds"] == SUBNETS
    assert domain["kmsKeyId"] == "arn:aws:kms:us-east-1:111122223333:key/data"
    assert domain["domainName"] == "chatbot-dev-studio"
    users = domain["defaultUserSettings"]
    role_arn = f"arn:aws:iam::{ACCOUNT_ID}:role/dev-tools-execution-role"
    assert users["executionRole"] == role_arn
    assert users["securityGroups"] == ["dev-tools-studio-sg-id"]
    assert users["sharingSettings"] == {"notebookOutputOption": "Disabled"}
    assert domain["defaultSpaceSettings"] == {
        "executionRole": role_arn, "securityGroups": ["dev-tools-studio-sg-id"]}
    assert domain["domainSettings"]["securityGroupIds"] == ["dev-tools-studio-sg-id"]
    assert domain["domainSettings"]["executionRoleIdentityConfig"] == "USER_PROFILE_NAME"
    assert domain["retentionPolicy"] == {"homeEfsFileSystem": "Delete"}
    assert not harness.one(DOMAIN).protect


def test_idle_apps_shut_down(pulumi_mocks) -> None:
    harness = pulumi_mocks("dev")
    build(harness, args(idle_timeout_minutes=90))
    users = harness.one(DOMAIN).inputs["defaultUserSettings"]
    for app in ("jupyterLabAppSettings", "codeEditorAppSettings"):
        idle = users[app]["appLifecycleManagement"]["idleSettings"]
        assert idle == {"lifecycleManagement": "ENABLED", "idleTimeoutInMinutes": 90,
                        "maxIdleTimeoutInMinutes": 90}


def test_one_user_profile(pulumi_mocks) -> None:
    harness = pulumi_mocks("dev")
    build(harness, args(user_profile="alice"))
    profile = harness.one(PROFILE).inputs
    assert profile == {"domainId": "dev-tools-domain-id", "userProfileName": "alice"}


def test_execution_role_has_no_managed_policy_and_a_scoped_inline_one(pulumi_mocks) -> None:
    harness = pulumi_mocks("dev")
    build(harness, args())
    role = harness.one(ROLE).inputs
    assert "managedPolicyArns" not in role
    for typ in ATTACHMENTS:
        assert harness.of_type(typ) == []
    trust = json.loads(role["assumeRolePolicy"])["Statement"]
    assert trust == [{"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"},
                      "Action": "sts:AssumeRole"}]
    statements = harness.policy(harness.one(ROLE_POLICY))["Statement"]
    for statement in statements:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        assert all(a != "*" and not a.endswith(":*") for a in actions), statement
        if statement["Resource"] == "*":
            assert all(a.split(":")[1].startswith("List") for a in actions), statement
        assert "iam:PassRole" not in actions
    by_sid = {s["Sid"]: s for s in statements}
    logs = f"arn:aws:logs:{MOCK_REGION}:{ACCOUNT_ID}:log-group:{STUDIO_LOG_GROUP}"
    assert by_sid["StudioAppLogs"]["Resource"] == [logs, f"{logs}:*"]
    assert by_sid["StudioReadOwnProfile"]["Resource"][1].endswith(":user-profile/*/developer")


def test_extra_statements_are_appended_as_given() -> None:
    document = json.loads(execution_role_policy("aws", MOCK_REGION, ACCOUNT_ID, "developer", (INVOKE,)))
    assert document["Statement"][-1] == INVOKE
    assert "bedrock:InvokeModel" not in json.dumps(
        json.loads(execution_role_policy("aws", MOCK_REGION, ACCOUNT_ID, "developer")))


def test_security_group_admits_only_itself_and_reaches_only_the_vpc(pulumi_mocks) -> None:
    harness = pulumi_mocks("dev")
    build(harness, args(egress_prefix_list_ids=(S3_PREFIX_LIST,)))
    group = harness.one(GROUP).inputs
    assert group["vpcId"] == "vpc-0a1b2c3d4e5f67890"
    assert not group.get("ingress") and not group.get("egress")
    ingress = [r.inputs for r in harness.of_type(INGRESS)]
    assert sorted((r["fromPort"], r["toPort"]) for r in ingress) == [(NFS_PORT, NFS_PORT), APP_PORTS]
    assert all(r["referencedSecurityGroupId"] == "dev-tools-studio-sg-id" for r in ingress)
    assert all("cidrIpv4" not in r and "cidrIpv6" not in r for r in ingress)
    egress = {(r["fromPort"], r.get("cidrIpv4"), r.get("prefixListId"), r.get("referencedSecurityGroupId"))
              for r in (x.inputs for x in harness.of_type(EGRESS))}
    assert egress == {
        (NFS_PORT, None, None, "dev-tools-studio-sg-id"),
        (APP_PORTS[0], None, None, "dev-tools-studio-sg-id"),
        (443, VPC_CIDR, None, None),
        (443, None, S3_PREFIX_LIST, None),
    }


def test_retained_when_asked(pulumi_mocks) -> None:
    harness = pulumi_mocks("dev")
    build(harness, args(retain=True))
    domain = harness.one(DOMAIN)
    assert domain.inputs["retentionPolicy"] == {"homeEfsFileSystem": "Retain"}
    assert domain.protect and domain.retain_on_delete


def test_studio_endpoint_names() -> None:
    names = [service_name("eu-west-1", short) for short in STUDIO_INTERFACE_ENDPOINTS]
    assert names == [
        "com.amazonaws.eu-west-1.sagemaker.api",
        "com.amazonaws.eu-west-1.sagemaker.runtime",
        "aws.sagemaker.eu-west-1.studio",
        "com.amazonaws.eu-west-1.sts",
        "com.amazonaws.eu-west-1.logs",
    ]
