"""A real small embedding model for local mode: wordllama's `l2_supercat` 256-dimensional static token
embeddings (distilled from LLM embedding layers, mean-pooled), whose weights ship inside the wheel.

The model is loaded once per process and never downloaded: wordllama 0.4.0.post1 looks for its bundled
tokenizer in the wrong folder and would then fetch it from Hugging Face, so the cache is pointed at the
package itself and downloads are disabled. A missing or broken install fails loudly instead.

Same interface as rag.embeddings.BedrockEmbedder (embed_documents / embed_query, unit vectors), so the rag
service and the ingestion processor use it unchanged.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..rag.embeddings import LOCAL_MODEL, EmbeddingError

if TYPE_CHECKING:
    import numpy as np

MODEL_ID = LOCAL_MODEL.model_id
DIMENSION = LOCAL_MODEL.dimensions[0]
INSTALL_HINT = "pip install -r requirements-dev.txt"

_lock = threading.Lock()
_model: Any = None


class LocalModelUnavailable(EmbeddingError):
    """wordllama is not installed, or its bundled weights are missing."""


def load() -> Any:
    """The wordllama model, loaded on first use and shared by every embedder of the process."""
    global _model
    with _lock:
        if _model is None:
            try:
                import wordllama
            except ImportError as exc:
                raise LocalModelUnavailable(
                    f"local mode needs the wordllama package for embeddings; run `{INSTALL_HINT}`"
                ) from exc
            try:
                _model = wordllama.WordLlama.load(
                    cache_dir=Path(wordllama.__file__).parent, dim=DIMENSION, disable_download=True
                )
            except (FileNotFoundError, ValueError) as exc:
                raise LocalModelUnavailable(
                    f"wordllama's bundled model could not be loaded ({exc}); reinstall: `{INSTALL_HINT}`"
                ) from exc
        return _model


def embed(texts: Sequence[str]) -> np.ndarray:
    """Unit vectors, one row per text. A text with no known token is a zero row (its cosine with anything is
    0), not the NaN row wordllama's own normalisation would give."""
    model = load()  # first: without the dev dependencies this names the install command
    import numpy as np  # wordllama's own dependency

    with _lock:  # the tokenizer's padding settings are shared state; embedding is fast, so serialise it
        vectors = np.asarray(model.embed(list(texts), norm=False), dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms == 0, 1.0, norms)


class LocalEmbedder:
    model_id = MODEL_ID

    def __init__(self, dimension: int = DIMENSION) -> None:
        if dimension != DIMENSION:
            raise ValueError(f"{MODEL_ID} supports dimension {DIMENSION}, not {dimension}")
        self.dimensions = dimension

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        for position, text in enumerate(texts):
            if not text.strip():
                raise ValueError(f"text {position} is empty")  # as Bedrock refuses it
        if not texts:
            return []
        return [[float(x) for x in row] for row in embed(texts)]

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]
