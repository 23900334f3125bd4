"""Local mode's embedding model (wordllama, 256 dimensions, weights inside the wheel) and the switch that
offers it only under EMBEDDING_PROVIDER=local."""

from __future__ import annotations

import socket
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from chatbot_app.local import embeddings as local
from chatbot_app.rag.embeddings import (
    LOCAL_MODEL,
    MODELS,
    BedrockEmbedder,
    EmbeddingError,
    enabled_models,
    local_models_enabled,
    with_local_model,
)
from chatbot_app.rag.ingest_jobs import IngestConfig, IngestConfigError
from chatbot_app.rag.service import ServiceConfig, ServiceConfigError

LOCAL = "local.wordllama-256"
TITAN = "amazon.titan-embed-text-v2:0"


def cosine(a: list[float], b: list[float]) -> float:
    return float(np.dot(a, b))


@pytest.fixture
def fresh_model(monkeypatch: pytest.MonkeyPatch) -> None:
    """Forget the process's loaded model so the test loads it again (restored afterwards)."""
    monkeypatch.setattr(local, "_model", None)


def test_vectors_have_256_dimensions_and_unit_length() -> None:
    embedder = local.LocalEmbedder(256)
    vectors = embedder.embed_documents(["Bees need water near the hive.", "Quarterly revenue grew."])
    assert len(vectors) == 2 and all(len(v) == 256 for v in vectors)
    assert all(abs(float(np.linalg.norm(v)) - 1.0) < 1e-5 for v in vectors)
    assert all(isinstance(x, float) for x in vectors[0])
    assert embedder.embed_query("Bees need water near the hive.") == pytest.approx(vectors[0], abs=1e-6)
    assert embedder.embed_documents([]) == []


def test_similar_sentences_are_closer_than_unrelated_ones() -> None:
    embedder = local.LocalEmbedder()
    question = embedder.embed_query("How do I reset my password?")
    related = embedder.embed_documents([
        "To reset your password, open Settings, choose Security and click Reset password.",
        "Forgotten credentials can be changed from the account security page.",
    ])
    unrelated = embedder.embed_documents([
        "The cafeteria serves lunch between noon and two.",
        "Quarterly revenue grew by twelve percent.",
    ])
    worst_related = min(cosine(question, v) for v in related)
    best_unrelated = max(cosine(question, v) for v in unrelated)
    assert worst_related > 0.3 > best_unrelated + 0.15
    # Not a hash of the words: a paraphrase sharing no content word still scores well above unrelated text.
    assert cosine(question, related[1]) > best_unrelated + 0.2


def test_a_text_without_known_tokens_is_a_zero_vector_not_nan() -> None:
    vectors = local.embed(["", "Bees need water."])
    assert not np.isnan(vectors).any()
    assert float(np.linalg.norm(vectors[0])) == 0.0
    assert float(np.linalg.norm(vectors[1])) == pytest.approx(1.0)


def test_bad_input_is_refused_like_bedrock_does() -> None:
    with pytest.raises(ValueError, match="supports dimension 256, not 1024"):
        local.LocalEmbedder(1024)
    with pytest.raises(ValueError, match="text 1 is empty"):
        local.LocalEmbedder().embed_documents(["fine", "   "])


def test_the_model_loads_once_from_the_wheel_without_the_network(
    fresh_model: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_network(*args: Any, **kwargs: Any) -> None:
        raise AssertionError(f"the embedding model tried to connect: {args}")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    first = local.load()
    assert local.load() is first  # loaded once per process
    assert local.LocalEmbedder().embed_query("offline")  # works with every connection refused


def test_missing_wordllama_names_the_install_command(
    fresh_model: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "wordllama", None)  # `import wordllama` raises ImportError
    with pytest.raises(local.LocalModelUnavailable, match=r"pip install -r requirements-dev\.txt"):
        local.LocalEmbedder().embed_query("anything")
    # An EmbeddingError: the ingestion processor records it on the document for the user to read.
    assert issubclass(local.LocalModelUnavailable, EmbeddingError)


def test_missing_bundled_weights_never_fall_back_to_a_download(
    fresh_model: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    import wordllama

    seen: dict[str, Any] = {}

    def load(**kwargs: Any) -> Any:
        seen.update(kwargs)
        raise FileNotFoundError("Weights file 'l2_supercat_256.safetensors' not found; downloads disabled")

    monkeypatch.setattr(wordllama.WordLlama, "load", load)
    with pytest.raises(local.LocalModelUnavailable, match="bundled model could not be loaded"):
        local.load()
    assert seen["disable_download"] is True and seen["dim"] == 256
    # The package folder: 0.4.0.post1 finds its bundled tokenizer only there (else it would download it).
    assert seen["cache_dir"] == Path(wordllama.__file__).parent


# The switch ----------------------------------------------------------------------------------------------
def test_the_local_model_is_offered_only_under_embedding_provider_local(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("EMBEDDING_PROVIDER", raising=False)
    assert LOCAL not in MODELS  # the deployed stack's list (and its settings) never has it
    assert not local_models_enabled() and LOCAL not in enabled_models()
    assert enabled_models({"EMBEDDING_PROVIDER": "bedrock"}) == MODELS
    monkeypatch.setenv("EMBEDDING_PROVIDER", "local")
    models = enabled_models()
    assert models[LOCAL] is LOCAL_MODEL and LOCAL_MODEL.dimensions == (256,)
    assert set(models) == {*MODELS, LOCAL}


def test_factories_give_the_local_embedder_only_for_its_id_and_only_when_enabled(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    asked: list[tuple[str, int]] = []

    def bedrock(model_id: str, dimension: int) -> str:
        asked.append((model_id, dimension))
        return "bedrock"

    factory = with_local_model(bedrock)
    monkeypatch.setenv("EMBEDDING_PROVIDER", "local")
    assert isinstance(factory(LOCAL, 256), local.LocalEmbedder)
    assert factory(TITAN, 256) == "bedrock"
    monkeypatch.delenv("EMBEDDING_PROVIDER")
    assert factory(LOCAL, 256) == "bedrock"  # the Bedrock factory then refuses the unknown id itself
    assert asked == [(TITAN, 256), (LOCAL, 256)]
    with pytest.raises(ValueError, match="unsupported embedding model"):
        BedrockEmbedder(LOCAL, 256)


def test_service_and_processor_accept_the_local_model_only_when_enabled() -> None:
    service_env = {"UPLOADS_BUCKET": "b", "EMBEDDING_MODELS": LOCAL}
    ingest_env = {**service_env, "INGEST_QUEUE_URL": "q", "MAX_UPLOAD_BYTES": "100"}
    with pytest.raises(ServiceConfigError, match="unknown models: \\['local.wordllama-256'\\]"):
        ServiceConfig.from_env(service_env)
    with pytest.raises(IngestConfigError, match="EMBEDDING_MODELS has unknown entries"):
        IngestConfig.from_env(ingest_env)
    local_env = {"EMBEDDING_PROVIDER": "local"}
    assert ServiceConfig.from_env({**service_env, **local_env}).embedding_models == (LOCAL,)
    assert IngestConfig.from_env({**ingest_env, **local_env}).embedding_models == {LOCAL}
    everything = IngestConfig.from_env({**ingest_env, **local_env, "EMBEDDING_MODELS": ""})
    assert everything.embedding_models == {*MODELS, LOCAL}
    assert IngestConfig.from_env({**ingest_env, "EMBEDDING_MODELS": ""}).embedding_models == set(MODELS)
