"""Client of the internal `rag` service (a Lambda function in the VPC, invoked RequestResponse).

Request {"op", ...camelCase fields}; response {"ok": true, "result": {...}} or {"ok": false, "status",
"message"}. A refusal with a 4xx status becomes the same HTTP error here (its message is the service's safe
one, naming the field). Anything else (a 5xx, a function error or timeout, a malformed answer, an invoke that
failed) is a 502 with a generic message: details go to the log, never to the caller.

Tests replace the Lambda transport with `set_transport`, e.g. to call the service's `dispatch` in-process.
Both directions still go through JSON, as they do over Lambda.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from . import aws
from .config import Config
from .errors import ApiError, Conflict, NotFound, PayloadTooLarge, UpstreamError, ValidationFailed

log = logging.getLogger(__name__)

Transport = Callable[[dict[str, Any]], Any]
DISABLED_MESSAGE = "retrieval is not enabled on this stack"
_MAX_RESPONSE_BYTES = 6 * 1024 * 1024  # Lambda's own limit for a synchronous response
_REFUSALS: dict[int, type[ApiError]] = {
    400: ValidationFailed,
    404: NotFound,
    409: Conflict,
    413: PayloadTooLarge,
}
_transport: Transport | None = None


class RetrievalDisabled(NotFound):
    code = "retrieval_disabled"


def set_transport(transport: Transport | None) -> None:
    """Send requests to `transport` instead of the Lambda function; None restores the Lambda transport."""
    global _transport
    _transport = transport


def failed(message: str = "the retrieval service failed; try again in a moment") -> UpstreamError:
    return UpstreamError(message, code="retrieval_error")


def invoke(config: Config, op: str, **fields: Any) -> dict[str, Any]:
    """The service's `result` for one operation; raises ApiError for a refusal or a failure."""
    if not config.rag_enabled:
        raise RetrievalDisabled(DISABLED_MESSAGE)
    payload = json.dumps({"op": op, **fields}, separators=(",", ":"))
    if _transport is not None:
        raw = json.dumps(_transport(json.loads(payload)))
    else:
        raw = _invoke_lambda(config, op, payload)
    return _result(op, raw)


def _invoke_lambda(config: Config, op: str, payload: str) -> str:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        response = aws.client("lambda", config.region).invoke(
            FunctionName=config.rag_function, InvocationType="RequestResponse", Payload=payload.encode()
        )
        body = response["Payload"].read(_MAX_RESPONSE_BYTES + 1)
    except (ClientError, BotoCoreError) as exc:
        log.warning("rag %s: invoke failed: %s", op, aws.error_code(exc) or type(exc).__name__)
        raise failed() from exc
    if response.get("FunctionError"):
        # An unhandled exception or a timeout in the service; its payload names the error type.
        log.error("rag %s: function error %s: %s", op, response["FunctionError"], _error_type(body))
        raise failed()
    return body.decode("utf-8", errors="replace")


def _error_type(body: bytes) -> str:
    try:
        return str(json.loads(body).get("errorType", "unknown"))
    except (ValueError, AttributeError):
        return "unknown"


def _result(op: str, raw: str) -> dict[str, Any]:
    try:
        response = json.loads(raw)
    except ValueError:
        response = None
    if not isinstance(response, dict) or not isinstance(response.get("ok"), bool):
        log.error("rag %s: malformed response", op)
        raise failed()
    if response["ok"]:
        result = response.get("result")
        if not isinstance(result, dict):
            log.error("rag %s: response without a result object", op)
            raise failed()
        return result
    status, message = response.get("status"), response.get("message")
    refusal = _REFUSALS.get(status) if isinstance(status, int) else None
    if refusal is None or not isinstance(message, str) or not message:
        log.error("rag %s: failed with status %s: %s", op, status, str(message)[:500])
        raise failed()
    # PayloadTooLarge's own code speaks of chat messages.
    raise refusal(message[:500], code="too_large" if refusal is PayloadTooLarge else None)
