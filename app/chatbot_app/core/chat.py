"""One chat turn in two steps.

`accept` runs in the REST function: validate, check the owner and the model, reserve the quota, hand a job to
the worker function (asynchronous invoke). `run` runs in the worker: stream the model's answer to the user's
connections (ConverseStream; Converse and one delta frame for a model that does not stream; a self-hosted
SageMaker model through core/sagemaker_models.py, with the Bedrock guardrail applied by core/guardrails.py
since an endpoint cannot carry it), then store the question, the answer and the token usage in one
transaction. Whatever fails
after the reservation gives the reserved message back, so nothing is stored or counted half-way.

A session bound to a workspace is answered from its documents: the worker searches the workspace with the
question, pushes a `sources` frame before the first token, gives the model the passages as a numbered context
block (core/workspaces.py has that prompt text) and stores the sources with the answer.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from . import aws, bedrock, guardrails, sagemaker_models, sessions, settings_store, usage, workspaces
from .auth import Principal
from .clock import iso, now_ms
from .config import Config
from .errors import ApiError, PayloadTooLarge, ServiceUnavailable, UpstreamError
from .models import ChatJob, InferenceSettings, Message, MessageAccepted, SendMessageRequest, Session, Usage
from .streaming import Push

log = logging.getLogger(__name__)


def accept(
    config: Config, principal: Principal, session_id: str, request: SendMessageRequest
) -> MessageAccepted:
    """Queue an answer; its frames go to the caller's WebSocket connections under the returned id."""
    if not config.chat_worker_function:
        raise RuntimeError("CHAT_WORKER_FUNCTION is not set")  # a deployment error: 500, logged
    _check_length(config, request.text)
    sessions.get(config.sessions_table, principal.sub, session_id)  # 404 for a non-owner
    model_id = request.modelId or _default_model(config)
    model = bedrock.require_model(config, model_id)
    requested = now_ms()
    _, answer_id = sessions.exchange_ids(requested)
    job = ChatJob(
        userSub=principal.sub,
        username=principal.username,
        sessionId=session_id,
        messageId=answer_id,
        text=request.text,
        modelId=model_id,
        requestedAt=requested,
        streaming=model.streaming,
    )
    usage.reserve_message(
        config.usage_table,
        principal.sub,
        requested,
        config.quota_messages_per_day,
        config.quota_tokens_per_day,
    )
    try:
        _invoke_worker(config, job)
    except BaseException:
        usage.release_message(config.usage_table, principal.sub, requested)
        raise
    return MessageAccepted(messageId=answer_id)


def _default_model(config: Config) -> str:
    stored = settings_store.read(config).defaultModel
    if config.model_allowed(stored):
        return stored
    # ALLOWED_MODELS or SAGEMAKER_MODELS changed after an admin saved this default; DEFAULT_MODEL_ID is
    # always allowed.
    log.warning("saved default model %s is not available; using %s", stored, config.default_model_id)
    return config.default_model_id


def _check_length(config: Config, text: str) -> None:
    if len(text) > config.max_message_chars:
        raise PayloadTooLarge(f"message is longer than {config.max_message_chars} characters")


def _invoke_worker(config: Config, job: ChatJob) -> None:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        response = aws.client("lambda", config.region).invoke(
            FunctionName=config.chat_worker_function,
            InvocationType="Event",
            Payload=job.model_dump_json().encode(),
        )
    except (ClientError, BotoCoreError) as exc:
        log.warning("could not invoke the chat worker: %s", aws.error_code(exc) or type(exc).__name__)
        raise ServiceUnavailable("the chat service is busy; try again in a moment") from exc
    if response.get("StatusCode") != 202:
        log.warning("the chat worker invoke answered %s", response.get("StatusCode"))
        raise ServiceUnavailable("the chat service is busy; try again in a moment")


def run(config: Config, job: ChatJob, push: Push) -> Message | None:
    """Answer a job; return the stored answer, or None when an earlier invocation already stored it."""
    try:
        # An asynchronous invoke may be delivered twice; the fixed ids make a repeat visible.
        if sessions.message_exists(config.sessions_table, job.userSub, job.sessionId, job.messageId):
            log.warning("job %s was answered already; nothing to do", job.messageId)
            return None
        answer, stop_reason = _answer_and_store(config, job, push)
    except BaseException:
        usage.release_message(config.usage_table, job.userSub, job.requestedAt)
        raise
    _log_tokens(job, answer)
    spent = answer.usage.model_dump() if answer.usage else {}
    push.send({"type": "end", "stopReason": stop_reason, "usage": spent})
    return answer


def _log_tokens(job: ChatJob, answer: Message) -> None:
    """One line per stored exchange for the token-usage metric filter `{ $.tokens >= 0 }`. With Lambda's
    JSON log format, `extra` fields become top-level keys. Ids and counts only: no question or answer text."""
    spent = answer.usage or Usage()
    log.info(
        "exchange stored",
        extra={
            "tokens": spent.inputTokens + spent.outputTokens,
            "inputTokens": spent.inputTokens,
            "outputTokens": spent.outputTokens,
            "sessionId": job.sessionId,
            "modelId": job.modelId,
        },
    )


