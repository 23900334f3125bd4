"""What a self-hosted model is: its image, weights, instance and container settings, validated when built.

Pure (no Pulumi calls): components/self_hosted_models.py deploys these, and the stack settings
(components/settings/fields/models.py) build them from configuration, so a bad model fails either way.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

ContainerKind = Literal["tgi", "lmi"]
IMAGE = re.compile(r"^(?P<registry>[a-z0-9.-]+(?::\d+)?)/(?P<repo>[a-z0-9][a-z0-9._/-]*)"
                   r"@sha256:[0-9a-f]{64}$")
ECR = re.compile(r"^(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(\.cn)?$")
HUB_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,95}/[A-Za-z0-9][A-Za-z0-9._-]{0,95}$")
COMMIT = re.compile(r"^[0-9a-f]{40}$")
S3_PREFIX = re.compile(r"^s3://(?P<bucket>[a-z0-9][a-z0-9.-]{1,61}[a-z0-9])/(?P<key>[^\s*?]+/)$")
NAME = re.compile(r"^[a-z][a-z0-9-]{0,23}$")
INSTANCE = re.compile(r"^ml\.(?P<family>[a-z0-9]+)\.[a-z0-9]+$")
CRON = re.compile(r"^cron\(\S+ \S+ \S+ \S+ \S+ \S+\)$")
LOCAL_WEIGHTS = "/opt/ml/model"  # where SageMaker puts model_data_source files in the container
# Families with local NVMe storage: hardware-encrypted, and SageMaker refuses a KmsKeyId for them (the same
# list as the policy pack's sagemaker-endpoint-hardening rule).
INSTANCE_STORAGE_FAMILIES = frozenset(
    {"g4dn", "g5", "g6", "g6e", "p3dn", "p4d", "p4de", "p5", "p5e", "trn1", "trn1n",
     "m5d", "c5d", "r5d", "m6id", "c6id", "r6id"})
# Set by the component from the weights source; a token would sit in plain text in the model's description.
_RESERVED_ENV = frozenset({"HF_MODEL_ID", "HF_MODEL_REVISION", "OPTION_REVISION", "OPTION_MODEL_ID",
                           "HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_API_TOKEN"})


@dataclass(frozen=True)
class WeightsSource:
    """An s3:// prefix of uncompressed weights the operator reviewed, or a hub id pinned to a commit."""

    s3_uri: str | None = None
    hub_id: str | None = None
    revision: str | None = None  # the hub commit hash: a branch or tag could move to other weights

    def __post_init__(self) -> None:
        if self.s3_uri is not None:
            if self.hub_id is not None or self.revision is not None:
                raise ValueError("weights come from an s3:// prefix or from a hub id + revision, not both")
            if not S3_PREFIX.match(self.s3_uri):
                raise ValueError(f"s3_uri must be s3://<bucket>/<prefix>/ (ending in /), got {self.s3_uri!r}")
        elif self.hub_id is None or not HUB_ID.match(self.hub_id):
            raise ValueError(f"hub_id must be <org>/<model>, got {self.hub_id!r}")
        elif self.revision is None or not COMMIT.match(self.revision):
            raise ValueError(f"revision must be a 40-hex commit hash, got {self.revision!r}")

    @property
    def from_s3(self) -> bool:
        return self.s3_uri is not None

    @property
    def description(self) -> str:
        return self.s3_uri if self.s3_uri is not None else f"huggingface.co/{self.hub_id}@{self.revision}"


