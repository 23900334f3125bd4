"""REST API (Lambda proxy integration): one function routes every path of the chat API."""

from __future__ import annotations

import logging
from typing import Any

from ..core import http, routes
from ..core.auth import bearer, verify_token
from ..core.config import ConfigError, get_config, report_at_cold_start
from ..core.errors import ApiError

log = logging.getLogger(__name__)
report_at_cold_start(log)


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    try:
        config = get_config()
    except ConfigError as exc:
        log.error("misconfigured function: %s", exc)
        return http.respond(500, {"error": {"code": "internal", "message": "internal error"}}, None)
    method = str(event.get("httpMethod", "")).upper()
    if method == "OPTIONS":
        response = http.respond(204, None, config)
        response["headers"].update(
            {
                "Access-Control-Allow-Methods": "GET,POST,PUT,PATCH,DELETE,OPTIONS",
                "Access-Control-Allow-Headers": "Authorization,Content-Type",
                "Access-Control-Max-Age": "600",
            }
        )
        return response
    try:
        principal = verify_token(bearer(event.get("headers")), config)
        route, params = routes.resolve(method, str(event.get("path") or "/"))
        body = None
        if route.request is not None:
            body = http.parse_body(
                event.get("body"), route.request, base64_encoded=bool(event.get("isBase64Encoded"))
            )
        result = route.action(routes.Call(config=config, principal=principal, params=params, body=body))
        return http.respond(route.status, result, config)
    except ApiError as error:
        return http.error_response(error, config)
    except Exception:
        log.exception("unhandled error on %s %s", method, event.get("resource"))
        return http.respond(500, {"error": {"code": "internal", "message": "internal error"}}, config)