def _answer_and_store(config: Config, job: ChatJob, push: Push) -> tuple[Message, str]:
    from botocore.exceptions import ClientError

    _check_length(config, job.text)  # the REST function checked already; the job is input too
    bedrock.check_allowed(config, job.modelId)  # and ALLOWED_MODELS, before any model call
    session = sessions.get(config.sessions_table, job.userSub, job.sessionId)  # deleted: no model call
    settings = settings_store.read(config)
    history = sessions.messages(
        config.sessions_table, job.userSub, job.sessionId, limit=settings.historyLength * 2
    )
    question = Message(
        messageId=sessions.question_id(job.messageId),
        role="user",
        text=job.text,
        createdAt=iso(job.requestedAt),
    )
    push.send({"type": "start", "questionId": question.messageId, "modelId": job.modelId})
    retrieval = _retrieve(config, session, job, push)
    context = [retrieval.context] if retrieval is not None else []
    endpoint = config.sagemaker_model(job.modelId)
    if endpoint is not None:
        result = _self_hosted(config, job, push, endpoint, settings, history, context)
    else:
        request = bedrock.converse_request(
            config, settings, job.modelId, history, job.text, streaming=job.streaming
        )
        if context:
            # After the administrator's system prompt, as a block of its own (Converse takes several).
            request["system"] = [*request.get("system", []), *({"text": c} for c in context)]
        result = _answer(config, job, push, request, retrieval)
    answer = Message(
        messageId=job.messageId,
        role="assistant",
        text=result.text,
        createdAt=iso(now_ms()),
        modelId=job.modelId,
        usage=result.usage,
        sources=retrieval.sources if retrieval is not None else None,
    )
    writes = sessions.exchange_writes(config.sessions_table, job.userSub, job.sessionId, question, answer)
    tokens = result.usage.totalTokens
    writes.append(usage.tokens_write(config.usage_table, job.userSub, job.requestedAt, tokens))
    try:
        aws.ddb().transact_write_items(TransactItems=writes)
    except ClientError as exc:
        if aws.error_code(exc) == "TransactionCanceledException":
            raise ApiError(
                "the session was deleted while answering", code="session_gone", status=409
            ) from exc
        raise
    return answer, result.stop_reason


def _retrieve(config: Config, session: Session, job: ChatJob, push: Push) -> workspaces.Retrieval | None:
    """Search the bound workspace (None for an unbound session) and push the sources before any token.
    A failed search raises (an error frame, no model call, nothing stored, the quota given back)."""
    if not session.workspaceId:
        return None
    retrieval = workspaces.retrieve(config, session.workspaceId, job.text)
    push.send({"type": "sources", "sources": [s.model_dump(mode="json") for s in retrieval.sources]})
    return retrieval


def _answer(
    config: Config, job: ChatJob, push: Push, request: dict[str, Any], retrieval: workspaces.Retrieval | None
) -> bedrock.StreamResult:
    if config.model_provider == "local":
        from ..local import answers  # local mode only: that package is not in the Lambda archive

        return _stream(push, answers.stream(job.text, retrieval))
    if job.streaming:
        return _stream(push, bedrock.stream(config, request))
    return _converse(config, push, request)


def _self_hosted(
    config: Config,
    job: ChatJob,
    push: Push,
    endpoint: sagemaker_models.EndpointModel,
    settings: InferenceSettings,
    history: list[Message],
    context: list[str],
) -> bedrock.StreamResult:
    """A SageMaker endpoint in the stack's region. The guardrail checks the question first (a block answers
    with its message and calls no model; masked text is what the model gets), then the answer in chunks
    before any of it is pushed."""
    question = guardrails.check(config, job.text, "INPUT")
    if question.blocked:
        if question.text:
            push.send({"type": "delta", "text": question.text})
        return bedrock.StreamResult(question.text, Usage(), guardrails.STOP_REASON)
    request = sagemaker_models.build_request(
        endpoint, settings, history, question.text, system=context, streaming=job.streaming
    )
    if job.streaming:
        pieces = sagemaker_models.stream(config.region, request)
    else:
        pieces = _whole(config.region, request)
    guarded = guardrails.guard_answer(
        config, pieces, lambda text: sagemaker_models.estimate_usage(request, text)
    )
    return _stream(push, guarded)


def _whole(region: str, request: dict[str, Any]) -> Iterator[str | bedrock.StreamResult]:
    """InvokeEndpoint's whole answer as one delta and its result, so the guardrail checks it the same way."""
    result = sagemaker_models.invoke(region, request)
    if result.text:
        yield result.text
    yield result


def _stream(push: Push, pieces: Iterator[str | bedrock.StreamResult]) -> bedrock.StreamResult:
    result: bedrock.StreamResult | None = None
    for piece in pieces:
        if isinstance(piece, bedrock.StreamResult):
            result = piece
        else:
            push.delta(piece)
    push.flush()
    if result is None:
        raise UpstreamError("the model stream ended early")
    return result


def _converse(config: Config, push: Push, request: dict[str, Any]) -> bedrock.StreamResult:
    """A model without response streaming: the whole answer as one delta frame, then the usual end frame."""
    result = bedrock.converse(config, request)
    if result.text:
        push.send({"type": "delta", "text": result.text})
    return result
