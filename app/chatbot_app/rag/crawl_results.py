"""What a crawl produces (crawler.py): the pages it kept (CrawledPage), its report (requests made, URLs
skipped and why) and `pages_to_documents`, which turns pages into ParsedDocuments with the upload path's
HTML parser. No network. Logs carry URLs (without query) and reasons, never page content.
"""

from __future__ import annotations

import codecs
import json
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

from .crawl_fetch import charset_of, loggable
from .parsers import ParsedDocument, ParseError, ParseLimits, Section, check_size
from .parsers.text import parse_html

log = logging.getLogger("chatbot_app.rag.crawler")  # the crawler's logger, whichever module writes


@dataclass(frozen=True)
class CrawledPage:
    url: str  # after redirects
    title: str
    html: bytes
    fetched_at: datetime
    content_type: str = "text/html"


@dataclass
class CrawlReport:
    requests: int = 0
    pages: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (URL, reason), first 1000

    def skip(self, url: str, reason: str) -> None:
        if len(self.skipped) < 1000:
            self.skipped.append((url, reason))
        log_event("skipped", url=loggable(url), reason=reason)

    def reasons(self, url: str) -> list[str]:
        return [reason for skipped, reason in self.skipped if skipped == url]


@dataclass(frozen=True)
class WebSection(Section):
    """A section of a crawled page: its location carries the page URL."""

    url: str = ""

    def location(self) -> dict[str, Any]:
        return {**super().location(), "url": self.url}


def pages_to_documents(pages: Iterable[CrawledPage], limits: ParseLimits | None = None
                       ) -> Iterator[ParsedDocument]:
    """One ParsedDocument per page, parsed by the upload path's HTML parser; the URL is in every section's
    location and in the document metadata. A page the parser refuses is logged (URL, reason) and skipped."""
    limits = limits or ParseLimits()
    for page in pages:
        html = page.html
        charset = charset_of(page.content_type)
        codec = codec_name(charset)
        if charset and codec not in ("utf-8", "utf_8"):
            html = html.decode(codec, errors="replace").encode("utf-8")  # parse_html reads UTF-8
        try:
            check_size(html, limits)
            parsed = parse_html(html, limits)
        except ParseError as exc:
            log_event("page_not_parsed", url=loggable(page.url), reason=exc.reason)
            continue
        sections: list[Section] = [
            WebSection(**{f.name: getattr(section, f.name) for f in fields(Section)}, url=page.url)
            for section in parsed.sections
        ]
        metadata = {**parsed.metadata, "title": parsed.metadata.get("title") or page.title or None,
                    "url": page.url, "fetched_at": page.fetched_at.isoformat(), "source": "web"}
        yield ParsedDocument("html", sections, metadata)


def codec_name(charset: str | None) -> str:
    """Python's name for a served charset; one it does not know is read as UTF-8."""
    try:
        return codecs.lookup(charset or "utf-8").name
    except LookupError:
        return "utf-8"


def log_event(event: str, **fields_: Any) -> None:
    log.info(json.dumps({"event": event, **fields_}, default=str))
