"""The web crawler against a real HTTP server on 127.0.0.1 (SEC-TRUSTED-IMPORT for crawling).

The server serves several virtual hosts (docs.test, other.test, lookalikes) on one port; a fake resolver
maps those names to 127.0.0.1, so the Host header tells which host the crawler meant to reach and the
request log shows exactly what it fetched. The crawl clock is fake: rate limiting is asserted on it and
no test sleeps.
"""

from __future__ import annotations

import gzip
import logging
import socket
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT / "app") not in sys.path:
    sys.path.insert(0, str(ROOT / "app"))

from chatbot_app.rag.crawl_fetch import CrawlRefused, Scope, Target, normalise_host  # noqa: E402
from chatbot_app.rag.crawler import (  # noqa: E402
    CrawlConfig,
    CrawledPage,
    Crawler,
    pages_to_documents,
)
from chatbot_app.rag.robots_sitemap import (  # noqa: E402
    ContentRefused,
    RateLimiter,
    RobotsPolicy,
    inflate,
    parse_xml_links,
)

Route = tuple[int, dict[str, str], bytes]
HTML = {"Content-Type": "text/html; charset=utf-8"}
MARKER = "zebra-quartz-page-body-text"  # appears in page bodies, must never appear in logs


@dataclass
class Site:
    routes: dict[tuple[str, str], Route] = field(default_factory=dict)
    requests: list[tuple[str, str, str]] = field(default_factory=list)  # (host, path, user agent)
    port: int = 0

    def html(self, host: str, path: str, body: str, extra: dict[str, str] | None = None) -> None:
        self.routes[(host, path)] = (200, {**HTML, **(extra or {})}, body.encode())

    def paths(self, host: str = "docs.test") -> list[str]:
        return [path for h, path, _ in self.requests if h == host]

    def url(self, path: str, host: str = "docs.test") -> str:
        return f"http://{host}:{self.port}{path}"


class _Handler(BaseHTTPRequestHandler):
    site: Site

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        host = (self.headers.get("Host") or "").rsplit(":", 1)[0]
        self.site.requests.append((host, self.path, self.headers.get("User-Agent") or ""))
        status, headers, body = self.site.routes.get((host, self.path), (404, HTML, b"not found"))
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if "Content-Length" not in headers and headers.get("X-No-Length") is None:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        return


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[ThreadingHTTPServer, Site]]:
    site = Site()
    handler = type("Handler", (_Handler,), {"site": site})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    site.port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd, site
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture()
def site(server: tuple[ThreadingHTTPServer, Site]) -> Site:
    site = server[1]
    site.routes.clear()
    site.requests.clear()
    return site


TEST_HOSTS = {"docs.test", "other.test", "evil-docs.test", "docs.test.evil.test"}


def fake_resolver(host: str, port: int) -> list[str]:
    if host in TEST_HOSTS:
        return ["127.0.0.1"]
    raise socket.gaierror(socket.EAI_NONAME, "unknown host")


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


ROBOTS = (
    "User-agent: chatbot-crawler\nDisallow: /private/\nCrawl-delay: 2\n\n"
    "User-agent: *\nDisallow: /\n"  # a crawler that ignored its own group would fetch nothing
)


def build_site(site: Site) -> None:
    port = site.port
    site.routes[("docs.test", "/robots.txt")] = (200, {"Content-Type": "text/plain"}, ROBOTS.encode())
    links = [
        "/a", "b", "/private/secret", "/a#part", f"http://DOCS.test:{port}/c",
        f"http://other.test:{port}/x", f"http://evil-docs.test:{port}/", f"http://docs.test.evil.test:{port}/",
        f"http://127.0.0.1:{port}/", "http://docs.test:1/",
        "/redirect-away", "/redirect-home", "/big", "/big-chunked", "/data.bin",
        "mailto:team@docs.test", "javascript:void(0)", "http://[::1", "http://docs.test:99999/",
    ]
    anchors = "".join(f'<a href="{link}">{index}</a>' for index, link in enumerate(links))
    site.html("docs.test", "/", f"<html><head><title>Home</title></head><body><h1>Welcome</h1>"
                                f"<p>Start here. {MARKER}</p>{anchors}</body></html>")
    site.html("docs.test", "/a", '<title>A</title><h2>Alpha</h2><p>alpha</p><a href="/b">b</a>'
                                 '<a href="/">h</a>')
    site.html("docs.test", "/b", '<title>B</title><p>beta</p><a href="a">a</a><a href="c">c</a>')
    site.html("docs.test", "/c", '<title>C</title><p>gamma</p><a href="/">home</a>')
    site.html("docs.test", "/d", '<title>D</title><p>delta</p><a href="/e">e</a>')
    site.html("docs.test", "/e", '<meta name="robots" content="noindex, nofollow"><p>e</p><a href="/f">f</a>')
    site.html("docs.test", "/f", "<p>never linked by a followable page</p>")
    site.html("docs.test", "/private/secret", "<p>disallowed by robots.txt</p>")
    away = site.url("/landing", "other.test")
    site.routes[("docs.test", "/redirect-away")] = (302, {"Location": away}, b"")
    site.routes[("docs.test", "/redirect-home")] = (301, {"Location": "/d"}, b"")
    site.html("docs.test", "/big", "<p>" + "x" * 100_000 + "</p>")
    site.routes[("docs.test", "/big-chunked")] = (200, {**HTML, "X-No-Length": "1"}, b"<p>" + b"y" * 100_000)
    site.routes[("docs.test", "/data.bin")] = (200, {"Content-Type": "application/octet-stream"}, b"\0" * 10)
    for host, path in [("other.test", "/x"), ("other.test", "/landing"), ("evil-docs.test", "/"),
                       ("docs.test.evil.test", "/")]:
        site.html(host, path, "<p>off-domain page</p>")


