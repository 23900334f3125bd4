"""The OpenSearch Serverless engine: one k-NN index per workspace in a VECTORSEARCH collection, over SigV4.

Serverless constraints this module is built around:
- Requests are signed for service "aoss" with the x-amz-content-sha256 header (the collection rejects
  unsigned payload hashes); the data-access policy grants aoss:* index and document permissions.
- Vector collections refuse custom document ids (and so upserts by id) and expose neither _refresh nor
  _delete_by_query. A chunk's identity (document id + ordinal, with its version) is therefore a field, and
  replacing or deleting a document searches its chunks' generated _ids and deletes them in _bulk.
- Writes become searchable after a short delay; retrieve drops duplicate chunks (same document and ordinal,
  e.g. old and new version during a replacement), keeping the newest version.
- The index mapping and query translation are in opensearch_query.py.
"""

from __future__ import annotations

import ipaddress
import re
import uuid
from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import urlsplit

from opensearchpy import OpenSearch, RequestsAWSV4SignerAuth, RequestsHttpConnection
from opensearchpy.exceptions import ConnectionError as OSConnectionError
from opensearchpy.exceptions import NotFoundError, RequestError, TransportError

from ..engine_config import REGION
from .base import EngineError, Passage, RetrievalQuery
from .opensearch_query import VECTOR_FIELD, cosine_score, index_body, translate_filters
from .pgvector import hit_location

_PREFIX = re.compile(r"^[a-z][a-z0-9-]{0,30}$")
_KIND = re.compile(r"[a-z_]{1,80}")
BULK_CHUNKS = 200  # chunks per _bulk request (~6 MB of 1,536-dimension vectors as JSON)
PAGE = 500  # chunk ids per search page when listing a document's chunks
_RETRY_STATUS = {429, 502, 503, 504}


