"""StackAwareAnalyzer: levels per stack, config handling, the pinned SDK internals, and serving."""

from __future__ import annotations

import inspect
import os
import subprocess
import sys
from importlib.metadata import version
from typing import Any

import grpc
import pytest
from chatbot_guard import all_policies
from chatbot_guard.analyzer import StackAwareAnalyzer, build_analyzer
from chatbot_guard.metadata import RuleMeta, resource_policy
from chatbot_guard.settings import SettingsError
from google.protobuf import empty_pb2
from pulumi.runtime.proto import analyzer_pb2 as pb
from pulumi.runtime.proto import analyzer_pb2_grpc
from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs
from pulumi_policy.policy import _GRPC_CHANNEL_OPTIONS, _PolicyAnalyzerServicer

from .conftest import PACK_DIR, PackFactory
from .harness import PROJECT, ConfigError, struct

BUCKET = "aws:s3/bucket:Bucket"


def _advisory_rule() -> Any:
    meta = RuleMeta(
        name="bucket-has-tags",
        description="Buckets carry tags.",
        severity="low",
        catalogue_level="advisory",
        catalogue_ids=("SEC-S3-ACCESS-LOGS",),
        resource_types=(BUCKET,),
        remediation="Add tags.",
        url="https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-tagging.html",
    )

    def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
        if not args.props.get("tags"):
            report("no tags", None)

    return resource_policy(meta, validate)


def _with_advisory_rule() -> list[Any]:
    return [*all_policies(), _advisory_rule()]


def _level(pack_harness: Any, policy: str) -> str:
    (violation,) = pack_harness.analyze(BUCKET, {"bucket": "b"}).violations(policy)
    return str(violation.level)


def test_pinned_sdk_internals() -> None:
    assert version("pulumi-policy") == "1.21.0"
    assert issubclass(StackAwareAnalyzer, _PolicyAnalyzerServicer)
    base = _PolicyAnalyzerServicer

    def params(method: Any) -> list[str]:
        return list(inspect.signature(method).parameters)

    assert params(base._get_enforcement_level) == ["self", "policy"]
    assert params(base.Configure) == ["self", "request", "_context"]
    expected = ["self", "name", "version", "policies", "enforcement_level", "initial_config", "description"]
    assert params(base.__init__)[:7] == expected
    assert dict(_GRPC_CHANNEL_OPTIONS)["grpc.max_receive_message_length"] > 4 * 1024 * 1024
    # Analyze must ask the hook for every policy's level, or the dev-stack downgrade silently stops working.
    assert "self._get_enforcement_level(policy)" in inspect.getsource(_PolicyAnalyzerServicer.Analyze)


def test_configured_levels_still_reach_the_sdk(pack: PackFactory) -> None:
    harness = pack(config={"kms-key-rotation": "advisory", "log-group-retention": "disabled"})
    levels = harness.levels()
    assert levels["kms-key-rotation"] == EnforcementLevel.ADVISORY
    assert levels["log-group-retention"] == EnforcementLevel.DISABLED
    assert levels["s3-public-access-block"] == EnforcementLevel.MANDATORY


def test_advisory_rule_can_be_tightened_per_policy_or_for_all(pack: PackFactory) -> None:
    assert _level(pack(policies=_with_advisory_rule()), "bucket-has-tags") == "advisory"
    tightened = pack(policies=_with_advisory_rule(), config={"bucket-has-tags": "mandatory"})
    assert _level(tightened, "bucket-has-tags") == "mandatory"
    everything = pack(policies=_with_advisory_rule(), config={"all": "mandatory"})
    assert _level(everything, "bucket-has-tags") == "mandatory"


def test_per_policy_level_wins_over_all(pack: PackFactory) -> None:
    harness = pack(config={"all": "advisory", "kms-key-rotation": "mandatory"})
    levels = harness.levels()
    assert levels["kms-key-rotation"] == EnforcementLevel.MANDATORY
    assert levels["log-group-retention"] == EnforcementLevel.ADVISORY


