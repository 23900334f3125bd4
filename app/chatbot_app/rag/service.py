"""The internal `rag` service: workspaces, documents and search behind one JSON event contract.

Request {"op": <op>, ...camelCase fields}; answer {"ok": true, "result": {...}} or
{"ok": false, "status": 400|404|409|500, "message": <safe text naming the field>}. The callers (REST, chat
worker) authenticate users and check groups; this service trusts its IAM-authorised caller but validates
every field with a strict per-op model. The catalogue is in VectorStore (row-level security per workspace);
search, and the writes of engines that keep chunks elsewhere, go through the workspace's retrieval engine
(service_ops.py, rag/engines). Unexpected errors answer a generic message; the detail goes to the log only.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import psycopg
from pydantic import BaseModel, ValidationError

from . import service_ops as ops
from .engines.registry import EngineRegistry
from .service_config import (
    Deps,
    EmbedderFactory,
    QueryEmbedder,
    ServiceConfig,
    ServiceConfigError,
    ServiceError,
)
from .service_requests import (
    FILTER_MODELS,
    CreateWorkspace,
    DeleteDocument,
    GetWorkspace,
    ListWorkspaces,
    OpRequest,
    RegisterUpload,
    Search,
    parse_uuid,
)
from .store import StoreError, VectorStore

__all__ = ["OPS", "EmbedderFactory", "QueryEmbedder", "ServiceConfig", "ServiceConfigError", "ServiceError",
           "describe", "dispatch"]

log = logging.getLogger(__name__)
MAX_MESSAGE_CHARS = 500
_PATTERN_HELP = {
    "field": "must be a metadata key: a letter or _, then up to 63 letters, digits or _",
    "name": "must not contain control characters",
    "query": "must not contain NUL characters",
}


_Run = Callable[[Any, Deps], dict[str, Any]]
_OPS: dict[str, tuple[type[OpRequest], _Run]] = {
    "listWorkspaces": (ListWorkspaces, ops.list_workspaces),
    "getWorkspace": (GetWorkspace, ops.workspace_op),
    "createWorkspace": (CreateWorkspace, ops.create_workspace),
    "deleteWorkspace": (GetWorkspace, ops.workspace_op),
    "listDocuments": (GetWorkspace, ops.workspace_op),
    "registerUpload": (RegisterUpload, ops.register_upload),
    "deleteDocument": (DeleteDocument, ops.delete_document),
    "search": (Search, ops.search),
}
OPS = tuple(_OPS)


def _error(status: int, message: str) -> dict[str, Any]:
    return {"ok": False, "status": status, "message": message[:MAX_MESSAGE_CHARS]}


def _fields(model: type[BaseModel]) -> str:
    return ", ".join(f.alias or name for name, f in model.model_fields.items())


def describe(exc: ValidationError, model: type[BaseModel]) -> str:
    """Each problem as "<field path>: <what is wrong or allowed>"; a rule spanning fields names them."""
    parts = []
    for err in exc.errors(include_url=False, include_input=False)[:5]:
        loc = [str(p) for p in err["loc"]]
        owner = model
        if len(loc) > 2 and loc[0] == "filters" and loc[2] in FILTER_MODELS:
            owner = FILTER_MODELS[loc.pop(2)]  # drop the union tag pydantic puts in the path
        if err["type"] == "extra_forbidden":
            reason = f"unknown field; allowed: {_fields(owner)}"
        elif err["type"] == "missing":
            reason = "required"
        elif err["type"] == "value_error":
            reason = str(err.get("ctx", {}).get("error", err["msg"]))
        elif err["type"] in ("union_tag_invalid", "union_tag_not_found"):
            reason = f"op must be one of: {', '.join(FILTER_MODELS)}"
        elif err["type"] == "string_pattern_mismatch" and loc[-1] in _PATTERN_HELP:
            reason = _PATTERN_HELP[loc[-1]]
        else:
            reason = err["msg"]
        parts.append(f"{'.'.join(loc)}: {reason}" if loc else reason)
    return "; ".join(parts)


def _vanished(store: VectorStore, workspace: object) -> dict[str, Any]:
    """404 when the workspace is gone (deleted concurrently, between our check and the write), else 500."""
    try:
        gone = isinstance(workspace, str) and store.get_workspace(parse_uuid(workspace)) is None
    except Exception:
        log.exception("could not check whether workspace %s exists", workspace)
        gone = False
    if gone:
        return _error(404, f"workspaceId: workspace {workspace} not found")
    return _error(500, "internal error")


def dispatch(event: dict[str, Any], *, store: VectorStore, embedder_factory: EmbedderFactory, s3: Any,
             config: ServiceConfig | None = None, engines: EngineRegistry | None = None) -> dict[str, Any]:
    """Run one op. `engines` (built from config when None) gives each workspace's retrieval engine; the
    Lambda handler keeps one per container so engine clients are reused."""
    op = event.get("op") if isinstance(event, dict) else None
    if not isinstance(op, str) or op not in _OPS:
        return _error(400, f"op: unknown operation; allowed: {', '.join(OPS)}")
    model, run = _OPS[op]
    try:
        config = config or ServiceConfig.from_env()
        try:
            context = {"models": config.embedding_models, "engines": config.engines}
            request = model.model_validate(event, context=context)
        except ValidationError as exc:
            return _error(400, describe(exc, model))
        registry = engines or EngineRegistry(config.engines, store)
        return {"ok": True, "result": run(request, Deps(store, embedder_factory, s3, config, registry))}
    except ServiceError as error:
        return _error(error.status, error.message)
    except (StoreError, psycopg.errors.ForeignKeyViolation) as error:
        log.warning("rag %s: %s: %s", op, type(error).__name__, error)
        return _vanished(store, event.get("workspaceId"))
    except psycopg.errors.UniqueViolation:
        log.warning("rag %s: unique violation", op, exc_info=True)
        return _error(409, "the resource already exists")
    except Exception:
        log.exception("rag %s failed", op)
        return _error(500, "internal error")
