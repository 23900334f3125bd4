"""The OpenSearch side of the opensearch engine: the k-NN index mapping, filters as query clauses, scores.

The vector field uses HNSW on faiss (the engine that supports efficient filtered k-NN on Serverless) with
inner product: the stack's embeddings are unit vectors, so inner product ranks as cosine similarity does.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from ..filters import Equals, In, Range
from ._aws import unit_score
from .base import EngineError

VECTOR_FIELD = "embedding"
_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")  # as rag/filters.py; checked again before use


def index_body(dimension: int, m: int = 16, ef_construction: int = 256) -> dict[str, Any]:
    vector = {"type": "knn_vector", "dimension": dimension,
              "method": {"name": "hnsw", "engine": "faiss", "space_type": "innerproduct",
                         "parameters": {"m": m, "ef_construction": ef_construction}}}
    keyword = {"type": "keyword"}
    return {
        "settings": {"index": {"knn": True}},
        "mappings": {
            # Metadata strings are exact values (filters compare them whole), not analysed text.
            "dynamic_templates": [{"metadata_strings": {
                "path_match": "metadata.*", "match_mapping_type": "string", "mapping": keyword}}],
            "properties": {
                VECTOR_FIELD: vector, "text": {"type": "text"}, "workspace_id": keyword,
                "document_id": keyword, "chunk_key": keyword, "source": keyword,
                "ordinal": {"type": "integer"}, "version": {"type": "long"},
                "metadata": {"type": "object", "dynamic": True},
            },
        },
    }


def translate_filters(filters: Sequence[Any]) -> list[dict[str, Any]]:
    """rag/filters.py models -> bool filter clauses on metadata.<key>; values stay JSON values."""
    clauses: list[dict[str, Any]] = []
    for f in filters:
        if not isinstance(f, Equals | In | Range) or not _KEY.match(f.key):
            raise EngineError("unsupported filter")
        field = f"metadata.{f.key}"
        if isinstance(f, Equals):
            clauses.append({"term": {field: f.value}})
        elif isinstance(f, In):
            clauses.append({"terms": {field: list(f.values)}})
        else:
            bounds = {op: getattr(f, op) for op in ("gt", "gte", "lt", "lte") if getattr(f, op) is not None}
            clauses.append({"range": {field: bounds}})
    return clauses


def cosine_score(score: Any) -> float:
    """faiss inner-product _score back to the inner product (cosine for unit vectors), clamped to 0..1.

    OpenSearch maps an inner product p to 1 + p when p >= 0 and to 1 / (1 - p) otherwise."""
    try:
        s = float(score)
    except (TypeError, ValueError):
        return 0.0
    return unit_score(s - 1 if s >= 1 else 1 - 1 / s if s > 0 else 0.0)
