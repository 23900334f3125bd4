"""Private website: internal HTTPS-only load balancer, closed security group, Lambda server with the CSP."""

import json
from typing import Any

import pulumi
import pytest

from components.private_website import (
    HANDLER,
    LOAD_BALANCER_LOG_PREFIX,
    LOG_DELIVERY_SERVICE,
    SSL_POLICY,
    PrivateWebsite,
    PrivateWebsiteArgs,
    load_balancer_log_delivery_statement,
)
from components.security_headers import security_headers

from .conftest import ACCOUNT_ID, MOCK_REGION, Harness

CERT = "arn:aws:acm:eu-west-1:111122223333:certificate/0b5c9f0e-1d2a-4c3b-9e8f-7a6b5c4d3e2f"
DATA_KEY = "arn:aws:kms:eu-west-1:111122223333:key/data"
LOGS_KEY = "arn:aws:kms:eu-west-1:111122223333:key/logs"
LB = "aws:lb/loadBalancer:LoadBalancer"
LISTENER = "aws:lb/listener:Listener"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
FUNCTION = "aws:lambda/function:Function"
ENCRYPTION = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
ORIGINS = ("https://api.example.com", "wss://ws.example.com")


def site_args(**overrides: Any) -> PrivateWebsiteArgs:
    values: dict[str, Any] = {
        "prefix": "chatbot",
        "stack": "prod",
        "vpc_id": "vpc-0abc",
        "subnet_ids": ["subnet-a", "subnet-b"],
        "allowed_cidrs": ("10.0.0.0/8", "fd00::/8"),
        "certificate_arn": CERT,
        "access_log_bucket": "access-logs-bucket",
        "content_kms_key_arn": DATA_KEY,
        "logs_kms_key_arn": LOGS_KEY,
        "log_retention_days": 365,
        "retain": True,
        "code": pulumi.AssetArchive({"app.py": pulumi.StringAsset("def handler(e, c): pass")}),
    }
    return PrivateWebsiteArgs(**{**values, **overrides})


def deploy(harness: Harness, args: PrivateWebsiteArgs, serve: bool = True) -> None:
    def program() -> Any:
        site = PrivateWebsite("private", args)
        if serve:
            # One origin known, one computed (as the API's URL is), to cover both paths into the CSP.
            site.attach_server((ORIGINS[0], pulumi.Output.from_input(ORIGINS[1])))
        return site.content_bucket.bucket_name

    harness.run(program)


def test_load_balancer_is_internal_hardened_and_logged(pulumi_mocks) -> None:
    harness = pulumi_mocks("prod")
    deploy(harness, site_args())
    lb = harness.one(LB).inputs
    assert lb["internal"] is True and lb["loadBalancerType"] == "application"
    assert lb["securityGroups"] == ["private-alb-sg-id"]
    assert lb["subnets"] == ["subnet-a", "subnet-b"]
    assert lb["dropInvalidHeaderFields"] is True
    assert lb["desyncMitigationMode"] == "strictest"
    assert lb["enableDeletionProtection"] is True
    assert lb["accessLogs"] == {"bucket": "access-logs-bucket", "prefix": LOAD_BALANCER_LOG_PREFIX,
                                "enabled": True}


def test_dev_load_balancer_can_be_deleted(pulumi_mocks) -> None:
    harness = pulumi_mocks("dev")
    deploy(harness, site_args(stack="dev", retain=False), serve=False)
    assert harness.one(LB).inputs["enableDeletionProtection"] is False
    assert harness.of_type(FUNCTION) == []  # nothing serves until attach_server


def test_https_listener_uses_tls12_policy_and_http_only_redirects(pulumi_mocks) -> None:
    harness = pulumi_mocks("prod")
    deploy(harness, site_args())
    listeners = {r.name: r.inputs for r in harness.of_type(LISTENER)}
    assert set(listeners) == {"private-https", "private-http-redirect"}
    https = listeners["private-https"]
    assert (https["port"], https["protocol"], https["sslPolicy"]) == (443, "HTTPS", SSL_POLICY)
    assert https["certificateArn"] == CERT
    [action] = https["defaultActions"]
    assert action["type"] == "forward" and action["targetGroupArn"].endswith("targetgroup/private-server")
    hsts = https["routingHttpResponseStrictTransportSecurityHeaderValue"]
    assert hsts == security_headers()["Strict-Transport-Security"]
    assert https["routingHttpResponseXFrameOptionsHeaderValue"] == "DENY"
    http = listeners["private-http-redirect"]
    assert (http["port"], http["protocol"]) == (80, "HTTP")
    assert http["defaultActions"] == [
        {"type": "redirect", "redirect": {"statusCode": "HTTP_301", "protocol": "HTTPS", "port": "443"}}
    ]


