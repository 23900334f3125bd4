"""The private website's server: S3 objects behind an ALB, SPA fallback, security headers, safe paths."""

from __future__ import annotations

import base64
import gzip
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

APP_DIR = Path(__file__).resolve().parents[2] / "app"
if str(APP_DIR) not in sys.path:
    sys.path.insert(0, str(APP_DIR))

from chatbot_app.handlers import static_site  # noqa: E402

BUCKET = "site-content"
HEADERS = {
    "Strict-Transport-Security": "max-age=63072000; includeSubDomains; preload",
    "Content-Security-Policy": "default-src 'none'; connect-src 'self' https://api.example.com",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}
INDEX_HTML = b"<!doctype html><title>chat</title>"


def _clear() -> None:
    static_site.security_headers.cache_clear()
    static_site._s3.cache_clear()


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_DEFAULT_REGION": "eu-west-1", "CONTENT_BUCKET": BUCKET,
                        "SECURITY_HEADERS": json.dumps(HEADERS)}.items():
        monkeypatch.setenv(name, value)
    _clear()
    with mock_aws():
        client = boto3.client("s3", region_name="eu-west-1")
        client.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        client.put_object(Bucket=BUCKET, Key="index.html", Body=INDEX_HTML, ContentType="text/html")
        yield client
    _clear()


def request(path: str, method: str = "GET", **headers: str) -> dict[str, Any]:
    event = {
        "requestContext": {"elb": {"targetGroupArn": "arn:aws:elasticloadbalancing:eu-west-1:1:tg/x"}},
        "httpMethod": method,
        "path": path,
        "queryStringParameters": {},
        "headers": {k.replace("_", "-"): v for k, v in headers.items()},
        "body": "",
        "isBase64Encoded": False,
    }
    return static_site.handler(event, None)


def body(response: dict[str, Any]) -> bytes:
    raw = base64.b64decode(response["body"]) if response["isBase64Encoded"] else response["body"].encode()
    if response["headers"].get("Content-Encoding") == "gzip":
        return gzip.decompress(raw)
    return raw


def assert_security_headers(response: dict[str, Any]) -> None:
    for name, value in HEADERS.items():
        assert response["headers"][name] == value


def test_root_serves_index_with_security_headers(s3: Any) -> None:
    response = request("/")
    assert response["statusCode"] == 200 and response["statusDescription"] == "200 OK"
    assert body(response) == INDEX_HTML
    assert response["headers"]["Content-Type"] == "text/html"
    assert response["headers"]["Cache-Control"] == "no-cache"
    assert response["headers"]["ETag"].startswith('"')
    assert_security_headers(response)


def test_assets_get_their_type_and_cache_control(s3: Any) -> None:
    s3.put_object(Bucket=BUCKET, Key="assets/app.js", Body=b"console.log(1)",
                  CacheControl="public, max-age=31536000, immutable")
    s3.put_object(Bucket=BUCKET, Key="logo.png", Body=b"\x89PNG\r\n\x1a\n\x00")
    js = request("/assets/app.js")
    assert js["headers"]["Content-Type"] == "text/javascript"  # guessed: the upload set no type
    assert js["headers"]["Cache-Control"] == "public, max-age=31536000, immutable"
    png = request("/logo.png")
    assert png["headers"]["Content-Type"] == "image/png" and body(png) == b"\x89PNG\r\n\x1a\n\x00"
    assert "Vary" not in png["headers"]


def test_unknown_route_falls_back_to_index(s3: Any) -> None:
    response = request("/sessions/abc")
    assert response["statusCode"] == 200 and body(response) == INDEX_HTML


def test_missing_index_is_404_with_headers(s3: Any) -> None:
    s3.delete_object(Bucket=BUCKET, Key="index.html")
    response = request("/nothing")
    assert response["statusCode"] == 404
    assert response["headers"]["Cache-Control"] == "no-store"
    assert_security_headers(response)


@pytest.mark.parametrize("path", ["/../secret", "/a/%2e%2e/b", "/a//b", "/a\\b", "/%00", "relative",
                                  "/" + "a" * 1100])
def test_unsafe_paths_are_rejected(s3: Any, path: str) -> None:
    response = request(path)
    assert response["statusCode"] == 400
    assert_security_headers(response)


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "OPTIONS", "PATCH"])
def test_only_get_and_head(s3: Any, method: str) -> None:
    response = request("/", method)
    assert response["statusCode"] == 405
    assert response["headers"]["Allow"] == "GET, HEAD"


def test_head_has_no_body(s3: Any) -> None:
    response = request("/", "HEAD")
    assert response["statusCode"] == 200 and response["body"] == "" and not response["isBase64Encoded"]
    assert response["headers"]["Content-Type"] == "text/html"


def test_if_none_match_gives_304(s3: Any) -> None:
    etag = request("/")["headers"]["ETag"]
    response = request("/", if_none_match=etag)
    assert response["statusCode"] == 304 and response["body"] == ""
    assert_security_headers(response)
    assert request("/", if_none_match='"other"')["statusCode"] == 200


def test_compressible_objects_are_gzipped_when_accepted(s3: Any) -> None:
    script = b"const answer = 42;\n" * 2000
    s3.put_object(Bucket=BUCKET, Key="app.js", Body=script, ContentType="application/javascript")
    zipped = request("/app.js", accept_encoding="gzip, br")
    assert zipped["headers"]["Content-Encoding"] == "gzip" and zipped["headers"]["Vary"] == "Accept-Encoding"
    assert zipped["headers"]["ETag"].startswith('W/"')
    assert body(zipped) == script and len(base64.b64decode(zipped["body"])) < len(script)
    plain = request("/app.js")
    assert "Content-Encoding" not in plain["headers"] and body(plain) == script
    assert request("/app.js", if_none_match=zipped["headers"]["ETag"])["statusCode"] == 304


def test_objects_too_large_for_the_load_balancer_are_refused(s3: Any) -> None:
    s3.put_object(Bucket=BUCKET, Key="video.bin", Body=b"\x01" * (static_site.MAX_BODY_BYTES + 1))
    response = request("/video.bin")
    assert response["statusCode"] == 500 and b"too large" in body(response)


@pytest.mark.parametrize(
    "value", ["", "not json", "[]", json.dumps({"X-Frame-Options": "DENY"}),
              json.dumps({**HEADERS, "Content-Security-Policy": ""})]
)
def test_missing_or_bad_security_headers_fail_closed(s3: Any, monkeypatch: pytest.MonkeyPatch,
                                                     value: str) -> None:
    monkeypatch.setenv("SECURITY_HEADERS", value)
    static_site.security_headers.cache_clear()
    with pytest.raises(RuntimeError, match="SECURITY_HEADERS"):
        request("/")


def test_object_key_mapping() -> None:
    assert static_site.object_key("/") == "index.html"
    assert static_site.object_key("/docs/") == "docs/index.html"
    assert static_site.object_key("/a%20b.txt") == "a b.txt"
    assert static_site.object_key("/./x") is None
