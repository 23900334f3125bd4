"""The rag service's configuration (from its environment), its refusal type and what every op is given."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from .embeddings import enabled_models
from .engine_config import EngineConfig, EngineConfigError
from .engines.registry import EngineRegistry
from .store import VectorStore


class ServiceConfigError(RuntimeError):
    pass


@dataclass(frozen=True)
class ServiceConfig:
    uploads_bucket: str
    embedding_models: tuple[str, ...]
    engines: EngineConfig = field(default_factory=EngineConfig)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ServiceConfig:
        env = os.environ if env is None else env
        bucket = env.get("UPLOADS_BUCKET", "").strip()
        entries = (m.strip() for m in env.get("EMBEDDING_MODELS", "").split(","))
        models = tuple(dict.fromkeys(m for m in entries if m))
        known = enabled_models(env)
        unknown = [m for m in models if m not in known]
        if not bucket or not models or unknown:
            raise ServiceConfigError(f"set UPLOADS_BUCKET and EMBEDDING_MODELS (from {sorted(known)}); "
                                     f"unknown models: {unknown}")
        try:
            engines = EngineConfig.from_env(env)
        except EngineConfigError as exc:
            raise ServiceConfigError(str(exc)) from exc
        return cls(bucket, models, engines)


class QueryEmbedder(Protocol):
    def embed_query(self, text: str) -> list[float]: ...


EmbedderFactory = Callable[[str, int], QueryEmbedder]  # (model id, dimension) -> embedder


class ServiceError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


@dataclass(frozen=True)
class Deps:
    store: VectorStore
    embedder_factory: EmbedderFactory
    s3: Any
    config: ServiceConfig
    engines: EngineRegistry
