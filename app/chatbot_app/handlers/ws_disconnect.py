"""WebSocket $disconnect: forget the connection (API Gateway sends no token here; the id is its own)."""

from __future__ import annotations

from typing import Any

from ..core import connections
from ..core.config import get_config


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    config = get_config()
    connections.remove(config.connections_table, event["requestContext"]["connectionId"])
    return {"statusCode": 200}