def run(site: Site, clock: FakeClock | None = None, **options: object) -> tuple[list[CrawledPage], Crawler,
                                                                            list[tuple[float, str]]]:
    clock = clock or FakeClock()
    settings: dict[str, object] = {"start_url": site.url("/"), "allow_insecure_loopback": True,
                                   "min_interval": 0.5, "max_page_bytes": 32 * 1024, "timeout": 2.0}
    crawler = Crawler(CrawlConfig(**{**settings, **options}),  # type: ignore[arg-type]
                      resolver=fake_resolver, clock=clock, sleep=clock.sleep)
    fetched: list[tuple[float, str]] = []
    real_fetch = crawler.fetcher.fetch

    def recording_fetch(target: Target, accept: str, max_bytes: int):  # type: ignore[no-untyped-def]
        fetched.append((clock.now, target.host))
        return real_fetch(target, accept, max_bytes)

    crawler.fetcher.fetch = recording_fetch  # type: ignore[method-assign]
    return list(crawler.crawl()), crawler, fetched


def test_crawl_visits_exactly_the_allowed_pages(site: Site, caplog: pytest.LogCaptureFixture) -> None:
    build_site(site)
    caplog.set_level(logging.INFO, logger="chatbot_app.rag.crawler")
    pages, crawler, _ = run(site)

    assert [page.url for page in pages] == [site.url(p) for p in ("/", "/a", "/b", "/c", "/d")]
    assert [page.title for page in pages] == ["Home", "A", "B", "C", "D"]
    assert {host for host, _, _ in site.requests} == {"docs.test"}  # no off-domain or lookalike request
    assert site.paths() == ["/robots.txt", "/", "/a", "/b", "/c", "/redirect-away", "/redirect-home", "/d",
                            "/big", "/big-chunked", "/data.bin", "/e"]  # each once: the link loop ends
    assert {agent for _, _, agent in site.requests} == {"chatbot-crawler/1.0"}
    report = crawler.report
    assert report.reasons(site.url("/private/secret")) == ["robots"]
    assert report.reasons(site.url("/landing", "other.test")) == ["redirect_out_of_scope"]
    assert report.reasons(site.url("/big")) == ["too_large"]
    assert report.reasons(site.url("/big-chunked")) == ["too_large"]
    assert report.reasons(site.url("/data.bin")) == ["content_type"]
    assert report.reasons(site.url("/e")) == ["noindex"]  # and nofollow: /f was never requested
    for off in (site.url("/x", "other.test"), site.url("/", "evil-docs.test"),
                site.url("/", "docs.test.evil.test"), f"http://127.0.0.1:{site.port}/", "http://docs.test:1/"):
        assert report.reasons(off) == ["out_of_scope"], off
    assert report.reasons("http://[::1") == report.reasons("http://docs.test:99999/") == ["out_of_scope"]
    assert report.pages == 5 and report.requests == len(site.requests)
    assert MARKER not in caplog.text and "fetched" in caplog.text  # URLs and statuses only


def test_crawl_delay_is_a_floor_of_the_rate_limit(site: Site) -> None:
    build_site(site)
    clock = FakeClock()
    _, _, fetched = run(site, clock)
    gaps = [later - earlier for (earlier, _), (later, _) in zip(fetched, fetched[1:], strict=False)]
    assert len(gaps) == 11 and min(gaps) >= 2.0  # Crawl-delay 2 beats min_interval 0.5, robots.txt included
    assert sum(clock.sleeps) == pytest.approx(clock.now - 1000.0)  # time passed only by the limiter

    clock = FakeClock()
    site.requests.clear()
    _, _, fetched = run(site, clock, min_interval=5.0)
    assert min(later - earlier for (earlier, _), (later, _) in zip(fetched, fetched[1:], strict=False)) >= 5.0


