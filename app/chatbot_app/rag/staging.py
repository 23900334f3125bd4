"""Multi-invocation ingestion state in the vector store: a leased claim per document, staged chunk texts and
embeddings, and the final atomic swap (rag.ingestions and rag.staged_chunks, migration 0004).

A mixin of VectorStore: every method runs in the store's workspace-scoped transaction (`_scope`), so
row-level security applies to the staging tables as to the chunks.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Literal

import psycopg
from psycopg.types.json import Jsonb

from .store_types import ChunkInput, Embedding, StoreError

ClaimOutcome = Literal["start", "resume", "busy", "done", "stale", "missing"]


@dataclass(frozen=True)
class StagedChunk:
    ordinal: int
    text: str
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class IngestionProgress:
    """Where a multi-invocation ingestion stands (rag.ingestions plus counts of its staged chunks)."""

    version: int
    parsed: bool
    next_page: int
    total_pages: int | None
    next_ordinal: int
    chars: int
    invocations: int
    staged: int
    pending: int  # staged chunks without an embedding yet


@dataclass(frozen=True)
class Claim:
    outcome: ClaimOutcome
    progress: IngestionProgress | None = None


class IngestionStaging:
    # Provided by VectorStore: its workspace-scoped transaction (workspace ids -> cursor).
    _scope: Callable[..., AbstractContextManager[psycopg.Cursor]]

    def claim_ingestion(self, workspace_id: uuid.UUID, document_id: uuid.UUID, source: str, version: int,
                        owner: uuid.UUID, lease_seconds: float, *, create: bool) -> Claim:
        """Take the document's ingestion at `version` for `owner` until the lease ends.

        start/resume: the caller owns it (the document is now processing). done: ready at this version.
        stale: a newer version is known. busy: another live invocation holds it (its message carries the
        work on). missing: no such workspace, or (create=False, a continuation) nothing left to continue.
        """
        with self._scope([workspace_id]) as cur:
            cur.execute("SELECT 1 FROM rag.workspaces WHERE id = %s", (workspace_id,))
            if cur.fetchone() is None:
                return Claim("missing")
            cur.execute("SELECT version, status FROM rag.documents WHERE workspace_id = %s AND id = %s"
                        " FOR UPDATE", (workspace_id, document_id))
            doc = cur.fetchone()
            if doc is not None and doc[0] > version:
                return Claim("stale")
            if doc is not None and doc[0] == version and doc[1] == "ready":
                return Claim("done")
            cur.execute("SELECT version, lease_owner, lease_expires > now() FROM rag.ingestions"
                        " WHERE workspace_id = %s AND document_id = %s FOR UPDATE",
                        (workspace_id, document_id))
            staging = cur.fetchone()
            ours = staging is not None and staging[0] == version
            if not create and not (ours and doc is not None and doc[0] == version and doc[1] != "failed"):
                return Claim("missing")
            if ours and staging[2] and staging[1] != owner:
                return Claim("busy")
            cur.execute(
                "INSERT INTO rag.documents (workspace_id, id, source, version, status)"
                " VALUES (%s, %s, %s, %s, 'processing') ON CONFLICT (workspace_id, id) DO UPDATE SET"
                " source = excluded.source, version = excluded.version, status = 'processing', reason = NULL,"
                " updated_at = now()",
                (workspace_id, document_id, source, version),
            )
            lease = (owner, lease_seconds, workspace_id, document_id)
            if ours:
                cur.execute("UPDATE rag.ingestions SET lease_owner = %s, lease_expires = now()"
                            " + make_interval(secs => %s), invocations = invocations + 1, updated_at = now()"
                            " WHERE workspace_id = %s AND document_id = %s", lease)
            else:  # first time, or an older version's staging that this newer version replaces
                cur.execute("DELETE FROM rag.ingestions WHERE workspace_id = %s AND document_id = %s",
                            (workspace_id, document_id))
                cur.execute("INSERT INTO rag.ingestions (lease_owner, lease_expires, workspace_id,"
                            " document_id, version)"
                            " VALUES (%s, now() + make_interval(secs => %s), %s, %s, %s)",
                            (*lease, version))
            return Claim("resume" if ours else "start", _progress(cur, workspace_id, document_id))

    def stage_chunks(self, workspace_id: uuid.UUID, document_id: uuid.UUID, version: int, owner: uuid.UUID,
                     chunks: Sequence[StagedChunk], *, parsed: bool, next_page: int,
                     total_pages: int | None, chars: int) -> IngestionProgress | None:
        """Add parsed chunks and move the parse cursor in one transaction; None when the lease is lost."""
        with self._scope([workspace_id]) as cur:
            if not _holds(cur, workspace_id, document_id, version, owner):
                return None
            if chunks:
                cur.execute(
                    "INSERT INTO rag.staged_chunks (workspace_id, document_id, ordinal, text, metadata)"
                    " SELECT %s, %s, o, t, m FROM unnest(%s::int[], %s::text[], %s::jsonb[]) AS u(o, t, m)",
                    (workspace_id, document_id, [c.ordinal for c in chunks], [c.text for c in chunks],
                     [Jsonb(c.metadata) for c in chunks]),
                )
            cur.execute(
                "UPDATE rag.ingestions SET parsed = %s, next_page = %s, total_pages = %s, chars = %s,"
                " next_ordinal = greatest(next_ordinal, %s), updated_at = now()"
                " WHERE workspace_id = %s AND document_id = %s",
                (parsed, next_page, total_pages, chars, max((c.ordinal + 1 for c in chunks), default=0),
                 workspace_id, document_id),
            )
            return _progress(cur, workspace_id, document_id)

    def pending_chunks(self, workspace_id: uuid.UUID, document_id: uuid.UUID, version: int,
                       limit: int) -> list[StagedChunk]:
        """The next staged chunks that still need an embedding, in document order."""
        with self._scope([workspace_id]) as cur:
            cur.execute(
                "SELECT s.ordinal, s.text, s.metadata FROM rag.staged_chunks s JOIN rag.ingestions i"
                " USING (workspace_id, document_id) WHERE s.workspace_id = %s AND s.document_id = %s"
                " AND i.version = %s AND s.embedding IS NULL ORDER BY s.ordinal LIMIT %s",
                (workspace_id, document_id, version, limit),
            )
            return [StagedChunk(*row) for row in cur.fetchall()]

    def stage_embeddings(self, workspace_id: uuid.UUID, document_id: uuid.UUID, version: int,
                         owner: uuid.UUID, embeddings: Sequence[tuple[int, Sequence[float]]]
                         ) -> IngestionProgress | None:
        packed = [(Embedding.of(vector), workspace_id, document_id, ordinal)
                  for ordinal, vector in embeddings]
        with self._scope([workspace_id]) as cur:
            if not _holds(cur, workspace_id, document_id, version, owner):
                return None
            cur.executemany("UPDATE rag.staged_chunks SET embedding = %b"
                            " WHERE workspace_id = %s AND document_id = %s AND ordinal = %s", packed)
            cur.execute("UPDATE rag.ingestions SET updated_at = now() WHERE workspace_id = %s"
                        " AND document_id = %s", (workspace_id, document_id))
            return _progress(cur, workspace_id, document_id)

    def finish_ingestion(self, workspace_id: uuid.UUID, document_id: uuid.UUID, version: int,
                         owner: uuid.UUID) -> tuple[Literal["ready", "stale", "lost"], int]:
        """Swap the staged chunks in for the document's current ones and mark it ready, atomically: readers
        see the old version or the new one, never a mix. Returns the outcome and the chunk count."""
        with self._scope([workspace_id]) as cur:
            refused = _finishable(cur, workspace_id, document_id, version, owner)
            if refused is not None:
                return refused, 0
            scope = (workspace_id, document_id)
            cur.execute("DELETE FROM rag.chunks WHERE workspace_id = %s AND document_id = %s", scope)
            cur.execute("INSERT INTO rag.chunks (workspace_id, document_id, ordinal, text, metadata,"
                        " embedding) SELECT workspace_id, document_id, ordinal, text, metadata, embedding"
                        " FROM rag.staged_chunks WHERE workspace_id = %s AND document_id = %s"
                        " ORDER BY ordinal", scope)
            count = cur.rowcount
            cur.execute("UPDATE rag.documents SET status = 'ready', reason = NULL, chunk_count = %s,"
                        " updated_at = now() WHERE workspace_id = %s AND id = %s", (count, *scope))
            cur.execute("DELETE FROM rag.ingestions WHERE workspace_id = %s AND document_id = %s", scope)
            return "ready", count

    def embedded_chunks(self, workspace_id: uuid.UUID, document_id: uuid.UUID,
                        version: int) -> list[ChunkInput]:
        """Every staged chunk of the ingestion at `version` with its embedding, in document order (what an
        external engine is sent at the finish step). Empty when that ingestion is gone."""
        with self._scope([workspace_id]) as cur:
            cur.execute(
                "SELECT s.ordinal, s.text, s.embedding::real[], s.metadata FROM rag.staged_chunks s"
                " JOIN rag.ingestions i USING (workspace_id, document_id) WHERE s.workspace_id = %s"
                " AND s.document_id = %s AND i.version = %s ORDER BY s.ordinal",
                (workspace_id, document_id, version),
            )
            rows = cur.fetchall()
        if any(row[2] is None for row in rows):
            raise StoreError("the ingestion still has chunks without an embedding")
        return [ChunkInput(ordinal, text, list(vector), metadata) for ordinal, text, vector, metadata in rows]

    def finish_external(self, workspace_id: uuid.UUID, document_id: uuid.UUID, version: int,
                        owner: uuid.UUID) -> tuple[Literal["ready", "stale", "lost"], int]:
        """finish_ingestion for a workspace whose chunks live in an external engine (already written there):
        the same lease and version checks, then the document is marked ready with its staged chunk count
        and the staging is dropped, nothing copied into rag.chunks."""
        with self._scope([workspace_id]) as cur:
            refused = _finishable(cur, workspace_id, document_id, version, owner)
            if refused is not None:
                return refused, 0
            scope = (workspace_id, document_id)
            progress = _progress(cur, workspace_id, document_id)
            cur.execute("UPDATE rag.documents SET status = 'ready', reason = NULL, chunk_count = %s,"
                        " updated_at = now() WHERE workspace_id = %s AND id = %s", (progress.staged, *scope))
            cur.execute("DELETE FROM rag.ingestions WHERE workspace_id = %s AND document_id = %s", scope)
            return "ready", progress.staged

    def fail_ingestion(self, workspace_id: uuid.UUID, document_id: uuid.UUID, version: int,
                       reason: str) -> bool:
        """Record why this version failed and drop its staging; the previous version's chunks stay."""
        with self._scope([workspace_id]) as cur:
            cur.execute(
                "UPDATE rag.documents SET status = 'failed', reason = %s, updated_at = now()"
                " WHERE workspace_id = %s AND id = %s AND version = %s AND status <> 'ready'",
                (reason[:2000] or "failed", workspace_id, document_id, version),
            )
            failed = cur.rowcount == 1
            cur.execute("DELETE FROM rag.ingestions WHERE workspace_id = %s AND document_id = %s"
                        " AND version = %s", (workspace_id, document_id, version))
            return failed

    def release_ingestion(self, workspace_id: uuid.UUID, document_id: uuid.UUID, version: int,
                          owner: uuid.UUID) -> None:
        """End the lease early so the continuation message can pick the work up at once."""
        with self._scope([workspace_id]) as cur:
            cur.execute("UPDATE rag.ingestions SET lease_owner = NULL, lease_expires = now()"
                        " WHERE workspace_id = %s AND document_id = %s AND version = %s AND lease_owner = %s",
                        (workspace_id, document_id, version, owner))


