"""The whole stack under dev and prod settings, plus the thin __main__ program."""

import json
import runpy
from pathlib import Path
from typing import Any

import pulumi
import pytest
import yaml
from pulumi.output import Unknown

from components.stack import build_stack
from components.tagging import supports_tags

from .conftest import ACCOUNT_ID, BUCKET_SUFFIX, DEV_CONFIG, Harness, dev_settings, prod_settings

MAIN = Path(__file__).resolve().parents[2] / "__main__.py"
STATEFUL = (
    "aws:s3/bucket:Bucket",
    "aws:kms/key:Key",
    "aws:dynamodb/table:Table",
    "aws:cognito/userPool:UserPool",
)
EDGE_TYPES = (
    "aws:wafv2/webAcl:WebAcl",
    "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration",
    "aws:cloudwatch/logGroup:LogGroup",
)
OUTPUTS = {
    "websiteUrl",
    "distributionId",
    "edgeWebAclArn",
    "contentBucketName",
    "accessLogBucketName",
    "restApiUrl",
    "websocketUrl",
    "userPoolId",
    "userPoolClientId",
    "hostedUiDomain",
    "apiWebAclArn",
    "uploadsBucketName",
    "alarmTopicArn",
    "dashboardName",
    "vpcId",
}
GUARDRAIL_OUTPUTS = {"guardrailArn", "guardrailVersion"}
NO_CODE = pulumi.AssetArchive({})  # the Lambda archive is packaged for real in tests/tools


def run_main() -> None:
    runpy.run_path(str(MAIN), run_name="__main__")


@pytest.fixture(autouse=True)
def no_packaging(monkeypatch: pytest.MonkeyPatch) -> None:
    # __main__ builds the real archive (pip); these tests are about the resources, not the zip.
    monkeypatch.setattr("components.stack.app_archive", lambda: NO_CODE)


def build(harness: Harness, settings: Any) -> dict[str, Any]:
    return harness.run(lambda: build_stack(settings, code=NO_CODE))


def sse_rules(harness: Harness) -> dict[str, dict[str, Any]]:
    configs = harness.of_type(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    )
    return {c.inputs["bucket"]: c.inputs["rules"][0]["applyServerSideEncryptionByDefault"] for c in configs}


def test_prod_stack(pulumi_mocks) -> None:
    harness = pulumi_mocks("prod")
    outputs = build(harness, prod_settings())
    assert set(outputs) == OUTPUTS | GUARDRAIL_OUTPUTS
    assert outputs["websiteUrl"] == "https://chat.example.com"

    for typ in STATEFUL:
        for record in harness.of_type(typ):
            assert record.protect and record.retain_on_delete, record.urn
    keys = {k.name: k for k in harness.of_type("aws:kms/key:Key")}
    assert {"keys-data", "keys-logs", "edge-keys-logs"} <= set(keys)
    assert all(k.inputs["enableKeyRotation"] is True for k in keys.values())

    rules = sse_rules(harness)
    assert rules[outputs["contentBucketName"]]["kmsMasterKeyId"].endswith("key/keys-data-key-id")
    assert rules[outputs["uploadsBucketName"]]["kmsMasterKeyId"].endswith("key/keys-data-key-id")
    assert rules[outputs["accessLogBucketName"]] == {"sseAlgorithm": "AES256"}
    for log_group in harness.of_type("aws:cloudwatch/logGroup:LogGroup"):
        assert log_group.inputs["retentionInDays"] == 365, log_group.urn
        assert "kmsKeyId" in log_group.inputs, log_group.urn
    for table in harness.of_type("aws:dynamodb/table:Table"):
        assert table.inputs["serverSideEncryption"]["kmsKeyArn"].endswith("key/keys-data-key-id")

    dist = harness.one("aws:cloudfront/distribution:Distribution").inputs
    assert dist["webAclId"] == outputs["edgeWebAclArn"]
    assert dist["viewerCertificate"]["minimumProtocolVersion"] == "TLSv1.2_2021"
    assert dist["viewerCertificate"]["sslSupportMethod"] == "sni-only"
    edge_acl = harness.one("aws:wafv2/webAcl:WebAcl", "edge-firewall-web-acl").inputs
    acl_rules = {r["name"]: r for r in edge_acl["rules"]}
    assert acl_rules["rate-limit-per-ip"]["statement"]["rateBasedStatement"]["limit"] == 1000
    assert "geo-allowlist" in acl_rules
    assert harness.one("aws:cognito/userPool:UserPool").inputs["mfaConfiguration"] == "ON"