def test_security_group_admits_only_the_allowed_networks(pulumi_mocks) -> None:
    harness = pulumi_mocks("prod")
    deploy(harness, site_args())
    group = harness.one("aws:ec2/securityGroup:SecurityGroup").inputs
    assert group["vpcId"] == "vpc-0abc"
    assert "ingress" not in group and "egress" not in group
    rules = [r.inputs for r in harness.of_type(INGRESS)]
    sources = {(r.get("cidrIpv4") or r.get("cidrIpv6"), r["fromPort"]) for r in rules}
    assert sources == {("10.0.0.0/8", 443), ("10.0.0.0/8", 80), ("fd00::/8", 443), ("fd00::/8", 80)}
    assert all(r["ipProtocol"] == "tcp" and r["fromPort"] == r["toPort"] for r in rules)
    assert all(r["securityGroupId"] == "private-alb-sg-id" for r in rules)
    v6 = [r for r in rules if "cidrIpv6" in r]
    assert len(v6) == 2 and all("cidrIpv4" not in r for r in v6)


def test_server_function_and_its_wiring(pulumi_mocks) -> None:
    harness = pulumi_mocks("prod")
    deploy(harness, site_args(xray_tracing=True))
    fn = harness.one(FUNCTION).inputs
    assert (fn["runtime"], fn["architectures"], fn["handler"]) == ("python3.14", ["arm64"], HANDLER)
    assert fn["name"] == "chatbot-prod-private-website"
    assert fn["loggingConfig"] == {"logFormat": "JSON", "logGroup": f"/aws/lambda/{fn['name']}"}
    assert fn["tracingConfig"] == {"mode": "Active"}
    env = fn["environment"]["variables"]
    assert env["CONTENT_BUCKET"].startswith("private-content-bucket")
    assert json.loads(env["SECURITY_HEADERS"]) == security_headers(ORIGINS)
    log_group = harness.one("aws:cloudwatch/logGroup:LogGroup")
    assert log_group.inputs["retentionInDays"] == 365 and log_group.inputs["kmsKeyId"] == LOGS_KEY
    assert log_group.protect and log_group.retain_on_delete
    permission = harness.one("aws:lambda/permission:Permission").inputs
    assert permission["principal"] == "elasticloadbalancing.amazonaws.com"
    assert permission["action"] == "lambda:InvokeFunction"
    assert permission["sourceArn"].endswith("targetgroup/private-server")
    target_group = harness.one("aws:lb/targetGroup:TargetGroup").inputs
    assert target_group["targetType"] == "lambda"
    attachment = harness.one("aws:lb/targetGroupAttachment:TargetGroupAttachment").inputs
    assert attachment["targetId"].endswith("function/private-server-function")
    assert (fn["memorySize"], fn["timeout"]) == (256, 10)


def test_server_role_is_least_privilege(pulumi_mocks) -> None:
    harness = pulumi_mocks("prod")
    deploy(harness, site_args(xray_tracing=True))
    trust = json.loads(harness.one("aws:iam/role:Role").inputs["assumeRolePolicy"])
    assert trust["Statement"] == [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                                   "Action": "sts:AssumeRole"}]
    document = harness.policy(harness.one("aws:iam/rolePolicy:RolePolicy"))
    statements = {s["Sid"]: s for s in document["Statement"]}
    assert set(statements) == {"OwnLogGroup", "ReadSiteObjects", "DecryptSiteObjects", "XRayTraces"}
    assert statements["OwnLogGroup"]["Action"] == ["logs:CreateLogStream", "logs:PutLogEvents"]
    assert statements["OwnLogGroup"]["Resource"] == [
        f"arn:aws:logs:{MOCK_REGION}:{ACCOUNT_ID}:log-group:/aws/lambda/chatbot-prod-private-website:*"
    ]
    assert statements["ReadSiteObjects"]["Action"] == "s3:GetObject"
    assert statements["ReadSiteObjects"]["Resource"].startswith("arn:aws:s3:::private-content-bucket")
    assert statements["ReadSiteObjects"]["Resource"].endswith("/*")
    assert statements["DecryptSiteObjects"] == {"Sid": "DecryptSiteObjects", "Effect": "Allow",
                                                "Action": "kms:Decrypt", "Resource": DATA_KEY}
    resources = {sid: s["Resource"] if isinstance(s["Resource"], list) else [s["Resource"]]
                 for sid, s in statements.items()}
    assert [sid for sid, listed in resources.items() if "*" in listed] == ["XRayTraces"]
    assert not harness.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")  # no managed policies


