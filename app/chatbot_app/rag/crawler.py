"""Web crawling into a workspace (SEC-TRUSTED-IMPORT: crawling is limited to configured domains).

A crawl starts from one start URL (following links), one sitemap (index or urlset, gzip allowed) or one
RSS/Atom feed, and yields CrawledPage objects; `pages_to_documents` (crawl_results.py, re-exported here)
turns them into ParsedDocuments with the existing HTML parser. What keeps it inside its scope:

- Only https. Plain http only with `allow_insecure_loopback`, and then only to a loopback address (tests).
- Only the seed URL's host, or an explicit allowlist: exact match after IDNA normalisation (no suffix or
  subdomain matching), the seed's port or the scheme's default, no user info. An IP literal host only when
  allowlisted; numeric host spellings that resolvers read as IPs ("2130706433", "127.1") are refused.
- Every redirect hop is re-checked like a link, so a redirect cannot leave the scope.
- SSRF: the host is resolved and every address must be public (loopback only with the flag; private,
  link-local, metadata and multicast never); the connection is made to the vetted address (no second
  lookup a rebinding DNS server could answer differently). Proxies from the environment are not used.
- robots.txt for the crawler's user agent (a 5xx or unreachable robots.txt means "disallow all"), and
  `<meta name="robots">` noindex/nofollow.
- A per-host minimum interval (Crawl-delay / Request-rate raise it; a site asking for more than
  `max_crawl_delay` is not crawled), a page limit, a link depth, size limits, timeouts and a content-type
  check. Logs carry URLs (without query), statuses and reasons, never page content.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

from .crawl_fetch import (
    DEFAULT_USER_AGENT,
    REDIRECTS,
    CrawlRefused,
    Fetched,
    FetchFailed,
    HttpFetcher,
    Resolver,
    Scope,
    Target,
    canonical_url,
    loggable,
    system_resolver,
)
from .crawl_results import CrawledPage as CrawledPage
from .crawl_results import CrawlReport, codec_name
from .crawl_results import WebSection as WebSection
from .crawl_results import log_event as _log
from .crawl_results import pages_to_documents as pages_to_documents
from .robots_sitemap import (
    FEED_TYPES,
    ContentRefused,
    PageLinks,
    RateLimiter,
    RobotsPolicy,
    inflate,
    parse_xml_links,
)

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
XML_TYPES = frozenset({"application/xml", "text/xml"})
GZIP_TYPES = frozenset({"application/gzip", "application/x-gzip"})


@dataclass(frozen=True)
class CrawlConfig:
    start_url: str | None = None
    sitemap_url: str | None = None
    feed_url: str | None = None
    allowed_hosts: tuple[str, ...] = ()  # empty: the seed URL's host only
    follow_links: bool = True
    follow_feeds: bool = False  # RSS/Atom discovery through <link rel="alternate">
    max_pages: int = 100
    max_depth: int = 10
    min_interval: float = 1.0  # seconds between two requests to one host
    max_crawl_delay: float = 60.0
    max_page_bytes: int = 5 * 1024 * 1024
    max_sitemap_bytes: int = 50 * 1024 * 1024  # after gunzip (the sitemaps.org limit)
    max_sitemaps: int = 50
    timeout: float = 10.0  # per connect / read; a whole response gets 3x
    max_redirects: int = 5
    max_duration: float | None = None  # seconds of crawl clock; stops a crawl to fit a Lambda's time
    user_agent: str = DEFAULT_USER_AGENT
    allow_insecure_loopback: bool = False

    def __post_init__(self) -> None:
        seeds = [url for url in (self.start_url, self.sitemap_url, self.feed_url) if url]
        if len(seeds) != 1:
            raise CrawlRefused("give exactly one of start_url, sitemap_url and feed_url")
        if not 1 <= self.max_pages <= 100_000 or self.max_depth < 0 or self.max_redirects < 0:
            raise CrawlRefused("max_pages must be 1..100000; max_depth and max_redirects must be >= 0")
        if self.min_interval < 0 or self.timeout <= 0 or self.max_page_bytes <= 0:
            raise CrawlRefused("min_interval must be >= 0; timeout and max_page_bytes must be > 0")

    @property
    def seed(self) -> str:
        return next(url for url in (self.start_url, self.sitemap_url, self.feed_url) if url)


class Crawler:
    """One crawl. Iterate `crawl()` for pages; `report` says what was requested and what was skipped why."""

    def __init__(self, config: CrawlConfig, *, resolver: Resolver = system_resolver,
                 fetcher: HttpFetcher | None = None, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep,
                 now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.config = config
        self.scope = Scope.for_seed(config.seed, config.allowed_hosts, config.allow_insecure_loopback)
        self.fetcher = fetcher or HttpFetcher(self.scope, resolver=resolver, timeout=config.timeout,
                                              user_agent=config.user_agent)
        self.limiter = RateLimiter(clock, sleep)
        self.clock, self.now = clock, now
        self.report = CrawlReport()
        self._robots: dict[str, RobotsPolicy] = {}
        self._seen: set[str] = set()
        self._queue: deque[tuple[str, int, str]] = deque()  # (URL, link depth, "page" | "feed")
        self._deadline = clock() + config.max_duration if config.max_duration is not None else None

    def crawl(self) -> Iterator[CrawledPage]:
        config = self.config
        if config.sitemap_url:
            for url in self._sitemap_pages(config.sitemap_url):
                self._enqueue(url, 0, "page", base=None)
        else:
            self._enqueue(config.seed, 0, "feed" if config.feed_url else "page", base=None)
        while self._queue and self.report.pages < config.max_pages and not self._expired():
            url, depth, kind = self._queue.popleft()
            page = self._visit(url, depth, kind)
            if page is not None:
                self.report.pages += 1
                yield page
        _log("crawl_done", requests=self.report.requests, pages=self.report.pages,
             skipped=len(self.report.skipped), queued=len(self._queue))

    # Frontier ---------------------------------------------------------------------------------------------
    def _enqueue(self, link: str, depth: int, kind: str, base: str | None) -> None:
        try:
            url = canonical_url(link, base)
            if url is None or url in self._seen:
                return
            self._seen.add(url)
            self.scope.check(url)
        except CrawlRefused:
            self.report.skip(_joined(link, base), "out_of_scope")
            return
        self._queue.append((url, depth, kind))

    def _expired(self) -> bool:
        return self._deadline is not None and self.clock() >= self._deadline

    def _visit(self, url: str, depth: int, kind: str) -> CrawledPage | None:
        config = self.config
        accept = "text/html, application/xhtml+xml" if kind == "page" else \
            "application/rss+xml, application/atom+xml, application/xml, text/xml"
        fetched = self._get(url, accept, config.max_page_bytes)
        if fetched is None:
            return None
        if fetched.status != 200:
            self.report.skip(fetched.url, f"status_{fetched.status}")
            return None
        self._seen.add(fetched.url)
        media = fetched.media_type
        if config.follow_feeds or config.feed_url:
            if media in FEED_TYPES or (kind == "feed" and media in XML_TYPES):
                try:
                    items = parse_xml_links(fetched.body, max_urls=config.max_pages * 10).urls
                except ContentRefused:
                    self.report.skip(fetched.url, "invalid_feed")
                    return None
                for item in items:
                    self._enqueue(item, depth + 1, "page", base=fetched.url)
                return None
        if media not in HTML_TYPES:
            self.report.skip(fetched.url, "content_type")
            return None
        links = PageLinks.of(fetched.body.decode(codec_name(fetched.charset), errors="replace"))
        if config.follow_links and not links.nofollow and depth < config.max_depth:
            base = urljoin(fetched.url, links.base) if links.base else fetched.url
            for link in links.links:
                self._enqueue(link, depth + 1, "page", base=base)
        if config.follow_feeds and depth < config.max_depth:
            for feed in links.feeds:
                self._enqueue(feed, depth + 1, "feed", base=fetched.url)
        if links.noindex:
            self.report.skip(fetched.url, "noindex")
            return None
        return CrawledPage(fetched.url, links.title, fetched.body, self.now(),
                           fetched.headers.get("content-type", "text/html"))

    def _sitemap_pages(self, sitemap_url: str) -> list[str]:
        config, pages = self.config, []
        sitemaps: deque[str] = deque([sitemap_url])
        done: set[str] = set()  # an index that lists itself or loops is read once
        while sitemaps and len(done) < config.max_sitemaps and not self._expired():
            url = sitemaps.popleft()
            if url in done:
                continue
            done.add(url)
            fetched = self._get(url, "application/xml, text/xml, application/gzip", config.max_sitemap_bytes)
            if fetched is None:
                continue
            if fetched.status != 200 or fetched.media_type not in XML_TYPES | GZIP_TYPES:
                self.report.skip(fetched.url, f"status_{fetched.status}" if fetched.status != 200 else
                                 "content_type")
                continue
            try:
                listed = parse_xml_links(inflate(fetched.body, config.max_sitemap_bytes), 50_000)
            except ContentRefused:
                self.report.skip(fetched.url, "invalid_sitemap")
                continue
            if listed.kind == "sitemapindex":
                sitemaps.extend(urljoin(fetched.url, url) for url in listed.urls)
            elif listed.kind == "urlset":
                pages.extend(urljoin(fetched.url, url) for url in listed.urls[:50_000 - len(pages)])
            else:
                self.report.skip(fetched.url, "invalid_sitemap")
        return pages

    # Requests ---------------------------------------------------------------------------------------------
    def _get(self, url: str, accept: str, max_bytes: int, robots: bool = True) -> Fetched | None:
        """GET with redirects followed by hand: each hop is checked against the scope and robots.txt."""
        for hop in range(self.config.max_redirects + 1):
            try:
                target = self.scope.check(url)
            except CrawlRefused:
                self.report.skip(url, "redirect_out_of_scope" if hop else "out_of_scope")
                return None
            if robots and not self._allowed_by_robots(target):
                return None
            self.limiter.wait(target.host, self._interval(target.origin))  # per host, whatever the port
            self.report.requests += 1
            try:
                fetched = self.fetcher.fetch(target, accept, max_bytes)
            except CrawlRefused:
                self.report.skip(target.url, "address_refused")
                return None
            except FetchFailed as exc:
                self.report.skip(target.url, exc.reason)
                return None
            _log("fetched", url=loggable(target.url), status=fetched.status, bytes=len(fetched.body))
            location = fetched.headers.get("location")
            if fetched.status not in REDIRECTS or not location:
                return fetched
            try:
                url = canonical_url(location, target.url) or location
            except CrawlRefused:
                self.report.skip(location, "redirect_out_of_scope")
                return None
            if robots and url in self._seen:
                return None
        self.report.skip(url, "too_many_redirects")
        return None

    def _allowed_by_robots(self, target: Target) -> bool:
        origin = target.origin
        if origin not in self._robots:
            self._robots[origin] = RobotsPolicy(None)  # the robots.txt request itself is not checked
            fetched = self._get(f"{origin}/robots.txt", "text/plain", 512 * 1024, robots=False)
            policy = RobotsPolicy.from_response(fetched.status if fetched else None,
                                                fetched.body if fetched else b"")
            self._robots[origin] = policy
            if policy.min_interval(self.config.user_agent) > self.config.max_crawl_delay:
                self._robots[origin] = RobotsPolicy(None, disallow_all=True)
                self.report.skip(f"{origin}/robots.txt", "crawl_delay_too_long")
        if not self._robots[origin].allows(self.config.user_agent, target.url):
            self.report.skip(target.url, "robots")
            return False
        return True

    def _interval(self, origin: str) -> float:
        policy = self._robots.get(origin)
        asked = policy.min_interval(self.config.user_agent) if policy else 0.0
        return max(self.config.min_interval, asked)  # robots' delay is a floor, never a ceiling


def crawl(config: CrawlConfig, **kwargs: Any) -> Iterator[CrawledPage]:
    return Crawler(config, **kwargs).crawl()


def _joined(link: str, base: str | None) -> str:
    try:
        return urljoin(base, link.strip()) if base else link.strip()
    except ValueError:
        return link.strip()[:2000]
