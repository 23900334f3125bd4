"""Chat worker, invoked asynchronously by the REST function with a ChatJob: streams the model's answer to
every live WebSocket connection of the user (in one piece for a model that cannot stream), then stores the
exchange. A session bound to a workspace is answered from the passages the rag service finds (RAG_FUNCTION,
RAG_TOP_K), announced in a `sources` frame before the first token and stored with the answer.

It never raises: a failure is reported to the browser as an error frame and the quota is given back, and an
exception would only make Lambda retry the invocation (a second, billed model call).
"""

from __future__ import annotations

import functools
import logging
import time
from typing import Any

from pydantic import ValidationError

from ..core import chat, connections, http
from ..core.config import Config, ConfigError, get_config, report_at_cold_start
from ..core.errors import ApiError
from ..core.models import ChatJob
from ..core.streaming import Push

log = logging.getLogger(__name__)
_INTERNAL = {"error": {"code": "internal", "message": "internal error"}}
report_at_cold_start(log)


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    try:
        config = get_config()
    except ConfigError as exc:
        # No config, no tables: the job cannot even be answered with an error frame.
        log.error("misconfigured function: %s", exc)
        return {"status": "failed", "code": "config"}
    try:
        job = ChatJob.model_validate(event)
    except ValidationError as exc:
        log.error("rejected an invalid chat job: %s", http.describe(exc))
        return {"status": "rejected"}
    push = _push(config, job)
    try:
        answer = chat.run(config, job, push)
    except ApiError as error:
        log.info("chat job %s failed: %s", job.messageId, error.code)
        _tell(push, error.body())
        return {"status": "failed", "code": error.code}
    except Exception:
        log.exception("chat job %s failed", job.messageId)
        _tell(push, _INTERNAL)
        return {"status": "failed", "code": "internal"}
    return {"status": "stored" if answer else "duplicate", "messageId": job.messageId}


def _push(config: Config, job: ChatJob) -> Push:
    try:
        targets = connections.live(config.connections_table, job.userSub, int(time.time()))
    except Exception:
        # Streaming is a convenience; the stored answer is what the browser reloads.
        log.exception("could not read the user's connections; answering without streaming")
        targets = []
    return Push(
        targets,
        config.region,
        {"sessionId": job.sessionId, "messageId": job.messageId},
        on_gone=functools.partial(connections.forget, config.connections_table, job.userSub),
    )


def _tell(push: Push, body: dict[str, Any]) -> None:
    try:
        push.error(body)
    except Exception:
        log.exception("error frame not delivered")