def test_csp_names_exactly_the_apis_and_the_sign_in_origin(pulumi_mocks) -> None:
    harness = pulumi_mocks("prod")
    outputs = build(harness, prod_settings())
    policy = harness.one("aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy").inputs
    csp = policy["securityHeadersConfig"]["contentSecurityPolicy"]["contentSecurityPolicy"]
    connect = next(d for d in csp.split(";") if d.strip().startswith("connect-src")).split()[1:]
    rest_origin = outputs["restApiUrl"].rsplit("/", 1)[0]
    websocket_origin = outputs["websocketUrl"].rsplit("/", 1)[0]
    assert connect[0] == "'self'" and rest_origin in connect and websocket_origin in connect
    assert any(origin.endswith(".amazoncognito.com") for origin in connect)
    assert "*" not in csp
    assert len(connect) == 4  # without retrieval there is nothing to upload to


def test_with_retrieval_the_csp_admits_the_uploads_bucket_and_the_ui_is_deployed(pulumi_mocks) -> None:
    harness = pulumi_mocks("prod")
    outputs = build(harness, prod_settings(**{"chatbot:ragEnabled": "true", "chatbot:ragDbMinAcu": "0.5"}))
    policy = harness.one("aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy").inputs
    csp = policy["securityHeadersConfig"]["contentSecurityPolicy"]["contentSecurityPolicy"]
    connect = next(d for d in csp.split(";") if d.strip().startswith("connect-src")).split()[1:]
    uploads = f"https://{outputs['uploadsBucketName']}.s3.eu-west-1.amazonaws.com"
    assert uploads in connect and len(connect) == 5
    objects = {o.inputs["key"]: o.inputs for o in harness.of_type("aws:s3/bucketObjectv2:BucketObjectv2")}
    assert {"index.html", "app.css", "js/main.js", "config.json"} <= set(objects)
    assert not [key for key in objects if key.startswith("tests/") or key in ("package.json", "README.md")]
    assert {o["bucket"] for o in objects.values()} == {outputs["contentBucketName"]}
    config = json.loads(objects["config.json"]["content"])
    assert config["apiUrl"] == outputs["restApiUrl"] and config["websocketUrl"] == outputs["websocketUrl"]
    assert config["auth"]["redirectUri"] == outputs["websiteUrl"]
    assert config["auth"]["clientId"] == outputs["userPoolClientId"]
    assert config["embeddingModels"] == ["amazon.titan-embed-text-v2:0"]


