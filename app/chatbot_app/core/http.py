"""API Gateway proxy plumbing: JSON bodies in, JSON responses with strict CORS out."""

from __future__ import annotations

import base64
import json
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from .config import Config
from .errors import ApiError, BadRequest, PayloadTooLarge, ValidationFailed

M = TypeVar("M", bound=BaseModel)
MAX_BODY_BYTES = 64 * 1024


def parse_body(raw: str | None, model: type[M], *, base64_encoded: bool = False) -> M:
    if raw is None or raw == "":
        raise BadRequest("request body is required")
    if base64_encoded:
        try:
            raw = base64.b64decode(raw, validate=True).decode("utf-8")
        except (ValueError, UnicodeDecodeError) as exc:
            raise BadRequest("request body is not valid base64 UTF-8") from exc
    if len(raw.encode("utf-8")) > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"request body is larger than {MAX_BODY_BYTES} bytes", code="body_too_large")
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise BadRequest("request body is not valid JSON", code="invalid_json") from exc
    if not isinstance(data, dict):
        raise BadRequest("request body must be a JSON object", code="invalid_json")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ValidationFailed(describe(exc)) from exc


def describe(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        where = ".".join(str(p) for p in err["loc"]) or "body"
        reason = "unknown field" if err["type"] == "extra_forbidden" else err["msg"]
        parts.append(f"{where}: {reason}")
    return "; ".join(parts)


def cors_headers(config: Config | None) -> dict[str, str]:
    headers = {
        "Content-Type": "application/json",
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
    }
    if config and config.allowed_origin:
        headers.update({"Access-Control-Allow-Origin": config.allowed_origin, "Vary": "Origin"})
    return headers


def respond(status: int, body: Any, config: Config | None) -> dict[str, Any]:
    if isinstance(body, BaseModel):
        body = body.model_dump(mode="json", exclude_none=True)
    return {
        "statusCode": status,
        "headers": cors_headers(config),
        "body": "" if body is None else json.dumps(body, separators=(",", ":")),
    }


def error_response(error: ApiError, config: Config | None) -> dict[str, Any]:
    return respond(error.status, error.body(), config)
