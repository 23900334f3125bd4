"""WebSocket $connect: verify the token again and remember who owns the connection and where it lives.

The WebSocket API is push-only: the chat worker finds a user's connections and posts answer frames to them;
the browser sends nothing over it (questions go to REST `POST /sessions/{sessionId}/messages`).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from ..core import connections
from ..core.auth import verify_token
from ..core.config import get_config
from ..core.errors import ApiError
from ..core.streaming import endpoint_from_event

log = logging.getLogger(__name__)


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    config = get_config()
    request = event.get("requestContext", {})
    try:
        principal = verify_token((event.get("queryStringParameters") or {}).get("token"), config)
    except ApiError as error:
        return {"statusCode": error.status}
    authorized = (request.get("authorizer") or {}).get("principalId")
    if authorized and authorized != principal.sub:
        log.warning("authorizer and token disagree on the caller")
        return {"statusCode": 401}
    endpoint = endpoint_from_event(event, config.region)
    connections.save(config.connections_table, request["connectionId"], principal, endpoint, int(time.time()))
    return {"statusCode": 200}
