"""Bedrock: the text models this account can use (plus the stack's self-hosted SageMaker models, which
core/sagemaker_models.py answers), and Converse / ConverseStream requests with the guardrail applied
(ConverseStream for models that stream their answer, Converse for the others)."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from . import aws
from .config import Config
from .errors import ApiError, UpstreamError, ValidationFailed
from .models import InferenceSettings, Message, ModelInfo, Usage

_MODELS_TTL_SECONDS = 300
_cache: dict[str, tuple[float, list[ModelInfo]]] = {}


def clear_model_cache() -> None:
    _cache.clear()


def list_models(config: Config) -> list[ModelInfo]:
    """The account's on-demand text models and inference profiles, limited to ALLOWED_MODELS if set, then
    the stack's self-hosted models (SAGEMAKER_MODELS); under MODEL_PROVIDER=local, local mode's one model
    instead."""
    if config.model_provider == "local":
        from ..local.answers import MODEL  # local mode only: that package is not in the Lambda archive

        return [MODEL] if config.model_allowed(MODEL.modelId) else []
    listed = [model for model in _account_models(config) if config.model_allowed(model.modelId)]
    return listed + [model.info() for model in config.sagemaker_models]


def _account_models(config: Config) -> list[ModelInfo]:
    """On-demand text models plus the account's inference profiles (cross-region), each with whether it
    streams: ConverseStream for those that do, Converse for the others."""
    cached = _cache.get(config.bedrock_region)
    if cached and time.monotonic() - cached[0] < _MODELS_TTL_SECONDS:
        return cached[1]
    control = aws.client("bedrock", config.bedrock_region)
    models: dict[str, ModelInfo] = {}
    streams: dict[str, bool] = {}  # every active text model, on-demand or not: what profiles are built on
    summaries = control.list_foundation_models(byOutputModality="TEXT").get("modelSummaries", [])
    for summary in summaries:
        if "TEXT" not in summary.get("inputModalities", []):
            continue
        if summary.get("modelLifecycle", {}).get("status", "ACTIVE") != "ACTIVE":
            continue
        streaming = bool(summary.get("responseStreamingSupported"))
        streams[summary["modelId"]] = streaming
        if "ON_DEMAND" not in summary.get("inferenceTypesSupported", []):
            continue
        models[summary["modelId"]] = ModelInfo(
            modelId=summary["modelId"],
            name=summary.get("modelName", summary["modelId"]),
            provider=summary.get("providerName", ""),
            streaming=streaming,
        )
    paginator = control.get_paginator("list_inference_profiles")
    for page in paginator.paginate(typeEquals="SYSTEM_DEFINED"):
        for profile in page.get("inferenceProfileSummaries", []):
            if profile.get("status") != "ACTIVE":
                continue
            underlying = [
                streams[model_id] for model_id in _profile_model_ids(profile) if model_id in streams
            ]
            if not underlying:
                continue  # a profile over image, embedding or retired models: not a text model here
            models[profile["inferenceProfileId"]] = ModelInfo(
                modelId=profile["inferenceProfileId"],
                name=profile.get("inferenceProfileName", ""),
                provider="inference profile",
                streaming=all(underlying),
            )
    result = sorted(models.values(), key=lambda m: m.modelId)
    _cache[config.bedrock_region] = (time.monotonic(), result)
    return result


def _profile_model_ids(profile: dict[str, Any]) -> set[str]:
    """Foundation-model ids behind a profile: `arn:aws:bedrock:<region>::foundation-model/<id>`, one ARN per
    region the profile routes to (the same id each time)."""
    ids = set()
    for model in profile.get("models", []):
        _, sep, model_id = model.get("modelArn", "").partition(":foundation-model/")
        if sep and model_id:
            ids.add(model_id)
    return ids


def require_model(config: Config, model_id: str) -> ModelInfo:
    """The model if the account lists it and ALLOWED_MODELS permits it, or a self-hosted model the stack
    configured; else 400 unknown_model."""
    check_allowed(config, model_id)
    self_hosted = config.sagemaker_model(model_id)
    if self_hosted is not None:
        return self_hosted.info()  # no Bedrock listing needed
    for model in list_models(config):
        if model.modelId == model_id:
            return model
    raise _unknown(model_id)


def check_allowed(config: Config, model_id: str) -> None:
    """ALLOWED_MODELS (or SAGEMAKER_MODELS for a self-hosted id) alone, without listing models (the worker
    has no permission to list them)."""
    if not config.model_allowed(model_id):
        raise _unknown(model_id)


def _unknown(model_id: str) -> ValidationFailed:
    return ValidationFailed(
        f"unknown model {model_id!r}; GET /models lists the available ones", code="unknown_model"
    )


def converse_request(
    config: Config,
    settings: InferenceSettings,
    model_id: str,
    history: list[Message],
    text: str,
    *,
    streaming: bool = True,
) -> dict[str, Any]:
    """The same request for Converse and ConverseStream; only the guardrail's stream mode differs (a
    ConverseStream-only field that Converse refuses)."""
    request: dict[str, Any] = {
        "modelId": model_id,
        "messages": [{"role": role, "content": [{"text": part}]} for role, part in turns(history, text)],
        "inferenceConfig": {"maxTokens": settings.maxTokens, "temperature": settings.temperature},
    }
    if settings.systemPrompt:
        request["system"] = [{"text": settings.systemPrompt}]
    if config.guardrail_enabled:
        request["guardrailConfig"] = {
            "guardrailIdentifier": config.guardrail_id,
            "guardrailVersion": config.guardrail_version,
        }
        if streaming:
            # sync: text is released only after the guardrail checked it, as with Converse.
            request["guardrailConfig"]["streamProcessingMode"] = "sync"
    return request


def turns(history: Sequence[Message], text: str) -> list[tuple[str, str]]:
    """(role, text) pairs in user/assistant alternation, starting with the user and ending with the question,
    as Converse needs them (self-hosted models get the same conversation)."""
    result: list[tuple[str, str]] = []
    for message in history:
        if not result and message.role != "user":
            continue
        if result and result[-1][0] == message.role:
            result[-1] = (message.role, result[-1][1] + "\n" + message.text)
        else:
            result.append((message.role, message.text))
    if result and result[-1][0] == "user":
        result.pop()  # an unanswered question (should not happen: exchanges are stored in pairs)
    return [*result, ("user", text)]


@dataclass
class StreamResult:
    text: str
    usage: Usage
    stop_reason: str


def stream(config: Config, request: dict[str, Any]) -> Iterator[str | StreamResult]:
    """Yield text deltas, then one StreamResult. Raises UpstreamError if the model call fails."""
    from botocore.exceptions import BotoCoreError, ClientError

    runtime = aws.client("bedrock-runtime", config.bedrock_region)
    parts: list[str] = []
    usage = Usage()
    stop_reason = ""
    try:
        events = runtime.converse_stream(**request)["stream"]
        for event in events:
            if "contentBlockDelta" in event:
                delta = event["contentBlockDelta"].get("delta", {}).get("text", "")
                if delta:
                    parts.append(delta)
                    yield delta
            elif "messageStop" in event:
                stop_reason = event["messageStop"].get("stopReason", "")
            elif "metadata" in event:
                usage = _usage(event["metadata"].get("usage", {}))
            else:
                for name in (
                    "internalServerException",
                    "modelStreamErrorException",
                    "validationException",
                    "throttlingException",
                    "serviceUnavailableException",
                ):
                    if name in event:
                        raise UpstreamError(f"the model stream failed ({name})")
    except ClientError as exc:
        raise _model_error(exc) from exc
    except BotoCoreError as exc:
        raise UpstreamError("the model stream failed") from exc
    if not stop_reason:
        raise UpstreamError("the model stream ended without a stop event")
    yield StreamResult(text="".join(parts), usage=usage, stop_reason=stop_reason)


def converse(config: Config, request: dict[str, Any]) -> StreamResult:
    """The whole answer in one Converse call, for models without response streaming. Raises UpstreamError
    (or ValidationFailed `model_rejected`) if the model call fails."""
    from botocore.exceptions import BotoCoreError, ClientError

    runtime = aws.client("bedrock-runtime", config.bedrock_region)
    try:
        response = runtime.converse(**request)
    except ClientError as exc:
        raise _model_error(exc) from exc
    except BotoCoreError as exc:
        raise UpstreamError("the model call failed") from exc
    stop_reason = response.get("stopReason", "")
    if not stop_reason:
        raise UpstreamError("the model answered without a stop reason")
    content = response.get("output", {}).get("message", {}).get("content", [])
    return StreamResult(
        # Text blocks only: reasoning blocks are not part of the answer, as in the streamed case.
        text="".join(block["text"] for block in content if "text" in block),
        usage=_usage(response.get("usage", {})),
        stop_reason=stop_reason,
    )


def _usage(raw: dict[str, Any]) -> Usage:
    return Usage(
        inputTokens=raw.get("inputTokens", 0),
        outputTokens=raw.get("outputTokens", 0),
        totalTokens=raw.get("totalTokens", 0),
    )


def _model_error(exc: Exception) -> ApiError:
    code = aws.error_code(exc)
    if code == "ValidationException":
        return ValidationFailed("the model rejected the request", code="model_rejected")
    return UpstreamError(f"the model call failed ({code or 'error'})")
