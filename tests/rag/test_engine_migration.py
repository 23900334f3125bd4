"""Migration 0005 (retrieval engines) on a database that already has workspaces from 0001-0004, and the
constraints it adds; row-level security still scopes the new columns."""

from __future__ import annotations

import uuid

import psycopg
import pytest
from chatbot_app.rag.migrations import load_migrations, migrate
from chatbot_app.rag.store import StoreError, VectorStore, WorkspaceSpec

TITAN = "amazon.titan-embed-text-v2:0"
INSERT = ("INSERT INTO rag.workspaces (id, name, embedding_model, dimension, chunk_size, chunk_overlap,"
          " engine, engine_ref) VALUES (%s, 'w', %s, %s, 300, 50, %s, %s)")


def scoped(conn: psycopg.Connection, workspace: uuid.UUID) -> None:
    conn.execute("SELECT set_config('app.workspace_ids', %s, false)", (str(workspace),))


def test_0005_applies_on_an_existing_0004_database(fresh_db) -> None:
    migrations = load_migrations()
    assert [m.version for m in migrations][:5] == [1, 2, 3, 4, 5] and migrations[4].name == "engines"
    with psycopg.connect(fresh_db()) as conn:
        assert migrate(conn, migrations[:4]) == [1, 2, 3, 4]
        old = uuid.uuid4()
        scoped(conn, old)  # the owner is subject to the forced RLS as well
        conn.execute("INSERT INTO rag.workspaces (id, name, embedding_model, dimension, chunk_size,"
                     " chunk_overlap) VALUES (%s, 'old', %s, 1024, 300, 50)", (old, TITAN))
        assert migrate(conn, migrations[:5]) == [5]
        row = conn.execute("SELECT engine, engine_ref, rerank_model, embedding_model, dimension"
                           " FROM rag.workspaces WHERE id = %s", (old,)).fetchone()
        assert row == ("pgvector", None, None, TITAN, 1024)


@pytest.mark.parametrize(("model", "dimension", "engine", "ref"), [
    (None, None, "pgvector", None),  # pgvector needs an embedding model
    (None, None, "opensearch", None),
    (TITAN, None, "pgvector", None),  # model and dimension come together
    (None, None, "kendra", None),  # kendra needs its index id
    (TITAN, 1024, "pgvector", "0" * 36),  # and only read-only engines take one
    (None, None, "faiss", None),
    (None, None, "bedrock-kb", "KB; DROP TABLE"),
])
def test_the_engine_constraints(fresh_db, model: str | None, dimension: int | None, engine: str,
                                ref: str | None) -> None:
    with psycopg.connect(fresh_db()) as conn:
        migrate(conn)
        ws = uuid.uuid4()
        scoped(conn, ws)
        with pytest.raises(psycopg.errors.CheckViolation):
            conn.execute(INSERT, (ws, model, dimension, engine, ref))
        conn.rollback()


def test_read_only_workspaces_have_no_model_and_stay_scoped(store: VectorStore, app_uri: str) -> None:
    kendra = store.create_workspace(WorkspaceSpec("k", None, None, engine="kendra", engine_ref="0" * 36,
                                                  rerank_model="amazon.rerank-v1:0"))
    spec = store.get_workspace(kendra)
    assert spec is not None
    assert (spec.engine, spec.engine_ref, spec.embedding_model) == ("kendra", "0" * 36, None)
    assert spec.rerank_model == "amazon.rerank-v1:0" and spec.read_only
    with psycopg.connect(app_uri) as conn:  # the app role without a workspace context sees nothing
        assert conn.execute("SELECT count(*) FROM rag.workspaces WHERE engine = 'kendra'").fetchone()[0] == 0
    with pytest.raises(StoreError, match="unknown engine"):
        store.create_workspace(WorkspaceSpec("x", TITAN, 1024, engine="faiss"))
    with pytest.raises(StoreError, match="dimension"):
        store.create_workspace(WorkspaceSpec("x", None, None, engine="opensearch"))
