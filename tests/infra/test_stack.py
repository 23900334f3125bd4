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
STATEFUL = ("aws:s3/bucket:Bucket", "aws:kms/key:Key", "aws:cloudwatch/logGroup:LogGroup")
EDGE_TYPES = (
    "aws:wafv2/webAcl:WebAcl",
    "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration",
    "aws:cloudwatch/logGroup:LogGroup",
)
OUTPUTS = {"websiteUrl", "distributionId", "webAclArn", "contentBucketName", "accessLogBucketName"}


def run_main() -> None:
    runpy.run_path(str(MAIN), run_name="__main__")


def build(harness: Harness, settings: Any) -> dict[str, Any]:
    return harness.run(lambda: build_stack(settings))


def sse_rules(harness: Harness) -> dict[str, dict[str, Any]]:
    configs = harness.of_type(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    )
    return {c.inputs["bucket"]: c.inputs["rules"][0]["applyServerSideEncryptionByDefault"] for c in configs}


def test_prod_stack(pulumi_mocks) -> None:
    harness = pulumi_mocks("prod")
    outputs = build(harness, prod_settings())
    assert set(outputs) == OUTPUTS
    assert outputs["websiteUrl"] == "https://chat.example.com"

    for typ in STATEFUL:
        for record in harness.of_type(typ):
            assert record.protect and record.retain_on_delete, record.urn
    keys = {k.name: k for k in harness.of_type("aws:kms/key:Key")}
    assert set(keys) == {"keys-data", "keys-logs", "edge-keys-logs"}
    assert all(k.inputs["enableKeyRotation"] is True for k in keys.values())

    rules = sse_rules(harness)
    assert rules[outputs["contentBucketName"]]["kmsMasterKeyId"].endswith("key/keys-data-key-id")
    assert rules[outputs["accessLogBucketName"]] == {"sseAlgorithm": "AES256"}
    log_group = harness.one("aws:cloudwatch/logGroup:LogGroup")
    assert log_group.inputs["kmsKeyId"].endswith("key/edge-keys-logs-key-id")
    assert log_group.inputs["retentionInDays"] == 365

    dist = harness.one("aws:cloudfront/distribution:Distribution").inputs
    assert dist["webAclId"] == outputs["webAclArn"]
    assert dist["viewerCertificate"]["minimumProtocolVersion"] == "TLSv1.2_2021"
    assert dist["viewerCertificate"]["sslSupportMethod"] == "sni-only"
    acl_rules = {r["name"]: r for r in harness.one("aws:wafv2/webAcl:WebAcl").inputs["rules"]}
    assert acl_rules["rate-limit-per-ip"]["statement"]["rateBasedStatement"]["limit"] == 1000
    assert "geo-allowlist" in acl_rules


def test_dev_stack(pulumi_mocks) -> None:
    harness = pulumi_mocks("dev")
    outputs = build(harness, dev_settings())
    assert set(outputs) == OUTPUTS
    assert harness.of_type("aws:kms/key:Key") == []
    assert not any(r.protect or r.retain_on_delete for r in harness.resources)
    assert all(b.inputs["forceDestroy"] is True for b in harness.of_type("aws:s3/bucket:Bucket"))
    assert all(rule == {"sseAlgorithm": "AES256"} for rule in sse_rules(harness).values())
    log_group = harness.one("aws:cloudwatch/logGroup:LogGroup").inputs
    assert "kmsKeyId" not in log_group and log_group["retentionInDays"] == 7
    dist = harness.one("aws:cloudfront/distribution:Distribution").inputs
    assert dist["viewerCertificate"] == {"cloudfrontDefaultCertificate": True}
    acl_rules = {r["name"]: r for r in harness.one("aws:wafv2/webAcl:WebAcl").inputs["rules"]}
    assert acl_rules["rate-limit-per-ip"]["statement"]["rateBasedStatement"]["limit"] == 500
    assert "geo-allowlist" not in acl_rules


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_bucket_meets_the_s3_baseline(pulumi_mocks, stack: str) -> None:
    harness = pulumi_mocks(stack)
    outputs = build(harness, dev_settings() if stack == "dev" else prod_settings())
    buckets = {f"{b.name}{BUCKET_SUFFIX}" for b in harness.of_type("aws:s3/bucket:Bucket")}
    assert buckets == {outputs["contentBucketName"], outputs["accessLogBucketName"]}
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
    assert logged == {outputs["contentBucketName"]: outputs["accessLogBucketName"]}


def test_edge_resources_use_the_us_east_1_provider(pulumi_mocks) -> None:
    harness = pulumi_mocks("prod")
    build(harness, prod_settings())
    provider = harness.one("pulumi:providers:aws", "us-east-1")
    assert provider.inputs["region"] == "us-east-1"
    edge = [r for r in harness.resources if r.type in EDGE_TYPES or r.name.startswith("edge-keys-")]
    assert len(edge) == 5
    assert all(r.provider.startswith(provider.urn) for r in edge)
    main_region = [r for r in harness.resources if r.custom and r not in edge and r is not provider]
    assert main_region and not any(r.provider.startswith(provider.urn) for r in main_region)


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
    assert tagged == {
        "aws:s3/bucket:Bucket",
        "aws:kms/key:Key",
        "aws:wafv2/webAcl:WebAcl",
        "aws:cloudwatch/logGroup:LogGroup",
        "aws:cloudfront/distribution:Distribution",
    }


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
    assert len(harness.of_type("aws:kms/key:Key")) == (0 if stack == "dev" else 3)
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
