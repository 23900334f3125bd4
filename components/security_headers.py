"""The website's security headers (CSP, HSTS, ...) as pure values, shared by every front end.

CloudFront's response headers policy (components/website.py) and the private website's Lambda target
(components/private_website.py, which hands them to app/chatbot_app/handlers/static_site.py) must send
the same headers, so both take them from here. No Pulumi or AWS imports: plain strings in, plain out.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

HSTS_MAX_AGE_SECONDS = 63_072_000  # two years, the preload list's expectation
CSP_MAX_LENGTH = 1783  # CloudFront's limit for the Content-Security-Policy header value
FRAME_OPTION = "DENY"
REFERRER_POLICY = "strict-origin-when-cross-origin"
_ORIGIN = re.compile(r"^(https|wss)://[a-z0-9.-]+(:\d{1,5})?$")


def check_connect_origin(origin: str) -> str:
    """An API origin for connect-src: https:// or wss://, a host (and port), no wildcard, no path."""
    if not _ORIGIN.match(origin):
        raise ValueError(f"connect origin must be https:// or wss:// and a host, no wildcard: {origin!r}")
    return origin


def content_security_policy(connect_origins: Sequence[str] = ()) -> str:
    """A CSP with no wildcard source: only this site, plus explicit https/wss API origins for connect-src."""
    for origin in connect_origins:
        check_connect_origin(origin)
    directives = (
        ("default-src", "'none'"),
        ("script-src", "'self'"),
        ("style-src", "'self'"),
        ("img-src", "'self' data:"),
        ("font-src", "'self'"),
        ("connect-src", " ".join(["'self'", *connect_origins])),
        ("manifest-src", "'self'"),
        ("base-uri", "'none'"),
        ("form-action", "'self'"),
        ("frame-ancestors", "'none'"),
        ("upgrade-insecure-requests", ""),
    )
    policy = "; ".join(f"{name} {value}".strip() for name, value in directives)
    if len(policy) > CSP_MAX_LENGTH:
        raise ValueError(f"the CSP has {len(policy)} characters; CloudFront allows {CSP_MAX_LENGTH}")
    return policy


def strict_transport_security() -> str:
    """The HSTS value CloudFront sends for include_subdomains=True, preload=True."""
    return f"max-age={HSTS_MAX_AGE_SECONDS}; includeSubDomains; preload"


def security_headers(connect_origins: Sequence[str] = ()) -> dict[str, str]:
    """Every security header of a website response, by header name (as CloudFront's policy sets them)."""
    return {
        "Strict-Transport-Security": strict_transport_security(),
        "Content-Security-Policy": content_security_policy(connect_origins),
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": FRAME_OPTION,
        "Referrer-Policy": REFERRER_POLICY,
    }