class OpenSearchServerlessEngine:
    name = "opensearch"

    def __init__(self, endpoint: str, region: str, *, credentials: Any = None, index_prefix: str = "ws",
                 timeout: float = 10.0, hnsw_m: int = 16, ef_construction: int = 256) -> None:
        parts = urlsplit(endpoint)
        loopback = _is_loopback(parts.hostname or "")
        if parts.scheme != "https" and not (parts.scheme == "http" and loopback):
            raise ValueError("the endpoint must be https:// (plain http only on loopback, for tests)")
        if not parts.hostname or parts.path not in ("", "/") or parts.query or parts.username:
            raise ValueError("the collection endpoint must be a bare https://host[:port] URL")
        if not REGION.match(region):
            raise ValueError(f"invalid AWS region {region!r}")
        if not _PREFIX.match(index_prefix):
            raise ValueError("index_prefix must be lowercase letters, digits and '-', starting with a letter")
        if credentials is None:
            import boto3  # deferred: the Lambda's role credentials, refreshed by botocore

            credentials = boto3.Session().get_credentials()
        if credentials is None:
            raise EngineError("no AWS credentials to sign OpenSearch Serverless requests with")
        https = parts.scheme == "https"
        self.index_prefix = index_prefix
        self.hnsw_m, self.ef_construction = hnsw_m, ef_construction
        self._indices: set[str] = set()  # indices this process created or found
        self.client = OpenSearch(
            hosts=[{"host": parts.hostname, "port": parts.port or (443 if https else 80)}],
            http_auth=RequestsAWSV4SignerAuth(credentials, region, "aoss"),
            use_ssl=https, verify_certs=https, connection_class=RequestsHttpConnection,
            timeout=timeout, max_retries=2, retry_on_status=(502, 503, 504), pool_maxsize=8,
        )

    # Indices ----------------------------------------------------------------------------------------
    def index_name(self, workspace_id: uuid.UUID) -> str:
        return f"{self.index_prefix}-{uuid.UUID(str(workspace_id)).hex}"

    def create_index(self, workspace_id: uuid.UUID, dimension: int) -> str:
        """Create the workspace's index (idempotent: an existing index is left as it is)."""
        if not 1 <= dimension <= 16_000:  # knn_vector's limit
            raise EngineError(f"unsupported vector dimension {dimension}")
        name = self.index_name(workspace_id)
        if name in self._indices:
            return name
        try:
            body = index_body(dimension, self.hnsw_m, self.ef_construction)
            self.client.indices.create(index=name, body=body)
        except RequestError as exc:
            if exc.error != "resource_already_exists_exception":
                raise _error(exc, "create index") from exc
        except TransportError as exc:
            raise _error(exc, "create index") from exc
        self._indices.add(name)
        return name

    # Writes -----------------------------------------------------------------------------------------
    def upsert(self, workspace_id: uuid.UUID, document_id: uuid.UUID, source: str, version: int,
               chunks: Sequence[Any]) -> None:
        """Index the document's chunks at `version`, then delete its older chunks. A version older than
        the stored one changes nothing."""
        dims = {len(c.embedding) for c in chunks}
        if len(dims) > 1:
            raise EngineError(f"chunks have mixed vector dimensions {sorted(dims)}")
        if not chunks:
            self.delete(workspace_id, document_id)
            return
        index = self.create_index(workspace_id, dims.pop())
        old = list(self._chunks(index, document_id))
        if any(v > version for _, v in old):
            return  # a newer version is already indexed (a late or redelivered message)
        ws, doc = str(workspace_id), str(document_id)
        for start in range(0, len(chunks), BULK_CHUNKS):
            body: list[dict[str, Any]] = []
            for c in chunks[start:start + BULK_CHUNKS]:
                body.append({"index": {"_index": index}})
                body.append({"workspace_id": ws, "document_id": doc, "chunk_key": f"{doc}:{c.ordinal}",
                             "ordinal": c.ordinal, "version": version, "source": source, "text": c.text,
                             "metadata": dict(c.metadata), VECTOR_FIELD: [float(x) for x in c.embedding]})
            self._bulk(body, "index chunks")
        self._delete_ids(index, [i for i, _ in old])

    def delete(self, workspace_id: uuid.UUID, document_id: uuid.UUID | None = None) -> None:
        """Delete one document's chunks, or the workspace's whole index."""
        index = self.index_name(workspace_id)
        if document_id is None:
            try:
                self.client.indices.delete(index=index)
            except NotFoundError:
                pass
            except TransportError as exc:
                raise _error(exc, "delete index") from exc
            self._indices.discard(index)
            return
        self._delete_ids(index, [i for i, _ in self._chunks(index, document_id)])

    def _chunks(self, index: str, document_id: uuid.UUID) -> Iterator[tuple[str, int]]:
        """(_id, version) of every stored chunk of the document, paged with search_after."""
        body: dict[str, Any] = {"size": PAGE, "_source": ["version"], "sort": [{"chunk_key": "asc"}],
                                "query": {"bool": {"filter": [{"term": {"document_id": str(document_id)}}]}}}
        while True:
            try:
                reply = self.client.search(index=index, body=body)
            except NotFoundError:
                return
            except TransportError as exc:
                raise _error(exc, "list chunks") from exc
            hits = reply.get("hits", {}).get("hits", [])
            for hit in hits:
                yield hit["_id"], int(hit.get("_source", {}).get("version", 0))
            if len(hits) < PAGE:
                return
            body["search_after"] = hits[-1]["sort"]

    def _delete_ids(self, index: str, ids: Sequence[str]) -> None:
        for start in range(0, len(ids), PAGE):
            self._bulk([{"delete": {"_index": index, "_id": i}} for i in ids[start:start + PAGE]],
                       "delete chunks")

    def _bulk(self, body: list[dict[str, Any]], what: str) -> None:
        if not body:
            return
        try:
            reply = self.client.bulk(body=body)
        except TransportError as exc:
            raise _error(exc, what) from exc
        if not reply.get("errors"):
            return
        failed = [item for entry in reply.get("items", []) for item in entry.values()
                  if item.get("error") and not (item.get("status") == 404 and "delete" in entry)]
        if failed:
            statuses = {int(item.get("status", 0)) for item in failed}
            kind = str((failed[0].get("error") or {}).get("type", ""))
            kind = kind if _KIND.fullmatch(kind) else "error"
            raise EngineError(f"opensearch {what}: {len(failed)} items failed ({kind})",
                              retryable=bool(statuses & _RETRY_STATUS))

    # Retrieval --------------------------------------------------------------------------------------
    def retrieve(self, query: RetrievalQuery) -> list[Passage]:
        if query.embedding is None:
            raise EngineError("the opensearch engine needs the query embedding")
        if not 1 <= query.k <= 100:
            raise EngineError("k must be between 1 and 100")
        clauses = [{"term": {"workspace_id": str(query.workspace_id)}}, *translate_filters(query.filters)]
        body = {"size": query.k, "_source": {"excludes": [VECTOR_FIELD]},
                "query": {"knn": {VECTOR_FIELD: {"vector": [float(x) for x in query.embedding], "k": query.k,
                                                 "filter": {"bool": {"filter": clauses}}}}}}
        try:
            reply = self.client.search(index=self.index_name(query.workspace_id), body=body)
        except NotFoundError:
            return []  # no document was ever indexed in this workspace
        except TransportError as exc:
            raise _error(exc, "search") from exc
        passages: list[Passage] = []
        newest: dict[tuple[str, int], int] = {}
        hits = reply.get("hits", {}).get("hits", [])
        for hit in hits:  # the newest version of each chunk, in the engine's order
            src = hit.get("_source", {})
            key = (src.get("document_id", ""), int(src.get("ordinal", 0)))
            newest[key] = max(newest.get(key, 0), int(src.get("version", 0)))
        seen: set[tuple[str, int]] = set()
        for hit in hits:
            src = hit.get("_source", {})
            key = (src.get("document_id", ""), int(src.get("ordinal", 0)))
            if key in seen or newest[key] != int(src.get("version", 0)):
                continue
            seen.add(key)
            passages.append(Passage(text=src.get("text", ""), score=cosine_score(hit.get("_score")),
                                    source=src.get("source", ""), document_id=key[0],
                                    location=hit_location(src.get("metadata") or {}, key[1])))
        return passages


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a name could resolve anywhere


def _error(exc: TransportError, what: str) -> EngineError:
    if isinstance(exc, OSConnectionError):
        return EngineError(f"opensearch {what} failed: {type(exc).__name__}", retryable=True)
    status = exc.status_code
    # The error type only (e.g. illegal_argument_exception): a reason may quote the request.
    kind = exc.error if isinstance(exc.error, str) and _KIND.fullmatch(exc.error) else "error"
    return EngineError(f"opensearch {what} failed: HTTP {status} ({kind})", retryable=status in _RETRY_STATUS)
