"""Self-hosted model settings: SageMaker endpoints the chat may use beside Bedrock, and when they exist.

Each model is validated by components.self_hosted_model_spec.SelfHostedModel itself (image pinned by digest in
ECR, weights from a reviewed S3 prefix or a hub id pinned to a commit, instance type, container kind), so
a stack file cannot describe a model the component would refuse.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, Field, field_validator

from components.self_hosted_model_spec import CRON, IdleSchedule, SelfHostedModel, WeightsSource
from components.settings.setting import Setting, check_objects, matches

# app/chatbot_app/core/sagemaker_models.py FORMATS (tests/settings keep them equal)
PROMPT_FORMATS: tuple[str, ...] = ("chatml", "llama3", "mistral")
MODEL_KEYS: tuple[str, ...] = (
    "name", "image", "instanceType", "kind", "weightsS3Uri", "hubModelId", "hubRevision", "promptFormat",
    "instanceCount", "gpus", "startupTimeoutSeconds", "environment",
)
MAX_MODELS = 5
TIMEZONE_PATTERN = r"^[A-Za-z_]+(/[A-Za-z0-9_+-]+)*$"


def self_hosted_model(index: int, item: dict[str, Any]) -> SelfHostedModel:
    missing = [key for key in ("name", "image", "instanceType", "kind") if key not in item]
    if missing:
        raise ValueError(f"missing {', '.join(missing)}")
    if item.get("promptFormat", "chatml") not in PROMPT_FORMATS:
        raise ValueError(f"promptFormat must be one of {', '.join(PROMPT_FORMATS)}")
    environment = item.get("environment", {})
    if not isinstance(environment, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in environment.items()):
        raise ValueError("environment must map names to strings")
    weights = WeightsSource(s3_uri=item.get("weightsS3Uri"), hub_id=item.get("hubModelId"),
                            revision=item.get("hubRevision"))
    return SelfHostedModel(
        name=item["name"], image=item["image"], weights=weights, instance_type=item["instanceType"],
        kind=item["kind"], prompt_format=item.get("promptFormat", "chatml"),
        instance_count=int(item.get("instanceCount", 1)), gpus=int(item.get("gpus", 1)),
        environment=environment, startup_timeout_seconds=int(item.get("startupTimeoutSeconds", 900)),
    )


class SelfHostedModelFields(BaseModel):
    self_hosted_models: Annotated[tuple[SelfHostedModel, ...], Setting(
        "objects", f"up to {MAX_MODELS} mappings, each with `name` (`^[a-z][a-z0-9-]{{0,23}}$`, unique), "
        "`image` (an ECR image pinned by digest, "
        "<account>.dkr.ecr.<region>.amazonaws.com/<repo>@sha256:<hex>), "
        "`instanceType` (ml.<family>.<size>), `kind` (tgi or lmi), the weights as `weightsS3Uri` "
        "(s3://<bucket>/<prefix>/) or `hubModelId` + `hubRevision` (a 40-hex commit), and optional "
        "`promptFormat` (" + ", ".join(PROMPT_FORMATS) + "; tgi), `instanceCount` (1-10), `gpus` (1-8), "
        "`startupTimeoutSeconds` (60-3600), `environment` (container variables) "
        "(SEC-THIRD-PARTY-MODELS, SEC-SAGEMAKER-ENDPOINTS)",
        effect=("each model is a GPU endpoint billed per instance-hour while it exists (an ml.g5.2xlarge "
                "is about $1.52 an hour, $1,100 a month around the clock); selfHostedSchedule removes it "
                "out of hours"),
    )] = Field((), alias="selfHostedModels", description=(
        "Models served from SageMaker endpoints in the VPC, offered in the chat beside Bedrock's."))
    self_hosted_schedule: Annotated[bool, Setting(
        "boolean", "true or false",
        effect=("true: the endpoints exist only between selfHostedStartCron and selfHostedStopCron, so an "
                "idle GPU costs nothing at night and at weekends (the first question after the start waits "
                "for the endpoint, 5-15 minutes); false: they run around the clock"),
    )] = Field(True, alias="selfHostedSchedule", description=(
        "Create the self-hosted endpoints on a schedule and delete them out of hours."))
    self_hosted_start_cron: Annotated[str, Setting(
        "string", "an EventBridge Scheduler cron expression, cron(<6 fields>)", matches(CRON.pattern),
    )] = Field("cron(0 8 ? * MON-FRI *)", alias="selfHostedStartCron", description=(
        "When the self-hosted endpoints are created (selfHostedSchedule true)."))
    self_hosted_stop_cron: Annotated[str, Setting(
        "string", "an EventBridge Scheduler cron expression, cron(<6 fields>)", matches(CRON.pattern),
    )] = Field("cron(0 19 ? * MON-FRI *)", alias="selfHostedStopCron", description=(
        "When the self-hosted endpoints are deleted (selfHostedSchedule true)."))
    self_hosted_timezone: Annotated[str, Setting(
        "string", "an IANA time zone name such as Europe/Paris", matches(TIMEZONE_PATTERN),
    )] = Field("UTC", alias="selfHostedTimezone", description="Time zone of the two cron expressions.")

    @field_validator("self_hosted_models", mode="before")
    @classmethod
    def _check_self_hosted_models(cls, value: Any) -> tuple[SelfHostedModel, ...]:
        return check_objects(value, SelfHostedModel, self_hosted_model, MODEL_KEYS, name_of=lambda m: m.name,
                             max_items=MAX_MODELS, what="model")

    @property
    def self_hosted_idle_schedule(self) -> IdleSchedule | None:
        if not self.self_hosted_schedule:
            return None
        return IdleSchedule(self.self_hosted_start_cron, self.self_hosted_stop_cron,
                            self.self_hosted_timezone)
