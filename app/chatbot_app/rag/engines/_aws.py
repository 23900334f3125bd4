"""Shared helpers for the AWS-backed engines: client errors -> EngineError, and scores clamped to 0..1.

An AWS error message can echo request fields (a ValidationException names the offending value, which may be
the user's question), so an EngineError carries the operation, the error code and the HTTP status only.
"""

from __future__ import annotations

from typing import Any

from .base import EngineError

# Worth trying again later: throttling and transient service faults.
RETRYABLE_CODES = frozenset({
    "ThrottlingException", "Throttling", "TooManyRequestsException", "ServiceUnavailableException",
    "InternalServerException", "InternalFailure", "BadGatewayException", "RequestTimeout",
    "RequestTimeoutException", "ServiceUnavailable", "ModelNotReadyException",
})


def engine_error(exc: Exception, what: str) -> EngineError:
    """Map a botocore exception from `what` (e.g. "kendra Retrieve") to an EngineError."""
    from botocore.exceptions import ClientError, ConnectionError, HTTPClientError

    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code = str(error.get("Code", "Unknown"))
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        retryable = code in RETRYABLE_CODES or status in (429, 502, 503, 504)
        return EngineError(f"{what} failed: {code} (HTTP {status})", retryable=retryable)
    if isinstance(exc, ConnectionError | HTTPClientError):
        return EngineError(f"{what} failed: {type(exc).__name__}", retryable=True)
    return EngineError(f"{what} failed: {type(exc).__name__}")


def unit_score(value: Any) -> float:
    """A score as a float in 0..1 (missing or malformed scores count as 0)."""
    try:
        score = float(value)
    except (TypeError, ValueError):
        return 0.0
    if score != score:  # NaN
        return 0.0
    return min(1.0, max(0.0, score))


def botocore_errors() -> tuple[type[Exception], ...]:
    """The botocore exceptions an engine call maps through engine_error (BotoCoreError covers transport)."""
    from botocore.exceptions import BotoCoreError, ClientError

    return (ClientError, BotoCoreError)
