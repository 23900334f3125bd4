"""Bedrock embeddings through bedrock-runtime InvokeModel: Titan Text Embeddings v2 and Cohere Embed v3.

- Titan v2 embeds one text per request (its API has no batch form), so a batch is sent as parallel
  requests (`concurrency` threads; boto3 clients are thread-safe). Dimensions 256, 512 or 1024; Bedrock
  normalises the vector when `normalize` is set.
- Cohere v3 takes up to 96 texts per request, with `input_type` search_document for stored chunks and
  search_query for questions (the model is trained asymmetrically; mixing them hurts recall). Texts over
  Cohere's 2,048-character request limit are cut client-side, as `truncate: END` would do with tokens.
  Cohere returns 1,024 dimensions; with `normalize` the vectors are L2-normalised here, so both providers
  give unit vectors and cosine and inner product rank the same.
- Throttling and transient errors are retried here with capped exponential backoff and full jitter (the
  client's own retries are off so attempts do not multiply). When retries run out EmbeddingThrottled is
  raised, so the ingestion worker can return the message to its queue instead of failing the document.
"""

from __future__ import annotations

import functools
import json
import math
import os
import random
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Literal

InputType = Literal["search_document", "search_query"]

_RETRYABLE = {"ThrottlingException", "ServiceUnavailableException", "ModelNotReadyException",
              "InternalServerException", "ModelTimeoutException"}


class EmbeddingError(Exception):
    """An embedding request that failed for a reason retrying will not fix (access, validation, model)."""


class EmbeddingThrottled(EmbeddingError):
    """Bedrock kept throttling (or was unavailable) after every retry."""


@dataclass(frozen=True)
class EmbeddingModel:
    model_id: str
    provider: Literal["titan", "cohere", "local"]
    dimensions: tuple[int, ...]  # allowed output sizes, the first is the default
    max_batch: int  # texts per InvokeModel request
    max_chars: int  # per text


MODELS: dict[str, EmbeddingModel] = {
    model.model_id: model
    for model in (
        EmbeddingModel("amazon.titan-embed-text-v2:0", "titan", (1024, 512, 256), 1, 50_000),
        EmbeddingModel("cohere.embed-english-v3", "cohere", (1024,), 96, 2048),
        EmbeddingModel("cohere.embed-multilingual-v3", "cohere", (1024,), 96, 2048),
    )
}
# Local mode's wordllama model (app/chatbot_app/local): never in MODELS, so the deployed stack cannot enable
# it; only a process started with EMBEDDING_PROVIDER=local (the local server) offers it.
LOCAL_MODEL = EmbeddingModel("local.wordllama-256", "local", (256,), 256, 100_000)


def local_models_enabled(env: Mapping[str, str] | None = None) -> bool:
    return (os.environ if env is None else env).get("EMBEDDING_PROVIDER", "").strip().lower() == "local"


def enabled_models(env: Mapping[str, str] | None = None) -> dict[str, EmbeddingModel]:
    """The models EMBEDDING_MODELS may name: Bedrock's, plus the local one under EMBEDDING_PROVIDER=local."""
    if local_models_enabled(env):
        return {**MODELS, LOCAL_MODEL.model_id: LOCAL_MODEL}
    return dict(MODELS)


def with_local_model(factory: Callable[[str, int], Any]) -> Callable[[str, int], Any]:
    """An embedder factory that answers the local model's id with the local embedder (under
    EMBEDDING_PROVIDER=local) and every other id with `factory`'s."""

    def make(model_id: str, dimension: int) -> Any:
        if model_id == LOCAL_MODEL.model_id and local_models_enabled():
            from ..local.embeddings import LocalEmbedder  # here only: wordllama is not in the Lambda archive

            return LocalEmbedder(dimension)
        return factory(model_id, dimension)

    return make


@functools.cache
def _runtime_client(region: str | None) -> Any:
    import boto3  # deferred: importing this module must not need AWS libraries loaded
    from botocore.config import Config

    config = Config(retries={"mode": "standard", "total_max_attempts": 1}, connect_timeout=3, read_timeout=60)
    return boto3.client("bedrock-runtime", region_name=region, config=config)


