"""The shared security headers: one pure source for CloudFront's policy and the private website's server."""

import pytest

from components import website
from components.security_headers import (
    CSP_MAX_LENGTH,
    check_connect_origin,
    content_security_policy,
    security_headers,
    strict_transport_security,
)


def test_headers_match_what_cloudfront_sends() -> None:
    headers = security_headers(("https://api.example.com",))
    assert headers == {
        "Strict-Transport-Security": "max-age=63072000; includeSubDomains; preload",
        "Content-Security-Policy": content_security_policy(("https://api.example.com",)),
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "strict-origin-when-cross-origin",
    }
    assert strict_transport_security() == headers["Strict-Transport-Security"]


def test_website_uses_the_shared_builder() -> None:
    assert website.content_security_policy is content_security_policy


def test_connect_src_lists_exactly_the_given_origins() -> None:
    csp = content_security_policy(("https://api.example.com:8443", "wss://ws.example.com"))
    connect = next(p for p in csp.split("; ") if p.startswith("connect-src "))
    assert connect == "connect-src 'self' https://api.example.com:8443 wss://ws.example.com"
    assert "*" not in csp and "unsafe" not in csp
    assert "frame-ancestors 'none'" in csp and "default-src 'none'" in csp


@pytest.mark.parametrize(
    "origin", ["https://*.example.com", "http://api.example.com", "*", "https://a.com/path", "wss://", ""]
)
def test_bad_origins_are_rejected(origin: str) -> None:
    with pytest.raises(ValueError, match="connect origin"):
        check_connect_origin(origin)
    with pytest.raises(ValueError, match="connect origin"):
        security_headers((origin,))


def test_csp_length_is_bounded() -> None:
    many = tuple(f"https://api{i}.example.com" for i in range(100))
    with pytest.raises(ValueError, match=str(CSP_MAX_LENGTH)):
        content_security_policy(many)