def test_page_limit_stops_fetching(site: Site) -> None:
    build_site(site)
    pages, crawler, _ = run(site, max_pages=2)
    assert [page.url for page in pages] == [site.url("/"), site.url("/a")]
    assert site.paths() == ["/robots.txt", "/", "/a"]


def test_duration_limit_stops_the_crawl(site: Site) -> None:
    build_site(site)
    pages, _, _ = run(site, max_duration=3.0)  # robots at t=0, / at t=2, then the clock is at 4
    assert [page.url for page in pages] == [site.url("/"), site.url("/a")]
    assert site.paths() == ["/robots.txt", "/", "/a"]


def test_sitemap_index_and_gzip_urlset(site: Site) -> None:
    build_site(site)
    ns = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
    index = (f'<?xml version="1.0"?><sitemapindex {ns}>'
             f'<sitemap><loc>{site.url("/sitemaps/pages.xml.gz")}</loc></sitemap>'
             f'<sitemap><loc>/sitemaps/more.xml</loc></sitemap>'
             f'<sitemap><loc>{site.url("/sitemap_index.xml")}</loc></sitemap>'
             f'<sitemap><loc>{site.url("/sitemap.xml", "other.test")}</loc></sitemap></sitemapindex>')
    urls = ["/a", "/b", "/private/secret", site.url("/x", "other.test"), site.url("/", "evil-docs.test")]
    urlset = f'<urlset {ns}>' + "".join(f"<url><loc>{site.url(u) if u.startswith('/') else u}</loc></url>"
                                        for u in urls) + "</urlset>"
    more = (f'<urlset {ns}><url><loc>{site.url("/c")}</loc></url>'
            f'<url><loc>{site.url("/a")}</loc></url></urlset>')
    xml = {"Content-Type": "application/xml"}
    site.routes[("docs.test", "/sitemap_index.xml")] = (200, xml, index.encode())
    site.routes[("docs.test", "/sitemaps/pages.xml.gz")] = (200, {"Content-Type": "application/gzip"},
                                                             gzip.compress(urlset.encode()))
    site.routes[("docs.test", "/sitemaps/more.xml")] = (200, {"Content-Type": "text/xml"}, more.encode())

    pages, crawler, _ = run(site, start_url=None, sitemap_url=site.url("/sitemap_index.xml"),
                            follow_links=False)
    assert [page.url for page in pages] == [site.url(p) for p in ("/a", "/b", "/c")]
    assert {host for host, _, _ in site.requests} == {"docs.test"}
    assert "/private/secret" not in site.paths()
    assert crawler.report.reasons(site.url("/sitemap.xml", "other.test")) == ["out_of_scope"]
    assert site.paths().count("/sitemap_index.xml") == 1  # the index lists itself: read once


def test_rss_and_atom_feeds(site: Site) -> None:
    site.html("docs.test", "/", '<link rel="alternate" type="application/rss+xml" href="/feed.xml">'
                                '<link rel="alternate" type="application/atom+xml" href="/atom.xml">'
                                "<p>home</p>")
    rss = (f"<rss><channel><item><link>{site.url('/news/1')}</link></item>"
           f"<item><link>{site.url('/news/2', 'other.test')}</link></item></channel></rss>")
    atom = ('<feed xmlns="http://www.w3.org/2005/Atom"><entry><link rel="alternate" href="/news/3"/>'
            '<link rel="edit" href="/admin"/></entry></feed>')
    site.routes[("docs.test", "/feed.xml")] = (200, {"Content-Type": "application/rss+xml"}, rss.encode())
    site.routes[("docs.test", "/atom.xml")] = (200, {"Content-Type": "application/atom+xml"}, atom.encode())
    for path in ("/news/1", "/news/3"):
        site.html("docs.test", path, f"<p>{path}</p>")

    pages, _, _ = run(site, follow_links=False)
    assert [page.url for page in pages] == [site.url("/")]  # feeds are off by default

    site.requests.clear()
    pages, _, _ = run(site, follow_links=False, follow_feeds=True)
    assert [page.url for page in pages] == [site.url(p) for p in ("/", "/news/1", "/news/3")]
    assert {host for host, _, _ in site.requests} == {"docs.test"} and "/admin" not in site.paths()

    pages, _, _ = run(site, start_url=None, feed_url=site.url("/atom.xml"))
    assert [page.url for page in pages] == [site.url("/news/3")]


