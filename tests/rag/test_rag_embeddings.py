"""Bedrock embeddings with botocore's Stubber: every InvokeModel request is validated against the
bedrock-runtime API model, and each JSON body is compared field by field."""

from __future__ import annotations

import json
import math
import subprocess  # noqa: S404  # nosec B404
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT / "app") not in sys.path:
    sys.path.insert(0, str(ROOT / "app"))

from bedrock_stubs import expect, reply  # noqa: E402
from chatbot_app.rag.embeddings import (  # noqa: E402
    MODELS,
    BedrockEmbedder,
    EmbeddingError,
    EmbeddingThrottled,
)

TITAN = "amazon.titan-embed-text-v2:0"
COHERE = "cohere.embed-english-v3"


def vector(dimensions: int, seed: float = 1.0) -> list[float]:
    return [seed * (i + 1) for i in range(dimensions)]


@pytest.fixture
def runtime() -> Iterator[tuple[Any, Stubber]]:
    client = boto3.client("bedrock-runtime", region_name="eu-west-1")  # the Stubber answers before signing
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


@pytest.mark.parametrize("dimensions", [256, 512, 1024])
def test_titan_v2_one_request_per_text_with_dimensions_and_normalize(
    runtime: tuple[Any, Stubber], dimensions: int
) -> None:
    client, stubber = runtime
    texts = ["first chunk", "second chunk"]
    for seed, text in enumerate(texts, start=1):
        body = {"inputText": text, "dimensions": dimensions, "normalize": True, "embeddingTypes": ["float"]}
        stubber.add_response(
            "invoke_model",
            reply(
                {
                    "embedding": vector(dimensions, seed),
                    "inputTextTokenCount": 3,
                    "embeddingsByType": {"float": vector(dimensions, seed)},
                }
            ),
            expect(TITAN, body),
        )
    embedder = BedrockEmbedder(TITAN, dimensions, client=client, concurrency=1)
    vectors = embedder.embed_documents(texts)
    assert [v[0] for v in vectors] == [1.0, 2.0] and all(len(v) == dimensions for v in vectors)
    assert (embedder.input_tokens, embedder.requests) == (6, 2)


def test_titan_query_is_the_same_request_without_normalize(runtime: tuple[Any, Stubber]) -> None:
    client, stubber = runtime
    body = {
        "inputText": "what is quince?",
        "dimensions": 512,
        "normalize": False,
        "embeddingTypes": ["float"],
    }
    stubber.add_response(
        "invoke_model", reply({"embedding": vector(512), "inputTextTokenCount": 4}), expect(TITAN, body)
    )
    embedder = BedrockEmbedder(TITAN, 512, normalize=False, client=client)
    assert embedder.embed_query("what is quince?") == vector(512)


def test_cohere_batches_of_96_for_documents_and_search_query_for_questions(
    runtime: tuple[Any, Stubber],
) -> None:
    client, stubber = runtime
    texts = [f"chunk {i}" for i in range(100)]
    for batch in (texts[:96], texts[96:]):
        body = {
            "texts": batch,
            "input_type": "search_document",
            "truncate": "END",
            "embedding_types": ["float"],
        }
        stubber.add_response(
            "invoke_model",
            reply(
                {
                    "id": "x",
                    "response_type": "embeddings_by_type",
                    "texts": batch,
                    "embeddings": {"float": [vector(1024) for _ in batch]},
                }
            ),
            expect(COHERE, body),
        )
    query_body = {
        "texts": ["where is lyon?"],
        "input_type": "search_query",
        "truncate": "END",
        "embedding_types": ["float"],
    }
    stubber.add_response(
        "invoke_model",
        reply(
            {
                "embeddings": [vector(1024, 3.0)],  # the plain floats shape
                "response_type": "embeddings_floats",
            }
        ),
        expect(COHERE, query_body),
    )
    embedder = BedrockEmbedder(COHERE, client=client, concurrency=1)
    vectors = embedder.embed_documents(texts)
    assert len(vectors) == 100
    query = embedder.embed_query("where is lyon?")
    for v in [*vectors, query]:  # normalised here so both providers give unit vectors
        assert math.isclose(math.sqrt(sum(x * x for x in v)), 1.0)


def test_cohere_clips_texts_to_its_character_limit(runtime: tuple[Any, Stubber]) -> None:
    client, stubber = runtime
    long_text = "word " * 1000
    body = {
        "texts": [long_text[:2048]],
        "input_type": "search_document",
        "truncate": "END",
        "embedding_types": ["float"],
    }
    stubber.add_response(
        "invoke_model", reply({"embeddings": {"float": [vector(1024)]}}), expect(COHERE, body)
    )
    BedrockEmbedder("cohere.embed-english-v3", client=client, normalize=False).embed_documents([long_text])