def _finishable(cur: psycopg.Cursor, workspace_id: uuid.UUID, document_id: uuid.UUID, version: int,
                owner: uuid.UUID) -> Literal["stale", "lost"] | None:
    """None when `owner` may finish the ingestion at `version` (rows locked); else why not. A newer upload
    registered meanwhile makes this one stale: its staging is dropped and the newer ingestion takes over."""
    cur.execute("SELECT version FROM rag.documents WHERE workspace_id = %s AND id = %s FOR UPDATE",
                (workspace_id, document_id))
    doc = cur.fetchone()
    if doc is None or not _holds(cur, workspace_id, document_id, version, owner):
        return "lost"
    if doc[0] != version:
        cur.execute("DELETE FROM rag.ingestions WHERE workspace_id = %s AND document_id = %s",
                    (workspace_id, document_id))
        return "stale"
    if _progress(cur, workspace_id, document_id).pending:
        raise StoreError("cannot finish an ingestion whose chunks are not all embedded")
    return None


def _holds(cur: psycopg.Cursor, workspace_id: uuid.UUID, document_id: uuid.UUID, version: int,
           owner: uuid.UUID) -> bool:
    """Lock the ingestion row if `owner` still holds it at `version` (not taken over by a newer upload)."""
    cur.execute("SELECT 1 FROM rag.ingestions WHERE workspace_id = %s AND document_id = %s AND version = %s"
                " AND lease_owner = %s FOR UPDATE", (workspace_id, document_id, version, owner))
    return cur.fetchone() is not None


def _progress(cur: psycopg.Cursor, workspace_id: uuid.UUID, document_id: uuid.UUID) -> IngestionProgress:
    cur.execute(
        "SELECT i.version, i.parsed, i.next_page, i.total_pages, i.next_ordinal, i.chars, i.invocations,"
        " count(s.ordinal), count(s.ordinal) FILTER (WHERE s.embedding IS NULL) FROM rag.ingestions i"
        " LEFT JOIN rag.staged_chunks s USING (workspace_id, document_id)"
        " WHERE i.workspace_id = %s AND i.document_id = %s GROUP BY i.workspace_id, i.document_id",
        (workspace_id, document_id),
    )
    row = cur.fetchone()
    if row is None:
        raise StoreError(f"no ingestion in progress for document {document_id}")
    return IngestionProgress(*row)
