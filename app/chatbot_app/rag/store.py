"""Vector store on PostgreSQL + pgvector, scoped to workspaces by row-level security.

Every operation runs in one transaction that first sets app.workspace_ids (transaction-local, bound as a
parameter) to the workspace it acts on; the RLS policies from the migrations admit only those rows, so a
query that forgets its WHERE clause still cannot see another workspace. Connect as a login role that is a
member of chatbot_rag_app (never the owner, never a superuser).

Embeddings travel in pgvector's binary format. Searching orders by embedding::halfvec(N) and filters
dims = N with N from the fixed set of supported dimensions, which matches the partial HNSW index for that
dimension (migration 0002); the index's candidates are then re-ranked on the full float4 vectors.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg import sql
from psycopg.pq import TransactionStatus
from psycopg.types import TypeInfo
from psycopg.types.json import Jsonb

from .engine_config import ENGINES, READ_ONLY_ENGINES
from .filters import Equals, In, Range, compile_filters
from .staging import Claim, ClaimOutcome, IngestionProgress, IngestionStaging, StagedChunk
from .store_types import (
    DIMENSIONS,
    INSERT_BATCH,
    RERANK_MIN,
    RRF_K,
    ChunkInput,
    Document,
    Embedding,
    Hit,
    Outcome,
    PackedChunk,
    StoreError,
    WorkspaceSpec,
    _EmbeddingDumper,
)

__all__ = [  # the store's public names, whichever module defines them
    "DIMENSIONS", "ENGINES", "INSERT_BATCH", "READ_ONLY_ENGINES", "RERANK_MIN", "RRF_K", "ChunkInput",
    "Claim", "ClaimOutcome", "Document", "Embedding", "Hit", "IngestionProgress", "Outcome", "PackedChunk",
    "StagedChunk", "StoreError", "VectorStore", "WorkspaceSpec",
]

class VectorStore(IngestionStaging):
    def __init__(self, connect: Callable[[], psycopg.Connection], *, ef_search: int = 200) -> None:
        self._connect = connect
        self._conn: psycopg.Connection | None = None
        self.ef_search = ef_search

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _connection(self) -> psycopg.Connection:
        if self._conn is None or self._conn.closed or self._conn.broken:
            conn = self._connect()
            info = TypeInfo.fetch(conn, "vector")
            if info is None:
                raise StoreError("the vector extension is not installed; run the migrations")
            info.register(conn)  # so a list of Embedding is sent as a binary vector[] (_insert_chunks)
            dumper = type("EmbeddingDumper", (_EmbeddingDumper,), {"oid": info.oid})
            conn.adapters.register_dumper(Embedding, dumper)
            conn.commit()
            # Every scope must be a top-level transaction: inside an outer one it would be a savepoint, and
            # the transaction-local workspace setting would outlive it.
            conn.autocommit = True
            self._conn = conn
        return self._conn

    @contextmanager
    def _scope(self, workspace_ids: Sequence[uuid.UUID], *,
               catalog: bool = False) -> Iterator[psycopg.Cursor]:
        conn = self._connection()
        if conn.info.transaction_status != TransactionStatus.IDLE:
            raise StoreError("the store's connection is inside a transaction; use it only through the store")
        with conn.transaction(), conn.cursor() as cur:
            ids = ",".join(str(uuid.UUID(str(w))) for w in workspace_ids)
            cur.execute("SELECT set_config('app.workspace_ids', %s, true)", (ids,))
            if catalog:
                cur.execute("SELECT set_config('app.workspace_catalog', 'on', true)")
            yield cur

    # Workspaces -------------------------------------------------------------------------------------
    def create_workspace(self, spec: WorkspaceSpec) -> uuid.UUID:
        if spec.engine not in ENGINES:
            raise StoreError(f"unknown engine {spec.engine!r}; known: {', '.join(ENGINES)}")
        if spec.dimension is not None or not spec.read_only:
            _check_dimension(spec.dimension)
        with self._scope([spec.id]) as cur:
            cur.execute(
                "INSERT INTO rag.workspaces (id, name, embedding_model, dimension, chunk_size, chunk_overlap,"
                " hybrid_search, engine, engine_ref, rerank_model)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                (spec.id, spec.name, spec.embedding_model, spec.dimension, spec.chunk_size,
                 spec.chunk_overlap, spec.hybrid_search, spec.engine, spec.engine_ref, spec.rerank_model),
            )
        return spec.id

    def get_workspace(self, workspace_id: uuid.UUID) -> WorkspaceSpec | None:
        with self._scope([workspace_id]) as cur:
            cur.execute(f"{_WS_SELECT} WHERE id = %s", (workspace_id,))  # noqa: S608  # nosec B608
            row = cur.fetchone()
        return _workspace(row) if row else None

    def list_workspaces(self) -> list[WorkspaceSpec]:
        """Every workspace's catalogue row (an administrative read; documents and chunks stay scoped)."""
        with self._scope([], catalog=True) as cur:
            cur.execute(f"{_WS_SELECT} ORDER BY name, id")  # noqa: S608  # nosec B608
            return [_workspace(r) for r in cur.fetchall()]

    def delete_workspace(self, workspace_id: uuid.UUID) -> bool:
        with self._scope([workspace_id]) as cur:
            cur.execute("DELETE FROM rag.workspaces WHERE id = %s", (workspace_id,))
            return cur.rowcount == 1

    # Documents --------------------------------------------------------------------------------------
    def enqueue_document(self, workspace_id: uuid.UUID, document_id: uuid.UUID, source: str,
                         version: int) -> bool:
        """Record an upload as queued; False when this version or a newer one is already known (a redelivered
        or late event), which then changes nothing."""
        with self._scope([workspace_id]) as cur:
            cur.execute(
                "INSERT INTO rag.documents (workspace_id, id, source, version, status)"
                " VALUES (%s, %s, %s, %s, 'queued')"
                " ON CONFLICT (workspace_id, id) DO UPDATE SET source = excluded.source,"
                " version = excluded.version, status = 'queued', reason = NULL, updated_at = now()"
                " WHERE rag.documents.version < excluded.version",
                (workspace_id, document_id, source, version),
            )
            return cur.rowcount == 1

    def mark_processing(self, workspace_id: uuid.UUID, document_id: uuid.UUID, version: int) -> bool:
        return self._set_status(workspace_id, document_id, version, "processing", None)

    def mark_failed(self, workspace_id: uuid.UUID, document_id: uuid.UUID, version: int, reason: str) -> bool:
        return self._set_status(workspace_id, document_id, version, "failed", reason[:2000] or "failed")

    def _set_status(self, workspace_id: uuid.UUID, document_id: uuid.UUID, version: int, status: str,
                    reason: str | None) -> bool:
        # Only the current version moves, and a ready document is not sent back by a redelivered message.
        with self._scope([workspace_id]) as cur:
            cur.execute(
                "UPDATE rag.documents SET status = %s, reason = %s, updated_at = now()"
                " WHERE workspace_id = %s AND id = %s AND version = %s AND status <> 'ready'",
                (status, reason, workspace_id, document_id, version),
            )
            return cur.rowcount == 1

    def replace_chunks(self, workspace_id: uuid.UUID, document_id: uuid.UUID, source: str, version: int,
                       chunks: Sequence[ChunkInput]) -> Outcome:
        """Atomically make `chunks` the document's content at `version` and mark it ready.

        Readers see the old chunks or the new ones, never a mix. The same version again (a redelivered
        message) changes nothing; an older version than the stored one is ignored.
        """
        packed = [PackedChunk.of(c) for c in chunks]
        with self._scope([workspace_id]) as cur:
            cur.execute("SELECT dimension FROM rag.workspaces WHERE id = %s", (workspace_id,))
            row = cur.fetchone()
            if row is None:
                raise StoreError(f"workspace {workspace_id} does not exist or is not readable")
            wrong = [c.ordinal for c in packed if c.embedding.dims != row[0]]
            if wrong:
                raise StoreError(f"chunks {wrong[:5]} do not have the workspace's dimension {row[0]}")
            cur.execute(
                "SELECT version, status FROM rag.documents WHERE workspace_id = %s AND id = %s FOR UPDATE",
                (workspace_id, document_id),
            )
            current = cur.fetchone()
            if current is not None:
                if current[0] > version:
                    return "stale"
                if current[0] == version and current[1] == "ready":
                    return "unchanged"
            cur.execute(
                "INSERT INTO rag.documents (workspace_id, id, source, version, status, chunk_count)"
                " VALUES (%s, %s, %s, %s, 'ready', %s) ON CONFLICT (workspace_id, id) DO UPDATE SET"
                " source = excluded.source, version = excluded.version, status = 'ready', reason = NULL,"
                " chunk_count = excluded.chunk_count, updated_at = now()",
                (workspace_id, document_id, source, version, len(chunks)),
            )
            cur.execute("DELETE FROM rag.chunks WHERE workspace_id = %s AND document_id = %s",
                        (workspace_id, document_id))
            _insert_chunks(cur, workspace_id, document_id, packed)
        return "replaced"

    def list_documents(self, workspace_id: uuid.UUID) -> list[Document]:
        with self._scope([workspace_id]) as cur:
            cur.execute(
                "SELECT id, source, version, status, reason, chunk_count, updated_at FROM rag.documents"
                " WHERE workspace_id = %s ORDER BY source, id",
                (workspace_id,),
            )
            return [Document(*r) for r in cur.fetchall()]

    def delete_document(self, workspace_id: uuid.UUID, document_id: uuid.UUID) -> bool:
        with self._scope([workspace_id]) as cur:
            cur.execute("DELETE FROM rag.documents WHERE workspace_id = %s AND id = %s",
                        (workspace_id, document_id))
            return cur.rowcount == 1

    # Ingestion staging (several invocations per document; see migration 0004) --------------------------
    # Ingestion staging: IngestionStaging (staging.py) ---------------------------------------------

    # Retrieval --------------------------------------------------------------------------------------
    def search(self, workspace_id: uuid.UUID, embedding: Sequence[float], *, k: int = 5,
               filters: Sequence[Equals | In | Range] = (), query_text: str | None = None,
               hybrid: bool | None = None) -> list[Hit]:
        """Top-k chunks of one workspace by cosine similarity, or fused with full text by RRF."""
        with self._scope([workspace_id]) as cur:
            query, params = self._search_query(cur, workspace_id, embedding, k, filters, query_text, hybrid)
            cur.execute(query, params)
            return [Hit(*r) for r in cur.fetchall()]

    def explain_search(self, workspace_id: uuid.UUID, embedding: Sequence[float], *, k: int = 5,
                       filters: Sequence[Equals | In | Range] = (), query_text: str | None = None,
                       hybrid: bool | None = None, analyze: bool = False, force_index: bool = False) -> str:
        """The plan of exactly the statement search() runs (to check that the HNSW index is used).

        force_index disables sequential and bitmap scans and sorts, which the planner rightly prefers for
        small workspaces (exact and cheap there), to show that the statement matches the partial HNSW index.
        """
        with self._scope([workspace_id]) as cur:
            query, params = self._search_query(cur, workspace_id, embedding, k, filters, query_text, hybrid)
            if force_index:
                cur.execute("SELECT set_config('enable_seqscan', 'off', true),"
                            " set_config('enable_bitmapscan', 'off', true),"
                            " set_config('enable_sort', 'off', true)")
            prefix = "EXPLAIN (ANALYZE, BUFFERS) " if analyze else "EXPLAIN "
            cur.execute(sql.SQL(prefix) + query, params)
            return "\n".join(r[0] for r in cur.fetchall())

    def _search_query(self, cur: psycopg.Cursor, workspace_id: uuid.UUID, embedding: Sequence[float],
                      k: int, filters: Sequence[Equals | In | Range], query_text: str | None,
                      hybrid: bool | None) -> tuple[sql.Composed, dict[str, Any]]:
        if not 1 <= k <= 100:
            raise StoreError("k must be between 1 and 100")
        vec = Embedding.of(embedding)
        _check_dimension(vec.dims)
        cur.execute("SELECT dimension, hybrid_search FROM rag.workspaces WHERE id = %s", (workspace_id,))
        row = cur.fetchone()
        if row is None:
            raise StoreError(f"workspace {workspace_id} does not exist or is not readable")
        if row[0] != vec.dims:
            raise StoreError(f"query has {vec.dims} dimensions, the workspace {row[0]}")
        use_hybrid = (row[1] if hybrid is None else hybrid) and bool(query_text and query_text.strip())
        # Local to this transaction: candidate list size, and keep scanning when filters drop rows.
        cur.execute("SELECT set_config('hnsw.ef_search', %s, true),"
                    " set_config('hnsw.iterative_scan', 'strict_order', true)", (str(self.ef_search),))
        where, params = compile_filters(list(filters))
        params.update(q=vec, ws=workspace_id, k=k)
        # N is one of DIMENSIONS (checked above), inlined so the partial index's expression and predicate
        # match. The index orders candidates by half-precision distance; scores and the final order use the
        # full float4 vectors (an exact re-rank of the candidates).
        n = sql.Literal(vec.dims)
        approx = sql.SQL("c.embedding::halfvec({n}) <=> %(q)s::halfvec({n})").format(n=n)
        exact = sql.SQL("c.embedding::vector({n}) <=> %(q)s::vector({n})").format(n=n)
        base = sql.SQL("FROM rag.chunks c WHERE c.dims = {n} AND c.workspace_id = %(ws)s{w}").format(
            n=n, w=where)
        parts = {"approx": approx, "exact": exact, "base": base}
        if use_hybrid:
            params.update(text=query_text, pool=max(4 * k, 40), rrf=RRF_K)
            return sql.SQL(_HYBRID).format(**parts), params
        params.update(pool=max(2 * k, RERANK_MIN))
        return sql.SQL(_VECTOR).format(**parts), params

