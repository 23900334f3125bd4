"""Where a crawl may go and how it gets there (SEC-TRUSTED-IMPORT, SSRF): URL and host normalisation, the
scope check every URL and redirect hop goes through, address vetting, and a GET that connects only to the
vetted address. Used by crawler.py; see its docstring for the rules.
"""

from __future__ import annotations

import http.client
import ipaddress
import re
import socket
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.message import Message
from typing import Any
from urllib.parse import quote, urljoin, urlsplit, urlunsplit

from .robots_sitemap import ContentRefused, inflate

DEFAULT_USER_AGENT = "chatbot-crawler/1.0"
REDIRECTS = frozenset({301, 302, 303, 307, 308})
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_SAFE_PATH = "/%:@!$&'()*+,;=-._~"
_DEFAULT_PORT = {"http": 80, "https": 443}

Resolver = Callable[[str, int], list[str]]

class CrawlRefused(ValueError):
    """A URL, host or address outside what the crawl may touch, or an invalid crawl configuration."""




def normalise_host(host: str) -> str:
    """The host as compared and connected to: an IP in canonical form, or a lower-case IDNA (punycode)
    name of letter-digit-hyphen labels whose last label is not numeric."""
    host = host.strip().lower().removesuffix(".")
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    try:
        socket.inet_aton(host)  # "127.1", "0x7f000001", "2130706433": resolvers read these as IPv4
    except OSError:
        pass
    else:
        raise CrawlRefused(f"numeric host {host[:100]!r} must be written as a dotted-quad IP and allowlisted")
    try:
        name = host.encode("idna").decode("ascii").lower()
    except UnicodeError as exc:
        raise CrawlRefused(f"invalid host name {host[:100]!r}") from exc
    labels = name.split(".")
    if len(name) > 253 or not all(_LABEL.match(label) for label in labels) or labels[-1].isdigit():
        raise CrawlRefused(f"invalid host name {host[:100]!r}")
    return name


def is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def canonical_url(url: str, base: str | None = None) -> str | None:
    """The absolute URL without fragment and default port, with a normalised host and a quoted path;
    None for links that are not http(s) (mailto:, javascript:, ...)."""
    try:
        absolute = urljoin(base, url.strip()) if base else url.strip()
        parts = urlsplit(absolute)
        port = parts.port
    except ValueError as exc:  # e.g. "http://[::1" or a port out of range
        raise CrawlRefused(f"malformed URL {url[:200]!r}") from exc
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        return None
    if parts.username is not None or parts.password is not None or not parts.hostname:
        raise CrawlRefused(f"URL {absolute[:200]!r} has user info or no host")
    host = normalise_host(parts.hostname)
    netloc = f"[{host}]" if ":" in host else host
    if port is not None and port != _DEFAULT_PORT[scheme]:
        netloc = f"{netloc}:{port}"
    path = quote(parts.path or "/", safe=_SAFE_PATH)
    return urlunsplit((scheme, netloc, path, quote(parts.query, safe=_SAFE_PATH + "?"), ""))


@dataclass(frozen=True)
class Target:
    url: str
    scheme: str
    host: str
    port: int

    @property
    def origin(self) -> str:
        return f"{self.scheme}://{urlsplit(self.url).netloc}"

    @property
    def request_path(self) -> str:
        parts = urlsplit(self.url)
        return parts.path + (f"?{parts.query}" if parts.query else "")


@dataclass(frozen=True)
class Scope:
    """The hosts, ports and schemes a crawl may request, and the addresses it may connect to."""

    hosts: frozenset[str]
    ports: frozenset[int]
    allow_insecure_loopback: bool = False

    @classmethod
    def for_seed(cls, seed_url: str, allowed_hosts: tuple[str, ...] = (),
                 allow_insecure_loopback: bool = False) -> Scope:
        """The seed's host (or the allowlist, which must contain it), the seed's port and the default one."""
        seed = canonical_url(seed_url)
        if seed is None:
            raise CrawlRefused("the seed URL must be https")
        parts = urlsplit(seed)
        seed_host = normalise_host(parts.hostname or "")
        hosts = frozenset(normalise_host(host) for host in allowed_hosts) or frozenset({seed_host})
        if seed_host not in hosts:
            raise CrawlRefused(f"the seed URL's host {seed_host!r} is not in allowed_hosts")
        if is_ip(seed_host) and not allowed_hosts:
            raise CrawlRefused("an IP address as host must be listed in allowed_hosts")
        ports = {443, parts.port or 443} | ({80} if allow_insecure_loopback else set())
        scope = cls(hosts, frozenset(ports), allow_insecure_loopback)
        scope.check(seed)
        return scope

    def check(self, url: str) -> Target:
        canonical = canonical_url(url)
        if canonical is None:
            raise CrawlRefused(f"not an http(s) URL: {url[:200]!r}")
        parts = urlsplit(canonical)
        scheme, host = parts.scheme, normalise_host(parts.hostname or "")
        if scheme == "http" and not self.allow_insecure_loopback:
            raise CrawlRefused(f"only https may be crawled: {loggable(canonical)}")
        if host not in self.hosts:
            raise CrawlRefused(f"host {host!r} is not an allowed host")
        port = parts.port or _DEFAULT_PORT[scheme]
        if port not in self.ports:
            raise CrawlRefused(f"port {port} is not allowed")
        return Target(canonical, scheme, host, port)

    def addresses(self, target: Target, resolver: Resolver) -> list[str]:
        """The addresses to connect to; refused unless every address the host resolves to may be used."""
        try:
            found = [target.host] if is_ip(target.host) else resolver(target.host, target.port)
        except OSError as exc:
            raise CrawlRefused(f"cannot resolve {target.host!r}: {exc.strerror or exc}") from exc
        if not found:
            raise CrawlRefused(f"{target.host!r} has no address")
        for address in found:
            ip = ipaddress.ip_address(address)
            if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:  # ::ffff:127.0.0.1 is loopback
                ip = ip.ipv4_mapped
            loopback_ok = ip.is_loopback and self.allow_insecure_loopback
            if not loopback_ok and (not ip.is_global or ip.is_multicast):
                raise CrawlRefused(f"{target.host!r} resolves to a non-public address")
            if target.scheme == "http" and not ip.is_loopback:
                raise CrawlRefused("plain http is only allowed to a loopback address")
        return found


