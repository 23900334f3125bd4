"""The internal `rag` service: workspaces, documents and search behind one JSON event contract.

Request {"op": <op>, ...camelCase fields}; answer {"ok": true, "result": {...}} or
{"ok": false, "status": 400|404|409|500, "message": <safe text naming the field>}. The callers (REST, chat
worker) authenticate users and check groups; this service trusts its IAM-authorised caller but validates
every field with a strict per-op model and runs every query through VectorStore (row-level security per
workspace). Unexpected errors answer a generic message; the detail goes to the log only.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import psycopg
from pydantic import (
    BaseModel,
    ValidationError,
)

from .embeddings import EmbeddingThrottled, enabled_models
from .filters import Equals, In, Range
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
from .store import Document, Hit, StoreError, VectorStore, WorkspaceSpec
from .uploads import UploadTarget

log = logging.getLogger(__name__)
MAX_MESSAGE_CHARS = 500
_PATTERN_HELP = {
    "field": "must be a metadata key: a letter or _, then up to 63 letters, digits or _",
    "name": "must not contain control characters",
    "query": "must not contain NUL characters",
}
_LOCATION_KEYS = {"page": "page", "slide": "slide", "sheet": "sheet", "heading_path": "headingPath"}


class ServiceConfigError(RuntimeError):
    pass


@dataclass(frozen=True)
class ServiceConfig:
    uploads_bucket: str
    embedding_models: tuple[str, ...]

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ServiceConfig:
        env = os.environ if env is None else env
        bucket = env.get("UPLOADS_BUCKET", "").strip()
        entries = (m.strip() for m in env.get("EMBEDDING_MODELS", "").split(","))
        models = tuple(dict.fromkeys(m for m in entries if m))
        known = enabled_models(env)
        unknown = [m for m in models if m not in known]
        if not bucket or not models or unknown:
            raise ServiceConfigError(f"set UPLOADS_BUCKET and EMBEDDING_MODELS (from {sorted(known)}); "
                                     f"unknown models: {unknown}")
        return cls(bucket, models)


class QueryEmbedder(Protocol):
    def embed_query(self, text: str) -> list[float]: ...


EmbedderFactory = Callable[[str, int], QueryEmbedder]  # (model id, dimension) -> embedder


class ServiceError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


# Results ------------------------------------------------------------------------------------------------
def _workspace_json(ws: WorkspaceSpec) -> dict[str, Any]:
    return {"id": str(ws.id), "name": ws.name, "embeddingModel": ws.embedding_model,
            "dimension": ws.dimension, "chunkSize": ws.chunk_size, "chunkOverlap": ws.chunk_overlap,
            "hybridSearch": ws.hybrid_search}


def _document_json(doc: Document) -> dict[str, Any]:
    updated = doc.updated_at
    return {"id": str(doc.id), "fileName": doc.source, "version": doc.version, "status": doc.status,
            "reason": doc.reason, "chunkCount": doc.chunk_count,
            "updatedAt": updated.isoformat() if updated is not None else None}


def _hit_json(hit: Hit, names: dict[uuid.UUID, str]) -> dict[str, Any]:
    location = {wire: hit.metadata[key] for key, wire in _LOCATION_KEYS.items() if key in hit.metadata}
    return {"documentId": str(hit.document_id), "fileName": names.get(hit.document_id),
            "ordinal": hit.ordinal, "text": hit.text, "score": hit.score, "similarity": hit.similarity,
            "location": location}


# Operations ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Deps:
    store: VectorStore
    embedder_factory: EmbedderFactory
    s3: Any
    config: ServiceConfig


def _workspace(deps: _Deps, workspace_id: uuid.UUID) -> WorkspaceSpec:
    ws = deps.store.get_workspace(workspace_id)
    if ws is None:
        raise ServiceError(404, f"workspaceId: workspace {workspace_id} not found")
    return ws


def _delete_prefix(deps: _Deps, prefix: str) -> None:
    """Delete every object under prefix, a listing page (up to 1,000 keys) per DeleteObjects call."""
    bucket = deps.config.uploads_bucket
    for page in deps.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys = [{"Key": item["Key"]} for item in page.get("Contents", [])]
        if not keys:
            continue
        reply = deps.s3.delete_objects(Bucket=bucket, Delete={"Objects": keys, "Quiet": True})
        if reply.get("Errors"):
            first = reply["Errors"][0]
            raise RuntimeError(f"S3 kept {len(reply['Errors'])} objects under {prefix}: {first.get('Code')}")


def _list_workspaces(_: ListWorkspaces, deps: _Deps) -> dict[str, Any]:
    return {"workspaces": [_workspace_json(ws) for ws in deps.store.list_workspaces()]}


def _workspace_op(req: GetWorkspace, deps: _Deps) -> dict[str, Any]:
    ws = _workspace(deps, req.workspace_id)
    if req.op == "getWorkspace":
        return {"workspace": _workspace_json(ws)}
    if req.op == "listDocuments":
        return {"documents": [_document_json(d) for d in deps.store.list_documents(ws.id)]}
    prefix = UploadTarget.workspace_prefix(ws.id)
    _delete_prefix(deps, prefix)
    deps.store.delete_workspace(ws.id)  # documents and chunks cascade
    _delete_prefix(deps, prefix)  # objects an upload in flight wrote while the rows were going
    return {}


def _create_workspace(req: CreateWorkspace, deps: _Deps) -> dict[str, Any]:
    dimension = enabled_models()[req.embedding_model].dimensions[0]
    spec = WorkspaceSpec(name=req.name, embedding_model=req.embedding_model, dimension=dimension,
                         chunk_size=req.chunk_size, chunk_overlap=req.chunk_overlap,
                         hybrid_search=req.hybrid_search)
    deps.store.create_workspace(spec)
    return {"workspace": _workspace_json(spec)}


def _find_document(deps: _Deps, workspace_id: uuid.UUID, doc_id: uuid.UUID) -> Document | None:
    return next((d for d in deps.store.list_documents(workspace_id) if d.id == doc_id), None)


def _register_upload(req: RegisterUpload, deps: _Deps) -> dict[str, Any]:
    ws = _workspace(deps, req.workspace_id)
    deps.store.enqueue_document(ws.id, req.document_id, req.file_name, req.version)
    doc = _find_document(deps, ws.id, req.document_id)
    if doc is None:
        raise ServiceError(404, f"workspaceId: workspace {ws.id} not found")
    if doc.version != req.version:  # the same version again is an idempotent retry
        raise ServiceError(409, f"version: the document already has a newer version ({doc.version})")
    return {"document": _document_json(doc)}


def _delete_document(req: DeleteDocument, deps: _Deps) -> dict[str, Any]:
    ws = _workspace(deps, req.workspace_id)
    if _find_document(deps, ws.id, req.document_id) is None:
        raise ServiceError(404, f"documentId: document {req.document_id} not found in this workspace")
    prefix = f"{UploadTarget.workspace_prefix(ws.id)}{req.document_id}/"
    _delete_prefix(deps, prefix)
    deps.store.delete_document(ws.id, req.document_id)
    _delete_prefix(deps, prefix)
    return {}


def _search(req: Search, deps: _Deps) -> dict[str, Any]:
    ws = _workspace(deps, req.workspace_id)
    if ws.embedding_model not in deps.config.embedding_models:
        raise ServiceError(409, f"workspaceId: the workspace's embedding model {ws.embedding_model} is no "
                                "longer enabled on this stack")
    try:
        vector = deps.embedder_factory(ws.embedding_model, ws.dimension).embed_query(req.query)
    except EmbeddingThrottled as error:
        log.warning("query embedding throttled: %s", error)
        raise ServiceError(500, "the embedding model is busy; try again shortly") from error
    filters: list[Equals | In | Range] = list(req.filters)
    hits = deps.store.search(ws.id, vector, k=req.k, filters=filters, query_text=req.query)
    names = {d.id: d.source for d in deps.store.list_documents(ws.id)} if hits else {}
    return {"hits": [_hit_json(hit, names) for hit in hits]}


_Run = Callable[[Any, _Deps], dict[str, Any]]
_OPS: dict[str, tuple[type[OpRequest], _Run]] = {
    "listWorkspaces": (ListWorkspaces, _list_workspaces),
    "getWorkspace": (GetWorkspace, _workspace_op),
    "createWorkspace": (CreateWorkspace, _create_workspace),
    "deleteWorkspace": (GetWorkspace, _workspace_op),
    "listDocuments": (GetWorkspace, _workspace_op),
    "registerUpload": (RegisterUpload, _register_upload),
    "deleteDocument": (DeleteDocument, _delete_document),
    "search": (Search, _search),
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
             config: ServiceConfig | None = None) -> dict[str, Any]:
    op = event.get("op") if isinstance(event, dict) else None
    if not isinstance(op, str) or op not in _OPS:
        return _error(400, f"op: unknown operation; allowed: {', '.join(OPS)}")
    model, run = _OPS[op]
    try:
        config = config or ServiceConfig.from_env()
        try:
            request = model.model_validate(event, context={"models": config.embedding_models})
        except ValidationError as exc:
            return _error(400, describe(exc, model))
        return {"ok": True, "result": run(request, _Deps(store, embedder_factory, s3, config))}
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