def test_dev_stack(pulumi_mocks) -> None:
    harness = pulumi_mocks("dev")
    outputs = build(harness, dev_settings())
    assert set(outputs) == OUTPUTS | GUARDRAIL_OUTPUTS
    assert harness.of_type("aws:kms/key:Key") == []
    assert not any(r.protect or r.retain_on_delete for r in harness.resources)
    assert all(b.inputs["forceDestroy"] is True for b in harness.of_type("aws:s3/bucket:Bucket"))
    assert all(rule == {"sseAlgorithm": "AES256"} for rule in sse_rules(harness).values())
    for log_group in harness.of_type("aws:cloudwatch/logGroup:LogGroup"):
        assert "kmsKeyId" not in log_group.inputs and log_group.inputs["retentionInDays"] == 7
    dist = harness.one("aws:cloudfront/distribution:Distribution").inputs
    assert dist["viewerCertificate"] == {"cloudfrontDefaultCertificate": True}
    edge_acl = harness.one("aws:wafv2/webAcl:WebAcl", "edge-firewall-web-acl").inputs
    acl_rules = {r["name"]: r for r in edge_acl["rules"]}
    assert acl_rules["rate-limit-per-ip"]["statement"]["rateBasedStatement"]["limit"] == 500
    assert "geo-allowlist" not in acl_rules
    assert harness.of_type("aws:ec2/natGateway:NatGateway") == []  # idle cost: no NAT unless asked


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_bucket_meets_the_s3_baseline(pulumi_mocks, stack: str) -> None:
    harness = pulumi_mocks(stack)
    outputs = build(harness, dev_settings() if stack == "dev" else prod_settings())
    buckets = {f"{b.name}{BUCKET_SUFFIX}" for b in harness.of_type("aws:s3/bucket:Bucket")}
    assert buckets == {
        outputs["contentBucketName"],
        outputs["accessLogBucketName"],
        outputs["uploadsBucketName"],
    }
    blocks = {
        r.inputs["bucket"] for r in harness.of_type("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    }
    policies = {
        r.inputs["bucket"]: json.loads(r.inputs["policy"])
        for r in harness.of_type("aws:s3/bucketPolicy:BucketPolicy")
    }
    logged = {
        r.inputs["bucket"]: r.inputs["targetBucket"]
        for r in harness.of_type("aws:s3/bucketLogging:BucketLogging")
    }
    assert blocks == buckets and set(sse_rules(harness)) == buckets and set(policies) == buckets
    for policy in policies.values():
        assert any(
            s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
            for s in policy["Statement"]
        )
    logs = outputs["accessLogBucketName"]
    assert logged == {outputs["contentBucketName"]: logs, outputs["uploadsBucketName"]: logs}


def test_edge_resources_use_the_us_east_1_provider(pulumi_mocks) -> None:
    harness = pulumi_mocks("prod")
    build(harness, prod_settings())
    provider = harness.one("pulumi:providers:aws", "us-east-1")
    assert provider.inputs["region"] == "us-east-1"
    edge = [r for r in harness.resources if r.custom and r.name.startswith(("edge-firewall-", "edge-keys-"))]
    assert {r.type for r in edge} >= set(EDGE_TYPES)
    assert all(r.provider.startswith(provider.urn) for r in edge)
    main_region = [r for r in harness.resources if r.custom and r not in edge and r is not provider]
    assert main_region and not any(r.provider.startswith(provider.urn) for r in main_region)
    scopes = {r.name: r.inputs["scope"] for r in harness.of_type("aws:wafv2/webAcl:WebAcl")}
    assert scopes["edge-firewall-web-acl"] == "CLOUDFRONT" and "REGIONAL" in scopes.values()


def test_tag_transform_covers_every_taggable_resource(pulumi_mocks) -> None:
    harness = pulumi_mocks("prod")
    build(harness, prod_settings())
    (transform,) = harness.mocks.transforms
    tagged = set()
    for record in harness.resources:
        args = pulumi.ResourceTransformArgs(
            record.custom, record.type, record.name, record.inputs, pulumi.ResourceOptions()
        )
        result = transform(args)
        if result is None:
            assert not (record.custom and supports_tags(record.type)), record.urn
            continue
        assert {"app": "chatbot", "stack": "prod", "owner": "platform-team"}.items() <= result.props[
            "tags"
        ].items()
        tagged.add(record.type)
    assert {
        "aws:s3/bucket:Bucket",
        "aws:kms/key:Key",
        "aws:wafv2/webAcl:WebAcl",
        "aws:cloudwatch/logGroup:LogGroup",
        "aws:cloudfront/distribution:Distribution",
        "aws:dynamodb/table:Table",
        "aws:lambda/function:Function",
        "aws:cognito/userPool:UserPool",
        "aws:ec2/vpc:Vpc",
    } <= tagged


def stack_file_config(stack: str) -> dict[str, str]:
    """The flat config map Pulumi passes the program for the repo's Pulumi.<stack>.yaml."""
    document = yaml.safe_load((MAIN.parent / f"Pulumi.{stack}.yaml").read_text(encoding="utf-8"))
    return {
        key: json.dumps(value) if isinstance(value, bool | list) else str(value)
        for key, value in document["config"].items()
    }


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_main_program_builds_the_repo_stacks(pulumi_mocks, stack: str) -> None:
    harness = pulumi_mocks(stack)
    pulumi.runtime.set_all_config(stack_file_config(stack))
    harness.run(run_main)
    aliases = harness.one("aws:cloudfront/distribution:Distribution").inputs.get("aliases")
    assert aliases == (None if stack == "dev" else ["chat.example.com"])
    assert (len(harness.of_type("aws:kms/key:Key")) == 0) == (stack == "dev")
    # Pulumi.dev.yaml turns the dev tooling on; it exists only there.
    assert bool(harness.of_type("aws:sagemaker/domain:Domain")) == (stack == "dev")
    assert ("aws:index/getCallerIdentity:getCallerIdentity", {}) in harness.mocks.calls
    if stack == "prod":
        assert ACCOUNT_ID in harness.one("aws:kms/key:Key", "keys-data").inputs["policy"]


def test_main_program_reports_every_settings_problem_without_a_traceback(pulumi_mocks) -> None:
    harness = pulumi_mocks("dev")
    pulumi.runtime.set_all_config(
        {**DEV_CONFIG, "chatbot:rateLimitPerAIP": "100", "chatbot:logRetentionDays": "8"}
    )
    with pytest.raises(pulumi.RunError) as raised:
        harness.run(run_main)
    message = str(raised.value)
    assert "chatbot:rateLimitPerAIP" in message and "chatbot:logRetentionDays" in message
    assert raised.value.__cause__ is None and raised.value.__suppress_context__
    assert harness.resources == []


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_preview_with_unknown_computed_values_registers_the_same_resources(pulumi_mocks, stack: str) -> None:
    settings = dev_settings() if stack == "dev" else prod_settings()
    deployed = pulumi_mocks(stack)
    build(deployed, settings)
    previewed = pulumi_mocks(stack, preview=True)
    build(previewed, settings)
    assert sorted(r.urn for r in previewed.resources) == sorted(r.urn for r in deployed.resources)
    policy = previewed.one("aws:s3/bucketPolicy:BucketPolicy", "website-content-policy")
    assert isinstance(policy.inputs.get("policy"), Unknown)  # names the distribution ARN, unknown at preview