def test_non_dev_rule_is_mandatory_on_prod_and_advisory_on_dev(pack: PackFactory) -> None:
    non_dev = "cloudfront-viewer-tls"
    assert pack("prod").levels()[non_dev] == EnforcementLevel.MANDATORY
    dev = pack("dev").levels()
    assert dev[non_dev] == EnforcementLevel.ADVISORY
    # 'all' rules stay mandatory on dev stacks.
    assert dev["kms-key-rotation"] == dev["stack-profile"] == EnforcementLevel.MANDATORY
    # Documented limit: an explicit "mandatory" is indistinguishable from the default on a dev stack.
    assert pack("dev", config={non_dev: "mandatory"}).levels()[non_dev] == EnforcementLevel.ADVISORY
    # Other explicit levels are honoured as given.
    assert pack("dev", config={non_dev: "disabled"}).levels()[non_dev] == EnforcementLevel.DISABLED
    # Taking the stack out of devStacks is how a user enforces 'non-dev' rules there.
    enforced = pack("dev", config={"stack-profile": {"devStacks": ["sandbox"]}})
    assert enforced.levels()[non_dev] == EnforcementLevel.MANDATORY


def test_schema_violations_are_config_errors_like_the_cli(pack: PackFactory) -> None:
    with pytest.raises(ConfigError, match="minimumTlsVersion"):
        pack(config={"stack-profile": {"minimumTlsVersion": "TLSv1"}})
    with pytest.raises(ConfigError, match="not a valid enforcement level"):
        pack(config={"kms-key-rotation": "strict"})


def test_unknown_profile_keys_fail_configure(pack: PackFactory) -> None:
    with pytest.raises(SettingsError, match="unknown keys \\['rateLimitPerAIP'\\]"):
        pack(config={"stack-profile": {"rateLimitPerAIP": 100}})


def test_configure_aborts_the_rpc_with_invalid_argument() -> None:
    class Context:
        def abort(self, code: grpc.StatusCode, details: str) -> None:
            raise RuntimeError(code, details)

    analyzer = build_analyzer("chatbot-security", all_policies())
    request = pb.ConfigureAnalyzerRequest()
    request.policyConfig["stack-profile"].CopyFrom(pb.PolicyConfig(properties=struct({"devStacks": "dev"})))
    with pytest.raises(RuntimeError) as caught:
        analyzer.Configure(request, Context())
    assert caught.value.args[0] == grpc.StatusCode.INVALID_ARGUMENT
    assert "devStacks: expected an array of strings" in caught.value.args[1]


@pytest.mark.parametrize(
    ("name", "policies", "fragment"),
    [
        ("bad name!", all_policies(), "pack name"),
        ("pack", [], "non-empty"),
        ("pack", all_policies()[1:], "stack-profile"),
        ("pack", [*all_policies(), *all_policies()[1:2]], "duplicate"),
    ],
)
def test_build_analyzer_rejects_bad_packs(name: str, policies: list[Any], fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        build_analyzer(name, policies)


def test_pack_serves_over_grpc_like_the_cli_launches_it() -> None:
    env = {**os.environ, "PULUMI_STACK": "prod", "PULUMI_PROJECT": PROJECT, "PULUMI_DRY_RUN": "true"}
    process = subprocess.Popen(  # noqa: S603 - fixed argv, our own interpreter
        [sys.executable, "-u", "-m", "pulumi.policy", "127.0.0.1:1", "."],
        cwd=PACK_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        port = int(process.stdout.readline().decode().strip())
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = analyzer_pb2_grpc.AnalyzerStub(channel)
            info = stub.GetAnalyzerInfo(empty_pb2.Empty(), timeout=10)
            assert info.name == "chatbot-security"
            assert {p.name for p in info.policies} >= {"stack-profile", "kms-key-rotation"}
            stub.Configure(pb.ConfigureAnalyzerRequest(), timeout=10)
            request = pb.AnalyzeRequest(
                type="aws:kms/key:Key",
                properties=struct({"enableKeyRotation": False}),
                urn=f"urn:pulumi:prod::{PROJECT}::aws:kms/key:Key::k",
                name="k",
            )
            response = stub.Analyze(request, timeout=10)
            # Other rules may speak about the same key (e.g. retention); rotation must be among them.
            assert "kms-key-rotation" in [d.policyName for d in response.diagnostics]
            bad = pb.ConfigureAnalyzerRequest()
            bad.policyConfig["stack-profile"].CopyFrom(pb.PolicyConfig(properties=struct({"nope": 1})))
            with pytest.raises(grpc.RpcError) as caught:
                stub.Configure(bad, timeout=10)
            assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    finally:
        process.terminate()
        process.wait(timeout=10)
