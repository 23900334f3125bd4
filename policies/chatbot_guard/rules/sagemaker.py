"""SageMaker models and endpoints.

* ``sagemaker-third-party-models`` (SEC-THIRD-PARTY-MODELS, advisory): a model whose weights come from
  outside AWS-hosted storage (a Hugging Face hub id, a non-S3 URL, an AWS Marketplace package) is
  reported with its source so the operator reviews licence, security and cost.
* ``sagemaker-endpoint-hardening`` (SEC-SAGEMAKER-ENDPOINTS, non-dev): endpoint configurations encrypt
  the ML storage volume with a KMS key, and models run network-isolated or inside a VPC.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

from pulumi_policy import ReportViolation, ResourceValidationArgs

from ..metadata import Equivalents, RuleMeta, resource_policy
from ..props import Known, Unknown, check_all, is_present, lookup, require_known

MODEL = "aws:sagemaker/model:Model"
ENDPOINT_CONFIG = "aws:sagemaker/endpointConfiguration:EndpointConfiguration"
HF_ENV = "HF_MODEL_ID"

# Instance families with local NVMe storage: SageMaker encrypts it in hardware and rejects a KmsKeyId.
INSTANCE_STORAGE_FAMILIES = frozenset(
    {"g4dn", "g5", "g6", "g6e", "p3dn", "p4d", "p4de", "p5", "p5e", "trn1", "trn1n",
     "m5d", "c5d", "r5d", "m6id", "c6id", "r6id"}
)


def containers(props: Any) -> Iterator[str]:
    """Paths of the model's containers: primaryContainer and containers[i]."""
    if is_present(props, "primaryContainer"):
        yield "primaryContainer"
    found = lookup(props, "containers")
    if isinstance(found, Known):
        yield from (f"containers[{i}]" for i in range(len(found.value)))
    elif isinstance(found, Unknown):
        yield "containers"


def third_party_sources(props: Any, path: str) -> list[str]:
    """Where the container's weights come from, when that is not AWS-hosted storage."""
    sources: list[str] = []
    hub_id = require_known(props, f'{path}.environment["{HF_ENV}"]')
    # A path (TGI's /opt/ml/model) names weights SageMaker copied in from modelDataUrl/Source, not a hub.
    if hub_id and not str(hub_id).startswith("/"):
        sources.append(f"huggingface.co/{hub_id} ({path}.environment.{HF_ENV})")
    url = require_known(props, f"{path}.modelDataUrl")
    if url and not str(url).startswith("s3://"):
        sources.append(f"{url} ({path}.modelDataUrl)")
    s3_sources = require_known(props, f"{path}.modelDataSource.s3DataSources", []) or []
    for index in range(len(s3_sources)):
        uri = require_known(props, f"{path}.modelDataSource.s3DataSources[{index}].s3Uri")
        if uri and not str(uri).startswith("s3://"):
            sources.append(f"{uri} ({path}.modelDataSource.s3DataSources[{index}].s3Uri)")
    package = require_known(props, f"{path}.modelPackageName")
    if package and "aws-marketplace" in str(package):
        sources.append(f"AWS Marketplace package {package} ({path}.modelPackageName)")
    return sources


THIRD_PARTY_META = RuleMeta(
    name="sagemaker-third-party-models",
    description=(
        "SageMaker models whose weights come from a third-party hub (Hugging Face HF_MODEL_ID, a non-S3 "
        "model URL, an AWS Marketplace package) are reported with their source for a licence, security "
        "and cost review."
    ),
    severity="low",
    catalogue_level="advisory",
    catalogue_ids=("SEC-THIRD-PARTY-MODELS",),
    resource_types=(MODEL,),
    remediation=(
        "Review the model's licence, security and cost. To take the hub out of the deploy path, copy "
        "the reviewed weights to an S3 bucket the stack owns and set model_data_url (or "
        "model_data_source) to that s3:// URI; then suppress this rule for the model with the review's "
        "reference as the reason."
    ),
    url="https://docs.aws.amazon.com/sagemaker/latest/dg/realtime-endpoints-deploy-models.html",
)


def validate_third_party(args: ResourceValidationArgs, report: ReportViolation) -> None:
    def check(path: str) -> None:
        for source in third_party_sources(args.props, path):
            report(f"weights from {source}: review licence, security and cost.", None)

    check_all(*(partial(check, path) for path in containers(args.props)))


HARDENING_META = RuleMeta(
    name="sagemaker-endpoint-hardening",
    description=(
        "SageMaker endpoint configurations encrypt their ML storage volumes with a KMS key (instance "
        "types with local NVMe storage are hardware-encrypted and exempt), and SageMaker models run "
        "with network isolation or inside a VPC."
    ),
    severity="high",
    catalogue_level="non-dev",
    catalogue_ids=("SEC-SAGEMAKER-ENDPOINTS", "SEC-CMK-AT-REST"),
    resource_types=(ENDPOINT_CONFIG, MODEL),
    remediation=(
        "Set kms_key_arn=<key>.arn on the aws.sagemaker.EndpointConfiguration; set "
        "enable_network_isolation=True on the aws.sagemaker.Model (or vpc_config=aws.sagemaker."
        "ModelVpcConfigArgs(subnets=..., security_group_ids=...) when the container must reach the VPC)."
    ),
    url="https://docs.aws.amazon.com/sagemaker/latest/dg/mkt-algo-model-internet-free.html",
    equivalents=Equivalents(checkov=("CKV_AWS_98", "CKV_AWS_370")),
)


def _family(instance_type: str) -> str:
    parts = instance_type.split(".")
    return parts[1] if len(parts) >= 3 else instance_type


def _check_endpoint_config(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if is_present(args.props, "kmsKeyArn"):
        return
    variants = require_known(args.props, "productionVariants", []) or []
    types = [require_known(args.props, f"productionVariants[{i}].instanceType") for i in range(len(variants))]
    if types and all(t and _family(str(t)) in INSTANCE_STORAGE_FAMILIES for t in types):
        args.not_applicable("every variant uses local instance storage, which SageMaker encrypts in hardware")
    report("kmsKeyArn is not set, so the endpoint's ML storage volumes use no customer key; set it.", None)


def _check_model(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if is_present(args.props, "vpcConfig"):
        return
    if require_known(args.props, "enableNetworkIsolation", False) is not True:
        report("enableNetworkIsolation is not true and vpcConfig is not set: the model container can reach "
               "the internet; enable network isolation or place it in a VPC.", None)


_HARDENING: dict[str, Callable[[ResourceValidationArgs, ReportViolation], None]] = {
    ENDPOINT_CONFIG: _check_endpoint_config,
    MODEL: _check_model,
}


def validate_hardening(args: ResourceValidationArgs, report: ReportViolation) -> None:
    _HARDENING[args.resource_type](args, report)


POLICIES = [
    resource_policy(THIRD_PARTY_META, validate_third_party),
    resource_policy(HARDENING_META, validate_hardening),
]
