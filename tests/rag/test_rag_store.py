"""The pgvector store against a real embedded PostgreSQL: migrations, RLS, upserts, retrieval, filters."""

from __future__ import annotations

import math
import random
import uuid

import psycopg
import pytest
from chatbot_app.rag import store as store_module
from chatbot_app.rag.filters import Equals, FilterSet, In, Range
from chatbot_app.rag.migrations import Migration, MigrationError, load_migrations, migrate
from chatbot_app.rag.store import ChunkInput, StoreError, VectorStore, WorkspaceSpec
from pydantic import ValidationError

DIM = 256


def unit(seed: int, dim: int = DIM) -> list[float]:
    rng = random.Random(seed)  # noqa: S311
    v = [rng.gauss(0, 1) for _ in range(dim)]
    norm = math.sqrt(sum(x * x for x in v))
    return [x / norm for x in v]


def near(base: list[float], seed: int, noise: float) -> list[float]:
    rng = random.Random(seed)  # noqa: S311
    return [x + rng.gauss(0, noise) for x in base]


def cosine(a: list[float], b: list[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    return dot / (math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b)))


def workspace(store: VectorStore, hybrid: bool = False, dim: int = DIM) -> uuid.UUID:
    return store.create_workspace(WorkspaceSpec(name=f"ws-{uuid.uuid4().hex[:6]}", embedding_model="titan-v2",
                                                dimension=dim, hybrid_search=hybrid))


def chunks(n: int, seed: int = 0, text: str = "chunk", meta: dict | None = None) -> list[ChunkInput]:
    return [ChunkInput(i, f"{text} {i}", unit(seed * 1000 + i), dict(meta or {}, n=i)) for i in range(n)]


# Migrations -----------------------------------------------------------------------------------------
def test_migrations_apply_once_and_record_versions(fresh_db) -> None:
    uri = fresh_db()
    with psycopg.connect(uri) as conn:
        first = migrate(conn)
        assert first == [m.version for m in load_migrations()] and first[0] == 1
        assert migrate(conn) == []  # idempotent
        version = conn.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'").fetchone()[0]
        assert tuple(int(p) for p in version.split(".")) >= (0, 8, 0)
        indexes = dict(conn.execute(
            "SELECT indexname, indexdef FROM pg_indexes"
            " WHERE schemaname = 'rag' AND indexname LIKE 'chunks_hnsw%'").fetchall())
        assert set(indexes) == {"chunks_hnsw_256", "chunks_hnsw_512", "chunks_hnsw_1024", "chunks_hnsw_1536"}
        for name, definition in indexes.items():  # halfvec expression, cosine, m 8 (see 0002_hnsw.sql)
            n = name.rsplit("_", 1)[1]
            assert f"USING hnsw (((embedding)::halfvec({n})) halfvec_cosine_ops)" in definition, definition
            assert "m='8'" in definition and "ef_construction='64'" in definition, definition
            assert definition.endswith(f"WHERE (dims = {n})"), definition
        tables = conn.execute("SELECT relname, relrowsecurity AND relforcerowsecurity FROM pg_class"
                              " WHERE relnamespace = 'rag'::regnamespace AND relkind = 'r'").fetchall()
        # Every table holding workspace data has forced RLS; only the migrations ledger has none.
        assert {"workspaces", "documents", "chunks"} <= {name for name, forced in tables if forced}
        assert {name for name, forced in tables if not forced} == {"schema_migrations"}


def test_changed_applied_migration_is_refused(fresh_db) -> None:
    with psycopg.connect(fresh_db()) as conn:
        migrate(conn)
        tampered = [Migration(m.version, m.name, m.sql + "\n-- edited") for m in load_migrations()]
        with pytest.raises(MigrationError, match="was changed after it was applied"):
            migrate(conn, tampered)


def test_failing_migration_rolls_back_and_names_the_file(fresh_db) -> None:
    with psycopg.connect(fresh_db()) as conn:
        migrate(conn)
        bad = Migration(9999, "broken", "CREATE TABLE rag.half_done (id int);\nSELECT no_such_function();")
        with pytest.raises(MigrationError, match=r"9999_broken\.sql failed"):
            migrate(conn, [*load_migrations(), bad])
        assert conn.execute("SELECT to_regclass('rag.half_done')").fetchone()[0] is None
        assert 9999 not in {r[0] for r in conn.execute("SELECT version FROM rag.schema_migrations")}