def test_ssrf_loopback_needs_the_flag_and_nothing_is_sent(site: Site) -> None:
    site.html("localhost", "/", "<p>local</p>")
    crawler = Crawler(CrawlConfig(start_url=f"https://localhost:{site.port}/"), clock=FakeClock())
    assert list(crawler.crawl()) == []
    assert site.requests == []
    assert crawler.report.reasons(f"https://localhost:{site.port}/robots.txt") == ["address_refused"]
    with pytest.raises(CrawlRefused, match="https"):
        Crawler(CrawlConfig(start_url=f"http://localhost:{site.port}/"))


def test_timeout_and_robots_server_error(site: Site) -> None:
    site.routes[("docs.test", "/robots.txt")] = (503, {"Content-Type": "text/plain"}, b"busy")
    site.html("docs.test", "/", "<p>home</p>")
    pages, crawler, _ = run(site)
    assert pages == [] and site.paths() == ["/robots.txt"]  # 5xx robots.txt: disallow everything
    assert crawler.report.reasons(site.url("/")) == ["robots"]

    site.requests.clear()
    site.routes[("docs.test", "/robots.txt")] = (404, HTML, b"")
    with socket.create_server(("127.0.0.1", 0)) as silent:  # accepts, never answers
        port = silent.getsockname()[1]
        crawler = Crawler(CrawlConfig(start_url=f"http://docs.test:{port}/", allow_insecure_loopback=True,
                                      timeout=0.2), resolver=fake_resolver, clock=FakeClock())
        assert list(crawler.crawl()) == []
    assert crawler.report.reasons(f"http://docs.test:{port}/robots.txt") == ["timeout"]


def test_robots_crawl_delay_beyond_the_cap_skips_the_host(site: Site) -> None:
    site.routes[("docs.test", "/robots.txt")] = (200, {}, b"User-agent: *\nCrawl-delay: 3600\n")
    site.html("docs.test", "/", "<p>home</p>")
    pages, crawler, _ = run(site)
    assert pages == [] and site.paths() == ["/robots.txt"]
    assert crawler.report.reasons(site.url("/robots.txt")) == ["crawl_delay_too_long"]


def test_pages_to_documents_keeps_the_url(site: Site) -> None:
    build_site(site)
    pages, _, _ = run(site, max_pages=2)
    documents = list(pages_to_documents(pages))
    assert [doc.metadata["url"] for doc in documents] == [site.url("/"), site.url("/a")]
    home = documents[0]
    assert home.format == "html" and home.metadata["title"] == "Home" and home.metadata["source"] == "web"
    assert home.sections[0].location() == {"heading_path": ["Welcome"], "url": site.url("/")}
    assert MARKER in home.text
    assert all(section.location()["url"] == site.url("/a") for section in documents[1].sections)

    body = "<h1>見出し</h1><p>日本語の本文</p>".encode("shift_jis")
    japanese = CrawledPage("https://docs.test/jp", "", body, pages[0].fetched_at,
                           "text/html; charset=Shift_JIS")
    (doc,) = pages_to_documents([japanese])
    assert doc.sections[0].text == "日本語の本文" and doc.sections[0].heading_path == ("見出し",)


# Scope and SSRF rules without a network ---------------------------------------------------------------------
def test_host_normalisation() -> None:
    assert normalise_host("Bücher.Example.") == "xn--bcher-kva.example"
    assert normalise_host("DOCS.test") == "docs.test"
    assert normalise_host("::FFFF:7f00:1") == "::ffff:7f00:1"
    for bad in ("2130706433", "127.1", "0x7f000001", "exa_mple.com", "-a.com", "a..b", ""):
        with pytest.raises(CrawlRefused):
            normalise_host(bad)


def test_scope_is_exact_host_match() -> None:
    scope = Scope.for_seed("https://example.com/docs/")
    assert scope.check("https://EXAMPLE.com./x#frag").url == "https://example.com/x"
    assert scope.check("https://example.com:443/a b").url == "https://example.com/a%20b"
    for url in ("https://evil-example.com/", "https://example.com.evil.com/", "https://sub.example.com/",
                "https://example.com@evil.com/", "https://user@example.com/", "http://example.com/",
                "https://example.com:8443/", "ftp://example.com/", "https://127.0.0.1/", "https://[::1]/",
                "https://2130706433/", "file:///etc/passwd"):
        with pytest.raises(CrawlRefused):
            scope.check(url)

    listed = Scope.for_seed("https://docs.example.com/", ("docs.example.com", "Bücher.example"))
    assert listed.check("https://BÜCHER.example/").host == "xn--bcher-kva.example"
    with pytest.raises(CrawlRefused):
        listed.check("https://example.com/")
    with pytest.raises(CrawlRefused, match="not in allowed_hosts"):
        Scope.for_seed("https://docs.example.com/", ("example.com",))
    with pytest.raises(CrawlRefused, match="allowed_hosts"):
        Scope.for_seed("https://93.184.215.14/")
    assert Scope.for_seed("https://93.184.215.14/", ("93.184.215.14",)).check("https://93.184.215.14/a")


