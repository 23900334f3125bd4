"""SelfHostedModels: SageMaker real-time endpoints for open-weight chat models (TGI or LMI containers).

Per model: an execution role (pull that one ECR repository, read that one S3 prefix, write its own log
group, attach to the VPC), a security group with no ingress, the model (image pinned by digest; network
isolation when the weights come from S3), an endpoint configuration (the CMK on EBS-backed instances; no
data capture, which would store prompts) and the endpoint. The weights' source is tagged and exported
(SEC-THIRD-PARTY-MODELS); hub weights are pinned to a commit and never need a token in the environment.

Idle cost: pulumi-aws 7.51.1 has no SageMaker inference-component resource, and only endpoints hosting
inference components scale to zero; a variant's DesiredInstanceCount cannot go below 1. So the optional
schedule deletes the endpoint out of hours and creates it again from the same configuration (EventBridge
Scheduler universal targets): no instance is billed while it is stopped, the first start takes the usual
endpoint creation time (5-15 min for a 7B model), and a deploy that changes a model must run in hours.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pulumi
import pulumi_aws as aws

from components.aws_context import AwsContext
from components.naming import resource_name

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


@dataclass(frozen=True)
class SelfHostedModelsArgs:
    prefix: str
    stack: str
    region: str
    vpc_id: pulumi.Input[str]
    private_subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]]
    models: Sequence[SelfHostedModel]
    kms_key_arn: pulumi.Input[str] | None  # endpoint volumes and the schedules' payload
    logs_kms_key_arn: pulumi.Input[str] | None
    log_retention_days: int
    development: bool = False  # only a development stack may leave EBS-backed endpoints without the CMK
    retain: bool = False
    schedule: IdleSchedule | None = None  # None: the endpoints run (and cost) around the clock
    weights_kms_key_arn: pulumi.Input[str] | None = None  # the key of the S3 weights bucket, if SSE-KMS

    def __post_init__(self) -> None:
        if not self.models:
            raise ValueError("models must name at least one model")
        names = [m.name for m in self.models]
        if len(set(names)) != len(names):
            raise ValueError(f"model names must be unique, got {names}")
        if self.kms_key_arn is None and not self.development:
            unencrypted = [m.name for m in self.models if not m.local_storage]
            if unencrypted:
                raise ValueError(f"models {unencrypted} run on EBS-backed instances: kms_key_arn is required "
                                 "outside development stacks (SEC-SAGEMAKER-ENDPOINTS)")

    def endpoint_name(self, model: SelfHostedModel) -> str:
        return resource_name(self.prefix, self.stack, f"llm-{model.name}")


def statement(sid: str, actions: list[str], resources: list[str], **extra: Any) -> dict[str, Any]:
    return {"Sid": sid, "Effect": "Allow", "Action": actions, "Resource": resources, **extra}


def execution_statements(model: SelfHostedModel, partition: str, account: str, region: str, log_group: str,
                         weights_key: str | None) -> list[dict[str, Any]]:
    """What the SageMaker execution role of one model needs, each on exactly its resources."""
    repo_account, repo_region, repo = model.repository
    statements = [
        statement("PullImage", ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer",
                                "ecr:BatchCheckLayerAvailability"],
                  [f"arn:{partition}:ecr:{repo_region}:{repo_account}:repository/{repo}"]),
        statement("EcrToken", ["ecr:GetAuthorizationToken"], ["*"]),  # the API accepts only "*"
        statement("OwnLogGroup", ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                  [f"arn:{partition}:logs:{region}:{account}:log-group:{log_group}:*"]),
        statement("AttachToVpc", ["ec2:CreateNetworkInterface", "ec2:CreateNetworkInterfacePermission",
                                  "ec2:DeleteNetworkInterface", "ec2:DeleteNetworkInterfacePermission"],
                  [f"arn:{partition}:ec2:{region}:{account}:*/*"]),
        statement("DescribeVpc", ["ec2:DescribeNetworkInterfaces", "ec2:DescribeVpcs", "ec2:DescribeSubnets",
                                  "ec2:DescribeSecurityGroups", "ec2:DescribeDhcpOptions"], ["*"]),
    ]
    source = S3_PREFIX.match(model.weights.s3_uri or "")
    if source:
        bucket, key = source["bucket"], source["key"]
        statements += [
            statement("ReadWeights", ["s3:GetObject"], [f"arn:{partition}:s3:::{bucket}/{key}*"]),
            statement("ListWeights", ["s3:ListBucket"], [f"arn:{partition}:s3:::{bucket}"],
                      Condition={"StringLike": {"s3:prefix": [f"{key}*"]}}),
        ]
        if weights_key:
            statements.append(statement(
                "DecryptWeights", ["kms:Decrypt"], [weights_key],
                Condition={"StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"}}))
    return statements


def schedule_statements(endpoints: Sequence[tuple[str, str]], partition: str, account: str, region: str,
                        key: str | None) -> list[dict[str, Any]]:
    """The scheduler deletes and re-creates exactly these (endpoint, endpoint configuration) pairs."""
    arn = f"arn:{partition}:sagemaker:{region}:{account}"
    endpoint_arns = [f"{arn}:endpoint/{name}" for name, _ in endpoints]
    config_arns = [f"{arn}:endpoint-config/{config.lower()}" for _, config in endpoints]
    statements = [
        statement("StopEndpoints", ["sagemaker:DeleteEndpoint"], endpoint_arns),
        statement("StartEndpoints", ["sagemaker:CreateEndpoint", "sagemaker:AddTags"],
                  endpoint_arns + config_arns),
    ]
    if key:  # CreateEndpoint makes a grant on the volume key for the new instances
        statements.append(statement(
            "EndpointVolumeKey", ["kms:CreateGrant", "kms:DescribeKey"], [key],
            Condition={"StringEquals": {"kms:ViaService": f"sagemaker.{region}.amazonaws.com"}}))
    return statements


def trust_policy(service: str, account: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"aws:SourceAccount": account}}}]})


def document(statements: list[dict[str, Any]]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


class SelfHostedModels(pulumi.ComponentResource):
    endpoint_names: dict[str, str]
    endpoint_arns: pulumi.Output[list[str]]
    weights_sources: dict[str, str]
    app_models: pulumi.Output[str]  # JSON for the chat worker's SAGEMAKER_MODELS (core/sagemaker_models.py)

    def __init__(self, name: str, args: SelfHostedModelsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("chatbot:models:SelfHostedModels", name, None, opts)
        self._name, self._args = name, args
        self._context = AwsContext.of(self)
        self._s3 = aws.ec2.get_managed_prefix_list_output(
            name=f"com.amazonaws.{args.region}.s3", opts=pulumi.InvokeOptions(parent=self))
        self.endpoint_names = {m.name: args.endpoint_name(m) for m in args.models}
        self.weights_sources = {m.name: m.weights.description for m in args.models}
        configs = {m.name: self._model(m) for m in args.models}
        ctx = self._context
        # Built from known parts, so the worker's statement is readable at preview.
        self.endpoint_arns = pulumi.Output.all(ctx.partition, ctx.account_id).apply(lambda pa: [
            f"arn:{pa[0]}:sagemaker:{args.region}:{pa[1]}:endpoint/{n}"
            for n in self.endpoint_names.values()])
        if args.schedule is not None:
            self._schedule(args.schedule, configs)
        self.app_models = pulumi.Output.from_input(json.dumps([
            {"modelId": f"sagemaker.{m.name}", "endpointName": self.endpoint_names[m.name], "kind": m.kind,
             "promptFormat": m.prompt_format, "name": f"{m.name} (SageMaker, {m.weights.description})"}
            for m in args.models]))
        self.register_outputs({"endpoint_names": self.endpoint_names, "endpoint_arns": self.endpoint_arns,
                               "weights_sources": self.weights_sources, "app_models": self.app_models})

    def invoke_statements(self) -> pulumi.Output[list[dict[str, Any]]]:
        """For the chat worker: invoke (streaming or not) exactly these endpoints."""
        return self.endpoint_arns.apply(lambda arns: [statement(
            "InvokeSelfHostedModels",
            ["sagemaker:InvokeEndpoint", "sagemaker:InvokeEndpointWithResponseStream"], list(arns))])

    def _opts(self, **extra: Any) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self, **extra)

    def _model(self, model: SelfHostedModel) -> pulumi.Output[str]:
        """Creates one model's resources; returns its endpoint configuration's name."""
        args, base, ctx = self._args, f"{self._name}-{model.name}", self._context
        endpoint_name = self.endpoint_names[model.name]
        tags = {"model": model.name, "weights-source": model.weights.description,
                "image-digest": model.image.split("@")[1]}
        log_group = aws.cloudwatch.LogGroup(
            f"{base}-logs", name=f"/aws/sagemaker/Endpoints/{endpoint_name}",
            retention_in_days=args.log_retention_days, kms_key_id=args.logs_kms_key_arn,
            opts=self._opts(protect=args.retain, retain_on_delete=args.retain))
        role = aws.iam.Role(
            f"{base}-role", description=f"{args.prefix} {args.stack}: SageMaker execution role, {model.name}",
            assume_role_policy=ctx.account_id.apply(lambda a: trust_policy("sagemaker.amazonaws.com", a)),
            opts=self._opts())
        policy = aws.iam.RolePolicy(
            f"{base}-policy", role=role.id,
            policy=pulumi.Output.all(ctx.partition, ctx.account_id, args.weights_kms_key_arn).apply(
                lambda p: document(execution_statements(model, p[0], p[1], args.region,
                                                        f"/aws/sagemaker/Endpoints/{endpoint_name}", p[2]))),
            opts=self._opts())
        group = aws.ec2.SecurityGroup(
            f"{base}-sg", vpc_id=args.vpc_id, tags={"Name": endpoint_name},
            description=f"{args.prefix} {args.stack} model {model.name}: no ingress, egress for its weights",
            opts=self._opts())
        aws.vpc.SecurityGroupEgressRule(
            f"{base}-to-s3", security_group_id=group.id, prefix_list_id=self._s3.id, ip_protocol="tcp",
            from_port=443, to_port=443, description="HTTPS to the S3 gateway endpoint", opts=self._opts())
        if not model.weights.from_s3:  # the container downloads the pinned commit from the hub (via NAT)
            aws.vpc.SecurityGroupEgressRule(
                f"{base}-to-hub", security_group_id=group.id, cidr_ipv4="0.0.0.0/0", ip_protocol="tcp",
                from_port=443, to_port=443, description="HTTPS to the model hub", opts=self._opts())
        source = None
        if model.weights.from_s3:
            source = aws.sagemaker.ModelPrimaryContainerModelDataSourceArgs(s3_data_sources=[
                aws.sagemaker.ModelPrimaryContainerModelDataSourceS3DataSourceArgs(
                    s3_uri=model.weights.s3_uri, s3_data_type="S3Prefix", compression_type="None")])
        sm_model = aws.sagemaker.Model(
            f"{base}-model", execution_role_arn=role.arn,
            primary_container=aws.sagemaker.ModelPrimaryContainerArgs(
                image=model.image, environment=container_environment(model), model_data_source=source),
            enable_network_isolation=model.weights.from_s3,  # hub weights need the container's network
            vpc_config=aws.sagemaker.ModelVpcConfigArgs(subnets=args.private_subnet_ids,
                                                        security_group_ids=[group.id]),
            tags=tags, opts=self._opts(depends_on=[policy, log_group]))
        config = aws.sagemaker.EndpointConfiguration(
            f"{base}-config",
            production_variants=[aws.sagemaker.EndpointConfigurationProductionVariantArgs(
                variant_name="primary", model_name=sm_model.name, instance_type=model.instance_type,
                initial_instance_count=model.instance_count,
                container_startup_health_check_timeout_in_seconds=model.startup_timeout_seconds,
                model_data_download_timeout_in_seconds=model.startup_timeout_seconds)],
            # Local NVMe instances are hardware-encrypted and SageMaker refuses a key for them.
            kms_key_arn=None if model.local_storage else args.kms_key_arn,
            tags=tags, opts=self._opts())
        aws.sagemaker.Endpoint(
            f"{base}-endpoint", name=endpoint_name, endpoint_config_name=config.name, tags=tags,
            opts=self._opts())
        return config.name

    def _schedule(self, schedule: IdleSchedule, configs: Mapping[str, pulumi.Output[str]]) -> None:
        args, ctx, name = self._args, self._context, self._name
        names = list(configs)
        pairs = pulumi.Output.all(*configs.values()).apply(
            lambda cs: [(self.endpoint_names[n], c) for n, c in zip(names, cs, strict=True)])
        role = aws.iam.Role(
            f"{name}-schedule-role", description=f"{args.prefix} {args.stack}: stops and starts the models",
            assume_role_policy=ctx.account_id.apply(lambda a: trust_policy("scheduler.amazonaws.com", a)),
            opts=self._opts())
        policy = aws.iam.RolePolicy(
            f"{name}-schedule-policy", role=role.id,
            policy=pulumi.Output.all(pairs, ctx.partition, ctx.account_id, args.kms_key_arn).apply(
                lambda p: document(schedule_statements(p[0], p[1], p[2], args.region, p[3]))),
            opts=self._opts())
        for model in args.models:
            endpoint = self.endpoint_names[model.name]
            tags = [{"Key": "model", "Value": model.name},
                    {"Key": "weights-source", "Value": model.weights.description}]
            start = configs[model.name].apply(lambda c, e=endpoint, t=tags: json.dumps(
                {"EndpointName": e, "EndpointConfigName": c, "Tags": t}))
            calls = {
                "stop": ("deleteEndpoint", schedule.stop, json.dumps({"EndpointName": endpoint})),
                "start": ("createEndpoint", schedule.start, start),
            }
            for action, (api, expression, payload) in calls.items():
                target = pulumi.Output.concat("arn:", ctx.partition, ":scheduler:::aws-sdk:sagemaker:", api)
                aws.scheduler.Schedule(
                    f"{name}-{model.name}-{action}",
                    description=f"{action} the {model.name} endpoint ({endpoint})",
                    schedule_expression=expression, schedule_expression_timezone=schedule.timezone,
                    flexible_time_window=aws.scheduler.ScheduleFlexibleTimeWindowArgs(mode="OFF"),
                    kms_key_arn=args.kms_key_arn,
                    target=aws.scheduler.ScheduleTargetArgs(
                        arn=target,
                        role_arn=role.arn, input=payload,
                        retry_policy=aws.scheduler.ScheduleTargetRetryPolicyArgs(
                            maximum_retry_attempts=3, maximum_event_age_in_seconds=3600)),
                    opts=self._opts(depends_on=[policy]))
