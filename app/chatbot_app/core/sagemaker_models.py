"""Self-hosted models on SageMaker endpoints (components/self_hosted_models.py), behind the same protocol as
bedrock.stream: text deltas, then one StreamResult.

Two containers. TGI takes a prompt (`inputs`) that this module renders with the model's chat format, and
streams server-sent events (`data:{"token":{"text":...}}`, blank-line separated). LMI takes OpenAI-style
`messages` (the container applies the model's chat template) and streams JSON lines (chat-completion chunks,
or `{"token":...}` lines from its older schema). PayloadParts split the bytes anywhere, mid-line and
mid-character, so lines are cut on the newline byte before decoding (a newline byte never occurs inside a
UTF-8 sequence). Usage comes from the container when it reports it, else it is estimated.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from . import aws
from .bedrock import StreamResult, turns
from .config import SAGEMAKER_PREFIX as PREFIX  # every self-hosted model id starts with it
from .errors import ApiError, ServiceUnavailable, UpstreamError, ValidationFailed
from .models import InferenceSettings, Message, ModelInfo, Usage

Kind = Literal["tgi", "lmi"]
PROVIDER = "SageMaker"
MAX_STOP_SEQUENCES = 4  # TGI's default --max-stop-sequences


@dataclass(frozen=True)
class ChatFormat:
    """How a model family marks turns in a prompt; `system` empty: the system text leads the first turn."""

    begin: str
    system: str
    user: str
    assistant: str
    answer: str  # what opens the assistant's answer
    markers: tuple[str, ...]  # removed from every text, so that no message can open a turn of its own


FORMATS: dict[str, ChatFormat] = {
    "chatml": ChatFormat("", "<|im_start|>system\n{}<|im_end|>\n", "<|im_start|>user\n{}<|im_end|>\n",
                         "<|im_start|>assistant\n{}<|im_end|>\n", "<|im_start|>assistant\n",
                         ("<|im_start|>", "<|im_end|>")),
    "llama3": ChatFormat("<|begin_of_text|>", "<|start_header_id|>system<|end_header_id|>\n\n{}<|eot_id|>",
                         "<|start_header_id|>user<|end_header_id|>\n\n{}<|eot_id|>",
                         "<|start_header_id|>assistant<|end_header_id|>\n\n{}<|eot_id|>",
                         "<|start_header_id|>assistant<|end_header_id|>\n\n",
                         ("<|begin_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>")),
    "mistral": ChatFormat("<s>", "", "[INST] {} [/INST]", " {}</s>", "",
                          ("<s>", "</s>", "[INST]", "[/INST]")),
}
# Container finish reasons -> the app's stop reasons ("eos_token" is a reason name, not a credential).
STOP_REASONS = {"length": "max_tokens", "eos_token": "end_turn",  # nosec B105
                "stop": "end_turn", "stop_sequence": "stop_sequence"}
_UNAVAILABLE = frozenset(
    {"ModelNotReadyException", "ServiceUnavailable", "ThrottlingException", "InternalDependencyException"})


@dataclass(frozen=True)
class EndpointModel:
    model_id: str  # sagemaker.<name>, as the stack's SAGEMAKER_MODELS names it
    endpoint_name: str
    kind: Kind
    prompt_format: str = "chatml"
    name: str = ""

    def __post_init__(self) -> None:
        if not self.model_id.startswith(PREFIX) or len(self.model_id) == len(PREFIX):
            raise ValueError(f"{self.model_id!r}: a self-hosted model id is {PREFIX}<name>")
        if self.kind not in ("tgi", "lmi"):
            raise ValueError(f"{self.model_id}: kind must be tgi or lmi, got {self.kind!r}")
        if self.kind == "tgi" and self.prompt_format not in FORMATS:
            raise ValueError(f"{self.model_id}: promptFormat must be one of {sorted(FORMATS)}")

    def info(self) -> ModelInfo:
        return ModelInfo(modelId=self.model_id, name=self.name or self.model_id, provider=PROVIDER,
                         streaming=True)


def parse_models(text: str) -> list[EndpointModel]:
    """SAGEMAKER_MODELS (the component's `app_models` output): a JSON list of endpoint models."""
    try:
        raw = json.loads(text or "[]")
        return [EndpointModel(model_id=m["modelId"], endpoint_name=m["endpointName"], kind=m["kind"],
                              prompt_format=m.get("promptFormat", "chatml"), name=m.get("name", ""))
                for m in raw]
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"SAGEMAKER_MODELS is not a list of endpoint models: {exc}") from exc


