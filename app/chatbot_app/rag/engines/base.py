"""The retrieval engine interface: what the rag service and the document processor call, per workspace."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable


class EngineError(RuntimeError):
    """An engine refused or failed a call; `retryable` says whether trying again may help (throttling)."""

    def __init__(self, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable


@dataclass(frozen=True)
class RetrievalQuery:
    workspace_id: uuid.UUID
    text: str  # the user's question (engines that embed do so with the workspace's model)
    k: int = 5
    embedding: Sequence[float] | None = None  # set by the caller for engines that take a vector
    filters: Sequence[Any] = ()  # rag/filters.py models; engines translate them, never interpolate


@dataclass(frozen=True)
class Passage:
    """One retrieved passage, engine-neutral: what the chat cites."""

    text: str
    score: float  # higher is better; engines map their own scale to 0..1 where they can
    source: str  # file name, URL or document title
    document_id: str
    location: dict[str, Any] = field(default_factory=dict)  # page, slide, sheet, headingPath, url


@runtime_checkable
class RetrievalEngine(Protocol):
    name: str

    def retrieve(self, query: RetrievalQuery) -> list[Passage]: ...


@runtime_checkable
class WritableEngine(RetrievalEngine, Protocol):
    def upsert(self, workspace_id: uuid.UUID, document_id: uuid.UUID, source: str, version: int,
               chunks: Sequence[Any]) -> None: ...

    def delete(self, workspace_id: uuid.UUID, document_id: uuid.UUID | None = None) -> None: ...