def test_without_keys_or_tracing_the_role_grants_less(pulumi_mocks) -> None:
    harness = pulumi_mocks("dev")
    deploy(harness, site_args(stack="dev", retain=False, content_kms_key_arn=None, logs_kms_key_arn=None))
    sids = {s["Sid"] for s in harness.policy(harness.one("aws:iam/rolePolicy:RolePolicy"))["Statement"]}
    assert sids == {"OwnLogGroup", "ReadSiteObjects"}
    assert harness.one(FUNCTION).inputs["tracingConfig"] == {"mode": "PassThrough"}  # no active tracing


def test_content_bucket_is_encrypted_and_logged(pulumi_mocks) -> None:
    harness = pulumi_mocks("prod")
    deploy(harness, site_args())
    encryption = harness.one(ENCRYPTION)
    default = encryption.inputs["rules"][0]["applyServerSideEncryptionByDefault"]
    assert default == {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": DATA_KEY}
    logging = harness.one("aws:s3/bucketLogging:BucketLogging").inputs
    assert logging["targetBucket"] == "access-logs-bucket"
    block = harness.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").inputs
    assert all(block[k] for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls",
                                  "restrictPublicBuckets"))
    bucket = harness.one("aws:s3/bucket:Bucket")
    assert bucket.protect and bucket.retain_on_delete


def test_preview_with_unknown_outputs(pulumi_mocks) -> None:
    harness = pulumi_mocks("prod", preview=True)
    deploy(harness, site_args())
    assert harness.one(LB).inputs["internal"] is True
    assert len(harness.of_type(FUNCTION)) == 1


def test_attach_server_once_and_only_with_valid_origins(pulumi_mocks) -> None:
    harness = pulumi_mocks("prod")

    def program() -> Any:
        site = PrivateWebsite("private", site_args())
        with pytest.raises(ValueError, match="connect origin"):
            site.attach_server(("https://*.example.com",))
        site.attach_server(ORIGINS)
        with pytest.raises(RuntimeError, match="already attached"):
            site.attach_server(ORIGINS)
        return "done"

    assert harness.run(program) == "done"
    assert len(harness.of_type(FUNCTION)) == 1


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"allowed_cidrs": ()}, "at least one"),
        ({"allowed_cidrs": ("0.0.0.0/0",)}, "every address"),
        ({"allowed_cidrs": ("::/0",)}, "every address"),
        ({"allowed_cidrs": ("10.0.0.1/8",)}, "no host bits"),
        ({"allowed_cidrs": ("intranet",)}, "no host bits"),
        ({"certificate_arn": "arn:aws:iam::111122223333:server-certificate/x"}, "regional ACM"),
    ],
)
def test_invalid_args_are_rejected(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        site_args(**overrides)


@pytest.mark.parametrize(
    ("region", "principal"),
    [
        ("eu-west-1", {"AWS": "arn:aws:iam::156460612806:root"}),
        ("us-east-1", {"AWS": "arn:aws:iam::127311923021:root"}),
        ("eu-central-2", {"Service": LOG_DELIVERY_SERVICE}),
    ],
)
def test_log_delivery_statement(pulumi_mocks, region: str, principal: dict[str, str]) -> None:
    harness = pulumi_mocks("prod")
    statement = load_balancer_log_delivery_statement("arn:aws:s3:::logs", region, "111122223333")
    resource = harness.run(lambda: statement["Resource"])
    assert statement["Principal"] == principal
    assert statement["Action"] == "s3:PutObject"
    assert resource == f"arn:aws:s3:::logs/{LOAD_BALANCER_LOG_PREFIX}/AWSLogs/111122223333/*"
