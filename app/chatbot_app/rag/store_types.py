"""The vector store's constants and value types: what callers pass in and get back, and the binary form
an embedding travels in. No SQL here (store.py and staging.py hold it)."""

from __future__ import annotations

import struct
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from psycopg.adapt import Dumper
from psycopg.pq import Format

from .engine_config import READ_ONLY_ENGINES

DIMENSIONS = (256, 512, 1024, 1536)
RRF_K = 60  # Reciprocal Rank Fusion constant (Cormack et al. 2009)
RERANK_MIN = 20  # vector search re-ranks max(2k, this) index candidates on the full vectors
INSERT_BATCH = 1000  # chunks per INSERT statement: bounds one message at ~6 MB of 1536-dim vectors
Outcome = Literal["replaced", "unchanged", "stale"]


class StoreError(RuntimeError):
    pass


@dataclass(frozen=True)
class Embedding:
    """A float vector packed once into pgvector's binary wire format (dims, unused, float4 big-endian)."""

    data: bytes
    dims: int

    @classmethod
    def of(cls, values: Sequence[float]) -> Embedding:
        n = len(values)
        return cls(struct.pack(f">HH{n}f", n, 0, *values), n)


class _EmbeddingDumper(Dumper):
    format = Format.BINARY

    def dump(self, obj: Embedding) -> bytes:
        return obj.data


@dataclass(frozen=True)
class PackedChunk:
    """A chunk ready for _insert_chunks, its embedding already in pgvector's wire format."""

    ordinal: int
    text: str
    metadata: dict[str, Any]
    embedding: Embedding

    @classmethod
    def of(cls, chunk: ChunkInput) -> PackedChunk:
        return cls(chunk.ordinal, chunk.text, chunk.metadata, Embedding.of(chunk.embedding))


@dataclass(frozen=True)
class WorkspaceSpec:
    """A workspace's catalogue row. Read-only engines (kendra, bedrock-kb) name their index or knowledge
    base in engine_ref and have no embedding model or dimension (None); the others need both."""

    name: str
    embedding_model: str | None
    dimension: int | None
    chunk_size: int = 300
    chunk_overlap: int = 50
    hybrid_search: bool = False
    id: uuid.UUID = field(default_factory=uuid.uuid4)
    engine: str = "pgvector"
    engine_ref: str | None = None
    rerank_model: str | None = None

    @property
    def read_only(self) -> bool:
        return self.engine in READ_ONLY_ENGINES


@dataclass(frozen=True)
class ChunkInput:
    ordinal: int
    text: str
    embedding: Sequence[float]
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Document:
    id: uuid.UUID
    source: str
    version: int
    status: str
    reason: str | None
    chunk_count: int
    updated_at: datetime | None = None


@dataclass(frozen=True)
class Hit:
    chunk_id: int
    document_id: uuid.UUID
    ordinal: int
    text: str
    metadata: dict[str, Any]
    score: float  # cosine similarity, or the RRF score in hybrid search
    similarity: float  # cosine similarity to the query embedding, in both modes
