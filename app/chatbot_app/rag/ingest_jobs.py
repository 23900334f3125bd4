"""The document processor's configuration (from its environment) and the jobs its messages carry: an S3
ObjectCreated record, or a continuation the processor sent itself when its time ran low."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from .embeddings import MODELS, enabled_models
from .engine_config import EngineConfig, EngineConfigError
from .parsers import CONTENT_TYPES


class Embedder(Protocol):
    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]: ...


EmbedderFactory = Callable[[str, int], Embedder]


class IngestConfigError(RuntimeError):
    pass


class DocumentFailed(Exception):
    """The document cannot be ingested; `reason` is stored on it (user-facing, no document text)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class IngestConfig:
    bucket: str
    queue_url: str
    max_upload_bytes: int
    upload_formats: frozenset[str] = frozenset(CONTENT_TYPES)
    embedding_models: frozenset[str] = frozenset(MODELS)
    margin_ms: int = 60_000  # left for the step in progress when the next one is not started
    pages_per_step: int = 20  # PDF pages parsed per step
    embed_batch: int = 96  # staged chunks embedded per step (one Cohere request, or parallel Titan ones)
    # The final swap is one transaction whose time grows with the chunk count (HNSW inserts dominate): it
    # starts only with this much time per chunk left beyond the margin, else in a fresh invocation.
    finish_ms_per_chunk: float = 10.0
    max_receives: int | None = None  # the queue's maxReceiveCount, to fail the document on the last one
    engines: EngineConfig = EngineConfig()  # RAG_ENGINES and the engines' settings (engine_config.py)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> IngestConfig:
        missing = [k for k in ("UPLOADS_BUCKET", "INGEST_QUEUE_URL", "MAX_UPLOAD_BYTES") if not env.get(k)]
        if missing:
            raise IngestConfigError(f"the document processor is not configured: set {', '.join(missing)}")
        formats = _names(env.get("UPLOAD_FORMATS", ""), CONTENT_TYPES, "UPLOAD_FORMATS")
        known = enabled_models(env)  # with local mode's model only under EMBEDDING_PROVIDER=local
        models = _names(env.get("EMBEDDING_MODELS", ""), known, "EMBEDDING_MODELS")
        try:
            engines = EngineConfig.from_env(env)
        except EngineConfigError as exc:
            raise IngestConfigError(str(exc)) from exc
        return cls(
            bucket=env["UPLOADS_BUCKET"], queue_url=env["INGEST_QUEUE_URL"],
            max_upload_bytes=_positive(env, "MAX_UPLOAD_BYTES"),
            upload_formats=formats or frozenset(CONTENT_TYPES), embedding_models=models or frozenset(known),
            margin_ms=_positive(env, "INGEST_TIME_MARGIN_MS", 60_000),
            max_receives=_positive(env, "INGEST_MAX_RECEIVES", 0) or None, engines=engines,
        )


@dataclass(frozen=True)
class ObjectJob:
    """An S3 ObjectCreated record: an upload to ingest."""

    bucket: str
    key: str


@dataclass(frozen=True)
class ContinuationJob:
    """The rest of an ingestion that an earlier invocation ran out of time for (sent by this processor)."""

    workspace_id: uuid.UUID
    document_id: uuid.UUID
    version: int
    bucket: str
    key: str

    @property
    def ids(self) -> tuple[uuid.UUID, uuid.UUID, int]:
        return self.workspace_id, self.document_id, self.version

    def body(self) -> str:
        return json.dumps({"continuation": {
            "workspaceId": str(self.workspace_id), "documentId": str(self.document_id),
            "version": self.version, "bucket": self.bucket, "key": self.key}})

    @classmethod
    def from_message(cls, data: Mapping[str, Any]) -> ContinuationJob:
        """The job in a continuation message's "continuation" object; ValueError when malformed."""
        try:
            version = data["version"]
            if not isinstance(version, int) or isinstance(version, bool) or version < 0:
                raise ValueError("version must be a non-negative integer")
            bucket, key = data["bucket"], data["key"]
            if not isinstance(bucket, str) or not isinstance(key, str):
                raise ValueError("bucket and key must be strings")
            return cls(uuid.UUID(str(data["workspaceId"])), uuid.UUID(str(data["documentId"])), version,
                       bucket, key)
        except (KeyError, TypeError) as exc:
            raise ValueError(f"malformed continuation message: {type(exc).__name__} {exc}") from exc


def _names(value: str, known: Mapping[str, Any], variable: str) -> frozenset[str]:
    names = frozenset(n.strip() for n in value.split(",") if n.strip())
    unknown = sorted(names - set(known))
    if unknown:
        known_names = ", ".join(sorted(known))
        raise IngestConfigError(f"{variable} has unknown entries {unknown}; known: {known_names}")
    return names


def _positive(env: Mapping[str, str], name: str, default: int | None = None) -> int:
    raw = env.get(name, "")
    if not raw and default is not None:
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise IngestConfigError(f"{name} must be an integer, got {raw!r}") from exc
    if value < 0 or (value == 0 and default is None):
        raise IngestConfigError(f"{name} must be positive, got {value}")
    return value