def render_prompt(prompt_format: str, system: str, conversation: Sequence[tuple[str, str]]) -> str:
    """The TGI prompt. Control markers are removed from every text, so no message can open a turn."""
    chat = FORMATS[prompt_format]

    def clean(value: str) -> str:
        while any(marker in value for marker in chat.markers):  # until no removal joins a new marker
            for marker in chat.markers:
                value = value.replace(marker, "")
        return value

    parts = [chat.begin]
    if system and chat.system:
        parts.append(chat.system.format(clean(system)))
    for index, (role, content) in enumerate(conversation):
        content = clean(content)
        if role == "user" and index == 0 and system and not chat.system:
            content = f"{clean(system)}\n\n{content}"
        parts.append((chat.user if role == "user" else chat.assistant).format(content))
    parts.append(chat.answer)
    return "".join(parts)


def build_request(
    model: EndpointModel,
    settings: InferenceSettings,
    history: Sequence[Message],
    text: str,
    *,
    system: Sequence[str] = (),
    top_p: float | None = None,
    stop: Sequence[str] = (),
    streaming: bool = True,
) -> dict[str, Any]:
    """InvokeEndpoint(WithResponseStream) arguments; `system` adds blocks after the saved system prompt."""
    system_text = "\n\n".join(part for part in (settings.systemPrompt, *system) if part)
    conversation = turns(history, text)
    stops = list(stop)[:MAX_STOP_SEQUENCES]
    body: dict[str, Any]
    if model.kind == "tgi":
        parameters: dict[str, Any] = {"max_new_tokens": settings.maxTokens, "details": True,
                                      "return_full_text": False}
        if settings.temperature > 0:  # TGI refuses 0; greedy decoding is do_sample false
            parameters.update(temperature=settings.temperature, do_sample=True)
        else:
            parameters["do_sample"] = False
        if top_p is not None and 0 < top_p < 1:  # TGI accepts only the open interval
            parameters["top_p"] = top_p
        if stops:
            parameters["stop"] = stops
        body = {"inputs": render_prompt(model.prompt_format, system_text, conversation),
                "parameters": parameters, "stream": streaming}
    else:
        messages = [{"role": "system", "content": system_text}] if system_text else []
        messages += [{"role": role, "content": content} for role, content in conversation]
        body = {"messages": messages, "max_tokens": settings.maxTokens, "temperature": settings.temperature,
                "stream": streaming}
        if top_p is not None:
            body["top_p"] = top_p
        if stops:
            body["stop"] = stops
    return {"EndpointName": model.endpoint_name, "ContentType": "application/json",
            "Accept": "application/json", "Body": json.dumps(body).encode()}


@dataclass
class _Answer:
    parts: list[str]
    stop_reason: str = ""
    input_tokens: int | None = None
    output_tokens: int | None = None

    def take(self, event: dict[str, Any]) -> str:
        """Record one parsed event; return its text delta ("" if none)."""
        if "error" in event:
            raise UpstreamError(f"the model failed ({event.get('error_type') or 'error'})")
        delta = ""
        if "choices" in event:  # an OpenAI-style chat chunk (LMI messages) or a whole completion
            for choice in event["choices"] or []:
                content = (choice.get("delta") or choice.get("message") or {}).get("content")
                delta += content or ""
                self.stop_reason = choice.get("finish_reason") or self.stop_reason
            usage = event.get("usage") or {}
            self.input_tokens = usage.get("prompt_tokens", self.input_tokens)
            self.output_tokens = usage.get("completion_tokens", self.output_tokens)
        elif "token" in event:  # TGI, or LMI's own streaming schema
            token = event["token"] or {}
            delta = "" if token.get("special") else token.get("text") or ""
        elif "generated_text" in event:  # a non-streamed TGI / LMI answer
            delta = event["generated_text"] or ""
        details = event.get("details") or {}
        if details:
            self.stop_reason = details.get("finish_reason") or self.stop_reason
            self.output_tokens = details.get("generated_tokens", self.output_tokens)
            self.input_tokens = details.get("input_length", self.input_tokens)
        if delta:
            self.parts.append(delta)
        return delta

    def result(self, request: dict[str, Any]) -> StreamResult:
        if not self.stop_reason:
            raise UpstreamError("the model stream ended without a stop reason")
        text = "".join(self.parts)
        usage = estimate_usage(request, text, self.input_tokens, self.output_tokens)
        return StreamResult(text=text, usage=usage, stop_reason=STOP_REASONS.get(self.stop_reason,
                                                                                 self.stop_reason))


