"""Chat with a workspace: a session bound to a workspace is answered from the passages the rag service finds;
they reach the browser in a `sources` frame before the first token, reach the model as a numbered context
block, and are stored with the answer. A failed search stores nothing and says why."""

from __future__ import annotations

import hashlib
import math
import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from chatbot_app.core import aws, rag_client, workspaces
from chatbot_app.core.config import get_config
from chatbot_app.handlers import chat_worker
from chatbot_app.rag.store import ChunkInput, VectorStore

from tests.rag import conftest as pg

from .conftest import REGION, WS_ENDPOINT, Tokens, call, connect, scan
from .stubs import Socket, StreamStub, answer_events, stub_models
from .test_chat import BASE_REQUEST, nothing_stored, queue
from .test_workspaces import BUCKET, TITAN, FakeRag, enable_rag, fake_rag, new_workspace, upload

# The RAG tests' embedded PostgreSQL (session-scoped fixtures), for the test against the real service.
pg_server, admin_uri, rag_db, app_uri = pg.pg_server, pg.admin_uri, pg.rag_db, pg.app_uri

DOC1, DOC2 = str(uuid.uuid4()), str(uuid.uuid4())
HITS = [
    {
        "documentId": DOC1,
        "fileName": "guide.pdf",
        "ordinal": 3,
        "text": "Install it with pip.\n\nThen run   chatbot --help.",
        "score": 0.912345678,
        "similarity": 0.912345678,
        "location": {"page": 2, "headingPath": ["Setup", "Install"]},
    },
    {
        "documentId": DOC2,
        "fileName": "faq.md",
        "ordinal": 0,
        "text": "lorem ipsum " * 40,
        "score": 0.5,
        "similarity": 0.5,
        "location": {"headingPath": ["FAQ"], "page": None, "nested": {"not": "kept"}},
    },
]
CONTEXT = workspaces.GROUNDING_PROMPT.format(
    passages="[1] guide.pdf, page 2, Setup > Install\nInstall it with pip.\n\nThen run   chatbot --help."
    f"\n\n[2] faq.md, FAQ\n{HITS[1]['text'].strip()}"
)
SYSTEM = {"text": "You are a helpful assistant."}


def expected_sources() -> list[dict[str, Any]]:
    snippet = workspaces.snippet(HITS[1]["text"])
    assert len(snippet) <= 300 and snippet.endswith("…") and "  " not in snippet
    return [
        {"n": 1, "documentId": DOC1, "fileName": "guide.pdf", "score": 0.9123,
         "location": {"page": 2, "headingPath": ["Setup", "Install"]},
         "snippet": "Install it with pip. Then run chatbot --help."},
        {"n": 2, "documentId": DOC2, "fileName": "faq.md", "score": 0.5,
         "location": {"headingPath": ["FAQ"]}, "snippet": snippet},
    ]


@pytest.fixture
def rag(ddb: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeRag]:
    yield from fake_rag(monkeypatch)


@pytest.fixture
def vector_store(app_uri: str) -> Iterator[VectorStore]:
    store = VectorStore(lambda: psycopg.connect(app_uri))
    yield store
    store.close()


@pytest.fixture
def bound(rag: FakeRag, tokens: Tokens) -> tuple[str, str, str]:
    """alice, connected, with a session bound to a workspace: (token, sessionId, workspaceId)."""
    ws = new_workspace(tokens)["id"]
    rag.hits = HITS
    token = connect(tokens)
    status, body = call("POST", "/sessions", token, {"title": "Docs", "workspaceId": ws})
    assert status == 201 and body["workspaceId"] == ws
    return token, body["sessionId"], ws


def test_sources_stream_before_the_answer_and_are_stored_with_it(
    bound: tuple[str, str, str], rag: FakeRag, ddb: Any
) -> None:
    token, sid, ws = bound
    stub_models()
    job = queue(token, sid)
    stream = StreamStub()
    stream.add(answer_events("Use pip [1]."), {**BASE_REQUEST, "system": [SYSTEM, {"text": CONTEXT}]})
    socket = Socket(WS_ENDPOINT)
    assert chat_worker.handler(job, None) == {"status": "stored", "messageId": job["messageId"]}
    stream.stubber.assert_no_pending_responses()
    assert rag.requests[-1] == {"op": "search", "workspaceId": ws, "query": "Hi!", "k": 5}
    frames = socket.frames
    assert [f["type"] for f in frames] == ["start", "sources", "delta", "end"]
    assert frames[1] == {"type": "sources", "sources": expected_sources(), "sessionId": sid,
                         "messageId": job["messageId"]}
    status, detail = call("GET", f"/sessions/{sid}", token)
    question, answer = detail["messages"]
    assert "sources" not in question and answer["text"] == "Use pip [1]."
    assert answer["sources"] == expected_sources()
    assert detail["session"]["workspaceId"] == ws


