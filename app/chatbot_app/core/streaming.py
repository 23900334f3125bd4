"""Push an answer's frames to every live WebSocket connection of its user (API Gateway management API).

Delivery is best effort: a connection that is gone or failing is dropped and the answer carries on, because
the stored exchange (not the stream) is what the browser reloads. Every frame names its session and answer,
so a user with several tabs or several answers in flight can route each frame.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from . import aws
from .connections import Target

log = logging.getLogger(__name__)


class Push:
    def __init__(
        self,
        targets: list[Target],
        region: str,
        ids: dict[str, str],
        on_gone: Callable[[str], None] | None = None,
        flush_chars: int = 120,
    ) -> None:
        self._targets = list(targets)
        self._region = region
        self._ids = dict(ids)  # sessionId and messageId, added to every frame
        self._on_gone = on_gone
        self._buffer: list[str] = []
        self._buffered = 0
        self._flush_chars = flush_chars

    @property
    def connection_ids(self) -> list[str]:
        return [t.connection_id for t in self._targets]

    def send(self, frame: dict[str, Any]) -> None:
        data = json.dumps({**frame, **self._ids}, separators=(",", ":")).encode()
        for target in list(self._targets):
            if not self._post(target, data):
                self._targets.remove(target)

    def _post(self, target: Target, data: bytes) -> bool:
        from botocore.exceptions import BotoCoreError, ClientError

        client = aws.client("apigatewaymanagementapi", self._region, target.endpoint)
        try:
            client.post_to_connection(ConnectionId=target.connection_id, Data=data)
            return True
        except client.exceptions.GoneException:
            log.info("connection %s is gone", target.connection_id)
            self._forget(target.connection_id)
        except (ClientError, BotoCoreError):
            log.warning("could not post to connection %s; it gets no more frames", target.connection_id)
        return False

    def _forget(self, connection_id: str) -> None:
        if self._on_gone is None:
            return
        try:
            self._on_gone(connection_id)
        except Exception:
            log.exception("could not forget connection %s", connection_id)

    def delta(self, text: str) -> None:
        """Batch small token deltas so a long answer is not one API call per token."""
        self._buffer.append(text)
        self._buffered += len(text)
        if self._buffered >= self._flush_chars:
            self.flush()

    def flush(self) -> None:
        if self._buffer:
            text = "".join(self._buffer)
            self._buffer, self._buffered = [], 0
            self.send({"type": "delta", "text": text})

    def error(self, body: dict[str, Any]) -> None:
        self._buffer, self._buffered = [], 0  # a half answer is not worth delivering after the error
        self.send({"type": "error", **body})


def endpoint_from_event(event: dict[str, Any], region: str) -> str:
    context = event.get("requestContext", {})
    domain, stage, api_id = context.get("domainName", ""), context.get("stage", ""), context.get("apiId", "")
    if _loopback(domain):
        # The local server (tools/local_server) serves the management API over plain HTTP on loopback.
        return f"http://{domain}/{stage}"
    if domain.endswith(".amazonaws.com") or not api_id:
        return f"https://{domain}/{stage}"
    # Behind a custom domain the management API is still reached on the execute-api host.
    return f"https://{api_id}.execute-api.{region}.amazonaws.com/{stage}"


def _loopback(domain: str) -> bool:
    """True for `localhost` or a loopback IP, with or without a port; API Gateway never reports one."""
    from urllib.parse import urlsplit

    from .auth import is_loopback_host

    try:
        host = urlsplit(f"//{domain}").hostname or ""
    except ValueError:
        return False
    return is_loopback_host(host)