# Row-level security ---------------------------------------------------------------------------------
def test_app_role_is_not_owner_superuser_or_bypassing(app_uri: str) -> None:
    with psycopg.connect(app_uri) as conn:
        row = conn.execute("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
        assert row.fetchone() == (False, False)
        owners = conn.execute(
            "SELECT count(*) FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner"
            " WHERE c.relnamespace = 'rag'::regnamespace AND pg_has_role(current_user, r.oid, 'MEMBER')"
        ).fetchone()[0]
        assert owners == 0
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT * FROM rag.schema_migrations")


def test_raw_select_without_context_returns_nothing(store: VectorStore, app_uri: str) -> None:
    ws = workspace(store)
    store.replace_chunks(ws, uuid.uuid4(), "a.txt", 1, chunks(3))
    # Autocommit: each `with conn.transaction()` is a real transaction, not a savepoint of an outer one.
    with psycopg.connect(app_uri, autocommit=True) as conn:
        for table in ("workspaces", "documents", "chunks"):
            assert conn.execute(f"SELECT count(*) FROM rag.{table}").fetchone()[0] == 0  # noqa: S608
        # A malformed or empty context is the same as none.
        for value in ("", "not-a-uuid", f"{ws},x' OR true --", f"{ws};DROP TABLE rag.chunks"):
            with conn.transaction():
                conn.execute("SELECT set_config('app.workspace_ids', %s, true)", (value,))
                assert conn.execute("SELECT count(*) FROM rag.chunks").fetchone()[0] == 0
        # The context is transaction-local: it does not leak into the next transaction on the connection.
        with conn.transaction():
            conn.execute("SELECT set_config('app.workspace_ids', %s, true)", (str(ws),))
            assert conn.execute("SELECT count(*) FROM rag.chunks").fetchone()[0] == 3
        assert conn.execute("SELECT count(*) FROM rag.chunks").fetchone()[0] == 0


def test_context_of_workspace_a_never_reads_or_writes_b(store: VectorStore, app_uri: str) -> None:
    a, b = workspace(store), workspace(store)
    doc_b = uuid.uuid4()
    store.replace_chunks(a, uuid.uuid4(), "a.txt", 1, chunks(2, seed=1))
    store.replace_chunks(b, doc_b, "b.txt", 1, chunks(2, seed=2))
    with psycopg.connect(app_uri, autocommit=True) as conn:
        with conn.transaction():
            conn.execute("SELECT set_config('app.workspace_ids', %s, true)", (str(a),))
            ids = {r[0] for r in conn.execute("SELECT DISTINCT workspace_id FROM rag.chunks")}
            assert ids == {a}
            count = conn.execute("SELECT count(*) FROM rag.chunks WHERE workspace_id = %s", (b,))
            assert count.fetchone()[0] == 0
            assert conn.execute("DELETE FROM rag.chunks WHERE workspace_id = %s", (b,)).rowcount == 0
            assert conn.execute("UPDATE rag.workspaces SET name = 'x' WHERE id = %s", (b,)).rowcount == 0
        denied = pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security")
        with denied, conn.transaction():
            conn.execute("SELECT set_config('app.workspace_ids', %s, true)", (str(a),))
            conn.execute("INSERT INTO rag.documents (workspace_id, id, source, version, status)"
                         " VALUES (%s, %s, 'x', 1, 'queued')", (b, uuid.uuid4()))
    # Through the store: a search in A never returns B's chunks, even with B's exact vector.
    hits = store.search(a, unit(2000), k=10)
    assert hits and all(h.document_id != doc_b for h in hits)
    assert store.list_documents(a)[0].source == "a.txt"


# Workspaces and documents ---------------------------------------------------------------------------
def test_workspace_lifecycle(store: VectorStore) -> None:
    ws = workspace(store, hybrid=True, dim=1024)
    got = store.get_workspace(ws)
    assert got is not None and got.dimension == 1024 and got.hybrid_search
    assert ws in {w.id for w in store.list_workspaces()}
    with pytest.raises(StoreError, match="unsupported embedding dimension"):
        store.create_workspace(WorkspaceSpec(name="x", embedding_model="m", dimension=300))
    doc = uuid.uuid4()
    store.replace_chunks(ws, doc, "a.txt", 1, [ChunkInput(0, "t", [1.0] * 1024)])
    with pytest.raises(StoreError, match="dimension 1024"):
        store.replace_chunks(ws, uuid.uuid4(), "b.txt", 1, [ChunkInput(0, "t", [1.0] * 256)])
    assert store.delete_workspace(ws)
    assert store.get_workspace(ws) is None and store.list_documents(ws) == []


def test_reupload_replaces_redelivery_is_idempotent_and_stale_is_ignored(store: VectorStore) -> None:
    ws, doc = workspace(store), uuid.uuid4()
    assert store.replace_chunks(ws, doc, "a.pdf", 1, chunks(5, seed=1, text="old")) == "replaced"
    assert store.replace_chunks(ws, doc, "a.pdf", 1, chunks(5, seed=1, text="old")) == "unchanged"
    assert store.replace_chunks(ws, doc, "a.pdf", 2, chunks(3, seed=2, text="new")) == "replaced"
    assert store.replace_chunks(ws, doc, "a.pdf", 2, chunks(3, seed=2, text="new")) == "unchanged"
    assert store.replace_chunks(ws, doc, "a.pdf", 1, chunks(5, seed=1, text="old")) == "stale"
    hits = store.search(ws, unit(2000), k=10)
    assert sorted(h.ordinal for h in hits) == [0, 1, 2]
    assert all(h.text.startswith("new") for h in hits)
    [d] = store.list_documents(ws)
    assert (d.version, d.status, d.chunk_count, d.reason) == (2, "ready", 3, None)


def test_failed_replace_keeps_previous_version(store: VectorStore) -> None:
    ws, doc = workspace(store), uuid.uuid4()
    store.replace_chunks(ws, doc, "a.txt", 1, chunks(4, seed=3))
    broken = [*chunks(2, seed=4), ChunkInput(2, "NUL \x00 byte", unit(9))]  # PostgreSQL text rejects NUL
    with pytest.raises(psycopg.DataError):
        store.replace_chunks(ws, doc, "a.txt", 2, broken)
    [d] = store.list_documents(ws)
    assert (d.version, d.chunk_count) == (1, 4)
    assert len(store.search(ws, unit(3000), k=10)) == 4
    assert store.replace_chunks(ws, doc, "a.txt", 2, chunks(2, seed=4)) == "replaced"  # store still usable


def test_status_lifecycle(store: VectorStore) -> None:
    ws, doc = workspace(store), uuid.uuid4()
    assert store.enqueue_document(ws, doc, "r.docx", 5)
    assert not store.enqueue_document(ws, doc, "r.docx", 4)  # late event for an older upload
    assert store.mark_processing(ws, doc, 5) and not store.mark_processing(ws, doc, 4)
    assert store.mark_failed(ws, doc, 5, "corrupt file: not a zip archive")
    [d] = store.list_documents(ws)
    assert (d.status, d.reason, d.version) == ("failed", "corrupt file: not a zip archive", 5)
    assert store.enqueue_document(ws, doc, "r.docx", 6)
    store.replace_chunks(ws, doc, "r.docx", 6, chunks(2))
    assert not store.mark_processing(ws, doc, 6)  # a redelivered message does not reopen a ready document
    assert store.delete_document(ws, doc) and store.list_documents(ws) == []
    assert store.search(ws, unit(0), k=5) == []


# Retrieval ------------------------------------------------------------------------------------------
def test_top_k_cosine_scores_and_order(store: VectorStore) -> None:
    ws, doc = workspace(store), uuid.uuid4()
    data = chunks(40, seed=7)
    store.replace_chunks(ws, doc, "a.txt", 1, data)
    query = near(data[11].embedding, 1, 0.02)
    hits = store.search(ws, query, k=5)
    assert len(hits) == 5 and hits[0].ordinal == 11
    expected = sorted(data, key=lambda c: -cosine(query, list(c.embedding)))[:5]
    assert [h.ordinal for h in hits] == [c.ordinal for c in expected]
    for hit, chunk in zip(hits, expected, strict=True):
        assert hit.score == pytest.approx(cosine(query, list(chunk.embedding)), abs=1e-5)
        assert hit.similarity == pytest.approx(hit.score)
    with pytest.raises(StoreError, match="256"):
        store.search(ws, [0.1] * 512, k=5)
    with pytest.raises(StoreError, match="k must be"):
        store.search(ws, query, k=0)


def test_search_uses_the_hnsw_index(store: VectorStore, rag_db: str) -> None:
    ws = workspace(store)
    store.replace_chunks(ws, uuid.uuid4(), "a.txt", 1, chunks(50, seed=8))
    with psycopg.connect(rag_db) as conn:
        conn.execute("ANALYZE rag.chunks")
    plan = store.explain_search(ws, unit(1), k=5, filters=[Range(key="n", gte=0)], force_index=True)
    assert "Index Scan using chunks_hnsw_256" in plan, plan
    hybrid = store.explain_search(ws, unit(1), k=5, query_text="chunk", hybrid=True, force_index=True)
    assert "Index Scan using chunks_hnsw_256" in hybrid, hybrid


def test_insert_in_batches_keeps_rows_and_full_precision(store: VectorStore, rag_db: str,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_module, "INSERT_BATCH", 4)  # 11 chunks -> statements of 4, 4 and 3 rows
    ws, doc = workspace(store), uuid.uuid4()
    data = chunks(11, seed=12, text="batched", meta={"lang": "en"})
    assert store.replace_chunks(ws, doc, "b.txt", 1, data) == "replaced"
    with psycopg.connect(rag_db) as conn:
        rows = conn.execute("SELECT ordinal, text, metadata, embedding::text FROM rag.chunks"
                            " WHERE document_id = %s ORDER BY ordinal", (doc,)).fetchall()
    assert [(r[0], r[1], r[2]) for r in rows] == [(c.ordinal, c.text, c.metadata) for c in data]
    for (*_, text), chunk in zip(rows, data, strict=True):  # float4 kept, not the index's half precision
        stored = [float(x) for x in text.strip("[]").split(",")]
        assert stored == pytest.approx(list(chunk.embedding), rel=1e-6, abs=1e-7)
    assert store_module.PackedChunk.of(data[0]).embedding.dims == DIM


def test_exact_rerank_orders_what_half_precision_cannot(store: VectorStore, rag_db: str) -> None:
    # Chunks at cosine 0.6, 0.59999, 0.59998, ... from q: half precision (the index's ordering) swaps
    # some of them, the re-rank on the float4 vectors must not. Ordinals are shuffled against rank.
    q, data = unit(77), []
    for i in range(30):
        r = unit(1000 + i)
        dot = sum(x * y for x, y in zip(r, q, strict=True))
        r = [x - dot * y for x, y in zip(r, q, strict=True)]  # orthogonal to q
        scale, c = math.sqrt(sum(x * x for x in r)), 0.6 - 1e-5 * i
        data.append(ChunkInput((7 * i) % 30, f"near {i}",
                               [c * x + math.sqrt(1 - c * c) * y / scale for x, y in zip(q, r, strict=True)]))
    ws = workspace(store)
    store.replace_chunks(ws, uuid.uuid4(), "n.txt", 1, sorted(data, key=lambda c: c.ordinal))
    exact = [c.ordinal for c in data[:5]]
    with psycopg.connect(rag_db) as conn:
        half = [r[0] for r in conn.execute(
            "SELECT ordinal FROM rag.chunks WHERE workspace_id = %s ORDER BY"
            " embedding::halfvec(256) <=> %s::vector::halfvec(256), id LIMIT 5", (ws, str(q)))]
    assert half != exact  # the case the re-rank exists for
    hits = store.search(ws, q, k=5)
    assert [h.ordinal for h in hits] == exact
    assert [h.score for h in hits] == pytest.approx([0.6 - 1e-5 * i for i in range(5)], abs=1e-6)
    by_ordinal = {c.ordinal: c for c in data}
    for hit in store.search(ws, q, k=5, query_text="near", hybrid=True):  # full precision there too
        assert hit.similarity == pytest.approx(cosine(q, list(by_ordinal[hit.ordinal].embedding)), abs=1e-6)


def test_hybrid_search_fuses_full_text_with_rrf(store: VectorStore) -> None:
    ws, doc = workspace(store, hybrid=True), uuid.uuid4()
    data = chunks(30, seed=9, text="generic words about nothing")
    data[25] = ChunkInput(25, "The invoice number ZX-4411 was refunded", data[25].embedding, {"n": 25})
    store.replace_chunks(ws, doc, "a.txt", 1, data)
    query = near(data[3].embedding, 2, 0.01)
    vector_only = store.search(ws, query, k=3, query_text="refunded invoice", hybrid=False)
    assert 25 not in [h.ordinal for h in vector_only]
    hybrid = store.search(ws, query, k=3, query_text="refunded invoice")  # workspace default: hybrid
    assert [h.ordinal for h in hybrid][:2] == [3, 25] or [h.ordinal for h in hybrid][:2] == [25, 3]
    top = {h.ordinal: h for h in hybrid}
    # Chunk 3 is first by vector and absent from text; chunk 25 is first by text.
    assert top[3].score == pytest.approx(1 / 61) and top[25].score > 1 / 61 - 1e-9
    assert top[25].similarity == pytest.approx(cosine(query, list(data[25].embedding)), abs=1e-5)
    # Blank text falls back to vector search even in a hybrid workspace.
    blank = store.search(ws, query, k=3, query_text="   ")
    assert [h.ordinal for h in blank] == [h.ordinal for h in vector_only]


# Metadata filters ----------------------------------------------------------------------------------
@pytest.fixture()
def filtered(store: VectorStore) -> uuid.UUID:
    ws = workspace(store)
    rows = [
        ChunkInput(0, "a", unit(100), {"lang": "en", "year": 2023, "page": 1, "draft": False}),
        ChunkInput(1, "b", unit(101), {"lang": "de", "year": 2024, "page": 5, "draft": True}),
        ChunkInput(2, "c", unit(102), {"lang": "en", "year": "2024", "page": 9}),
        ChunkInput(3, "d", unit(103), {"lang": "fr", "year": 2025, "page": 12, "date": "2024-06-01"}),
    ]
    store.replace_chunks(ws, uuid.uuid4(), "m.txt", 1, rows)
    return ws


def ordinals(store: VectorStore, ws: uuid.UUID, filters: list) -> list[int]:
    return sorted(h.ordinal for h in store.search(ws, unit(100), k=10, filters=filters))


def test_filters_equals_in_range(store: VectorStore, filtered: uuid.UUID) -> None:
    assert ordinals(store, filtered, [Equals(key="lang", value="en")]) == [0, 2]
    assert ordinals(store, filtered, [Equals(key="year", value=2024)]) == [1]  # typed: "2024" is not 2024
    assert ordinals(store, filtered, [Equals(key="draft", value=False)]) == [0]
    assert ordinals(store, filtered, [In(key="lang", values=["de", "fr"])]) == [1, 3]
    assert ordinals(store, filtered, [In(key="year", values=[2023, "2024"])]) == [0, 2]
    assert ordinals(store, filtered, [Range(key="page", gte=5, lt=12)]) == [1, 2]
    assert ordinals(store, filtered, [Range(key="year", gt=2023)]) == [1, 3]  # the string "2024" is excluded
    assert ordinals(store, filtered, [Range(key="date", gte="2024-01-01", lte="2024-12-31")]) == [3]
    assert ordinals(store, filtered, [Equals(key="lang", value="en"), Range(key="page", gt=1)]) == [2]
    body = {"filters": [{"op": "in", "key": "lang", "values": ["en"]},
                        {"op": "range", "key": "page", "lte": 1}]}
    assert ordinals(store, filtered, list(FilterSet.model_validate(body).filters)) == [0]


@pytest.mark.parametrize("key", [
    "lang' OR '1'='1", "lang; DROP TABLE rag.chunks; --", "a.b", "", "x" * 65, "1abc", "lang\x00", "läng",
    "metadata->>'lang'",
])
def test_injection_in_keys_is_rejected(key: str) -> None:
    with pytest.raises(ValidationError):
        Equals(key=key, value="en")
    with pytest.raises(ValidationError):
        FilterSet.model_validate({"filters": [{"op": "range", "key": key, "gte": 1}]})


@pytest.mark.parametrize("value", [
    "en' OR '1'='1", "en\"}' OR true --", "'; DROP TABLE rag.chunks; --", "%s", "%(ws)s", "{}", "en\\",
    '"en"', "en' UNION SELECT id, document_id, ordinal, text, metadata, 1, 1 FROM rag.chunks --",
])
def test_injection_in_values_matches_nothing(store: VectorStore, filtered: uuid.UUID, value: str) -> None:
    assert ordinals(store, filtered, [Equals(key="lang", value=value)]) == []
    assert ordinals(store, filtered, [In(key="lang", values=[value])]) == []
    assert ordinals(store, filtered, [Range(key="lang", gte=value, lte=value)]) == []
    assert ordinals(store, filtered, []) == [0, 1, 2, 3]  # nothing was dropped or altered


def test_filter_model_rejects_bad_shapes() -> None:
    for body in (
        {"filters": [{"op": "eq", "key": "a", "value": {"$ne": 1}}]},
        {"filters": [{"op": "eq", "key": "a", "value": ["x"]}]},
        {"filters": [{"op": "range", "key": "a"}]},
        {"filters": [{"op": "range", "key": "a", "gte": 1, "lt": "z"}]},
        {"filters": [{"op": "in", "key": "a", "values": []}]},
        {"filters": [{"op": "like", "key": "a", "value": "%"}]},
        {"filters": [{"op": "eq", "key": "a", "value": "x", "sql": "1=1"}]},
    ):
        with pytest.raises(ValidationError):
            FilterSet.model_validate(body)


def test_store_refuses_to_run_inside_an_outer_transaction(app_uri: str) -> None:
    # Inside an outer transaction a scope would be a savepoint and its workspace setting would outlive it.
    conn = psycopg.connect(app_uri, autocommit=True)
    store = VectorStore(lambda: conn)
    try:
        ws = workspace(store)
        conn.execute("BEGIN")
        with pytest.raises(StoreError, match="inside a transaction"):
            store.search(ws, unit(1), k=1)
        conn.execute("ROLLBACK")
        assert store.search(ws, unit(1), k=1) == []
    finally:
        store.close()


# Benchmarks (tiny sizes; each starts its own embedded server) ------------------------------------------
def test_benchmarks_run_and_print_their_figures(capsys: pytest.CaptureFixture[str]) -> None:
    from tools import bench_ingest, bench_retrieval

    assert bench_ingest.main(["--pages", "2", "--runs", "1", "--db", "--dims", "256", "--db-chunks", "60",
                              "--existing", "100", "--doc-chunks", "25", "--writers", "1,2"]) == 0
    out = capsys.readouterr().out
    assert "command: .venv/bin/python -m tools.bench_ingest --pages 2" in out and "pages/s" in out
    assert "halfvec_cosine_ops" in out
    table = out[out.index("existing rows writers"):].splitlines()[1:5]
    assert "without the HNSW index" in out
    assert [line.split()[:3] for line in table] == [["0", "1", "60"], ["0", "2", "60"],
                                                    ["100", "1", "60"], ["160", "2", "60"]]
    assert bench_retrieval.main(["--chunks", "300", "--dims", "256", "--queries", "5", "--ef", "40,200",
                                 "--batch", "100"]) == 0
    out = capsys.readouterr().out
    assert "command: python -m tools.bench_retrieval --chunks 300" in out
    assert "200*" in out and "default ef_search 200" in out