@pytest.mark.parametrize(("addresses", "loopback", "ok"), [
    (["93.184.215.14"], False, True),
    (["2606:2800:21f:cb07:6820:80da:af6b:8b2c"], False, True),
    (["10.0.0.5"], False, False),
    (["93.184.215.14", "192.168.1.1"], False, False),  # one bad address refuses the host
    (["169.254.169.254"], True, False),  # instance metadata, even with the loopback flag
    (["fe80::1"], True, False),
    (["100.64.0.1"], False, False),
    (["224.0.0.1"], False, False),
    (["127.0.0.1"], False, False),
    (["::ffff:127.0.0.1"], False, False),
    (["127.0.0.1", "::1"], True, True),
])
def test_address_vetting(addresses: list[str], loopback: bool, ok: bool) -> None:
    scope = Scope.for_seed("https://example.com/", allow_insecure_loopback=loopback)
    target = scope.check("https://example.com/")
    if ok:
        assert scope.addresses(target, lambda host, port: addresses) == addresses
    else:
        with pytest.raises(CrawlRefused):
            scope.addresses(target, lambda host, port: addresses)


def test_plain_http_only_to_loopback() -> None:
    scope = Scope.for_seed("http://example.com/", allow_insecure_loopback=True)
    target = scope.check("http://example.com/")
    with pytest.raises(CrawlRefused, match="loopback"):
        scope.addresses(target, lambda host, port: ["93.184.215.14"])
    assert scope.addresses(target, lambda host, port: ["127.0.0.1"]) == ["127.0.0.1"]
    private = Scope.for_seed("https://10.0.0.1/", ("10.0.0.1",))  # allowlisted, still private
    with pytest.raises(CrawlRefused):
        private.addresses(private.check("https://10.0.0.1/"), lambda host, port: [])


def test_config_validation() -> None:
    with pytest.raises(CrawlRefused, match="exactly one"):
        CrawlConfig(start_url="https://a.example/", sitemap_url="https://a.example/sitemap.xml")
    with pytest.raises(CrawlRefused, match="exactly one"):
        CrawlConfig()
    with pytest.raises(CrawlRefused, match="max_pages"):
        CrawlConfig(start_url="https://a.example/", max_pages=0)


# Parsing and pacing helpers -----------------------------------------------------------------------------
def test_rate_limiter_per_host() -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock, clock.sleep)
    limiter.wait("a", 2.0)
    limiter.wait("b", 2.0)
    assert clock.sleeps == []
    limiter.wait("a", 2.0)
    clock.now += 5
    limiter.wait("a", 2.0)
    assert clock.sleeps == [2.0]


def test_robots_policy() -> None:
    policy = RobotsPolicy.from_response(200, b"User-agent: *\nDisallow: /x\nRequest-rate: 1/5\n")
    assert not policy.allows("chatbot-crawler/1.0", "https://a.example/x/y")
    assert policy.allows("chatbot-crawler/1.0", "https://a.example/y")
    assert policy.min_interval("chatbot-crawler/1.0") == 5.0
    assert RobotsPolicy.from_response(404, b"").allows("bot", "https://a.example/x")
    assert not RobotsPolicy.from_response(None, b"").allows("bot", "https://a.example/")


def test_hostile_xml_and_gzip_are_refused() -> None:
    laughs = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>'
              b"<urlset><url><loc>&lol2;</loc></url></urlset>")
    with pytest.raises(ContentRefused, match="DTD"):
        parse_xml_links(laughs, 10)
    with pytest.raises(ContentRefused, match="malformed"):
        parse_xml_links(b"<urlset><url>", 10)
    bomb = gzip.compress(b"\0" * 5_000_000)
    with pytest.raises(ContentRefused, match="inflates"):
        inflate(bomb, 1_000_000)
    assert inflate(gzip.compress(b"<urlset/>"), 100) == b"<urlset/>"
    listed = parse_xml_links(b"<urlset>" + b"<url><loc>/p</loc></url>" * 20 + b"</urlset>", 5)
    assert listed.kind == "urlset" and len(listed.urls) == 5
