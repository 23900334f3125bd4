"""Application Load Balancer target of the private website: serves the web UI's objects from S3.

The private website has no CloudFront, so this function does what the distribution does for the public
one: GET/HEAD only, `/` is index.html, a missing object falls back to index.html with 200 (the single-page
app routes in the browser, like the distribution's 403/404 custom error responses), and every response
carries the same security headers as CloudFront's response headers policy. Those headers arrive ready-made
in SECURITY_HEADERS (JSON, built by components/security_headers.py at deploy time), so the CSP the
browser sees is the one the stack's policies checked.

An ALB gives a Lambda target at most 1 MB of response, so compressible objects are gzipped when the
browser accepts it and anything still too large is refused with a logged 500 instead of a broken page.

Environment: CONTENT_BUCKET (the website content bucket), SECURITY_HEADERS (JSON object of header name
to value; must include Content-Security-Policy and Strict-Transport-Security). Self-contained on purpose:
no imports from the rest of chatbot_app, boto3 loaded on the first request only.
"""

from __future__ import annotations

import base64
import functools
import gzip
import json
import logging
import mimetypes
import os
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

INDEX = "index.html"
ALLOWED_METHODS = ("GET", "HEAD")
REQUIRED_HEADERS = ("Content-Security-Policy", "Strict-Transport-Security")
MAX_PATH_LENGTH = 1024
MAX_OBJECT_BYTES = 8 * 1024 * 1024  # never read more than this into memory
MAX_BODY_BYTES = 700_000  # base64 makes it ~933 kB, under the ALB's 1 MB Lambda response limit
DEFAULT_CACHE_CONTROL = "no-cache"  # revalidate every time; the ETag makes that a cheap 304
_COMPRESSIBLE = ("text/", "application/javascript", "application/json", "image/svg+xml",
                 "application/manifest+json", "application/xml")

log = logging.getLogger(__name__)
log.setLevel(logging.INFO)


class NotFound(Exception):
    """The object does not exist (or the function may not read it: S3 answers 403 without ListBucket)."""


class NotModified(Exception):
    """The browser's copy is current (If-None-Match matched the object's ETag)."""


class TooLarge(Exception):
    """The object is larger than a load balancer Lambda response can carry."""


@dataclass(frozen=True)
class StaticObject:
    body: bytes
    content_type: str
    etag: str | None = None
    cache_control: str | None = None


@functools.cache
def security_headers() -> dict[str, str]:
    """The headers from SECURITY_HEADERS; a missing or malformed value fails closed (no page served)."""
    raw = os.environ.get("SECURITY_HEADERS", "")
    try:
        headers = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise RuntimeError(f"SECURITY_HEADERS is not JSON: {exc}") from None
    if not isinstance(headers, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and v for k, v in headers.items()
    ):
        raise RuntimeError("SECURITY_HEADERS must be a JSON object of header names to non-empty strings")
    missing = [name for name in REQUIRED_HEADERS if name not in headers]
    if missing:
        raise RuntimeError(f"SECURITY_HEADERS lacks {', '.join(missing)}")
    return dict(headers)


@functools.cache
def _s3() -> Any:
    import boto3  # here, not at import: keeps the cold start small

    return boto3.client("s3")


def object_key(path: str) -> str | None:
    """The S3 key for a request path, or None when the path is not a plain file path under the site."""
    decoded = unquote(path or "/")
    if len(decoded) > MAX_PATH_LENGTH or not decoded.startswith("/"):
        return None
    if "\\" in decoded or any(ord(c) < 0x20 or ord(c) == 0x7F for c in decoded):
        return None
    segments = decoded[1:].split("/")
    if any(s in (".", "..") for s in segments) or any(s == "" for s in segments[:-1]):
        return None
    key = decoded[1:]
    return key + INDEX if key == "" or key.endswith("/") else key


def _header(event: dict[str, Any], name: str) -> str:
    headers = event.get("headers") or {}
    for key, value in headers.items():
        if key.lower() == name:
            return str(value)
    return ""


def _content_type(key: str, stored: str | None) -> str:
    if stored and stored != "binary/octet-stream":  # S3's default when the uploader set none
        return stored
    guessed, _ = mimetypes.guess_type(key)
    return guessed or "application/octet-stream"


