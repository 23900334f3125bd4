"""SelfHostedModels: digest-pinned images, reported weights, KMS, VPC, network isolation, scoped roles, the
stop/start schedule and the chat worker's statement; the policy pack's SageMaker, image and IAM rules pass."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pulumi
import pytest

from components.self_hosted_model_spec import (
    INSTANCE_STORAGE_FAMILIES,
    IdleSchedule,
    SelfHostedModel,
    WeightsSource,
)
from components.self_hosted_models import SelfHostedModels, SelfHostedModelsArgs

from .conftest import ACCOUNT_ID, MOCK_REGION, Harness

PACK_DIR = Path(__file__).resolve().parents[2] / "policies"
if str(PACK_DIR) not in sys.path:
    sys.path.insert(0, str(PACK_DIR))

from chatbot_guard.rules import sagemaker as sagemaker_rules  # noqa: E402
from chatbot_guard.settings import PackSettings, install_settings  # noqa: E402

from tests.policies.harness import PackHarness, Resource  # noqa: E402

MODEL = "aws:sagemaker/model:Model"
CONFIG = "aws:sagemaker/endpointConfiguration:EndpointConfiguration"
ENDPOINT = "aws:sagemaker/endpoint:Endpoint"
SCHEDULE = "aws:scheduler/schedule:Schedule"
POLICY = "aws:iam/rolePolicy:RolePolicy"
DIGEST = "sha256:" + "ab" * 32
DLC = f"763104351884.dkr.ecr.{MOCK_REGION}.amazonaws.com/huggingface-pytorch-tgi-inference@{DIGEST}"
LMI_IMAGE = f"{ACCOUNT_ID}.dkr.ecr.{MOCK_REGION}.amazonaws.com/mirror/djl-inference@{DIGEST}"
KEY = f"arn:aws:kms:{MOCK_REGION}:{ACCOUNT_ID}:key/data"
COMMIT = "0123456789abcdef0123456789abcdef01234567"
S3_WEIGHTS = WeightsSource(s3_uri="s3://model-weights-bucket/mistral-7b/v0.3/")
HUB_WEIGHTS = WeightsSource(hub_id="mistralai/Mistral-7B-Instruct-v0.3", revision=COMMIT)


def tgi(**overrides: Any) -> SelfHostedModel:
    base: dict[str, Any] = {"name": "mistral", "image": DLC, "weights": S3_WEIGHTS,
                            "instance_type": "ml.p3.2xlarge", "kind": "tgi"}
    return SelfHostedModel(**{**base, **overrides})


def lmi() -> SelfHostedModel:
    return SelfHostedModel(name="llama", image=LMI_IMAGE, weights=HUB_WEIGHTS, instance_type="ml.g5.2xlarge",
                           kind="lmi", gpus=1)


def make_args(models: list[SelfHostedModel] | None = None, **overrides: Any) -> SelfHostedModelsArgs:
    base: dict[str, Any] = {
        "prefix": "chatbot", "stack": "prod", "region": MOCK_REGION, "vpc_id": "vpc-1",
        "private_subnet_ids": ["subnet-a", "subnet-b"], "models": models or [tgi(), lmi()],
        "kms_key_arn": KEY, "logs_kms_key_arn": KEY, "log_retention_days": 30,
    }
    return SelfHostedModelsArgs(**{**base, **overrides})


def build(harness: Harness, args: SelfHostedModelsArgs) -> dict[str, Any]:
    def program() -> pulumi.Output[dict[str, Any]]:
        component = SelfHostedModels("models", args)
        return pulumi.Output.all(arns=component.endpoint_arns, worker=component.invoke_statements(),
                                 app=component.app_models)

    return harness.run(program)


def by_name(harness: Harness, typ: str, name: str) -> dict[str, Any]:
    return harness.one(typ, name).inputs


def statements(harness: Harness, name: str) -> dict[str, dict[str, Any]]:
    return {s["Sid"]: s for s in harness.policy(harness.one(POLICY, name))["Statement"]}


@pytest.mark.parametrize("image", [
    f"763104351884.dkr.ecr.{MOCK_REGION}.amazonaws.com/huggingface-pytorch-tgi-inference:2.4.0-tgi2.3",
    f"763104351884.dkr.ecr.{MOCK_REGION}.amazonaws.com/tgi@sha256:{'ab' * 31}",  # a short digest
    f"ghcr.io/huggingface/text-generation-inference@{DIGEST}",  # not ECR: SageMaker cannot pull it
])
def test_images_not_pinned_by_digest_in_ecr_are_refused(image: str) -> None:
    with pytest.raises(ValueError, match="image must"):
        tgi(image=image)


@pytest.mark.parametrize("weights", [
    {"hub_id": "mistralai/Mistral-7B-Instruct-v0.3", "revision": "main"},  # a branch moves
    {"hub_id": "mistralai/Mistral-7B-Instruct-v0.3"},
    {"s3_uri": "s3://bucket/weights"},  # a prefix, not one object
    {"s3_uri": "s3://bucket/weights/", "hub_id": "a/b", "revision": COMMIT},
])
def test_weights_must_be_an_s3_prefix_or_a_pinned_hub_commit(weights: dict[str, str]) -> None:
    with pytest.raises(ValueError):
        WeightsSource(**weights)


def test_a_hub_token_in_the_environment_is_refused() -> None:
    with pytest.raises(ValueError, match="HF_TOKEN"):
        tgi(environment={"HF_TOKEN": "hf_secret"})


def test_ebs_backed_endpoints_need_the_cmk_outside_development() -> None:
    with pytest.raises(ValueError, match="kms_key_arn is required"):
        make_args(kms_key_arn=None)
    make_args([lmi()], kms_key_arn=None)  # g5: local NVMe, hardware-encrypted
    make_args(kms_key_arn=None, development=True)


def test_instance_storage_families_match_the_policy_pack() -> None:
    assert INSTANCE_STORAGE_FAMILIES == sagemaker_rules.INSTANCE_STORAGE_FAMILIES


def test_s3_weights_run_network_isolated_in_the_vpc_with_the_cmk(pulumi_mocks) -> None:
    harness = pulumi_mocks("prod")
    build(harness, make_args())
    model = by_name(harness, MODEL, "models-mistral-model")
    assert model["enableNetworkIsolation"] is True
    assert model["vpcConfig"]["subnets"] == ["subnet-a", "subnet-b"]
    assert model["vpcConfig"]["securityGroupIds"] == ["models-mistral-sg-id"]
    container = model["primaryContainer"]
    assert container["image"] == DLC
    assert container["modelDataSource"]["s3DataSources"] == [{
        "s3Uri": S3_WEIGHTS.s3_uri, "s3DataType": "S3Prefix", "compressionType": "None"}]
    assert container["environment"] == {"HF_MODEL_ID": "/opt/ml/model", "SM_NUM_GPUS": "1"}
    assert model["tags"]["weights-source"] == S3_WEIGHTS.s3_uri
    assert model["tags"]["image-digest"] == DIGEST
    config = by_name(harness, CONFIG, "models-mistral-config")
    assert config["kmsKeyArn"] == KEY
    assert "dataCaptureConfig" not in config  # it would store every prompt and answer
    (variant,) = config["productionVariants"]
    assert (variant["instanceType"], variant["initialInstanceCount"]) == ("ml.p3.2xlarge", 1)
    endpoint = by_name(harness, ENDPOINT, "models-mistral-endpoint")
    assert endpoint["name"] == "chatbot-prod-llm-mistral"
    assert endpoint["tags"]["weights-source"] == S3_WEIGHTS.s3_uri


def test_hub_weights_are_pinned_and_reach_only_https(pulumi_mocks) -> None:
    harness = pulumi_mocks("prod")
    build(harness, make_args())
    model = by_name(harness, MODEL, "models-llama-model")
    assert model.get("enableNetworkIsolation") is False  # the container downloads the pinned commit
    assert "vpcConfig" in model
    assert model["primaryContainer"]["environment"] == {
        "HF_MODEL_ID": HUB_WEIGHTS.hub_id, "OPTION_REVISION": COMMIT, "TENSOR_PARALLEL_DEGREE": "1",
        "OPTION_ROLLING_BATCH": "auto"}
    assert model["tags"]["weights-source"] == f"huggingface.co/{HUB_WEIGHTS.hub_id}@{COMMIT}"
    assert "kmsKeyArn" not in by_name(harness, CONFIG, "models-llama-config")  # g5: SageMaker refuses one
    rules = harness.of_type("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")
    egress = {r.name: r.inputs for r in rules}
    assert egress["models-llama-to-hub"]["cidrIpv4"] == "0.0.0.0/0"
    assert "models-mistral-to-hub" not in egress
    assert all(rule["fromPort"] == rule["toPort"] == 443 for rule in egress.values())


def test_nothing_is_reachable_from_outside(pulumi_mocks) -> None:
    harness = pulumi_mocks("prod")
    build(harness, make_args())
    assert not harness.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    assert not harness.of_type("aws:ec2/securityGroupRule:SecurityGroupRule")
    for group in harness.of_type("aws:ec2/securityGroup:SecurityGroup"):
        assert not group.inputs.get("ingress")
    # Endpoints are reached only through SigV4-signed sagemaker-runtime calls; no URL, no function URL.
    assert {r.type for r in harness.resources} <= {
        "chatbot:models:SelfHostedModels", MODEL, CONFIG, ENDPOINT, POLICY, "aws:iam/role:Role",
        "aws:cloudwatch/logGroup:LogGroup", "aws:ec2/securityGroup:SecurityGroup",
        "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", SCHEDULE}


def test_execution_role_reads_only_its_prefix_repository_and_log_group(pulumi_mocks) -> None:
    harness = pulumi_mocks("prod")
    build(harness, make_args())
    granted = statements(harness, "models-mistral-policy")
    assert granted["PullImage"]["Resource"] == [
        f"arn:aws:ecr:{MOCK_REGION}:763104351884:repository/huggingface-pytorch-tgi-inference"]
    assert granted["ReadWeights"]["Resource"] == ["arn:aws:s3:::model-weights-bucket/mistral-7b/v0.3/*"]
    assert granted["ListWeights"]["Condition"] == {"StringLike": {"s3:prefix": ["mistral-7b/v0.3/*"]}}
    assert granted["OwnLogGroup"]["Resource"] == [
        f"arn:aws:logs:{MOCK_REGION}:{ACCOUNT_ID}:log-group:/aws/sagemaker/Endpoints/chatbot-prod-llm-mistral:*"]
    wildcard = {sid for sid, s in granted.items() if s["Resource"] == ["*"]}
    assert wildcard == {"EcrToken", "DescribeVpc"}  # APIs without resource-level permissions
    hub = statements(harness, "models-llama-policy")
    assert "ReadWeights" not in hub and "ListWeights" not in hub
    assert hub["PullImage"]["Resource"] == [
        f"arn:aws:ecr:{MOCK_REGION}:{ACCOUNT_ID}:repository/mirror/djl-inference"]
    role = harness.policy(harness.one("aws:iam/role:Role", "models-mistral-role"), "assumeRolePolicy")
    (trust,) = role["Statement"]
    assert trust["Principal"] == {"Service": "sagemaker.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT_ID}}
    logs = by_name(harness, "aws:cloudwatch/logGroup:LogGroup", "models-mistral-logs")
    assert (logs["name"], logs["retentionInDays"], logs["kmsKeyId"]) == (
        "/aws/sagemaker/Endpoints/chatbot-prod-llm-mistral", 30, KEY)


def test_worker_statement_invokes_exactly_the_endpoints(pulumi_mocks) -> None:
    harness = pulumi_mocks("prod")
    outputs = build(harness, make_args())
    arns = [f"arn:aws:sagemaker:{MOCK_REGION}:{ACCOUNT_ID}:endpoint/chatbot-prod-llm-{n}"
            for n in ("mistral", "llama")]
    assert outputs["arns"] == arns
    assert outputs["worker"] == [{
        "Sid": "InvokeSelfHostedModels", "Effect": "Allow",
        "Action": ["sagemaker:InvokeEndpoint", "sagemaker:InvokeEndpointWithResponseStream"],
        "Resource": arns}]
    assert '"endpointName": "chatbot-prod-llm-llama"' in outputs["app"]


def test_schedule_deletes_and_recreates_each_endpoint(pulumi_mocks) -> None:
    harness = pulumi_mocks("prod")
    schedule = IdleSchedule(start="cron(0 7 ? * MON-FRI *)", stop="cron(0 20 ? * MON-FRI *)",
                            timezone="Europe/Berlin")
    build(harness, make_args(schedule=schedule))
    assert len(harness.of_type(SCHEDULE)) == 4
    stop = by_name(harness, SCHEDULE, "models-mistral-stop")
    assert stop["scheduleExpression"] == schedule.stop
    assert stop["scheduleExpressionTimezone"] == "Europe/Berlin"
    assert stop["kmsKeyArn"] == KEY
    assert stop["target"]["arn"] == "arn:aws:scheduler:::aws-sdk:sagemaker:deleteEndpoint"
    assert stop["target"]["input"] == '{"EndpointName": "chatbot-prod-llm-mistral"}'
    start = by_name(harness, SCHEDULE, "models-mistral-start")
    assert start["target"]["arn"] == "arn:aws:scheduler:::aws-sdk:sagemaker:createEndpoint"
    config_name = by_name(harness, ENDPOINT, "models-mistral-endpoint")["endpointConfigName"]
    assert f'"EndpointConfigName": "{config_name}"' in start["target"]["input"]
    granted = statements(harness, "models-schedule-policy")
    arn = f"arn:aws:sagemaker:{MOCK_REGION}:{ACCOUNT_ID}"
    assert granted["StopEndpoints"]["Resource"] == [
        f"{arn}:endpoint/chatbot-prod-llm-mistral", f"{arn}:endpoint/chatbot-prod-llm-llama"]
    assert f"{arn}:endpoint-config/{config_name}" in granted["StartEndpoints"]["Resource"]
    assert granted["EndpointVolumeKey"]["Resource"] == [KEY]


def test_without_a_schedule_nothing_stops_the_endpoints(pulumi_mocks) -> None:
    harness = pulumi_mocks("prod")
    build(harness, make_args())
    assert not harness.of_type(SCHEDULE)
    assert not [r for r in harness.of_type("aws:iam/role:Role") if "schedule" in r.name]


@pytest.mark.parametrize("cron", ["rate(1 hour)", "cron(0 8 * * *)"])
def test_schedule_expressions_are_checked(cron: str) -> None:
    with pytest.raises(ValueError, match="cron"):
        IdleSchedule(start=cron)


def test_policy_pack_passes_the_component(pulumi_mocks, monkeypatch: pytest.MonkeyPatch) -> None:
    harness = pulumi_mocks("prod")
    build(harness, make_args(schedule=IdleSchedule()))
    for key, value in (("PULUMI_STACK", "prod"), ("PULUMI_PROJECT", "chatbot"), ("PULUMI_DRY_RUN", "false"),
                       ("PULUMI_ORGANIZATION", "organization")):
        monkeypatch.setenv(key, value)
    install_settings(PackSettings())
    pack = PackHarness("prod", dry_run=False)
    resources = [Resource(r.type, r.name, r.inputs) for r in harness.resources if r.custom]
    result = pack.analyze_stack(resources)
    for record in resources:
        result.diagnostics += pack.analyze(record.type, record.props, record.name).diagnostics
    advisory = "sagemaker-third-party-models"
    problems = [(d.policy, d.message) for d in result.diagnostics if d.policy != advisory]
    assert problems == []
    # The hub model is reported with its source for review (SEC-THIRD-PARTY-MODELS, advisory).
    reported = [d.message for d in result.violations("sagemaker-third-party-models")]
    assert any(HUB_WEIGHTS.hub_id in m for m in reported)
    # The same pack does flag a model that is neither isolated nor in a VPC.
    exposed = {k: v for k, v in by_name(harness, MODEL, "models-mistral-model").items() if k != "vpcConfig"}
    flagged = pack.analyze(MODEL, {**exposed, "enableNetworkIsolation": False}, "exposed")
    assert [d.policy for d in flagged.violations("sagemaker-endpoint-hardening")] == [
        "sagemaker-endpoint-hardening"]


def test_preview_builds_with_unknown_outputs(pulumi_mocks) -> None:
    harness = pulumi_mocks("prod", preview=True)
    build(harness, make_args(schedule=IdleSchedule()))
    assert len(harness.of_type(ENDPOINT)) == 2 and len(harness.of_type(SCHEDULE)) == 4
