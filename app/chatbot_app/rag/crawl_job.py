"""One crawl into a workspace (the web crawler function's work; SEC-TRUSTED-IMPORT).

The REST function validates the caller and the workspace, then invokes the crawler asynchronously with a
CrawlJob. Each crawled page becomes a document the way an upload does (crawl_store.py): registered through
the rag service, then put under the upload key layout with its URL as object metadata `source-url`; the
document processor ingests it from the bucket's event and copies that URL into every chunk.

A page that cannot be stored is reported and the crawl goes on; the crawl stops before the function's time
runs out (a margin is kept), when the workspace is gone or refuses documents, or after repeated failures of
the rag service or the bucket. Logs carry URLs without query, statuses and counts, never page content.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic.alias_generators import to_camel

from .crawl_fetch import CrawlRefused, Resolver, loggable, system_resolver
from .crawl_store import MAX_URL_CHARS, Destination, LambdaRag, PageFailed, StopCrawl, store_page
from .crawler import CrawlConfig, Crawler

log = logging.getLogger(__name__)

DEFAULT_MAX_PAGES = 100
DEFAULT_MIN_INTERVAL_MS = 1000
TIME_MARGIN_MS = 60_000  # a fetch (redirects, robots.txt) plus storing one page fit in it
MAX_CONSECUTIVE_FAILURES = 5


class CrawlSettingsError(RuntimeError):
    """The crawler function was deployed with a missing or invalid environment variable."""


class CrawlJobInvalid(ValueError):
    """An invocation payload that is not a valid crawl job."""


def max_pages_from_env(env: Mapping[str, str]) -> int:
    raw = env.get("CRAWLER_MAX_PAGES", "").strip()
    if not raw:
        return DEFAULT_MAX_PAGES
    if not raw.isdigit() or not 1 <= int(raw) <= 100_000:
        raise CrawlSettingsError(f"CRAWLER_MAX_PAGES must be an integer 1..100000, got {raw[:20]!r}")
    return int(raw)


def feeds_from_env(env: Mapping[str, str]) -> bool | None:
    """CRAWLER_FEEDS as a bool; None when it is not set."""
    raw = env.get("CRAWLER_FEEDS", "").strip().lower()
    if raw not in ("", "true", "false"):
        raise CrawlSettingsError(f"CRAWLER_FEEDS must be true or false, got {raw[:20]!r}")
    return None if not raw else raw == "true"


def hosts_from_env(env: Mapping[str, str]) -> tuple[str, ...]:
    entries = (host.strip() for host in env.get("CRAWLER_ALLOWED_DOMAINS", "").split(","))
    return tuple(dict.fromkeys(host for host in entries if host))


@dataclass(frozen=True)
class CrawlSettings:
    rag_function: str
    bucket: str
    region: str | None = None
    kms_key_arn: str | None = None  # the uploads bucket's key; None: the request names no key
    allowed_hosts: tuple[str, ...] = ()  # empty: each crawl's seed host only
    max_pages: int = DEFAULT_MAX_PAGES
    min_interval_ms: int = DEFAULT_MIN_INTERVAL_MS
    feeds: bool = False
    max_upload_bytes: int = 50 * 1024 * 1024
    time_margin_ms: int = TIME_MARGIN_MS
    allow_insecure_loopback: bool = False  # tests only: never read from the environment

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> CrawlSettings:
        missing = [k for k in ("RAG_FUNCTION_NAME", "UPLOADS_BUCKET") if not env.get(k, "").strip()]
        if missing:
            raise CrawlSettingsError(f"the web crawler is not configured: set {', '.join(missing)}")
        numbers = {}
        for key, default in (("CRAWLER_MIN_INTERVAL_MS", DEFAULT_MIN_INTERVAL_MS),
                             ("MAX_UPLOAD_BYTES", cls.max_upload_bytes)):
            raw = env.get(key, "").strip() or str(default)
            if not raw.isdigit() or (key == "MAX_UPLOAD_BYTES" and int(raw) < 1):
                raise CrawlSettingsError(f"{key} must be a non-negative integer, got {raw[:20]!r}")
            numbers[key] = int(raw)
        return cls(rag_function=env["RAG_FUNCTION_NAME"].strip(), bucket=env["UPLOADS_BUCKET"].strip(),
                   region=env.get("AWS_REGION") or None,
                   kms_key_arn=env.get("UPLOADS_KMS_KEY_ARN", "").strip() or None,
                   allowed_hosts=hosts_from_env(env), max_pages=max_pages_from_env(env),
                   min_interval_ms=numbers["CRAWLER_MIN_INTERVAL_MS"], feeds=bool(feeds_from_env(env)),
                   max_upload_bytes=numbers["MAX_UPLOAD_BYTES"])


class CrawlJob(BaseModel):
    """The crawler's invocation payload (camelCase on the wire, unknown fields refused)."""

    model_config = ConfigDict(extra="forbid", frozen=True, alias_generator=to_camel, populate_by_name=True)

    workspace_id: uuid.UUID
    crawl_id: str = Field(pattern=r"^[0-9a-f]{32}$")
    url: str = Field(min_length=8, max_length=MAX_URL_CHARS, pattern=r"^https?://\S+$")
    kind: Literal["page", "sitemap", "feed"] = "page"
    max_pages: StrictInt = Field(ge=1)
    follow_links: StrictBool = True

    @field_validator("max_pages")
    @classmethod
    def _within_limit(cls, value: int, info: ValidationInfo) -> int:
        limit = (info.context or {}).get("max_pages", DEFAULT_MAX_PAGES)
        if value > limit:
            raise ValueError(f"at most {limit} pages (CRAWLER_MAX_PAGES)")
        return value

    @classmethod
    def parse(cls, event: object, settings: CrawlSettings) -> CrawlJob:
        try:
            job = cls.model_validate(event, context={"max_pages": settings.max_pages})
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
                                 for e in exc.errors(include_url=False, include_input=False)[:5])
            raise CrawlJobInvalid(problems) from exc
        if job.kind == "feed" and not settings.feeds:
            raise CrawlJobInvalid("kind: feed crawls are not enabled on this stack (CRAWLER_FEEDS)")
        return job


