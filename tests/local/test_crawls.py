"""Crawls through the local server: the options offer them, and POST /workspaces/{id}/crawls answers 202 while
the web crawler function runs in the background with the job and a working environment. The crawl's URL
is on the reserved .invalid domain, so no page is ever fetched, with or without a network."""

from __future__ import annotations

import importlib
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.local.client import Api
from tools.local_server import environment as envs
from tools.local_server.lambda_bridge import LambdaContext, LambdaRuntime

URL = "https://crawl-test.invalid/docs/"


class Recorder:
    """Wraps the crawler's handler: each call's event, context, thread and summary."""

    def __init__(self, handler: Any) -> None:
        self.handler = handler
        self.calls: list[dict[str, Any]] = []
        self.done = threading.Event()

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        call = {"event": event, "function": context.function_name, "thread": threading.current_thread().name}
        call["result"] = self.handler(event, context)
        self.calls.append(call)
        self.done.set()
        return call["result"]


@pytest.fixture
def crawler(local_server: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Recorder]:
    module = importlib.import_module("chatbot_app.handlers.web_crawler")
    recorder = Recorder(module.handler)
    monkeypatch.setattr(module, "handler", recorder)  # the runtime looks the handler up at every invoke
    yield recorder


@pytest.fixture
def workspace(admin: Api) -> str:
    created = admin.call("POST", "/workspaces", {"name": "Site", "embeddingModel": "local.wordllama-256",
                                                 "chunkSize": 500, "chunkOverlap": 50})
    assert created.status_code == 201, created.text
    return created.json()["id"]


def test_the_options_offer_crawling(admin: Api) -> None:
    options = admin.call("GET", "/workspaces/options")
    assert options.status_code == 200, options.text
    crawling = options.json()["crawling"]
    assert crawling == {"enabled": True, "maxPages": 25, "feeds": True, "allowedDomains": []}


def test_a_crawl_runs_the_crawler_in_the_background(admin: Api, workspace: str, crawler: Recorder) -> None:
    started = time.monotonic()
    answer = admin.call("POST", f"/workspaces/{workspace}/crawls", {"url": URL, "maxPages": 3})
    assert answer.status_code == 202, answer.text
    crawl_id = answer.json()["crawlId"]
    assert crawler.done.wait(60), "the crawler was never invoked"
    [call] = crawler.calls
    assert call["event"] == {"workspaceId": workspace, "crawlId": crawl_id, "url": URL, "kind": "page",
                             "maxPages": 3, "followLinks": True}
    assert call["function"] == envs.function_name("web-crawler")
    assert call["thread"].startswith("lambda-event")  # an asynchronous (Event) invoke, not the request's
    result = call["result"]
    # Its environment is complete and the job valid: the crawl itself ran (and found no page to store).
    assert result["crawlId"] == crawl_id and result["workspaceId"] == workspace
    assert result["stopped"] not in ("misconfigured", "invalid"), result
    assert result["stored"] == 0
    assert time.monotonic() - started < 60


@pytest.mark.parametrize(("body", "message"), [
    ({"url": "http://crawl-test.invalid/"}, "url"),
    ({"url": URL, "maxPages": 26}, "at most 25 pages"),
    ({"url": "https://127.0.0.1/"}, "IP address"),
])
def test_refused_crawls_never_reach_the_crawler(admin: Api, workspace: str, crawler: Recorder,
                                                body: dict[str, Any], message: str) -> None:
    answer = admin.call("POST", f"/workspaces/{workspace}/crawls", body)
    assert answer.status_code == 400 and message in answer.json()["error"]["message"], answer.text
    assert not crawler.done.wait(0.5) and crawler.calls == []


def test_plain_users_cannot_crawl(user: Api, workspace: str, crawler: Recorder) -> None:
    assert user.call("POST", f"/workspaces/{workspace}/crawls", {"url": URL}).status_code == 403
    assert crawler.calls == []


def test_the_crawler_runs_out_of_time_when_the_server_stops() -> None:
    stopping = threading.Event()
    crawl = LambdaContext(LambdaRuntime.function("web-crawler"), "us-east-1", stopping)
    rag = LambdaContext(LambdaRuntime.function("rag"), "us-east-1", stopping)
    assert crawl.get_remaining_time_in_millis() > 890_000
    stopping.set()
    assert crawl.get_remaining_time_in_millis() == 0
    assert rag.get_remaining_time_in_millis() > 20_000  # short functions finish what they do
