"""A crawl into a workspace, end to end: a real HTTP server on 127.0.0.1 (virtual hosts through a fake
resolver, as in test_crawler.py), moto S3, and the rag service either in memory (a fake Lambda client) or
for real (its `dispatch` on the embedded PostgreSQL), then the document processor ingesting the objects."""

from __future__ import annotations

import io
import json
import logging
import socket
import threading
import uuid
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
import pytest
from aws_fakes import moto_world
from botocore.exceptions import ClientError
from chatbot_app.handlers import web_crawler
from chatbot_app.rag.crawl_job import CrawlJob, CrawlJobInvalid, CrawlSettings, CrawlSettingsError, run_crawl
from chatbot_app.rag.crawl_store import LambdaRag, page_file_name
from chatbot_app.rag.ingest import Processor
from chatbot_app.rag.ingest_jobs import IngestConfig, ObjectJob
from chatbot_app.rag.service import ServiceConfig, dispatch
from chatbot_app.rag.service_requests import RegisterUpload
from chatbot_app.rag.store import VectorStore, WorkspaceSpec
from chatbot_app.rag.uploads import parse_key

REGION = "us-east-1"
BUCKET = "uploads-crawl"
TITAN = "amazon.titan-embed-text-v2:0"
KMS_KEY = "arn:aws:kms:us-east-1:111122223333:key/0d7f5e8e-1111-4b2a-9c3d-2e4f5a6b7c8d"
MARKER = "okapi-velvet-crawl-body"  # in page bodies; must never be logged
PLENTY: Callable[[], int] = lambda: 900_000  # noqa: E731
HTML = {"Content-Type": "text/html; charset=utf-8"}
ROBOTS = b"User-agent: *\nDisallow: /private/\n"


class Site:
    def __init__(self) -> None:
        self.routes: dict[str, tuple[int, dict[str, str], bytes]] = {}
        self.requests: list[str] = []
        self.port = 0

    def html(self, path: str, body: str, headers: dict[str, str] | None = None) -> None:
        self.routes[path] = (200, headers or HTML, body.encode(
            (headers or HTML)["Content-Type"].split("charset=")[-1]))

    def url(self, path: str) -> str:
        return f"http://docs.test:{self.port}{path}"


