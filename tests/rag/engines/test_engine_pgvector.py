"""pgvector engine: the interface over VectorStore, against the real PostgreSQL + pgvector test server."""

from __future__ import annotations

import math
import uuid

import pytest
from chatbot_app.rag.engines import EngineError, RetrievalEngine, RetrievalQuery, WritableEngine
from chatbot_app.rag.engines.pgvector import PgVectorEngine
from chatbot_app.rag.filters import Equals, Range
from chatbot_app.rag.store import ChunkInput, VectorStore, WorkspaceSpec

DIM = 256


def unit(i: int) -> list[float]:
    """A unit vector pointing mostly along axis i (distinct, deterministic)."""
    v = [0.01] * DIM
    v[i] = 1.0
    norm = math.sqrt(sum(x * x for x in v))
    return [x / norm for x in v]


@pytest.fixture()
def workspace(store: VectorStore) -> uuid.UUID:
    spec = WorkspaceSpec(name=f"eng-{uuid.uuid4().hex[:8]}", embedding_model="amazon.titan-embed-text-v2:0",
                         dimension=DIM)
    return store.create_workspace(spec)


def test_engine_satisfies_the_writable_interface(store: VectorStore) -> None:
    engine = PgVectorEngine(store)
    assert isinstance(engine, RetrievalEngine) and isinstance(engine, WritableEngine)
    assert engine.name == "pgvector"


def test_upsert_retrieve_delete(store: VectorStore, workspace: uuid.UUID) -> None:
    engine = PgVectorEngine(store)
    doc_a, doc_b = uuid.uuid4(), uuid.uuid4()
    engine.upsert(workspace, doc_a, "guide.pdf", 1, [
        ChunkInput(0, "install steps", unit(0), {"page": 2, "lang": "en"}),
        ChunkInput(1, "Installationsschritte", unit(1), {"page": 3, "lang": "de"}),
    ])
    engine.upsert(workspace, doc_b, "faq.docx", 1, [ChunkInput(0, "faq", unit(2), {"heading_path": "FAQ"})])

    passages = engine.retrieve(RetrievalQuery(workspace, "install", k=3, embedding=unit(0)))
    assert [p.text for p in passages][0] == "install steps"
    top = passages[0]
    assert top.source == "guide.pdf" and top.document_id == str(doc_a)
    assert top.location == {"page": 2, "ordinal": 0}
    assert 0.99 < top.score <= 1.0 and all(0.0 <= p.score <= 1.0 for p in passages)
    faq = next(p for p in passages if p.text == "faq")
    assert faq.location == {"headingPath": "FAQ", "ordinal": 0} and faq.source == "faq.docx"

    filters = [Equals(key="lang", value="de"), Range(key="page", gte=3)]
    filtered = engine.retrieve(RetrievalQuery(workspace, "install", k=3, embedding=unit(0), filters=filters))
    assert [p.text for p in filtered] == ["Installationsschritte"]

    engine.upsert(workspace, doc_a, "guide.pdf", 0, [ChunkInput(0, "older", unit(0))])  # stale: ignored
    assert engine.retrieve(RetrievalQuery(workspace, "q", k=1, embedding=unit(0)))[0].text == "install steps"

    engine.delete(workspace, doc_a)
    remaining = engine.retrieve(RetrievalQuery(workspace, "q", k=5, embedding=unit(0)))
    assert {p.text for p in remaining} == {"faq"}
    engine.delete(workspace)
    assert engine.retrieve(RetrievalQuery(workspace, "q", k=5, embedding=unit(0))) == []
    assert store.get_workspace(workspace) is not None  # the catalogue row is the service's


def test_errors_become_engine_errors(store: VectorStore, workspace: uuid.UUID) -> None:
    engine = PgVectorEngine(store)
    with pytest.raises(EngineError, match="embedding"):
        engine.retrieve(RetrievalQuery(workspace, "q"))
    with pytest.raises(EngineError) as info:
        engine.retrieve(RetrievalQuery(workspace, "q", embedding=[0.1] * 512))  # wrong dimension
    assert not info.value.retryable
    with pytest.raises(EngineError):
        engine.upsert(uuid.uuid4(), uuid.uuid4(), "x.pdf", 1, [ChunkInput(0, "t", unit(0))])
