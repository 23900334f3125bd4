"""The rag service's operations. Every workspace's catalogue (workspaces, documents, statuses) is in the
store; its chunks are wherever its engine keeps them, and search goes through that engine (rag/engines)."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from .embeddings import EmbeddingThrottled, enabled_models
from .engine_config import VECTOR_ENGINES
from .engines.base import EngineError, Passage, RetrievalEngine, RetrievalQuery, WritableEngine
from .service_config import Deps, ServiceError
from .service_requests import (
    CreateWorkspace,
    DeleteDocument,
    GetWorkspace,
    ListWorkspaces,
    RegisterUpload,
    Search,
)
from .store import Document, WorkspaceSpec
from .uploads import UploadTarget

log = logging.getLogger(__name__)


# Results ------------------------------------------------------------------------------------------------
def workspace_json(ws: WorkspaceSpec) -> dict[str, Any]:
    return {"id": str(ws.id), "name": ws.name, "embeddingModel": ws.embedding_model,
            "dimension": ws.dimension, "chunkSize": ws.chunk_size, "chunkOverlap": ws.chunk_overlap,
            "hybridSearch": ws.hybrid_search, "engine": ws.engine, "engineRef": ws.engine_ref,
            "rerankModel": ws.rerank_model}


def document_json(doc: Document) -> dict[str, Any]:
    updated = doc.updated_at
    return {"id": str(doc.id), "fileName": doc.source, "version": doc.version, "status": doc.status,
            "reason": doc.reason, "chunkCount": doc.chunk_count,
            "updatedAt": updated.isoformat() if updated is not None else None}


def hit_json(passage: Passage) -> dict[str, Any]:
    """A passage in the search answer's shape; `similarity` repeats the engine-neutral 0..1 score."""
    location = dict(passage.location)
    ordinal = location.pop("ordinal", None)
    return {"documentId": passage.document_id, "fileName": passage.source or None, "ordinal": ordinal,
            "text": passage.text, "score": passage.score, "similarity": passage.score, "location": location}


# Helpers ------------------------------------------------------------------------------------------------
def _workspace(deps: Deps, workspace_id: uuid.UUID) -> WorkspaceSpec:
    ws = deps.store.get_workspace(workspace_id)
    if ws is None:
        raise ServiceError(404, f"workspaceId: workspace {workspace_id} not found")
    return ws


def _engine(deps: Deps, ws: WorkspaceSpec) -> RetrievalEngine:
    try:
        return deps.engines.engine(ws)
    except (EngineError, ValueError) as exc:
        raise ServiceError(409, f"workspaceId: {exc}") from exc


def _external_writer(deps: Deps, ws: WorkspaceSpec) -> WritableEngine | None:
    """The engine to delete from as well as the store, for engines that keep chunks outside it."""
    if ws.engine != "opensearch":
        return None
    try:
        engine = deps.engines.base_engine(ws)
    except (EngineError, ValueError) as exc:
        # The collection is no longer configured (so most likely gone): the catalogue rows still go.
        log.warning("workspace %s: cannot reach its %s engine to delete from it: %s", ws.id, ws.engine, exc)
        return None
    return engine if isinstance(engine, WritableEngine) else None


def _delete_prefix(deps: Deps, prefix: str) -> None:
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


def _find_document(deps: Deps, workspace_id: uuid.UUID, doc_id: uuid.UUID) -> Document | None:
    return next((d for d in deps.store.list_documents(workspace_id) if d.id == doc_id), None)


# Operations ---------------------------------------------------------------------------------------------
def list_workspaces(_: ListWorkspaces, deps: Deps) -> dict[str, Any]:
    return {"workspaces": [workspace_json(ws) for ws in deps.store.list_workspaces()]}


def workspace_op(req: GetWorkspace, deps: Deps) -> dict[str, Any]:
    ws = _workspace(deps, req.workspace_id)
    if req.op == "getWorkspace":
        return {"workspace": workspace_json(ws)}
    if req.op == "listDocuments":
        return {"documents": [document_json(d) for d in deps.store.list_documents(ws.id)]}
    prefix = UploadTarget.workspace_prefix(ws.id)
    _delete_prefix(deps, prefix)
    writer = _external_writer(deps, ws)
    if writer is not None:
        writer.delete(ws.id)  # the workspace's whole index
    deps.store.delete_workspace(ws.id)  # documents and chunks cascade
    _delete_prefix(deps, prefix)  # objects an upload in flight wrote while the rows were going
    return {}


