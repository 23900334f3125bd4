"""The Kendra engine: passages from a Kendra index (one the stack creates, or an existing one) via Retrieve.

Kendra ingests from its own data sources, so this engine only retrieves. An index in another account is
reached through a role there: sts:AssumeRole with an ExternalId, the credentials cached until shortly
before they expire. Filters become an AttributeFilter on document attributes: strings and whole numbers
compare as Kendra's String and Long values, string range bounds must be ISO 8601 dates (Kendra ranges
compare Long and Date attributes only), and booleans or fractional numbers are refused (Kendra has no such
attribute type).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from ...core.aws import client as aws_client  # the app's cached boto3 clients (boto3 imported on first use)
from ..filters import Equals, In, Range
from ._aws import botocore_errors, engine_error
from .base import EngineError, Passage, RetrievalQuery

_INDEX_ID = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9-]{35}$")
_SESSION = re.compile(r"^[\w+=,.@-]{2,64}$")
_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
# Kendra's Retrieve gives a confidence band, not a number.
CONFIDENCE = {"VERY_HIGH": 1.0, "HIGH": 0.75, "MEDIUM": 0.5, "LOW": 0.25, "NOT_AVAILABLE": 0.0}
_RANGE_OPS = {"gt": "GreaterThan", "gte": "GreaterThanOrEquals", "lt": "LessThan", "lte": "LessThanOrEquals"}
MAX_PAGE_SIZE = 100


def _now() -> datetime:
    return datetime.now(UTC)


class AssumedRole:
    """Credentials for a cross-account role, cached until `refresh_margin` before they expire."""

    def __init__(self, role_arn: str, external_id: str | None = None, *, sts_client: Any = None,
                 region: str | None = None, session_name: str = "chatbot-retrieval", duration: int = 3600,
                 refresh_margin: timedelta = timedelta(minutes=5),
                 clock: Callable[[], datetime] = _now) -> None:
        if not role_arn.startswith("arn:") or ":role/" not in role_arn:
            raise ValueError("role_arn must be an IAM role ARN")
        if not _SESSION.match(session_name) or not 900 <= duration <= 43200:
            raise ValueError("invalid session name or duration")
        self.role_arn, self.external_id = role_arn, external_id
        self.session_name, self.duration = session_name, duration
        self.refresh_margin, self._clock = refresh_margin, clock
        self._sts, self._region = sts_client, region
        self._lock = threading.Lock()
        self._cached: dict[str, Any] | None = None

    def credentials(self) -> dict[str, str]:
        """boto3 client keyword arguments (access key, secret, session token) for the role."""
        with self._lock:
            if self._cached is None or self._clock() >= self._cached["Expiration"] - self.refresh_margin:
                self._cached = self._assume()
            c = self._cached
        return {"aws_access_key_id": c["AccessKeyId"], "aws_secret_access_key": c["SecretAccessKey"],
                "aws_session_token": c["SessionToken"]}

    def _assume(self) -> dict[str, Any]:
        if self._sts is None:
            self._sts = aws_client("sts", self._region)
        params: dict[str, Any] = {"RoleArn": self.role_arn, "RoleSessionName": self.session_name,
                                  "DurationSeconds": self.duration}
        if self.external_id:
            params["ExternalId"] = self.external_id
        try:
            return self._sts.assume_role(**params)["Credentials"]
        except botocore_errors() as exc:
            raise engine_error(exc, "sts AssumeRole") from exc


ClientFactory = Callable[[dict[str, str]], Any]  # role credentials -> a kendra client


class KendraEngine:
    name = "kendra"

    def __init__(self, index_id: str, *, region: str | None = None, client: Any = None,
                 role: AssumedRole | None = None, client_factory: ClientFactory | None = None) -> None:
        if not _INDEX_ID.match(index_id):
            raise ValueError("index_id must be a Kendra index id (36 characters)")
        self.index_id, self._region, self.role = index_id, region, role
        self._client, self._factory = client, client_factory
        self._client_key: str | None = None  # the access key the current client was built with

    def _kendra(self) -> Any:
        if self.role is not None:
            creds = self.role.credentials()
            if self._client is None or creds["aws_access_key_id"] != self._client_key:
                self._client = (self._factory or self._default_factory)(creds)
                self._client_key = creds["aws_access_key_id"]
            return self._client
        if self._client is None:
            self._client = aws_client("kendra", self._region)
        return self._client

    def _default_factory(self, creds: dict[str, str]) -> Any:
        import boto3

        return boto3.client("kendra", region_name=self._region, **creds)

    def retrieve(self, query: RetrievalQuery, *, user_context: dict[str, Any] | None = None) -> list[Passage]:
        """Top passages for the question. `user_context` (Kendra's UserContext: Token, or UserId and Groups)
        makes Kendra apply the index's document access control for that user."""
        if not 1 <= query.k <= MAX_PAGE_SIZE:
            raise EngineError(f"k must be between 1 and {MAX_PAGE_SIZE}")
        params: dict[str, Any] = {"IndexId": self.index_id, "QueryText": query.text, "PageSize": query.k}
        attribute_filter = kendra_filter(query.filters)
        if attribute_filter is not None:
            params["AttributeFilter"] = attribute_filter
        if user_context:
            params["UserContext"] = user_context
        client = self._kendra()
        try:
            reply = client.retrieve(**params)
        except botocore_errors() as exc:
            raise engine_error(exc, "kendra Retrieve") from exc
        return [_passage(item) for item in reply.get("ResultItems", [])[:query.k]]


def _passage(item: dict[str, Any]) -> Passage:
    uri = item.get("DocumentURI")
    location: dict[str, Any] = {"url": uri} if uri else {}
    for attr in item.get("DocumentAttributes", []):
        if attr.get("Key") == "_excerpt_page_number" and "LongValue" in attr.get("Value", {}):
            location["page"] = attr["Value"]["LongValue"]
    confidence = item.get("ScoreAttributes", {}).get("ScoreConfidence", "NOT_AVAILABLE")
    document_id = item.get("DocumentId", "")
    return Passage(text=item.get("Content", ""), score=CONFIDENCE.get(confidence, 0.0),
                   source=item.get("DocumentTitle") or uri or document_id, document_id=document_id,
                   location=location)


def kendra_filter(filters: Sequence[Any]) -> dict[str, Any] | None:
    """rag/filters.py models -> a Kendra AttributeFilter (AND of the filters), or None without filters."""
    clauses: list[dict[str, Any]] = []
    for f in filters:
        if not isinstance(f, Equals | In | Range) or not _KEY.match(f.key):
            raise EngineError("unsupported filter")
        if isinstance(f, Equals):
            clauses.append({"EqualsTo": {"Key": f.key, "Value": _value(f.key, f.value)}})
        elif isinstance(f, In):
            alternatives = [{"EqualsTo": {"Key": f.key, "Value": _value(f.key, v)}} for v in f.values]
            clauses.append(alternatives[0] if len(alternatives) == 1 else {"OrAllFilters": alternatives})
        else:
            for op, kendra_op in _RANGE_OPS.items():
                bound = getattr(f, op)
                if bound is not None:
                    clauses.append({kendra_op: {"Key": f.key, "Value": _bound(f.key, bound)}})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"AndAllFilters": clauses}


def _value(key: str, value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        raise EngineError(f"filter on {key}: Kendra attributes have no boolean type")
    if isinstance(value, int):
        return {"LongValue": value}
    if isinstance(value, float):
        if not value.is_integer():
            raise EngineError(f"filter on {key}: Kendra compares whole numbers only")
        return {"LongValue": int(value)}
    if not 1 <= len(value) <= 2048:
        raise EngineError(f"filter on {key}: Kendra string values have 1 to 2,048 characters")
    return {"StringValue": value}


def _bound(key: str, bound: Any) -> dict[str, Any]:
    if not isinstance(bound, str):
        return _value(key, bound)
    try:
        moment = datetime.fromisoformat(bound)
    except ValueError:
        raise EngineError(f"filter on {key}: Kendra range bounds are numbers or ISO 8601 dates") from None
    return {"DateValue": moment if moment.tzinfo else moment.replace(tzinfo=UTC)}