def system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class FetchFailed(Exception):
    """A network error, a timeout or an unusable response (reason is a short code for the report)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Fetched:
    url: str
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def media_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    @property
    def charset(self) -> str | None:
        return charset_of(self.headers.get("content-type", ""))


class HttpFetcher:
    """GET over http.client to an address vetted by the scope; no redirects, proxies or other schemes."""

    def __init__(self, scope: Scope, *, resolver: Resolver = system_resolver, timeout: float = 10.0,
                 user_agent: str = DEFAULT_USER_AGENT, ssl_context: ssl.SSLContext | None = None) -> None:
        self.scope, self.resolver, self.timeout, self.user_agent = scope, resolver, timeout, user_agent
        self.ssl_context = ssl_context or ssl.create_default_context()

    def fetch(self, target: Target, accept: str, max_bytes: int) -> Fetched:
        addresses = self.scope.addresses(target, self.resolver)
        conn = self._connection(target, addresses)
        deadline = time.monotonic() + 3 * self.timeout
        try:
            conn.request("GET", target.request_path, headers={
                "User-Agent": self.user_agent, "Accept": accept, "Accept-Encoding": "identity, gzip"})
            response = conn.getresponse()
            headers = {name.lower(): value for name, value in response.getheaders()}
            body = b"" if response.status in REDIRECTS else _read(response, headers, max_bytes, deadline)
        except TimeoutError as exc:
            raise FetchFailed("timeout") from exc
        except (OSError, http.client.HTTPException) as exc:
            raise FetchFailed(f"network error ({type(exc).__name__})") from exc
        finally:
            conn.close()
        return Fetched(target.url, response.status, headers, body)

    def _connection(self, target: Target, addresses: list[str]) -> http.client.HTTPConnection:
        def connect(address: tuple[str, int], timeout: Any, source: Any = None) -> socket.socket:
            error: OSError | None = None
            for ip in addresses:  # pinned: never the host name, so DNS is not asked a second time
                try:
                    return socket.create_connection((ip, address[1]), timeout, source)
                except OSError as exc:
                    error = exc
            raise error or OSError("no address")

        conn: http.client.HTTPConnection
        if target.scheme == "https":
            conn = http.client.HTTPSConnection(target.host, target.port, timeout=self.timeout,
                                               context=self.ssl_context)
        else:
            conn = http.client.HTTPConnection(target.host, target.port, timeout=self.timeout)
        conn._create_connection = connect  # type: ignore[attr-defined]  # TLS still verifies target.host
        return conn


def _read(response: http.client.HTTPResponse, headers: dict[str, str], max_bytes: int,
          deadline: float) -> bytes:
    length = headers.get("content-length", "")
    if length.strip().isdigit() and int(length) > max_bytes:
        raise FetchFailed("too_large")
    chunks: list[bytes] = []
    size = 0
    while chunk := response.read(min(65536, max_bytes + 1 - size)):
        chunks.append(chunk)
        size += len(chunk)
        if size > max_bytes:
            raise FetchFailed("too_large")
        if time.monotonic() > deadline:  # a server dripping bytes would otherwise never time out
            raise FetchFailed("timeout")
    body = b"".join(chunks)
    encoding = headers.get("content-encoding", "identity").strip().lower()
    if encoding == "gzip":
        try:
            return inflate(body, max_bytes)
        except ContentRefused as exc:
            raise FetchFailed("too_large") from exc
    if encoding not in ("", "identity"):
        raise FetchFailed("unsupported_encoding")
    return body


def charset_of(content_type: str) -> str | None:
    message = Message()
    message["content-type"] = content_type or "text/html"
    return message.get_content_charset()


def loggable(url: str) -> str:
    """The URL without query or fragment: a query can carry tokens."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "(malformed URL)"
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
