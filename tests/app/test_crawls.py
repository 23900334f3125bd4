"""POST /workspaces/{id}/crawls: managers and admins start a crawl into a writable workspace; the REST
function checks what it can, then invokes the crawler function asynchronously (botocore's Stubber on the
Lambda client) and answers 202 with the crawl's id."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.stub import ANY, Stubber
from chatbot_app.core import aws, rag_client
from chatbot_app.core.config import get_config

from .conftest import REGION, Tokens, call

CRAWLER = "chatbot-web-crawler"
MANAGER = ["user", "workspace_manager"]
BODY = {"url": "https://docs.example.com/guide", "kind": "page", "maxPages": 10, "followLinks": True}


class Workspaces:
    """The rag service's getWorkspace in memory; records every request."""

    def __init__(self) -> None:
        self.items: dict[str, dict[str, Any]] = {}
        self.requests: list[dict[str, Any]] = []

    def add(self, **fields: Any) -> str:
        ws = str(uuid.uuid4())
        self.items[ws] = {"id": ws, "name": "Docs", **fields}
        return ws

    def __call__(self, event: dict[str, Any]) -> dict[str, Any]:
        self.requests.append(event)
        ws = self.items.get(event.get("workspaceId", ""))
        if event["op"] != "getWorkspace" or ws is None:
            missing = event.get("workspaceId")
            return {"ok": False, "status": 404, "message": f"workspaceId: workspace {missing} not found"}
        return {"ok": True, "result": {"workspace": ws}}


@pytest.fixture
def rag(ddb: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Workspaces]:
    for name, value in {"RAG_FUNCTION": "chatbot-rag", "UPLOADS_BUCKET": "uploads",
                        "CRAWLER_FUNCTION_NAME": CRAWLER, "CRAWLER_MAX_PAGES": "25"}.items():
        monkeypatch.setenv(name, value)
    for name in ("CRAWLER_ALLOWED_DOMAINS", "CRAWLER_FEEDS"):
        monkeypatch.delenv(name, raising=False)
    get_config.cache_clear()
    fake = Workspaces()
    rag_client.set_transport(fake)
    yield fake
    rag_client.set_transport(None)


@pytest.fixture
def crawler() -> Iterator[tuple[Stubber, list[dict[str, Any]]]]:
    """The Lambda client the REST function invokes the crawler with; `sent` holds each invoke's params."""
    client = aws.client("lambda", REGION)
    sent: list[dict[str, Any]] = []
    client.meta.events.register("before-parameter-build.lambda.Invoke",
                                lambda params, **_: sent.append(params))
    with Stubber(client) as stubber:
        yield stubber, sent
        stubber.assert_no_pending_responses()


def accepted(stubber: Stubber) -> None:
    stubber.add_response("invoke", {"StatusCode": 202},
                         {"FunctionName": CRAWLER, "InvocationType": "Event", "Payload": ANY})


@pytest.mark.parametrize("groups", [MANAGER, ["admin"]])
def test_a_manager_starts_a_crawl(rag: Workspaces, crawler: Any, tokens: Tokens, groups: list[str]) -> None:
    stubber, sent = crawler
    ws = rag.add(engine="pgvector")
    accepted(stubber)
    status, body = call("POST", f"/workspaces/{ws}/crawls", tokens.make("m", groups), BODY)
    assert status == 202, body
    assert set(body) == {"crawlId"} and len(body["crawlId"]) == 32
    (params,) = sent
    assert json.loads(params["Payload"]) == {"workspaceId": ws, "crawlId": body["crawlId"],
                                             "url": BODY["url"], "kind": "page", "maxPages": 10,
                                             "followLinks": True}
    assert rag.requests == [{"op": "getWorkspace", "workspaceId": ws}]


@pytest.mark.parametrize("engine", [None, "opensearch"])
def test_defaults_and_writable_engines(rag: Workspaces, crawler: Any, tokens: Tokens,
                                       engine: str | None) -> None:
    stubber, sent = crawler
    ws = rag.add(**({"engine": engine} if engine else {}))  # no engine field: a pgvector workspace
    accepted(stubber)
    status, _ = call("POST", f"/workspaces/{ws}/crawls", tokens.make("m", MANAGER),
                     {"url": "https://docs.example.com/sitemap.xml", "kind": "sitemap"})
    assert status == 202
    job = json.loads(sent[0]["Payload"])
    assert (job["kind"], job["maxPages"], job["followLinks"]) == ("sitemap", 25, True)  # the stack's limit