def estimate_usage(request: dict[str, Any], answer: str, input_tokens: int | None = None,
                   output_tokens: int | None = None) -> Usage:
    """Token usage: the container's counts where it reported them, else estimated from the texts (also for
    an answer the guardrail cut short, whose stream was not read to the end)."""
    from ..rag.chunking import estimate_tokens

    sent = json.loads(request["Body"])
    prompt = sent.get("inputs") or "\n".join(m["content"] for m in sent.get("messages", []))
    spent_in = input_tokens if input_tokens is not None else estimate_tokens(prompt)
    spent_out = output_tokens if output_tokens is not None else estimate_tokens(answer)
    return Usage(inputTokens=spent_in, outputTokens=spent_out, totalTokens=spent_in + spent_out)


def lines(events: Iterable[dict[str, Any]]) -> Iterator[str]:
    """The stream's text lines, whatever the PayloadPart boundaries."""
    buffer = b""
    for event in events:
        if "PayloadPart" in event:
            buffer += event["PayloadPart"].get("Bytes", b"")
            *complete, buffer = buffer.split(b"\n")
            for line in complete:
                yield _decode(line)
        elif "ModelStreamError" in event or "InternalStreamFailure" in event:
            raise UpstreamError(f"the model stream failed ({next(iter(event))})")
    if buffer.strip():
        yield _decode(buffer)


def _decode(line: bytes) -> str:
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UpstreamError("the model sent text that is not UTF-8") from exc


def parse_line(line: str) -> dict[str, Any] | None:
    """One event from an SSE line (`data:` prefix) or a JSON line; None for blank lines, comments, [DONE]."""
    line = line.strip()
    if not line or line.startswith((":", "event:", "id:", "retry:")):
        return None
    if line.startswith("data:"):
        line = line[len("data:"):].strip()
    if line == "[DONE]":
        return None
    try:
        event = json.loads(line)
    except json.JSONDecodeError as exc:
        raise UpstreamError("the model sent a stream this app cannot read") from exc
    if not isinstance(event, dict):
        raise UpstreamError("the model sent a stream this app cannot read")
    return event


def stream(region: str, request: dict[str, Any]) -> Iterator[str | StreamResult]:
    """Yield text deltas, then one StreamResult. Raises an ApiError if the endpoint call fails."""
    from botocore.exceptions import BotoCoreError, ClientError

    runtime = aws.client("sagemaker-runtime", region)
    answer = _Answer(parts=[])
    try:
        body = runtime.invoke_endpoint_with_response_stream(**request)["Body"]
        for line in lines(body):
            event = parse_line(line)
            delta = answer.take(event) if event is not None else ""
            if delta:
                yield delta
    except ClientError as exc:
        raise endpoint_error(exc) from exc
    except BotoCoreError as exc:
        raise UpstreamError("the model stream failed") from exc
    yield answer.result(request)


def invoke(region: str, request: dict[str, Any]) -> StreamResult:
    """The whole answer in one InvokeEndpoint call (a request built with streaming=False)."""
    from botocore.exceptions import BotoCoreError, ClientError

    runtime = aws.client("sagemaker-runtime", region)
    try:
        raw = runtime.invoke_endpoint(**request)["Body"].read()
    except ClientError as exc:
        raise endpoint_error(exc) from exc
    except BotoCoreError as exc:
        raise UpstreamError("the model call failed") from exc
    try:
        parsed = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise UpstreamError("the model sent an answer this app cannot read") from exc
    answer = _Answer(parts=[])
    for event in parsed if isinstance(parsed, list) else [parsed]:  # TGI answers a one-element list
        if not isinstance(event, dict):
            raise UpstreamError("the model sent an answer this app cannot read")
        answer.take(event)
    return answer.result(request)


def endpoint_error(exc: Exception) -> ApiError:
    code = aws.error_code(exc)
    response = getattr(exc, "response", None) or {}
    message = str(response.get("Error", {}).get("Message", ""))
    if code == "ValidationError" and "not found" in message.lower():
        # Outside its schedule the endpoint does not exist.
        return ServiceUnavailable("the model is not running now; try again in its working hours",
                                  code="model_stopped")
    if code in _UNAVAILABLE:
        return ServiceUnavailable("the model is busy or starting; try again in a moment")
    rejected = code == "ModelError" and response.get("OriginalStatusCode") in (400, 422)  # e.g. too long
    if code == "ValidationError" or rejected:
        return ValidationFailed("the model rejected the request", code="model_rejected")
    return UpstreamError(f"the model call failed ({code or 'error'})")