@pytest.fixture(scope="module")
def server() -> Iterator[Site]:
    site = Site()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            site.requests.append(self.path)
            status, headers, body = site.routes.get(self.path, (404, HTML, b"not found"))
            self.send_response(status)
            for name, value in {**headers, "Content-Length": str(len(body))}.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            return

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    site.port = httpd.server_address[1]
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield site
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture()
def site(server: Site) -> Site:
    server.routes.clear()
    server.requests.clear()
    server.routes["/robots.txt"] = (200, {"Content-Type": "text/plain"}, ROBOTS)
    server.html("/", f"<title>Home</title><h1>Welcome</h1><p>Start here {MARKER}.</p>"
                     '<a href="/guide?session=secret-token">guide</a><a href="/private/keys">keys</a>'
                     f'<a href="http://other.test:{server.port}/x">off</a><a href="/missing">gone</a>')
    server.html("/guide?session=secret-token", "<title>Guide</title><h2>Install</h2><p>Run the installer."
                                                '</p><a href="/latin">latin</a>')
    server.html("/latin", "<title>Caf\u00e9</title><p>Cr\u00e8me br\u00fbl\u00e9e recipe.</p>",
                {"Content-Type": "text/html; charset=iso-8859-1"})
    server.html("/private/keys", "<p>never fetched</p>")
    sitemap = "".join(f"<url><loc>{server.url(p)}</loc></url>" for p in ("/", "/latin", "/private/keys"))
    server.routes["/sitemap.xml"] = (200, {"Content-Type": "application/xml"},
                                     ('<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                                      f"{sitemap}</urlset>").encode())
    return server


def fake_resolver(host: str, port: int) -> list[str]:
    if host == "docs.test":
        return ["127.0.0.1"]
    raise socket.gaierror(socket.EAI_NONAME, "unknown host")


class FakeLambda:
    """A boto3 Lambda client's `invoke`, answering with `service(event)` (or `answers`, in order)."""

    def __init__(self, service: Callable[[dict[str, Any]], Any]) -> None:
        self.service, self.calls = service, []  # type: ignore[var-annotated]
        self.answers: list[Any] = []

    def invoke(self, **params: Any) -> dict[str, Any]:
        self.calls.append(params)
        event = json.loads(params["Payload"])
        answer = self.answers.pop(0) if self.answers else self.service(event)
        if isinstance(answer, Exception):
            raise answer
        if answer == "function-error":
            return {"FunctionError": "Unhandled", "Payload": io.BytesIO(b'{"errorType": "Boom"}')}
        return {"StatusCode": 200, "Payload": io.BytesIO(json.dumps(answer).encode())}

    @property
    def events(self) -> list[dict[str, Any]]:
        return [json.loads(call["Payload"]) for call in self.calls]


def in_memory_rag(event: dict[str, Any]) -> dict[str, Any]:
    RegisterUpload.model_validate(event)  # the service's own request rules (file name, derived id)
    return {"ok": True, "result": {"document": {"id": event["documentId"], "status": "queued"}}}


@pytest.fixture(scope="module")
def s3() -> Iterator[Any]:
    with moto_world(REGION):
        client = boto3.client("s3", region_name=REGION)
        client.create_bucket(Bucket=BUCKET)
        yield client


def settings(**overrides: Any) -> CrawlSettings:
    values: dict[str, Any] = {"rag_function": "chatbot-rag", "bucket": BUCKET, "region": REGION,
                              "kms_key_arn": KMS_KEY, "max_pages": 20, "min_interval_ms": 0,
                              "allow_insecure_loopback": True, **overrides}
    return CrawlSettings(**values)


def job(site: Site, workspace: uuid.UUID | None = None, **fields: Any) -> CrawlJob:
    event = {"workspaceId": str(workspace or uuid.uuid4()), "crawlId": uuid.uuid4().hex, "url": site.url("/"),
             "kind": "page", "maxPages": 10, "followLinks": True, **fields}
    return CrawlJob.parse(event, settings())


def crawl(site: Site, s3: Any, lam: FakeLambda, crawl_job: CrawlJob | None = None,
          remaining: Callable[[], int] = PLENTY, **options: Any) -> Any:
    return run_crawl(crawl_job or job(site), settings(**options), rag=LambdaRag(lam, "chatbot-rag"), s3=s3,
                     remaining_ms=remaining, resolver=fake_resolver)


def objects(s3: Any, workspace: uuid.UUID) -> dict[str, dict[str, Any]]:
    listed = s3.list_objects_v2(Bucket=BUCKET, Prefix=f"workspaces/{workspace}/").get("Contents", [])
    return {item["Key"]: s3.get_object(Bucket=BUCKET, Key=item["Key"]) for item in listed}


# In-memory rag service ---------------------------------------------------------------------------------
def test_each_page_is_registered_then_stored_with_its_url(site: Site, s3: Any,
                                                          caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="chatbot_app.rag")
    lam = FakeLambda(in_memory_rag)
    crawl_job = job(site)
    result = crawl(site, s3, lam, crawl_job)

    urls = [site.url("/"), site.url("/guide?session=secret-token"), site.url("/latin")]
    assert (result.stopped, len(result.stored), result.failed) == ("done", 3, [])
    assert "/private/keys" not in site.requests and site.requests[0] == "/robots.txt"
    assert [e["fileName"] for e in lam.events] == [page_file_name(u) for u in urls]
    assert {call["InvocationType"] for call in lam.calls} == {"RequestResponse"}
    stored = objects(s3, crawl_job.workspace_id)
    assert len(stored) == 3
    for event in lam.events:
        target = parse_key(next(k for k in stored if f"/{event['documentId']}/" in k))
        assert (str(target.document_id), target.version, target.file_name, target.format) == (
            event["documentId"], event["version"], event["fileName"], "html")
    by_url = {obj["Metadata"]["source-url"]: obj for obj in stored.values()}
    assert set(by_url) == set(urls)
    for obj in by_url.values():
        assert obj["ServerSideEncryption"] == "aws:kms" and obj["SSEKMSKeyId"] == KMS_KEY
        assert obj["ContentType"] == "text/html"
    assert "Cr\u00e8me br\u00fbl\u00e9e".encode() in by_url[site.url("/latin")]["Body"].read()  # now UTF-8
    logs = caplog.text
    assert MARKER not in logs and "secret-token" not in logs
    pages = [json.loads(r.getMessage()) for r in caplog.records if '"event": "page"' in r.getMessage()]
    assert [(p["url"], p["status"]) for p in pages] == [(u.split("?")[0], "stored") for u in urls]
    summary = json.loads(next(r.getMessage() for r in caplog.records if "crawl_summary" in r.getMessage()))
    assert (summary["stored"], summary["stopped"], summary["crawlId"]) == (3, "done", crawl_job.crawl_id)
    assert summary["skipped"] >= 3  # robots, off-domain, 404


def test_a_recrawl_is_a_new_version_of_the_same_documents(site: Site, s3: Any) -> None:
    lam = FakeLambda(in_memory_rag)
    workspace = uuid.uuid4()
    crawl(site, s3, lam, job(site, workspace, followLinks=False))
    crawl(site, s3, lam, job(site, workspace, followLinks=False))
    first, second = lam.events
    assert first["documentId"] == second["documentId"] and second["version"] > first["version"]
    stored = objects(s3, workspace)
    assert len(stored) == 2 and all(obj["SSEKMSKeyId"] == KMS_KEY for obj in stored.values())

    other = uuid.uuid4()  # a stack without an uploads key: the bucket's SSE-S3, named explicitly
    crawl(site, s3, lam, job(site, other, followLinks=False), kms_key_arn=None)
    ((obj),) = objects(s3, other).values()
    assert obj["ServerSideEncryption"] == "AES256" and "SSEKMSKeyId" not in obj


def test_a_page_that_fails_is_reported_and_the_others_continue(site: Site, s3: Any) -> None:
    lam = FakeLambda(in_memory_rag)
    lam.answers = [{"ok": False, "status": 500, "message": "internal error"}]
    workspace = uuid.uuid4()
    result = crawl(site, s3, lam, job(site, workspace))
    assert result.stopped == "done" and len(result.stored) == 2
    assert result.failed == [(site.url("/"), "rag_failed: status 500")]

    class FlakyS3:
        def put_object(self, **params: Any) -> Any:
            if params["Metadata"]["source-url"].endswith("/latin"):
                raise ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "PutObject")
            return s3.put_object(**params)

    lam = FakeLambda(in_memory_rag)
    lam.answers = ["function-error"]
    other = uuid.uuid4()
    result = run_crawl(job(site, other), settings(), rag=LambdaRag(lam, "f"), s3=FlakyS3(),
                       remaining_ms=PLENTY, resolver=fake_resolver)
    assert [reason for _, reason in result.failed] == ["rag_failed: function error Unhandled",
                                                        "s3_put_failed: AccessDenied"]
    assert result.stored == [site.url("/guide")] and len(objects(s3, other)) == 1


@pytest.mark.parametrize(("answer", "stopped"), [
    ({"ok": False, "status": 404, "message": "workspaceId: workspace not found"}, "workspace_gone"),
    ({"ok": False, "status": 409, "message": "workspaceId: the workspace uses the kendra engine"}, "refused"),
])
def test_a_gone_or_read_only_workspace_stops_the_crawl(site: Site, s3: Any, answer: Any,
                                                       stopped: str) -> None:
    lam = FakeLambda(lambda event: answer)
    workspace = uuid.uuid4()
    result = crawl(site, s3, lam, job(site, workspace))
    assert (result.stopped, result.stored, len(lam.calls)) == (stopped, [], 1)
    assert result.detail == answer["message"]
    assert site.requests == ["/robots.txt", "/"] and objects(s3, workspace) == {}


def test_a_newer_version_skips_only_that_page(site: Site, s3: Any) -> None:
    lam = FakeLambda(in_memory_rag)
    lam.answers = [{"ok": False, "status": 409, "message": "version: the document already has a newer one"}]
    result = crawl(site, s3, lam, job(site))
    assert result.stopped == "done" and len(result.stored) == 2 and result.failed[0][1].startswith(
        "rag_refused_409")


def test_repeated_failures_stop_the_crawl(site: Site, s3: Any) -> None:
    for n in range(6):
        site.html(f"/p{n}", f"<p>page {n}</p>")
    site.html("/", "".join(f'<a href="/p{n}">{n}</a>' for n in range(6)))
    lam = FakeLambda(lambda event: "function-error")
    result = crawl(site, s3, lam, job(site), max_pages=20)
    assert (result.stopped, len(result.failed), len(lam.calls)) == ("failures", 5, 5)


def test_the_page_limit_and_the_time_margin_stop_the_crawl(site: Site, s3: Any) -> None:
    result = crawl(site, s3, FakeLambda(in_memory_rag), job(site, maxPages=2))
    assert (result.stopped, len(result.stored)) == ("max_pages", 2)

    clock = iter([900_000, 900_000, 900_000, 59_000])  # the start, two pages, then below the margin
    result = crawl(site, s3, FakeLambda(in_memory_rag), remaining=lambda: next(clock))
    assert (result.stopped, len(result.stored)) == ("time", 2)


def test_a_sitemap_crawl_stores_the_listed_pages_robots_allow(site: Site, s3: Any) -> None:
    lam = FakeLambda(in_memory_rag)
    result = crawl(site, s3, lam, job(site, url=site.url("/sitemap.xml"), kind="sitemap", followLinks=False))
    assert result.stored == [site.url("/"), site.url("/latin")] and "/private/keys" not in site.requests


def test_a_seed_outside_the_allowed_hosts_is_refused_without_a_request(site: Site, s3: Any) -> None:
    lam = FakeLambda(in_memory_rag)
    result = crawl(site, s3, lam, job(site), allowed_hosts=("example.org",))
    assert (result.stopped, site.requests, lam.calls) == ("refused", [], [])
    assert "not in allowed_hosts" in result.detail


# Job, settings and names ---------------------------------------------------------------------------------
def test_page_file_names_are_stable_distinct_and_accepted_by_the_service() -> None:
    workspace = uuid.uuid4()
    long_url = "https://docs.example.com/" + "/".join(["segment"] * 60) + "?q=1"
    names = [page_file_name(u) for u in ("https://docs.example.com/a?x=1", "https://docs.example.com/a?x=2",
                                         "https://[2001:db8::1]/", long_url, "https://docs.example.com/")]
    assert len(set(names)) == 5 and names[0] == page_file_name("https://docs.example.com/a?x=1")
    assert all(len(n) <= 200 and n.endswith(".html") for n in names)
    assert names[0].startswith("docs.example.com-a-")
    from chatbot_app.rag.uploads import document_id

    for name in names:  # the service accepts the name and the id derived from it
        RegisterUpload.model_validate({"op": "registerUpload", "workspaceId": str(workspace),
                                       "documentId": str(document_id(workspace, name)),
                                       "fileName": name, "version": 1})


@pytest.mark.parametrize(("change", "problem"), [
    ({"maxPages": 21}, "at most 20 pages"),
    ({"kind": "feed"}, "feed crawls are not enabled"),
    ({"crawlId": "not-hex"}, "crawlId"),
    ({"url": "ftp://docs.test/"}, "url"),
    ({"extra": 1}, "extra"),
    ({"maxPages": "5"}, "maxPages"),
])
def test_invalid_jobs_are_refused(change: dict[str, Any], problem: str) -> None:
    event = {"workspaceId": str(uuid.uuid4()), "crawlId": uuid.uuid4().hex, "url": "https://docs.test/",
             "maxPages": 5, **change}
    with pytest.raises(CrawlJobInvalid, match=problem):
        CrawlJob.parse(event, settings())


def test_feed_crawls_only_when_enabled() -> None:
    event = {"workspaceId": str(uuid.uuid4()), "crawlId": uuid.uuid4().hex, "url": "https://docs.test/feed",
             "kind": "feed", "maxPages": 5}
    assert CrawlJob.parse(event, settings(feeds=True)).kind == "feed"
    with pytest.raises(CrawlJobInvalid):
        CrawlJob.parse(event, settings(feeds=False))


def test_settings_from_the_environment() -> None:
    env = {"RAG_FUNCTION_NAME": "rag", "UPLOADS_BUCKET": "b",
           "CRAWLER_ALLOWED_DOMAINS": " a.test, b.test,a.test",
           "CRAWLER_MAX_PAGES": "50", "CRAWLER_MIN_INTERVAL_MS": "250", "CRAWLER_FEEDS": "TRUE",
           "MAX_UPLOAD_BYTES": "1000", "UPLOADS_KMS_KEY_ARN": KMS_KEY, "AWS_REGION": "eu-west-1"}
    assert CrawlSettings.from_env(env) == CrawlSettings(
        rag_function="rag", bucket="b", region="eu-west-1", kms_key_arn=KMS_KEY,
        allowed_hosts=("a.test", "b.test"),
        max_pages=50, min_interval_ms=250, feeds=True, max_upload_bytes=1000)
    assert CrawlSettings.from_env({"RAG_FUNCTION_NAME": "rag", "UPLOADS_BUCKET": "b"}).feeds is False
    for broken in ({"UPLOADS_BUCKET": ""}, {"CRAWLER_MAX_PAGES": "0"}, {"CRAWLER_FEEDS": "yes"},
                   {"CRAWLER_MIN_INTERVAL_MS": "-1"}, {"MAX_UPLOAD_BYTES": "0"}):
        with pytest.raises(CrawlSettingsError):
            CrawlSettings.from_env({**env, **broken})


def test_the_handler_refuses_bad_configuration_and_jobs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RAG_FUNCTION_NAME", raising=False)
    assert web_crawler.handler({"crawlId": "c"}, None)["stopped"] == "misconfigured"
    monkeypatch.setenv("RAG_FUNCTION_NAME", "rag")
    monkeypatch.setenv("UPLOADS_BUCKET", BUCKET)
    assert web_crawler.handler({"crawlId": "c", "url": "https://docs.test/"}, None)["stopped"] == "invalid"
    lam = FakeLambda(in_memory_rag)
    monkeypatch.setattr("chatbot_app.core.aws.client", lambda service, region=None: lam)

    class Context:
        @staticmethod
        def get_remaining_time_in_millis() -> int:
            return 900_000

    event = {"workspaceId": str(uuid.uuid4()), "crawlId": uuid.uuid4().hex, "url": "http://127.0.0.1/",
             "kind": "page", "maxPages": 3, "followLinks": True}
    summary = web_crawler.handler(event, Context())
    assert (summary["stopped"], summary["stored"], lam.calls) == ("refused", 0, [])  # plain http: never


# The real rag service and the processor ------------------------------------------------------------------
class Embedder:
    def __init__(self, dimension: int) -> None:
        self.dimension = dimension

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [[1.0] + [0.0] * (self.dimension - 1) for _ in texts]


def test_crawled_pages_become_ready_documents_with_the_url_in_every_chunk(
        site: Site, s3: Any, store: VectorStore) -> None:
    workspace = store.create_workspace(WorkspaceSpec(
        name=f"web-{uuid.uuid4().hex[:6]}", embedding_model=TITAN, dimension=256, chunk_size=64,
        chunk_overlap=8))
    service = ServiceConfig(BUCKET, (TITAN,))
    lam = FakeLambda(lambda event: dispatch(event, store=store, embedder_factory=lambda m, d: Embedder(d),
                                            s3=s3, config=service))
    result = crawl(site, s3, lam, job(site, workspace))
    assert (result.stopped, len(result.stored), result.failed) == ("done", 3, [])
    docs = store.list_documents(workspace)
    assert sorted(d.source for d in docs) == sorted(page_file_name(u) for u in (
        site.url("/"), site.url("/guide?session=secret-token"), site.url("/latin")))
    assert {d.status for d in docs} == {"queued"}

    processor = Processor(IngestConfig(BUCKET, "unused-queue", max_upload_bytes=10_000_000), store=store,
                          s3=s3, sqs=None, embedder_factory=lambda m, d: Embedder(d))
    stored = objects(s3, workspace)
    for key in stored:
        assert processor.run(ObjectJob(BUCKET, key), PLENTY) == "ready"
    assert {d.status for d in store.list_documents(workspace)} == {"ready"}
    hits = store.search(workspace, [1.0] + [0.0] * 255, k=20)
    urls = {obj["Metadata"]["source-url"] for obj in stored.values()}
    assert hits and {hit.metadata["url"] for hit in hits} == urls
    latin = [hit for hit in hits if hit.metadata["url"].endswith("/latin")]
    assert latin and "Cr\u00e8me br\u00fbl\u00e9e" in " ".join(hit.text for hit in latin)

    upload_key = f"workspaces/{workspace}/"  # an ordinary upload (no source-url) gets no url
    from chatbot_app.rag.uploads import new_target

    target = new_target(workspace, "notes.txt", "text/plain", now_ns=5)
    store.enqueue_document(workspace, target.document_id, target.file_name, target.version)
    s3.put_object(Bucket=BUCKET, Key=target.key, Body=b"Plain notes without any web address.")
    assert target.key.startswith(upload_key)
    assert processor.run(ObjectJob(BUCKET, target.key), PLENTY) == "ready"
    plain = [hit for hit in store.search(workspace, [1.0] + [0.0] * 255, k=20) if hit.document_id ==
             target.document_id]
    assert plain and all("url" not in hit.metadata for hit in plain)
