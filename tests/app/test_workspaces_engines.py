"""REST side of the retrieval engines: the options the create-workspace form gets (from the REST function's
RAG_ENGINES, KENDRA_INDEXES, KNOWLEDGE_BASES and RERANK_MODELS), the engine fields on the wire, and the rag
service's refusals passed through."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from .conftest import Tokens, call
from .test_workspaces import MANAGER, TITAN, UPLOAD, FakeRag, enable_rag, fake_rag

INDEX = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
ENGINE_ENV = {
    "RAG_ENGINES": "pgvector,kendra,bedrock-kb",
    "KENDRA_INDEXES": json.dumps([{"id": INDEX, "name": "HR handbook", "region": "eu-west-1",
                                   "roleArn": "arn:aws:iam::210987654321:role/reader", "externalId": "x-1"}]),
    "KNOWLEDGE_BASES": json.dumps([{"id": "KBABCDE123", "name": "Product docs", "region": "us-east-1"}]),
    "RERANK_MODELS": "amazon.rerank-v1:0,cohere.rerank-v3-5:0",
}


@pytest.fixture
def rag(ddb: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeRag]:
    for name, value in ENGINE_ENV.items():
        monkeypatch.setenv(name, value)
    yield from fake_rag(monkeypatch)


def test_options_list_engines_indexes_knowledge_bases_and_rerank_models(rag: FakeRag, tokens: Tokens) -> None:
    status, body = call("GET", "/workspaces/options", tokens.make("mgr", MANAGER))
    assert status == 200
    assert body == {
        "engines": ["pgvector", "kendra", "bedrock-kb"], "readOnlyEngines": ["kendra", "bedrock-kb"],
        "kendraIndexes": [{"id": INDEX, "name": "HR handbook"}],
        "knowledgeBases": [{"id": "KBABCDE123", "name": "Product docs"}],
        "rerankModels": ["amazon.rerank-v1:0", "cohere.rerank-v3-5:0"],
        "crawling": {"enabled": False, "maxPages": 100, "feeds": False, "allowedDomains": []},
    }
    assert "role" not in json.dumps(body)  # no role ARN or external id leaves the function
    assert rag.requests == []  # answered from the REST function's environment


def test_options_are_for_managers_and_only_with_retrieval(rag: FakeRag, tokens: Tokens,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    assert call("GET", "/workspaces/options", tokens.make("u", ["user"]))[0] == 403
    monkeypatch.delenv("RAG_FUNCTION")
    enable_rag(monkeypatch, RAG_FUNCTION="")
    status, body = call("GET", "/workspaces/options", tokens.make("mgr", MANAGER))
    assert status == 404 and body["error"]["code"] == "retrieval_disabled"


def test_default_options_are_pgvector_only(rag: FakeRag, tokens: Tokens,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ENGINE_ENV:
        monkeypatch.delenv(name)
    status, body = call("GET", "/workspaces/options", tokens.make("mgr", MANAGER))
    assert status == 200 and body["engines"] == ["pgvector"] and body["rerankModels"] == []


@pytest.mark.parametrize(("env", "crawling"), [
    ({"CRAWLER_FUNCTION_NAME": "chatbot-web-crawler", "CRAWLER_MAX_PAGES": "40", "CRAWLER_FEEDS": "true",
      "CRAWLER_ALLOWED_DOMAINS": "docs.example.com, example.com,docs.example.com"},
     {"enabled": True, "maxPages": 40, "feeds": True, "allowedDomains": ["docs.example.com", "example.com"]}),
    ({"CRAWLER_FUNCTION_NAME": "chatbot-web-crawler", "CRAWLER_FEEDS": "false"},
     {"enabled": True, "maxPages": 100, "feeds": False, "allowedDomains": []}),
    ({"CRAWLER_FUNCTION_NAME": " ", "CRAWLER_MAX_PAGES": "40", "CRAWLER_FEEDS": "true",
      "CRAWLER_ALLOWED_DOMAINS": "example.com"},
     {"enabled": False, "maxPages": 40, "feeds": False, "allowedDomains": []}),
    # Settings this function cannot read switch the form off, not the whole options route.
    ({"CRAWLER_FUNCTION_NAME": "chatbot-web-crawler", "CRAWLER_MAX_PAGES": "lots"},
     {"enabled": False, "maxPages": 100, "feeds": False, "allowedDomains": []}),
])
def test_options_tell_whether_and_how_crawling_is_on(rag: FakeRag, tokens: Tokens,
                                                    monkeypatch: pytest.MonkeyPatch, env: dict[str, str],
                                                    crawling: dict[str, Any]) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    status, body = call("GET", "/workspaces/options", tokens.make("mgr", MANAGER))
    assert status == 200 and body["crawling"] == crawling
    assert body["engines"] == ["pgvector", "kendra", "bedrock-kb"]


def test_engine_fields_go_to_the_service_and_come_back(rag: FakeRag, tokens: Tokens) -> None:
    fields = {"name": "HR", "engine": "kendra", "engineRef": INDEX, "rerankModel": "amazon.rerank-v1:0"}
    status, ws = call("POST", "/workspaces", tokens.make("mgr", MANAGER), fields)
    assert status == 201
    assert rag.requests[-1] == {"op": "createWorkspace", "chunkSize": 300, "chunkOverlap": 50,
                                "hybridSearch": False, **fields}
    assert (ws["engine"], ws["engineRef"], ws["rerankModel"]) == ("kendra", INDEX, "amazon.rerank-v1:0")
    status, listed = call("GET", "/workspaces", tokens.make("u", ["user"]))
    assert status == 200 and listed["workspaces"][0]["engine"] == "kendra"


@pytest.mark.parametrize(("fields", "name"), [
    ({"engine": "faiss"}, "engine"),
    ({"engine": "kendra", "engineRef": "../etc"}, "engineRef"),
    ({"embeddingModel": TITAN, "rerankModel": "bad model"}, "rerankModel"),
])
def test_malformed_engine_fields_are_400_naming_the_field(rag: FakeRag, tokens: Tokens, fields: dict,
                                                           name: str) -> None:
    status, body = call("POST", "/workspaces", tokens.make("mgr", MANAGER), {"name": "x", **fields})
    assert status == 400 and name in body["error"]["message"]
    assert rag.requests == []


def test_service_refusals_name_the_field_or_engine(rag: FakeRag, tokens: Tokens) -> None:
    token = tokens.make("mgr", MANAGER)
    rag.answer = {"ok": False, "status": 400, "message": "engineRef: must be the id of a Kendra index"}
    fields = {"name": "x", "engine": "kendra", "engineRef": "a" * 36}
    status, body = call("POST", "/workspaces", token, fields)
    assert status == 400 and body["error"]["message"].startswith("engineRef:")
    ws = call("POST", "/workspaces", token, {"name": "k", "engine": "kendra", "engineRef": INDEX})[1]
    rag.answer = {"ok": False, "status": 409, "message": "workspaceId: the workspace uses the kendra engine, "
                                                         "which reads its own index and takes no uploads"}
    status, body = call("POST", f"/workspaces/{ws['id']}/documents", token, UPLOAD)
    assert status == 409 and "kendra engine" in body["error"]["message"]