def test_throttling_is_retried_with_capped_backoff(runtime: tuple[Any, Stubber]) -> None:
    client, stubber = runtime
    body = {"inputText": "hello", "dimensions": 1024, "normalize": True, "embeddingTypes": ["float"]}
    stubber.add_client_error(
        "invoke_model", "ThrottlingException", "Too many requests", 429, expect(TITAN, body)
    )
    stubber.add_client_error("invoke_model", "ServiceUnavailableException", "busy", 503, expect(TITAN, body))
    stubber.add_response(
        "invoke_model", reply({"embedding": vector(1024), "inputTextTokenCount": 1}), expect(TITAN, body)
    )
    delays: list[float] = []
    embedder = BedrockEmbedder(TITAN, client=client, sleep=delays.append, base_delay=0.5, max_delay=0.75)
    assert embedder.embed_documents(["hello"]) == [vector(1024)]
    assert len(delays) == 2 and 0 <= delays[0] <= 0.5 and 0 <= delays[1] <= 0.75


def test_throttling_that_never_ends_raises_embedding_throttled(runtime: tuple[Any, Stubber]) -> None:
    client, stubber = runtime
    for _ in range(3):
        stubber.add_client_error("invoke_model", "ThrottlingException", "slow down", 429)
    delays: list[float] = []
    embedder = BedrockEmbedder(COHERE, client=client, max_attempts=3, sleep=delays.append)
    with pytest.raises(EmbeddingThrottled, match="ThrottlingException after 3 attempts"):
        embedder.embed_documents(["a"])
    assert len(delays) == 2


@pytest.mark.parametrize(
    "code", ["AccessDeniedException", "ValidationException", "ResourceNotFoundException"]
)
def test_permanent_errors_are_not_retried(runtime: tuple[Any, Stubber], code: str) -> None:
    client, stubber = runtime
    stubber.add_client_error("invoke_model", code, "no", 400)
    delays: list[float] = []
    with pytest.raises(EmbeddingError, match=code) as caught:
        BedrockEmbedder(TITAN, client=client, sleep=delays.append).embed_documents(["a"])
    assert not isinstance(caught.value, EmbeddingThrottled) and delays == []


def test_wrong_sized_or_missing_embeddings_are_errors(runtime: tuple[Any, Stubber]) -> None:
    client, stubber = runtime
    stubber.add_response("invoke_model", reply({"embedding": vector(256)}))
    stubber.add_response("invoke_model", reply({"embeddings": {"float": [vector(1024)]}}))
    with pytest.raises(EmbeddingError, match="embedding of 256, expected 1024"):
        BedrockEmbedder(TITAN, client=client).embed_documents(["a"])
    with pytest.raises(EmbeddingError, match="1 embeddings for 2 texts"):
        BedrockEmbedder(COHERE, client=client).embed_documents(["a", "b"])


def test_bad_arguments_fail_before_any_request() -> None:
    with pytest.raises(ValueError, match="supported: amazon.titan"):
        BedrockEmbedder("amazon.titan-embed-text-v1")
    with pytest.raises(ValueError, match="supports dimensions 256, 512, 1024, not 768"):
        BedrockEmbedder(TITAN, 768)
    with pytest.raises(ValueError, match="supports dimensions 1024, not 512"):
        BedrockEmbedder(COHERE, 512)
    embedder = BedrockEmbedder(TITAN, client=object())
    with pytest.raises(ValueError, match="text 1 is empty"):
        embedder.embed_documents(["ok", "  "])
    with pytest.raises(ValueError, match="50000"):
        embedder.embed_documents(["x" * 50_001])


class SlowFakeClient:
    """Answers Titan requests out of order (later texts answer first) to prove results keep input order."""

    def __init__(self) -> None:
        self.active = 0
        self.peak = 0
        self.lock = threading.Lock()

    def invoke_model(self, **kwargs: Any) -> dict[str, Any]:
        text = json.loads(kwargs["body"])["inputText"]
        with self.lock:
            self.active += 1
            self.peak = max(self.peak, self.active)
        time.sleep(0.02 / (int(text) + 1))
        with self.lock:
            self.active -= 1
        return reply({"embedding": vector(256, float(text)), "inputTextTokenCount": 1})


def test_titan_requests_run_in_parallel_and_keep_order() -> None:
    fake = SlowFakeClient()
    vectors = BedrockEmbedder(TITAN, 256, client=fake, concurrency=4).embed_documents(
        [str(i) for i in range(12)]
    )
    assert [v[0] for v in vectors] == [float(i) for i in range(12)]
    assert 1 < fake.peak <= 4


def test_client_is_created_lazily_without_botocore_retries() -> None:
    embedder = BedrockEmbedder(TITAN, region="eu-central-1")
    assert embedder._client is None
    client = embedder.client
    assert client.meta.region_name == "eu-central-1"
    assert client.meta.config.retries["total_max_attempts"] == 1
    assert set(MODELS) == {TITAN, COHERE, "cohere.embed-multilingual-v3"}


def test_importing_embeddings_does_not_import_boto3() -> None:
    code = (
        "import sys; sys.path.insert(0, 'app'); import chatbot_app.rag.embeddings; "
        "assert 'boto3' not in sys.modules and 'botocore' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)  # noqa: S603  # nosec B603
