"""The last ingestion step (ingest.py): hand a document's embedded, staged chunks to its workspace's engine
and mark the document ready.

pgvector swaps the staged chunks in and marks the document ready in one transaction. An engine that keeps
chunks outside the database (opensearch) is sent them first (upsert at the document's version, so a retry
replaces what an earlier try wrote) and the document is marked ready after.
"""

from __future__ import annotations

import uuid
from typing import Any

from .engines.base import EngineError
from .store import VectorStore
from .uploads import UploadTarget


def hand_over(store: VectorStore, engine: Any, target: UploadTarget, owner: uuid.UUID) -> tuple[str, int]:
    """The store's outcome ("ready", or why not, e.g. "lost" to a newer version) and the chunk count."""
    finish_staged = getattr(engine, "finish_staged", None)
    if finish_staged is not None:  # pgvector: the staged chunks are swapped in inside the database
        return finish_staged(target.workspace_id, target.document_id, target.version, owner)
    return _hand_over_external(store, engine, target, owner)


def _hand_over_external(store: VectorStore, engine: Any, target: UploadTarget,
                        owner: uuid.UUID) -> tuple[str, int]:
    t = target
    upsert = getattr(engine, "upsert", None)
    if upsert is None:
        raise EngineError(f"the {engine.name} engine takes no chunks")
    chunks = store.embedded_chunks(t.workspace_id, t.document_id, t.version)
    upsert(t.workspace_id, t.document_id, t.file_name, t.version, chunks)
    outcome, count = store.finish_external(t.workspace_id, t.document_id, t.version, owner)
    docs = store.list_documents(t.workspace_id) if outcome == "lost" else []
    if outcome == "lost" and not any(d.id == t.document_id for d in docs):
        engine.delete(t.workspace_id, t.document_id)  # deleted while its chunks were on their way
    return outcome, count