def test_top_k_comes_from_the_configuration_and_long_questions_are_cut(
    bound: tuple[str, str, str], rag: FakeRag, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, _, ws = bound
    monkeypatch.setenv("RAG_TOP_K", "3")
    get_config.cache_clear()
    workspaces.retrieve(get_config(), ws, "why? " * 1000)
    search = rag.requests[-1]
    assert search["k"] == 3 and len(search["query"]) == workspaces.SEARCH_QUERY_CHARS


def test_no_passage_found_is_said_to_the_model_and_stored_as_no_sources(
    bound: tuple[str, str, str], rag: FakeRag
) -> None:
    token, sid, _ = bound
    rag.hits = []
    stub_models()
    job = queue(token, sid)
    stream = StreamStub()
    nothing = {"text": workspaces.NO_PASSAGES}
    stream.add(answer_events("The documents do not cover it."), {**BASE_REQUEST, "system": [SYSTEM, nothing]})
    socket = Socket(WS_ENDPOINT)
    assert chat_worker.handler(job, None)["status"] == "stored"
    stream.stubber.assert_no_pending_responses()
    assert socket.frames[1]["type"] == "sources" and socket.frames[1]["sources"] == []
    assert call("GET", f"/sessions/{sid}", token)[1]["messages"][1]["sources"] == []


def test_unbound_sessions_do_not_search(session: tuple[str, str], rag: FakeRag) -> None:
    token, sid = session
    stub_models()
    job = queue(token, sid)
    StreamStub().add(answer_events(), BASE_REQUEST)
    socket = Socket(WS_ENDPOINT)
    assert chat_worker.handler(job, None)["status"] == "stored"
    assert rag.ops == [] and [f["type"] for f in socket.frames] == ["start", "delta", "end"]
    assert "sources" not in call("GET", f"/sessions/{sid}", token)[1]["messages"][1]


@pytest.mark.parametrize(
    ("failure", "code", "says"),
    [
        ({"ok": False, "status": 500, "message": "internal error"}, "retrieval_error", "no answer was given"),
        ({"ok": False, "status": 409, "message": "workspaceId: the workspace's embedding model is no longer "
          "enabled on this stack"}, "retrieval_error", "embedding model is no longer enabled"),
        ({"ok": True, "result": {"hits": [{"documentId": DOC1}]}}, "retrieval_error", "nothing was stored"),
        ("gone", "workspace_gone", "the session's workspace no longer exists"),
        ("disabled", "retrieval_error", "retrieval is not enabled on this stack"),
    ],
)
def test_failed_search_tells_the_user_and_stores_nothing(
    bound: tuple[str, str, str],
    rag: FakeRag,
    ddb: Any,
    monkeypatch: pytest.MonkeyPatch,
    failure: Any,
    code: str,
    says: str,
) -> None:
    token, sid, _ = bound
    stub_models()
    job = queue(token, sid)
    if failure == "gone":
        rag.workspaces.clear()
    elif failure == "disabled":
        monkeypatch.delenv("RAG_FUNCTION")
        get_config.cache_clear()
    else:
        rag.answer = failure
    stream = StreamStub()  # no response queued: a model call would fail the test
    socket = Socket(WS_ENDPOINT)
    assert chat_worker.handler(job, None) == {"status": "failed", "code": code}
    stream.stubber.assert_no_pending_responses()
    assert [f["type"] for f in socket.frames] == ["start", "error"]
    error = socket.frames[-1]["error"]
    assert error["code"] == code and says in error["message"]
    nothing_stored(ddb)


# Binding sessions -----------------------------------------------------------------------------------------
def test_sessions_bind_rebind_and_unbind(
    session: tuple[str, str], rag: FakeRag, tokens: Tokens, ddb: Any
) -> None:
    token, sid = session
    first, second = new_workspace(tokens)["id"], new_workspace(tokens, name="Second")["id"]
    path = f"/sessions/{sid}"
    status, body = call("PATCH", path, token, {"workspaceId": first})
    assert status == 200 and body["workspaceId"] == first and body["title"] == "New chat"
    status, body = call("PATCH", path, token, {"title": "Renamed"})
    assert status == 200 and body["workspaceId"] == first and body["title"] == "Renamed"
    assert call("PATCH", path, token, {"workspaceId": second, "title": "Both"})[1]["workspaceId"] == second
    assert call("GET", "/sessions", token)[1]["sessions"][0]["workspaceId"] == second
    status, body = call("PATCH", path, token, {"workspaceId": None})
    assert status == 200 and "workspaceId" not in body
    status, body = call("PATCH", path, token, {"workspaceId": str(uuid.uuid4())})
    assert status == 404 and "workspace" in body["error"]["message"]
    assert call("PATCH", path, token, {})[0] == 400
    assert call("PATCH", path, token, {"workspaceId": "not-a-uuid"})[0] == 400
    assert call("PATCH", path, tokens.make("mallory"), {"workspaceId": first})[0] == 404
    (item,) = [i for i in scan(ddb, "SESSIONS_TABLE") if i["sk"] == f"SESSION#{sid}"]
    assert "workspaceId" not in item and item["title"] == "Both"


def test_unknown_workspace_creates_no_session(rag: FakeRag, tokens: Tokens, ddb: Any) -> None:
    status, body = call("POST", "/sessions", tokens.make(), {"workspaceId": str(uuid.uuid4())})
    assert status == 404 and body["error"]["message"].startswith("workspaceId: workspace")
    assert scan(ddb, "SESSIONS_TABLE") == []


def test_unbinding_needs_no_retrieval(session: tuple[str, str], ddb: Any) -> None:
    token, sid = session
    assert call("PATCH", f"/sessions/{sid}", token, {"workspaceId": None})[0] == 200


# With the real rag service ----------------------------------------------------------------------------------
def embed(text: str, dimension: int = 1024) -> list[float]:
    """Deterministic bag of words: texts sharing words are close."""
    vector = [0.0] * dimension
    for word in text.lower().replace(".", " ").replace("?", " ").split():
        vector[int.from_bytes(hashlib.sha256(word.encode()).digest()[:4], "big") % dimension] += 1.0
    norm = math.sqrt(sum(x * x for x in vector)) or 1.0
    return [x / norm for x in vector]


class QueryEmbedder:
    def __init__(self, model_id: str, dimension: int) -> None:
        self.dimension = dimension

    def embed_query(self, text: str) -> list[float]:
        return embed(text, self.dimension)


def test_end_to_end_with_the_real_rag_service(
    ddb: Any, vector_store: VectorStore, tokens: Tokens, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = pytest.importorskip("chatbot_app.rag.service", reason="rag/service.py is not written yet")
    enable_rag(monkeypatch)
    s3 = aws.client("s3", REGION)
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    config = service.ServiceConfig(BUCKET, (TITAN,))

    def transport(event: dict[str, Any]) -> dict[str, Any]:
        return service.dispatch(
            event, store=vector_store, embedder_factory=QueryEmbedder, s3=s3, config=config
        )

    rag_client.set_transport(transport)
    try:
        ws = new_workspace(tokens, name=f"Manual {uuid.uuid4().hex[:6]}")["id"]
        status, ticket = upload(tokens, ws)
        assert status == 201 and ticket["document"]["status"] == "queued"
        doc = ticket["document"]
        texts = ["The office opens at nine in the morning.", "Parking is free for visitors on level two."]
        chunks = [ChunkInput(i, t, embed(t), {"page": i + 1}) for i, t in enumerate(texts)]
        # The processor's part: the uploaded version's chunks, which makes the document ready.
        ids = uuid.UUID(ws), uuid.UUID(doc["id"])
        vector_store.replace_chunks(*ids, "guide.txt", int(doc["version"]), chunks)
        manager = tokens.make("mgr", ["workspace_manager"])
        (listed,) = call("GET", f"/workspaces/{ws}/documents", manager)[1]["documents"]
        assert listed["status"] == "ready" and listed["chunkCount"] == 2
        assert listed["version"] == doc["version"]

        token = connect(tokens)
        sid = call("POST", "/sessions", token, {"workspaceId": ws})[1]["sessionId"]
        stub_models()
        job = queue(token, sid, text="Where is parking for visitors?")
        StreamStub().add(answer_events("Level two [1]."))
        socket = Socket(WS_ENDPOINT)
        assert chat_worker.handler(job, None)["status"] == "stored"
        sources = socket.frames[1]["sources"]
        assert sources[0]["fileName"] == "guide.txt" and sources[0]["documentId"] == doc["id"]
        assert sources[0]["location"] == {"page": 2} and sources[0]["snippet"] == texts[1]
        assert call("GET", f"/sessions/{sid}", token)[1]["messages"][1]["sources"] == sources
        assert call("DELETE", f"/workspaces/{ws}", manager)[0] == 204
        assert call("GET", f"/workspaces/{ws}", token)[0] == 404
    finally:
        rag_client.set_transport(None)