_WS_SELECT = ("SELECT id, name, embedding_model, dimension, chunk_size, chunk_overlap, hybrid_search, engine,"
              " engine_ref, rerank_model FROM rag.workspaces")
# The inner query is the HNSW index scan (ORDER BY the indexed expression, LIMIT); the outer one re-ranks.
_VECTOR = ("SELECT id, document_id, ordinal, text, metadata, 1 - d AS score, 1 - d FROM (SELECT c.id,"
           " c.document_id, c.ordinal, c.text, c.metadata, {exact} AS d {base} ORDER BY {approx}"
           " LIMIT %(pool)s) x ORDER BY d, id LIMIT %(k)s")
_HYBRID = (
    "WITH v AS (SELECT id, row_number() OVER (ORDER BY d, id) AS r FROM (SELECT c.id, {exact} AS d {base}"
    " ORDER BY {approx} LIMIT %(pool)s) x),"
    " t AS (SELECT id, row_number() OVER (ORDER BY rank DESC, id) AS r FROM (SELECT c.id,"
    " ts_rank_cd(c.tsv, websearch_to_tsquery('english', %(text)s)) AS rank {base}"
    " AND c.tsv @@ websearch_to_tsquery('english', %(text)s) ORDER BY rank DESC, c.id LIMIT %(pool)s) y),"
    " f AS (SELECT coalesce(v.id, t.id) AS id, coalesce(1.0 / (%(rrf)s + v.r), 0)"
    " + coalesce(1.0 / (%(rrf)s + t.r), 0) AS rrf FROM v FULL OUTER JOIN t ON v.id = t.id)"
    " SELECT c.id, c.document_id, c.ordinal, c.text, c.metadata, f.rrf::float8, 1 - ({exact})"
    " FROM f JOIN rag.chunks c ON c.id = f.id ORDER BY f.rrf DESC, c.id LIMIT %(k)s"
)