class BedrockEmbedder:
    def __init__(self, model_id: str, dimensions: int | None = None, *, normalize: bool = True,
                 region: str | None = None, client: Any = None, concurrency: int = 4, max_attempts: int = 6,
                 base_delay: float = 0.5, max_delay: float = 20.0,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        if model_id not in MODELS:
            supported = ", ".join(sorted(MODELS))
            raise ValueError(f"unsupported embedding model {model_id!r}; supported: {supported}")
        self.model = MODELS[model_id]
        self.dimensions = dimensions or self.model.dimensions[0]
        if self.dimensions not in self.model.dimensions:
            allowed = ", ".join(str(d) for d in sorted(self.model.dimensions))
            raise ValueError(f"{model_id} supports dimensions {allowed}, not {self.dimensions}")
        if concurrency < 1 or max_attempts < 1:
            raise ValueError("concurrency and max_attempts must be at least 1")
        self.normalize = normalize
        self.concurrency = concurrency
        self.max_attempts = max_attempts
        self.base_delay = base_delay
        self.max_delay = max_delay
        self._sleep = sleep
        self._region = region
        self._client = client
        self._lock = threading.Lock()
        self.input_tokens = 0  # as reported by Bedrock, for cost accounting
        self.requests = 0

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = _runtime_client(self._region)
        return self._client

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        return self._embed(texts, "search_document")

    def embed_query(self, text: str) -> list[float]:
        return self._embed([text], "search_query")[0]

    def _embed(self, texts: Sequence[str], input_type: InputType) -> list[list[float]]:
        for position, text in enumerate(texts):
            if not text.strip():
                raise ValueError(f"text {position} is empty; Bedrock rejects empty input")
            if self.model.provider == "titan" and len(text) > self.model.max_chars:
                raise ValueError(f"text {position} has {len(text)} characters; {self.model.model_id} accepts "
                                 f"{self.model.max_chars}")
        size = self.model.max_batch
        batches = [list(texts[start:start + size]) for start in range(0, len(texts), size)]
        call: Callable[[list[str]], list[list[float]]] = (
            self._titan if self.model.provider == "titan"
            else functools.partial(self._cohere, input_type=input_type)
        )
        if self.concurrency == 1 or len(batches) <= 1:
            results = [call(batch) for batch in batches]
        else:
            with ThreadPoolExecutor(max_workers=min(self.concurrency, len(batches))) as pool:
                results = list(pool.map(call, batches))  # map keeps the input order
        return [vector for batch in results for vector in batch]

    def _titan(self, batch: list[str]) -> list[list[float]]:
        body = {"inputText": batch[0], "dimensions": self.dimensions, "normalize": self.normalize,
                "embeddingTypes": ["float"]}
        reply = self._invoke(body)
        vector = (reply.get("embeddingsByType") or {}).get("float") or reply.get("embedding")
        self._count(int(reply.get("inputTextTokenCount") or 0))
        return [self._check(vector)]

    def _cohere(self, batch: list[str], input_type: InputType) -> list[list[float]]:
        body = {"texts": [text[: self.model.max_chars] for text in batch], "input_type": input_type,
                "truncate": "END", "embedding_types": ["float"]}
        reply = self._invoke(body)
        embeddings = reply.get("embeddings")
        vectors = embeddings.get("float") if isinstance(embeddings, dict) else embeddings
        if not isinstance(vectors, list) or len(vectors) != len(batch):
            raise EmbeddingError(f"{self.model.model_id} returned {len(vectors or [])} embeddings for "
                                 f"{len(batch)} texts")
        return [_unit(self._check(v)) if self.normalize else self._check(v) for v in vectors]

    def _check(self, vector: Any) -> list[float]:
        if not isinstance(vector, list) or len(vector) != self.dimensions:
            got = len(vector) if isinstance(vector, list) else type(vector).__name__
            raise EmbeddingError(f"{self.model.model_id} returned an embedding of {got}, "
                                 f"expected {self.dimensions}")
        return [float(x) for x in vector]

    def _count(self, tokens: int) -> None:
        with self._lock:
            self.input_tokens += tokens
            self.requests += 1

    def _invoke(self, body: dict[str, Any]) -> dict[str, Any]:
        from botocore.exceptions import ClientError

        payload = json.dumps(body).encode()
        for attempt in range(self.max_attempts):
            try:
                response = self.client.invoke_model(modelId=self.model.model_id, body=payload,
                                                    contentType="application/json", accept="application/json")
            except ClientError as exc:
                code = exc.response.get("Error", {}).get("Code", "")
                message = exc.response.get("Error", {}).get("Message", "")
                if code not in _RETRYABLE:
                    raise EmbeddingError(f"{self.model.model_id}: {code}: {message}") from exc
                if attempt + 1 == self.max_attempts:
                    raise EmbeddingThrottled(f"{self.model.model_id}: {code} after {self.max_attempts} "
                                             f"attempts: {message}") from exc
                ceiling = min(self.max_delay, self.base_delay * 2**attempt)  # full jitter, not a secret
                self._sleep(random.uniform(0, ceiling))  # noqa: S311  # nosec B311
                continue
            reply = json.loads(response["body"].read())
            if self.model.provider == "cohere":
                headers = response.get("ResponseMetadata", {}).get("HTTPHeaders", {})
                self._count(int(headers.get("x-amzn-bedrock-input-token-count", 0)))
            return reply
        raise AssertionError("unreachable: the loop returns or raises")  # pragma: no cover


def _unit(vector: list[float]) -> list[float]:
    norm = math.sqrt(sum(x * x for x in vector))
    return [x / norm for x in vector] if norm else vector