@dataclass(frozen=True)
class SelfHostedModel:
    name: str  # short: part of the endpoint name and of the app's model id (sagemaker.<name>)
    image: str  # <registry>/<repo>@sha256:<64 hex>, in ECR (where SageMaker pulls from)
    weights: WeightsSource
    instance_type: str
    kind: ContainerKind
    prompt_format: str = "chatml"  # TGI only (the prompt is built by the app); LMI applies the chat template
    instance_count: int = 1
    gpus: int = 1
    environment: Mapping[str, str] = field(default_factory=dict)
    startup_timeout_seconds: int = 900  # downloading and loading the weights before the first health check

    def __post_init__(self) -> None:
        problems = []
        if not NAME.match(self.name):
            problems.append(f"name must match {NAME.pattern}")
        match = IMAGE.match(self.image)
        if not match:
            problems.append(f"image must be pinned by digest (<registry>/<repo>@sha256:<hex>): {self.image}")
        elif not ECR.match(match["registry"]):
            problems.append(f"image must be in an ECR registry (<account>.dkr.ecr.<region>...): {self.image}")
        if not INSTANCE.match(self.instance_type):
            problems.append(f"instance_type must be ml.<family>.<size>, got {self.instance_type!r}")
        if self.kind not in ("tgi", "lmi"):
            problems.append(f"kind must be tgi or lmi, got {self.kind!r}")
        if not 1 <= self.instance_count <= 10 or not 1 <= self.gpus <= 8:
            problems.append("instance_count must be 1..10 and gpus 1..8")
        if not 60 <= self.startup_timeout_seconds <= 3600:
            problems.append("startup_timeout_seconds must be 60..3600")
        reserved = sorted(set(self.environment) & _RESERVED_ENV)
        if reserved:
            problems.append(f"environment must not set {reserved}: the weights source sets the model id; "
                            "copy gated weights to S3 instead of passing a hub token")
        if problems:
            raise ValueError(f"model {self.name!r}: " + "; ".join(problems))

    @property
    def local_storage(self) -> bool:
        match = INSTANCE.match(self.instance_type)
        return match is not None and match["family"] in INSTANCE_STORAGE_FAMILIES

    @property
    def repository(self) -> tuple[str, str, str]:
        """(account, region, repository name) of the image."""
        image = IMAGE.match(self.image)
        registry = ECR.match(image["registry"]) if image else None
        if image is None or registry is None:
            raise ValueError(f"not an ECR image: {self.image}")
        return registry["account"], registry["region"], image["repo"]


def container_environment(model: SelfHostedModel) -> dict[str, str]:
    """The container's variables per kind; hub weights are fetched at that commit, S3 weights read locally."""
    weights = model.weights
    env: dict[str, str] = {}
    if model.kind == "tgi":
        # TGI's SageMaker entrypoint requires HF_MODEL_ID; a local path loads the S3 weights.
        env["HF_MODEL_ID"] = weights.hub_id or LOCAL_WEIGHTS
        if weights.revision:
            env["HF_MODEL_REVISION"] = weights.revision
        env["SM_NUM_GPUS"] = str(model.gpus)
    else:
        if weights.hub_id:  # without it LMI serves what SageMaker placed in /opt/ml/model
            env["HF_MODEL_ID"] = weights.hub_id
            env["OPTION_REVISION"] = weights.revision or ""
        env["TENSOR_PARALLEL_DEGREE"] = str(model.gpus)
        env["OPTION_ROLLING_BATCH"] = "auto"
    return {**env, **model.environment}


@dataclass(frozen=True)
class IdleSchedule:
    """When the endpoints exist: created at `start`, deleted at `stop` (EventBridge Scheduler cron)."""

    start: str = "cron(0 8 ? * MON-FRI *)"
    stop: str = "cron(0 19 ? * MON-FRI *)"
    timezone: str = "UTC"

    def __post_init__(self) -> None:
        for label, expression in (("start", self.start), ("stop", self.stop)):
            if not CRON.match(expression):
                raise ValueError(f"schedule {label} must be cron(<6 fields>), got {expression!r}")
        if not re.match(r"^[A-Za-z_]+(/[A-Za-z0-9_+-]+)*$", self.timezone):
            raise ValueError(f"schedule timezone must be an IANA name, got {self.timezone!r}")
