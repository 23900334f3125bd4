"""The document processor's structured log lines: one JSON object per event, with ids, sizes, counts and
timings, never document text (ingest.py)."""

from __future__ import annotations

import json
import logging
import traceback
from typing import Any

from .uploads import UploadTarget

log = logging.getLogger("chatbot_app.rag.ingest")  # the processor's logger, whichever module writes


def ids(target: UploadTarget) -> dict[str, Any]:
    return {"workspaceId": str(target.workspace_id), "documentId": str(target.document_id),
            "version": target.version, "format": target.format}


def log_event(level: int, event: str, **fields: Any) -> None:
    log.log(level, json.dumps({"event": event, **fields}, default=str))


def log_error(event: str, exc: BaseException, **fields: Any) -> None:
    """The exception's type and where it was raised, without its message: a database error can quote the
    row it failed on, and rows hold document text."""
    where = "".join(traceback.format_tb(exc.__traceback__)[-3:])
    summary = json.dumps({"event": event, "error": type(exc).__name__, **fields}, default=str)
    log.error("%s\n%s", summary, where)