@pytest.mark.parametrize("engine", ["kendra", "bedrock-kb"])
def test_read_only_workspaces_are_409(rag: Workspaces, crawler: Any, tokens: Tokens, engine: str) -> None:
    ws = rag.add(engine=engine, engineRef="ref")
    status, body = call("POST", f"/workspaces/{ws}/crawls", tokens.make("m", MANAGER), BODY)
    assert status == 409 and body["error"]["code"] == "read_only_workspace"
    assert f"uses the {engine} engine" in body["error"]["message"]
    assert crawler[1] == []


def test_plain_users_are_403_and_unknown_workspaces_404(rag: Workspaces, crawler: Any,
                                                        tokens: Tokens) -> None:
    ws = rag.add()
    status, body = call("POST", f"/workspaces/{ws}/crawls", tokens.make("bob"), BODY)
    assert status == 403 and body["error"]["code"] == "forbidden"
    status, body = call("POST", f"/workspaces/{uuid.uuid4()}/crawls", tokens.make("m", MANAGER), BODY)
    assert status == 404 and "not found" in body["error"]["message"]
    assert crawler[1] == [] and len(rag.requests) == 1  # the 403 never asked the service


def test_crawling_or_retrieval_off_is_404(rag: Workspaces, tokens: Tokens,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    ws, admin = rag.add(), tokens.make("root", ["admin"])
    monkeypatch.setenv("CRAWLER_FUNCTION_NAME", "")
    status, body = call("POST", f"/workspaces/{ws}/crawls", admin, BODY)
    assert status == 404 and body["error"] == {"code": "crawling_disabled",
                                               "message": "web crawling is not enabled on this stack"}
    monkeypatch.setenv("CRAWLER_FUNCTION_NAME", CRAWLER)
    monkeypatch.setenv("RAG_FUNCTION", "")
    get_config.cache_clear()
    status, body = call("POST", f"/workspaces/{ws}/crawls", admin, BODY)
    assert status == 404 and body["error"]["code"] == "retrieval_disabled"
    assert rag.requests == []


@pytest.mark.parametrize(("change", "env", "says"), [
    ({"maxPages": 26}, {}, "maxPages: at most 25 pages"),
    ({"maxPages": 0}, {}, "maxPages:"),
    ({"url": "http://docs.example.com/"}, {}, "url:"),
    ({"url": "https://user:pw@docs.example.com/"}, {}, "user info"),
    ({"url": "https://10.0.0.1/"}, {}, "allowed_hosts"),
    ({"url": "https://evil.example.net/"}, {"CRAWLER_ALLOWED_DOMAINS": "docs.example.com"},
     "allowed hosts: docs.example.com"),
    ({"kind": "feed"}, {"CRAWLER_FEEDS": "false"}, "feed crawls are not enabled"),
    ({"kind": "rss"}, {}, "kind:"),
    ({"depth": 3}, {}, "depth: unknown field"),
])
def test_invalid_requests_are_400(rag: Workspaces, crawler: Any, tokens: Tokens,
                                  monkeypatch: pytest.MonkeyPatch, change: dict[str, Any],
                                  env: dict[str, str], says: str) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    ws = rag.add()
    status, body = call("POST", f"/workspaces/{ws}/crawls", tokens.make("m", MANAGER), {**BODY, **change})
    assert status == 400 and says in body["error"]["message"], body
    assert crawler[1] == []


def test_an_allowed_feed_and_host_are_accepted(rag: Workspaces, crawler: Any, tokens: Tokens,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRAWLER_FEEDS", "true")
    monkeypatch.setenv("CRAWLER_ALLOWED_DOMAINS", "blog.example.com,docs.example.com")
    stubber, sent = crawler
    accepted(stubber)
    body = {**BODY, "url": "https://docs.example.com/feed.xml", "kind": "feed"}
    assert call("POST", f"/workspaces/{rag.add()}/crawls", tokens.make("m", MANAGER), body)[0] == 202
    assert json.loads(sent[0]["Payload"])["kind"] == "feed"


def test_a_failed_invoke_is_502(rag: Workspaces, crawler: Any, tokens: Tokens) -> None:
    stubber, _ = crawler
    stubber.add_client_error("invoke", service_error_code="TooManyRequestsException", http_status_code=429)
    status, body = call("POST", f"/workspaces/{rag.add()}/crawls", tokens.make("m", MANAGER), BODY)
    assert status == 502 and body["error"] == {"code": "crawler_error",
                                               "message": "could not start the crawl; try again in a moment"}