def _insert_chunks(cur: psycopg.Cursor, workspace_id: uuid.UUID, document_id: uuid.UUID,
                   packed_chunks: Sequence[PackedChunk]) -> int:
    """Insert a document's chunks, INSERT_BATCH rows per statement; returns the number inserted.

    One INSERT ... SELECT FROM unnest(typed arrays) per batch, the vectors as one binary vector[]: a single
    executor run per batch instead of one per row. (COPY would be the usual bulk path, but PostgreSQL
    refuses COPY FROM into a table with row-level security.) Every row still goes through the RLS check
    and into the dimension's HNSW index, whose maintenance dominates the cost (see migration 0002).
    """
    for start in range(0, len(packed_chunks), INSERT_BATCH):
        batch = packed_chunks[start:start + INSERT_BATCH]
        cur.execute(
            "INSERT INTO rag.chunks (workspace_id, document_id, ordinal, text, metadata, embedding)"
            " SELECT %s, %s, u.o, u.t, u.m, u.e FROM unnest(%s::int4[], %s::text[], %s::jsonb[],"
            " %b::vector[]) AS u(o, t, m, e)",
            (workspace_id, document_id, [c.ordinal for c in batch], [c.text for c in batch],
             [Jsonb(c.metadata) for c in batch], [c.embedding for c in batch]),
        )
    return len(packed_chunks)


def _check_dimension(n: int | None) -> None:
    if n not in DIMENSIONS:
        raise StoreError(f"unsupported embedding dimension {n}; supported: {DIMENSIONS}")


def _workspace(row: tuple) -> WorkspaceSpec:
    ws_id, name, model, dim, size, overlap, hybrid, engine, engine_ref, rerank = row
    return WorkspaceSpec(name=name, embedding_model=model, dimension=dim, chunk_size=size,
                         chunk_overlap=overlap, hybrid_search=hybrid, id=ws_id, engine=engine,
                         engine_ref=engine_ref, rerank_model=rerank)
