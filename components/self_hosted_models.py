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

The models' validated description is components/self_hosted_model_spec.py; the roles' documents are
components/self_hosted_model_iam.py.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components.aws_context import AwsContext
from components.naming import resource_name
from components.self_hosted_model_iam import (
    document,
    execution_statements,
    schedule_statements,
    statement,
    trust_policy,
)
from components.self_hosted_model_spec import IdleSchedule, SelfHostedModel, container_environment


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
