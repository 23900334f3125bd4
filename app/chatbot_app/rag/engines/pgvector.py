"""The pgvector engine: the workspace's chunks in Aurora PostgreSQL, through VectorStore (rag/store.py).

Row-level security scopes every call to the workspace it names. Passages keep the store's ranking (vector
order, or Reciprocal Rank Fusion in hybrid workspaces); their score is the cosine similarity to the question,
clamped to 0..1, so it reads the same in both modes.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import psycopg

from ..filters import Equals, In, Range
from ..store import ChunkInput, Hit, StoreError, VectorStore
from ._aws import unit_score
from .base import EngineError, Passage, RetrievalQuery

# Chunk metadata keys the chat cites, with their wire names (as the rag service answers them).
LOCATION_KEYS = {"page": "page", "slide": "slide", "sheet": "sheet", "heading_path": "headingPath",
                 "url": "url"}  # url: a crawled page's address


def hit_location(metadata: dict[str, Any], ordinal: int) -> dict[str, Any]:
    location = {wire: metadata[key] for key, wire in LOCATION_KEYS.items() if key in metadata}
    location["ordinal"] = ordinal
    return location


class PgVectorEngine:
    name = "pgvector"

    def __init__(self, store: VectorStore) -> None:
        self.store = store

    def retrieve(self, query: RetrievalQuery) -> list[Passage]:
        if query.embedding is None:
            raise EngineError("the pgvector engine needs the query embedding")
        filters: list[Equals | In | Range] = list(query.filters)
        try:
            hits = self.store.search(query.workspace_id, query.embedding, k=query.k, filters=filters,
                                     query_text=query.text)
            names = ({d.id: d.source for d in self.store.list_documents(query.workspace_id)}
                     if hits else {})
        except (StoreError, psycopg.Error) as exc:
            raise _error(exc, "search") from exc
        return [self._passage(hit, names) for hit in hits]

    @staticmethod
    def _passage(hit: Hit, names: dict[uuid.UUID, str]) -> Passage:
        return Passage(text=hit.text, score=unit_score(hit.similarity),
                       source=names.get(hit.document_id, str(hit.document_id)),
                       document_id=str(hit.document_id), location=hit_location(hit.metadata, hit.ordinal))

    def upsert(self, workspace_id: uuid.UUID, document_id: uuid.UUID, source: str, version: int,
               chunks: Sequence[Any]) -> None:
        """Make `chunks` (ChunkInput) the document's content at `version`; older versions are ignored."""
        inputs = [c if isinstance(c, ChunkInput) else ChunkInput(c.ordinal, c.text, c.embedding, c.metadata)
                  for c in chunks]
        try:
            self.store.replace_chunks(workspace_id, document_id, source, version, inputs)
        except (StoreError, psycopg.Error) as exc:
            raise _error(exc, "upsert") from exc

    def finish_staged(self, workspace_id: uuid.UUID, document_id: uuid.UUID, version: int,
                      owner: uuid.UUID) -> tuple[str, int]:
        """Ingestion's last step for this engine: the staged chunks (already in the database) are swapped
        in without leaving it (VectorStore.finish_ingestion), rather than sent back through upsert."""
        return self.store.finish_ingestion(workspace_id, document_id, version, owner)

    def delete(self, workspace_id: uuid.UUID, document_id: uuid.UUID | None = None) -> None:
        """Delete one document's chunks, or every document of the workspace (the workspace row stays: it
        is the service's catalogue entry)."""
        try:
            if document_id is not None:
                self.store.delete_document(workspace_id, document_id)
                return
            for doc in self.store.list_documents(workspace_id):
                self.store.delete_document(workspace_id, doc.id)
        except (StoreError, psycopg.Error) as exc:
            raise _error(exc, "delete") from exc


def _error(exc: Exception, what: str) -> EngineError:
    if isinstance(exc, StoreError):
        return EngineError(f"pgvector {what}: {exc}")
    # Lost connections, serialisation failures and lock timeouts clear up on a retry.
    transient = (psycopg.OperationalError, psycopg.errors.SerializationFailure,
                 psycopg.errors.DeadlockDetected, psycopg.errors.LockNotAvailable)
    if isinstance(exc, transient):
        return EngineError(f"pgvector {what} failed: {type(exc).__name__}", retryable=True)
    return EngineError(f"pgvector {what} failed: {type(exc).__name__}")
