"""The uploaded object in S3 as ingestion reads it (ingest.py): its size before the document is claimed,
its bytes (the size checked against the upload limit before the body is read) and the web crawler's
`source-url` metadata, trusted only when it is a plain http(s) URL.
"""

from __future__ import annotations

import re
from typing import Any

from .ingest_jobs import DocumentFailed

_URL = re.compile(r"^https?://[\x21-\x7e]+$")
_HEAD_GONE = frozenset({"404", "NoSuchKey", "NotFound"})
_GET_GONE = frozenset({"404", "NoSuchKey"})


def object_size(s3: Any, bucket: str, key: str) -> int | None:
    """The object's size in bytes, or None when it no longer exists."""
    from botocore.exceptions import ClientError

    try:
        head = s3.head_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in _HEAD_GONE:
            return None
        raise
    return int(head["ContentLength"])


def download(s3: Any, bucket: str, key: str, max_bytes: int) -> tuple[bytes, str | None]:
    """The object's bytes and its `source-url` (None unless a crawled page's). A missing or oversized object
    fails the document: retrying cannot bring it back or make it smaller."""
    from botocore.exceptions import ClientError

    try:
        obj = s3.get_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in _GET_GONE:
            raise DocumentFailed("the uploaded file no longer exists") from exc
        raise
    size = int(obj.get("ContentLength") or 0)
    if size > max_bytes:
        raise DocumentFailed(too_large(size, max_bytes))
    return obj["Body"].read(), source_url(obj.get("Metadata") or {})


def too_large(size: int, max_bytes: int) -> str:
    return f"file is {size} bytes; the upload limit (MAX_UPLOAD_BYTES) is {max_bytes}"


def source_url(metadata: dict[str, str]) -> str | None:
    """The web crawler's `source-url` metadata, when it is a plain http(s) URL (nothing else is trusted)."""
    url = metadata.get("source-url")
    if isinstance(url, str) and len(url) <= 2000 and _URL.match(url):
        return url
    return None
