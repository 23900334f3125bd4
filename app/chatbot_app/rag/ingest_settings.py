"""A workspace's embedding and chunking settings as ingestion uses them (ingest.py): its embedding model
must be enabled on the stack, and settings that cannot work fail the document (DocumentFailed) instead of
being retried.
"""

from __future__ import annotations

from collections.abc import Collection

from .chunking import Chunk, ChunkingConfig
from .embeddings import BedrockEmbedder
from .ingest_jobs import DocumentFailed, Embedder, EmbedderFactory
from .store import StagedChunk, WorkspaceSpec


def bedrock_embedders(region: str | None, concurrency: int = 8) -> EmbedderFactory:
    """Bedrock embedders for the workspace's model; Titan requests run `concurrency` at a time."""
    return lambda model_id, dimension: BedrockEmbedder(model_id, dimension, region=region,
                                                       concurrency=concurrency)


class Embedders:
    """One embedder per (model, dimension), made on first use and kept for the processor's lifetime."""

    def __init__(self, factory: EmbedderFactory, enabled: Collection[str]) -> None:
        self._make = factory
        self._enabled = enabled
        self._made: dict[tuple[str, int], Embedder] = {}

    def for_workspace(self, workspace: WorkspaceSpec) -> Embedder:
        model, dimension = workspace.embedding_model, workspace.dimension
        if model not in self._enabled:
            raise DocumentFailed(f"embedding model {model!r} is not enabled on this stack")
        key = (model, dimension)
        if key not in self._made:
            try:
                self._made[key] = self._make(model, dimension)
            except ValueError as exc:
                raise DocumentFailed(f"workspace embedding settings are invalid: {exc}") from exc
        return self._made[key]


def chunking(workspace: WorkspaceSpec) -> ChunkingConfig:
    try:
        return ChunkingConfig(chunk_size=workspace.chunk_size, overlap=workspace.chunk_overlap)
    except ValueError as exc:
        raise DocumentFailed(f"workspace chunking settings are invalid: {exc}") from exc


def embedding_text(chunk: StagedChunk) -> str:
    """What is embedded for a staged chunk: its text led by its heading path, as chunking.Chunk does."""
    path = tuple(str(p) for p in chunk.metadata.get("heading_path") or ())
    return Chunk(chunk.ordinal, chunk.text, tokens=0, section=0, heading_path=path).embedding_text()