def create_workspace(req: CreateWorkspace, deps: Deps) -> dict[str, Any]:
    model = req.embedding_model
    dimension = enabled_models()[model].dimensions[0] if model is not None else None
    spec = WorkspaceSpec(name=req.name, embedding_model=model, dimension=dimension,
                         chunk_size=req.chunk_size, chunk_overlap=req.chunk_overlap,
                         hybrid_search=req.hybrid_search, engine=req.engine, engine_ref=req.engine_ref,
                         rerank_model=req.rerank_model)
    engine = _engine(deps, spec)  # before any row: an engine the stack cannot build is a 409
    deps.store.create_workspace(spec)
    create_index = getattr(engine, "create_index", None)
    if create_index is not None and dimension is not None:
        try:
            create_index(spec.id, dimension)
        except EngineError as exc:
            deps.store.delete_workspace(spec.id)  # no workspace without its index
            log.warning("workspace %s: could not create its %s index: %s", spec.id, spec.engine, exc)
            raise ServiceError(500, f"could not create the workspace's {spec.engine} index") from exc
    return {"workspace": workspace_json(spec)}


def register_upload(req: RegisterUpload, deps: Deps) -> dict[str, Any]:
    ws = _workspace(deps, req.workspace_id)
    if ws.read_only:
        raise ServiceError(409, f"workspaceId: the workspace uses the {ws.engine} engine, which reads its "
                                "own index and takes no uploads")
    deps.store.enqueue_document(ws.id, req.document_id, req.file_name, req.version)
    doc = _find_document(deps, ws.id, req.document_id)
    if doc is None:
        raise ServiceError(404, f"workspaceId: workspace {ws.id} not found")
    if doc.version != req.version:  # the same version again is an idempotent retry
        raise ServiceError(409, f"version: the document already has a newer version ({doc.version})")
    return {"document": document_json(doc)}


def delete_document(req: DeleteDocument, deps: Deps) -> dict[str, Any]:
    ws = _workspace(deps, req.workspace_id)
    if _find_document(deps, ws.id, req.document_id) is None:
        raise ServiceError(404, f"documentId: document {req.document_id} not found in this workspace")
    prefix = f"{UploadTarget.workspace_prefix(ws.id)}{req.document_id}/"
    _delete_prefix(deps, prefix)
    writer = _external_writer(deps, ws)
    if writer is not None:
        writer.delete(ws.id, req.document_id)
    deps.store.delete_document(ws.id, req.document_id)
    _delete_prefix(deps, prefix)
    return {}


def search(req: Search, deps: Deps) -> dict[str, Any]:
    ws = _workspace(deps, req.workspace_id)
    engine = _engine(deps, ws)
    vector = None
    if ws.engine in VECTOR_ENGINES:  # the others embed the question themselves
        if ws.embedding_model is None or ws.dimension is None:
            raise ServiceError(409, "workspaceId: the workspace has no embedding model")
        if ws.embedding_model not in deps.config.embedding_models:
            raise ServiceError(409, f"workspaceId: the workspace's embedding model {ws.embedding_model} is "
                                    "no longer enabled on this stack")
        try:
            vector = deps.embedder_factory(ws.embedding_model, ws.dimension).embed_query(req.query)
        except EmbeddingThrottled as error:
            log.warning("query embedding throttled: %s", error)
            raise ServiceError(500, "the embedding model is busy; try again shortly") from error
    query = RetrievalQuery(ws.id, req.query, req.k, vector, tuple(req.filters))
    try:
        passages = engine.retrieve(query)
    except EngineError as exc:
        if not exc.retryable and "filter" in str(exc):
            raise ServiceError(400, f"filters: {exc}") from exc  # a filter this engine cannot express
        log.warning("workspace %s: %s search failed: %s", ws.id, ws.engine, exc)
        raise ServiceError(500, f"the workspace's {ws.engine} engine failed; try again shortly") from exc
    return {"hits": [hit_json(p) for p in passages]}