@dataclass
class CrawlResult:
    crawl_id: str
    workspace_id: str
    stored: list[str] = field(default_factory=list)  # page URLs without query
    failed: list[tuple[str, str]] = field(default_factory=list)  # (URL without query, reason)
    requests: int = 0
    skipped: int = 0
    stopped: str = "done"  # done | max_pages | time | workspace_gone | refused | failures | invalid
    detail: str = ""

    def summary(self) -> dict[str, Any]:
        return {"event": "crawl_summary", "crawlId": self.crawl_id, "workspaceId": self.workspace_id,
                "stored": len(self.stored), "failed": len(self.failed), "requests": self.requests,
                "skipped": self.skipped, "stopped": self.stopped, "detail": self.detail,
                "failures": [{"url": url, "reason": reason} for url, reason in self.failed[:50]]}


def crawl_config(job: CrawlJob, settings: CrawlSettings, max_duration: float | None = None) -> CrawlConfig:
    seed = {"page": "start_url", "sitemap": "sitemap_url", "feed": "feed_url"}[job.kind]
    return CrawlConfig(**{seed: job.url}, allowed_hosts=settings.allowed_hosts, follow_links=job.follow_links,
                       max_pages=job.max_pages, min_interval=settings.min_interval_ms / 1000,
                       max_page_bytes=min(5 * 1024 * 1024, settings.max_upload_bytes),
                       max_duration=max_duration, allow_insecure_loopback=settings.allow_insecure_loopback)


def run_crawl(job: CrawlJob, settings: CrawlSettings, *, rag: LambdaRag, s3: Any,
              remaining_ms: Callable[[], int], resolver: Resolver = system_resolver,
              clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep,
              now_ns: Callable[[], int] = time.time_ns) -> CrawlResult:
    result = CrawlResult(job.crawl_id, str(job.workspace_id))
    budget = (remaining_ms() - settings.time_margin_ms) / 1000
    try:
        crawler = Crawler(crawl_config(job, settings, max(budget, 0.0)), resolver=resolver, clock=clock,
                          sleep=sleep)
    except CrawlRefused as exc:
        result.stopped, result.detail = "refused", str(exc)[:300]
        _log(logging.WARNING, result.summary())
        return result
    deadline = clock() + max(budget, 0.0)
    destination = Destination(job.workspace_id, settings.bucket, settings.kms_key_arn,
                              settings.max_upload_bytes)
    consecutive = 0
    pages = crawler.crawl()
    try:
        while remaining_ms() >= settings.time_margin_ms:
            page = next(pages, None)
            if page is None:
                break
            try:
                doc = store_page(page, destination, rag, s3, now_ns)
            except PageFailed as exc:
                consecutive += 1
                result.failed.append((loggable(page.url), exc.reason))
                _page_log(job, page.url, "failed", reason=exc.reason)
                if consecutive >= MAX_CONSECUTIVE_FAILURES:
                    raise StopCrawl("failures") from exc
                continue
            consecutive = 0
            result.stored.append(loggable(page.url))
            _page_log(job, page.url, "stored", documentId=str(doc))
        else:
            raise StopCrawl("time")
    except StopCrawl as stop:
        result.stopped, result.detail = stop.reason, stop.detail
    else:
        if crawler.report.pages >= job.max_pages:
            result.stopped = "max_pages"
        elif clock() >= deadline:
            result.stopped = "time"
    finally:
        pages.close()
    result.requests, result.skipped = crawler.report.requests, len(crawler.report.skipped)
    _log(logging.INFO, result.summary())
    return result


def _page_log(job: CrawlJob, url: str, status: str, **fields: Any) -> None:
    _log(logging.INFO, {"event": "page", "crawlId": job.crawl_id, "workspaceId": str(job.workspace_id),
                        "url": loggable(url), "status": status, **fields})


def _log(level: int, record: dict[str, Any]) -> None:
    log.log(level, json.dumps(record, default=str))
