"""The Bedrock Knowledge Bases engine: passages from a knowledge base through bedrock-agent-runtime Retrieve.

A knowledge base ingests from its own data sources, so this engine only retrieves. Filters become the
knowledge base's metadata filter (equals, in, and numeric greaterThan/lessThan bounds, ANDed with andAll);
the knowledge base compares ranges on numbers only, so string bounds are refused.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Literal
from urllib.parse import unquote, urlsplit

from ...core.aws import client as aws_client  # the app's cached boto3 clients (boto3 imported on first use)
from ..filters import Equals, In, Range
from ._aws import botocore_errors, engine_error, unit_score
from .base import EngineError, Passage, RetrievalQuery

_KB_ID = re.compile(r"^[0-9a-zA-Z]{10}$|^arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}:[0-9]{12}:"
                    r"knowledge-base/[0-9a-zA-Z]{10}$")
_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
_RANGE_OPS = {"gt": "greaterThan", "gte": "greaterThanOrEquals", "lt": "lessThan", "lte": "lessThanOrEquals"}
SOURCE_URI = "x-amz-bedrock-kb-source-uri"
PAGE_NUMBER = "x-amz-bedrock-kb-document-page-number"
# Where each location type keeps its address (RetrievalResultLocation in the API model).
_LOCATIONS = {"s3Location": "uri", "webLocation": "url", "confluenceLocation": "url",
              "salesforceLocation": "url", "sharePointLocation": "url", "oneDriveLocation": "url",
              "googleDriveLocation": "url", "kendraDocumentLocation": "uri", "customDocumentLocation": "id"}
MAX_RESULTS = 100


class BedrockKnowledgeBaseEngine:
    name = "bedrock-kb"

    def __init__(self, knowledge_base_id: str, *, region: str | None = None, client: Any = None,
                 search_type: Literal["HYBRID", "SEMANTIC"] | None = None) -> None:
        if not _KB_ID.match(knowledge_base_id):
            raise ValueError("knowledge_base_id must be a 10-character id or a knowledge base ARN")
        if search_type not in (None, "HYBRID", "SEMANTIC"):
            raise ValueError("search_type must be HYBRID, SEMANTIC or unset (the knowledge base decides)")
        self.knowledge_base_id, self.search_type = knowledge_base_id, search_type
        self._region, self._client = region, client

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = aws_client("bedrock-agent-runtime", self._region)
        return self._client

    def retrieve(self, query: RetrievalQuery) -> list[Passage]:
        if not 1 <= query.k <= MAX_RESULTS:
            raise EngineError(f"k must be between 1 and {MAX_RESULTS}")
        vector: dict[str, Any] = {"numberOfResults": query.k}
        metadata_filter = kb_filter(query.filters)
        if metadata_filter is not None:
            vector["filter"] = metadata_filter
        if self.search_type:
            vector["overrideSearchType"] = self.search_type
        try:
            reply = self.client.retrieve(knowledgeBaseId=self.knowledge_base_id,
                                         retrievalQuery={"text": query.text},
                                         retrievalConfiguration={"vectorSearchConfiguration": vector})
        except botocore_errors() as exc:
            raise engine_error(exc, "bedrock-agent-runtime Retrieve") from exc
        results = reply.get("retrievalResults", [])
        return [p for p in (_passage(r) for r in results) if p is not None][:query.k]


def _passage(result: dict[str, Any]) -> Passage | None:
    text = (result.get("content") or {}).get("text")
    if not text:
        return None  # image, audio, video or table rows: nothing the chat can quote
    metadata = result.get("metadata") or {}
    loc = result.get("location") or {}
    address = next((loc[k][field] for k, field in _LOCATIONS.items()
                    if isinstance(loc.get(k), dict) and loc[k].get(field)), None)
    address = address or metadata.get(SOURCE_URI)
    location: dict[str, Any] = {}
    if isinstance(address, str):
        location["url" if address.startswith(("http://", "https://")) else "uri"] = address
    page = metadata.get(PAGE_NUMBER)
    if isinstance(page, int | float) and not isinstance(page, bool):
        location["page"] = int(page)
    document_id = str(result.get("documentId") or metadata.get(SOURCE_URI) or address or "")
    return Passage(text=text, score=unit_score(result.get("score")), source=_source_name(address),
                   document_id=document_id, location=location)


def _source_name(address: Any) -> str:
    """A file name for an S3 object, the URL itself for web pages."""
    if not isinstance(address, str):
        return ""
    parts = urlsplit(address)
    if parts.scheme == "s3":
        return unquote(parts.path.rsplit("/", 1)[-1]) or address
    return address


def kb_filter(filters: Sequence[Any]) -> dict[str, Any] | None:
    """rag/filters.py models -> a knowledge base RetrievalFilter (andAll of the clauses), or None."""
    clauses: list[dict[str, Any]] = []
    for f in filters:
        if not isinstance(f, Equals | In | Range) or not _KEY.match(f.key):
            raise EngineError("unsupported filter")
        if isinstance(f, Equals):
            clauses.append({"equals": {"key": f.key, "value": f.value}})
        elif isinstance(f, In):
            clauses.append({"in": {"key": f.key, "value": list(f.values)}})
        else:
            if f.kind != "number":
                raise EngineError(f"filter on {f.key}: knowledge base ranges compare numbers only")
            for op, kb_op in _RANGE_OPS.items():
                bound = getattr(f, op)
                if bound is not None:
                    clauses.append({kb_op: {"key": f.key, "value": bound}})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"andAll": clauses}
