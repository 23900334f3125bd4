"""Storing one crawled page as a document (used by crawl_job.py): register it through the rag service
(op registerUpload), then put its HTML under the upload key layout with the page URL as `source-url`.

- The file name is readable (host and path) plus a hash of the full URL, so the document id (derived from
  workspace and file name) is the same on every crawl of that URL: a re-crawl is a new version of it.
- The version is the store time in nanoseconds, the same clock uploads use, so the later of an upload or a
  crawl of one document always wins.
"""

from __future__ import annotations

import codecs
import hashlib
import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from .crawl_fetch import charset_of
from .crawler import CrawledPage
from .uploads import MAX_FILE_NAME, UploadTarget, document_id

MAX_URL_CHARS = 2000  # also fits S3's 2 KB of user metadata
_UNSAFE = re.compile(r"[^A-Za-z0-9.()+-]+")


class RagRefused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status, self.message = status, message


class RagFailed(Exception):
    """The rag service failed (function error, malformed answer, invoke error)."""


class PageFailed(Exception):
    """This page could not be stored; the crawl goes on."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class StopCrawl(Exception):
    """No further page can be stored (the workspace is gone or refuses documents)."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(reason)
        self.reason, self.detail = reason, detail


class LambdaRag:
    """registerUpload on the rag service function (invoked RequestResponse, as the REST function does)."""

    def __init__(self, lambda_client: Any, function_name: str) -> None:
        self.client, self.function = lambda_client, function_name

    def register_upload(self, target: UploadTarget) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        payload = {"op": "registerUpload", "workspaceId": str(target.workspace_id),
                   "documentId": str(target.document_id), "fileName": target.file_name,
                   "version": target.version}
        try:
            response = self.client.invoke(FunctionName=self.function, InvocationType="RequestResponse",
                                          Payload=json.dumps(payload).encode())
            body = response["Payload"].read()
        except (ClientError, BotoCoreError) as exc:
            raise RagFailed(f"invoke failed ({type(exc).__name__})") from exc
        if response.get("FunctionError"):
            raise RagFailed(f"function error {response['FunctionError']}")
        try:
            answer = json.loads(body)
        except ValueError as exc:
            raise RagFailed("malformed answer") from exc
        if not isinstance(answer, dict) or answer.get("ok") is not True:
            status = answer.get("status") if isinstance(answer, dict) else None
            if isinstance(status, int) and 400 <= status < 500:
                raise RagRefused(status, str(answer.get("message", ""))[:500])
            raise RagFailed(f"status {status}")


@dataclass(frozen=True)
class Destination:
    workspace_id: uuid.UUID
    bucket: str
    kms_key_arn: str | None
    max_bytes: int


def page_file_name(url: str) -> str:
    """A file name the upload rules accept, the same for the same URL: host and path made safe, then a
    hash of the whole URL (query included) so that different URLs never share a document."""
    parts = urlsplit(url)
    digest = hashlib.sha256(url.encode()).hexdigest()[:16]
    readable = _UNSAFE.sub("-", f"{parts.hostname or ''}{parts.path}")
    readable = re.sub(r"^[^A-Za-z0-9]+", "", readable).rstrip("-.")
    stem = readable[: MAX_FILE_NAME - len(digest) - len("-.html")].rstrip("-.")
    return f"{stem}-{digest}.html" if stem else f"page-{digest}.html"


def store_page(page: CrawledPage, to: Destination, rag: LambdaRag, s3: Any,
               now_ns: Callable[[], int]) -> uuid.UUID:
    """Register the page as a new version of its document, then put its HTML (UTF-8) for the processor."""
    from botocore.exceptions import BotoCoreError, ClientError

    html = _utf8(page)
    if len(html) > to.max_bytes:
        raise PageFailed("too_large")
    name = page_file_name(page.url)
    target = UploadTarget(to.workspace_id, document_id(to.workspace_id, name), now_ns(), name)
    try:
        rag.register_upload(target)
    except RagRefused as exc:
        if exc.status == 404:
            raise StopCrawl("workspace_gone", exc.message) from exc
        if exc.status == 409 and not exc.message.startswith("version:"):
            # e.g. a read-only engine's workspace: every further page would be refused too
            raise StopCrawl("refused", exc.message) from exc
        raise PageFailed(f"rag_refused_{exc.status}: {exc.message[:200]}") from exc
    except RagFailed as exc:
        raise PageFailed(f"rag_failed: {exc}") from exc
    # The bucket's own encryption, named explicitly (as the REST function's presigned POST does): its KMS
    # key, or SSE-S3 on a stack without one (aws:kms without a key id would mean the aws/s3 key instead).
    encryption = {"ServerSideEncryption": "AES256"}
    if to.kms_key_arn:
        encryption = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": to.kms_key_arn}
    metadata = {"source-url": page.url} if len(page.url) <= MAX_URL_CHARS and page.url.isascii() else {}
    try:
        s3.put_object(Bucket=to.bucket, Key=target.key, Body=html, ContentType=target.content_type,
                      Metadata=metadata, **encryption)
    except (ClientError, BotoCoreError) as exc:
        code = getattr(exc, "response", {}).get("Error", {}).get("Code") or type(exc).__name__
        raise PageFailed(f"s3_put_failed: {code}") from exc
    return target.document_id


def _utf8(page: CrawledPage) -> bytes:
    """The processor's HTML parser reads UTF-8 (else Windows-1252): re-encode pages served in another
    charset, as the crawler's own parsing does."""
    charset = charset_of(page.content_type)
    try:
        codec = codecs.lookup(charset or "utf-8").name
    except LookupError:
        codec = "utf-8"
    if codec in ("utf-8", "utf_8"):
        return page.html
    return page.html.decode(codec, errors="replace").encode("utf-8")