def fetch(bucket: str, key: str, if_none_match: str = "") -> StaticObject:
    from botocore.exceptions import ClientError  # loaded with boto3 by _s3()

    request: dict[str, Any] = {"Bucket": bucket, "Key": key}
    if if_none_match:
        request["IfNoneMatch"] = if_none_match
    try:
        response = _s3().get_object(**request)
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", ""))
        if code in ("304", "NotModified"):
            raise NotModified from None
        if code in ("NoSuchKey", "404", "AccessDenied", "403"):
            raise NotFound(key) from None
        raise
    size = int(response.get("ContentLength") or 0)
    if size > MAX_OBJECT_BYTES:
        response["Body"].close()
        raise TooLarge(f"{key} has {size} bytes; at most {MAX_OBJECT_BYTES} are read")
    return StaticObject(
        body=response["Body"].read(),
        content_type=_content_type(key, response.get("ContentType")),
        etag=response.get("ETag"),
        cache_control=response.get("CacheControl"),
    )


def _response(status: int, headers: dict[str, str], body: bytes = b"", head: bool = False) -> dict[str, Any]:
    reasons = {200: "OK", 304: "Not Modified", 400: "Bad Request", 404: "Not Found",
               405: "Method Not Allowed", 500: "Internal Server Error"}
    send_body = body and not head
    return {
        "statusCode": status,
        "statusDescription": f"{status} {reasons.get(status, '')}".strip(),
        "headers": {**headers, **security_headers()},  # the security headers always win
        "body": base64.b64encode(body).decode("ascii") if send_body else "",
        "isBase64Encoded": bool(send_body),
    }


def _text(status: int, message: str, head: bool = False, **extra: str) -> dict[str, Any]:
    headers = {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store", **extra}
    return _response(status, headers, message.encode(), head)


def _compressible(content_type: str) -> bool:
    return content_type.split(";")[0].strip().startswith(_COMPRESSIBLE)


def _ok(obj: StaticObject, event: dict[str, Any], head: bool) -> dict[str, Any]:
    headers = {"Content-Type": obj.content_type, "Cache-Control": obj.cache_control or DEFAULT_CACHE_CONTROL}
    body = obj.body
    if _compressible(obj.content_type):
        headers["Vary"] = "Accept-Encoding"
        if "gzip" in _header(event, "accept-encoding").lower() and len(body) > 1024:
            body = gzip.compress(body, mtime=0)
            headers["Content-Encoding"] = "gzip"
    if obj.etag:
        # A gzipped body is another representation of the same object: a weak validator.
        headers["ETag"] = f"W/{obj.etag}" if "Content-Encoding" in headers else obj.etag
    if len(body) > MAX_BODY_BYTES:
        raise TooLarge(f"the response body has {len(body)} bytes; at most {MAX_BODY_BYTES} fit")
    return _response(200, headers, body, head)


def _serve(event: dict[str, Any], key: str, head: bool) -> dict[str, Any]:
    bucket = os.environ["CONTENT_BUCKET"]
    if_none_match = _header(event, "if-none-match").removeprefix("W/")
    try:
        try:
            obj = fetch(bucket, key, if_none_match)
        except NotFound:
            if key == INDEX:
                raise
            obj = fetch(bucket, INDEX, if_none_match)  # a single-page app route: the browser routes it
    except NotModified:
        return _response(304, {"ETag": if_none_match} if if_none_match else {}, head=True)
    except NotFound:
        return _text(404, "Not found.", head)
    return _ok(obj, event, head)


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    method = str(event.get("httpMethod") or "").upper()
    head = method == "HEAD"
    if method not in ALLOWED_METHODS:
        return _text(405, "Method not allowed.", Allow=", ".join(ALLOWED_METHODS))
    key = object_key(str(event.get("path") or "/"))
    if key is None:
        return _text(400, "Bad request path.", head)
    try:
        return _serve(event, key, head)
    except TooLarge as exc:
        log.error("cannot serve %s: %s", key, exc)
        return _text(500, "This file is too large to serve from the private website.", head)
