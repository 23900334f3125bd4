"""What a crawled site tells the crawler: robots.txt rules, the pace it asks for, the URLs its sitemaps and
feeds list and the links in its pages. Pure parsing and bookkeeping, no network (crawler.py fetches).

Untrusted XML (sitemaps, feeds) is read with a streaming expat parser that refuses any DTD or entity
declaration, so entity expansion ("billion laughs") and external entities cannot happen. Gzip bodies are
inflated with a hard cap, so a small compressed sitemap cannot expand into gigabytes.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Literal
from urllib.robotparser import RobotFileParser
from xml.parsers import expat

FEED_TYPES = frozenset({"application/rss+xml", "application/atom+xml"})
MAX_LINKS_PER_PAGE = 5_000


class ContentRefused(ValueError):
    """A body the crawler will not use (too large once inflated, DTDs, malformed XML)."""


# robots.txt (RFC 9309) ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RobotsPolicy:
    """The rules of one origin's robots.txt for the crawler's user agent."""

    parser: RobotFileParser | None  # None: allow everything (no robots.txt)
    disallow_all: bool = False

    @classmethod
    def from_response(cls, status: int | None, body: bytes) -> RobotsPolicy:
        """RFC 9309 2.3.1: a 4xx means no rules; a 5xx, a network error (status None) or a robots.txt
        that could not be fetched within the crawl's scope means "disallow everything"."""
        if status is not None and 200 <= status < 300:
            parser = RobotFileParser()
            parser.parse(body.decode("utf-8", errors="replace").splitlines())
            return cls(parser)
        if status is not None and 400 <= status < 500:
            return cls(None)
        return cls(None, disallow_all=True)

    def allows(self, user_agent: str, url: str) -> bool:
        if self.disallow_all:
            return False
        return self.parser is None or self.parser.can_fetch(user_agent, url)

    def min_interval(self, user_agent: str) -> float:
        """Seconds between requests the site asks for (Crawl-delay or Request-rate), 0 when it says none."""
        if self.parser is None:
            return 0.0
        delay = float(self.parser.crawl_delay(user_agent) or 0)
        rate = self.parser.request_rate(user_agent)
        if rate is not None and rate.requests > 0:
            delay = max(delay, rate.seconds / rate.requests)
        return delay


# Pace ---------------------------------------------------------------------------------------------------
@dataclass
class RateLimiter:
    """A minimum interval between two requests to the same host. The interval is given at each request, so
    a Crawl-delay learnt from robots.txt already spaces the request that follows the robots.txt fetch. The
    clock and sleep are injected so tests run on a fake clock and never sleep."""

    clock: Callable[[], float]
    sleep: Callable[[float], None]
    _last: dict[str, float] = field(default_factory=dict)

    def wait(self, host: str, interval: float) -> None:
        now = self.clock()
        last = self._last.get(host)
        if last is not None and now < last + interval:
            self.sleep(last + interval - now)
            now = max(self.clock(), last + interval)
        self._last[host] = now


# Sitemaps and feeds -------------------------------------------------------------------------------------
XmlKind = Literal["sitemapindex", "urlset", "feed", "other"]


@dataclass(frozen=True)
class XmlLinks:
    kind: XmlKind
    urls: list[str]


def inflate(data: bytes, limit: int) -> bytes:
    """The body, gunzipped when it is gzip, refused when it inflates beyond `limit` bytes."""
    if not data.startswith(b"\x1f\x8b"):
        return data
    inflater = zlib.decompressobj(wbits=31)
    try:
        out = inflater.decompress(data, limit + 1)
    except zlib.error as exc:
        raise ContentRefused(f"invalid gzip data: {exc}") from exc
    if len(out) > limit or inflater.unconsumed_tail:
        raise ContentRefused(f"gzip body inflates beyond {limit} bytes")
    return out


def parse_xml_links(data: bytes, max_urls: int) -> XmlLinks:
    """The URLs a sitemap index (child sitemaps), a urlset (pages) or an RSS/Atom feed (items) lists."""
    kind: XmlKind = "other"
    urls: list[str] = []
    stack: list[str] = []
    text: list[str] | None = None

    def local(name: str) -> str:
        return name.rsplit("|", 1)[-1].lower()

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal kind, text
        tag = local(name)
        parent = stack[-1] if stack else ""
        if not stack:
            kind = {"sitemapindex": "sitemapindex", "urlset": "urlset", "rss": "feed", "feed": "feed",
                    "rdf": "feed"}.get(tag, "other")  # type: ignore[assignment]
        elif kind in ("sitemapindex", "urlset") and tag == "loc" and parent in ("sitemap", "url"):
            text = []
        elif kind == "feed" and tag == "link" and parent == "item":
            text = []
        elif kind == "feed" and tag == "link" and parent == "entry" and attrs.get("rel", "alternate") == \
                "alternate" and attrs.get("href"):
            add(attrs["href"])
        stack.append(tag)

    def end(name: str) -> None:
        nonlocal text
        stack.pop()
        if text is not None:
            add("".join(text))
            text = None

    def chars(data: str) -> None:
        if text is not None:
            text.append(data)

    def add(url: str) -> None:
        url = url.strip()
        if url and len(urls) < max_urls:
            urls.append(url)

    def refuse(*_: object) -> None:
        raise ContentRefused("XML with a DTD or entity declarations is not accepted")

    parser = expat.ParserCreate(namespace_separator="|")
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        raise ContentRefused(f"malformed XML: {expat.errors.messages.get(exc.code, exc.code)}") from exc
    return XmlLinks(kind, urls)


# HTML ---------------------------------------------------------------------------------------------------
class PageLinks(HTMLParser):
    """The links, feed links, <base>, <title> and robots meta directives of one HTML page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.feeds: list[str] = []
        self.base: str | None = None
        self.noindex = False
        self.nofollow = False
        self._title: list[str] | None = None
        self.title = ""

    @classmethod
    def of(cls, html: str) -> PageLinks:
        page = cls()
        page.feed(html)
        page.close()
        return page

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: (value or "").strip() for name, value in attrs}
        rel = set(values.get("rel", "").lower().split())
        href = values.get("href", "")
        if tag in ("a", "area") and href and "nofollow" not in rel and len(self.links) < MAX_LINKS_PER_PAGE:
            self.links.append(href)
        elif tag == "link" and href and "alternate" in rel and values.get("type", "").lower() in FEED_TYPES:
            self.feeds.append(href)
        elif tag == "base" and href and self.base is None:
            self.base = href
        elif tag == "meta" and values.get("name", "").lower() == "robots":
            directives = {part.strip() for part in values.get("content", "").lower().split(",")}
            self.noindex |= bool(directives & {"noindex", "none"})
            self.nofollow |= bool(directives & {"nofollow", "none"})
        elif tag == "title" and not self.title:
            self._title = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "title" and self._title is not None:
            self.title = " ".join("".join(self._title).split())
            self._title = None

    def handle_data(self, data: str) -> None:
        if self._title is not None:
            self._title.append(data)
