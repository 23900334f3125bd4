"""Which retrieval engines a stack enables, read from the environment the stack's components set.

RAG_ENGINES            comma list of engines (default `pgvector`)
OPENSEARCH_ENDPOINT    https://<id>.<region>.aoss.amazonaws.com, with OPENSEARCH_REGION (opensearch)
KENDRA_INDEXES         JSON [{"id", "name", "region", "roleArn"|null, "externalId"|null}] (kendra)
KNOWLEDGE_BASES        JSON [{"id", "name", "region"}] (bedrock-kb)
RERANK_MODELS          comma list of reranking models (may be empty), with RERANK_REGION

Imports nothing heavy (no psycopg, no boto3): the REST function reads the same variables to tell the UI
which choices it has. Every error names the variable (and the entry) that is wrong.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

ENGINES = ("pgvector", "opensearch", "kendra", "bedrock-kb")
READ_ONLY_ENGINES = frozenset({"kendra", "bedrock-kb"})  # views on an index / knowledge base: no uploads
VECTOR_ENGINES = frozenset({"pgvector", "opensearch"})  # engines that take the question's embedding
RERANK_MODELS = ("amazon.rerank-v1:0", "cohere.rerank-v3-5:0")
REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d{1,2}$")  # an AWS region name (the engines check with it too)
_KENDRA_ID = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9-]{35}$")
_KB_ID = re.compile(r"^[0-9a-zA-Z]{10}$")
_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$")
_EXTERNAL_ID = re.compile(r"^[\w+=,.@:/-]{2,1224}$")
_NAME = re.compile(r"^[^\x00-\x1f\x7f]{1,100}$")


class EngineConfigError(RuntimeError):
    pass


@dataclass(frozen=True)
class KendraIndex:
    id: str
    name: str
    region: str | None = None
    role_arn: str | None = None
    external_id: str | None = None


@dataclass(frozen=True)
class KnowledgeBase:
    id: str
    name: str
    region: str | None = None


@dataclass(frozen=True)
class EngineConfig:
    engines: tuple[str, ...] = ("pgvector",)
    opensearch_endpoint: str | None = None
    opensearch_region: str | None = None
    kendra_indexes: tuple[KendraIndex, ...] = ()
    knowledge_bases: tuple[KnowledgeBase, ...] = ()
    rerank_models: tuple[str, ...] = ()
    rerank_region: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str], *, service: bool = True) -> EngineConfig:
        """`service`: the rag service and the document processor, which call the engines and so need their
        endpoints and regions; the REST function only lists the choices (service=False)."""
        engines = _names(env.get("RAG_ENGINES", "pgvector"), ENGINES, "RAG_ENGINES")
        if not engines:
            raise EngineConfigError(f"RAG_ENGINES must name at least one engine of: {', '.join(ENGINES)}")
        endpoint = env.get("OPENSEARCH_ENDPOINT", "").strip() or None
        os_region = env.get("OPENSEARCH_REGION", "").strip() or None
        if service and "opensearch" in engines:
            if endpoint is None or not endpoint.startswith(("https://", "http://")):
                raise EngineConfigError("OPENSEARCH_ENDPOINT must be the collection's https:// endpoint when "
                                        "RAG_ENGINES enables opensearch")
            _region(os_region, "OPENSEARCH_REGION", required=True)
        kendra = _kendra(env.get("KENDRA_INDEXES", "")) if "kendra" in engines else ()
        kbs = _knowledge_bases(env.get("KNOWLEDGE_BASES", "")) if "bedrock-kb" in engines else ()
        if service and "kendra" in engines and not kendra:
            raise EngineConfigError("KENDRA_INDEXES must list at least one index when RAG_ENGINES enables "
                                    "kendra")
        if service and "bedrock-kb" in engines and not kbs:
            raise EngineConfigError("KNOWLEDGE_BASES must list at least one knowledge base when RAG_ENGINES "
                                    "enables bedrock-kb")
        rerank = _names(env.get("RERANK_MODELS", ""), RERANK_MODELS, "RERANK_MODELS")
        rerank_region = env.get("RERANK_REGION", "").strip() or env.get("AWS_REGION", "").strip() or None
        _region(rerank_region, "RERANK_REGION", required=service and bool(rerank))
        return cls(engines, endpoint, os_region, kendra, kbs, rerank, rerank_region)

    def kendra_index(self, index_id: str | None) -> KendraIndex | None:
        return next((i for i in self.kendra_indexes if i.id == index_id), None)

    def knowledge_base(self, kb_id: str | None) -> KnowledgeBase | None:
        return next((k for k in self.knowledge_bases if k.id == kb_id), None)

    def refs(self, engine: str) -> tuple[str, ...]:
        if engine == "kendra":
            return tuple(i.id for i in self.kendra_indexes)
        if engine == "bedrock-kb":
            return tuple(k.id for k in self.knowledge_bases)
        return ()

    def check(self, engine: str, engine_ref: str | None, rerank_model: str | None) -> None:
        """A new workspace's choices against what this stack enables; ValueError names the field."""
        if engine not in self.engines:
            enabled = ", ".join(self.engines)
            raise ValueError(f"engine: must be one of the engines enabled on this stack: {enabled}")
        refs = self.refs(engine)
        if engine in READ_ONLY_ENGINES and engine_ref not in refs:
            what = "Kendra index" if engine == "kendra" else "knowledge base"
            raise ValueError(f"engineRef: must be the id of a {what} configured on this stack: "
                             f"{', '.join(refs) or '(none configured)'}")
        if engine not in READ_ONLY_ENGINES and engine_ref is not None:
            raise ValueError(f"engineRef: only the kendra and bedrock-kb engines take one, not {engine}")
        if rerank_model is not None and rerank_model not in self.rerank_models:
            allowed = ", ".join(self.rerank_models) or "(reranking is off on this stack)"
            raise ValueError(f"rerankModel: must be one of the reranking models enabled on this stack: "
                             f"{allowed}")

    def options(self) -> dict[str, Any]:
        """What the UI offers when creating a workspace (ids and labels only: no roles, no regions)."""
        return {
            "engines": list(self.engines),
            "readOnlyEngines": [e for e in self.engines if e in READ_ONLY_ENGINES],
            "kendraIndexes": [{"id": i.id, "name": i.name} for i in self.kendra_indexes],
            "knowledgeBases": [{"id": k.id, "name": k.name} for k in self.knowledge_bases],
            "rerankModels": list(self.rerank_models),
        }


def _names(value: str, known: Sequence[str], variable: str) -> tuple[str, ...]:
    names = tuple(dict.fromkeys(n.strip() for n in value.split(",") if n.strip()))
    unknown = [n for n in names if n not in known]
    if unknown:
        raise EngineConfigError(f"{variable} has unknown entries {unknown}; known: {', '.join(known)}")
    return names


def _region(value: str | None, variable: str, *, required: bool = False) -> str | None:
    if value is None and not required:
        return None
    if value is None or not REGION.match(value):
        raise EngineConfigError(f"{variable} must be an AWS region like eu-west-1, got {value!r}")
    return value


def _entries(raw: str, variable: str) -> list[dict[str, Any]]:
    if not raw.strip():
        return []
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise EngineConfigError(f"{variable} is not valid JSON") from exc
    if not isinstance(data, list) or not all(isinstance(d, dict) for d in data):
        raise EngineConfigError(f"{variable} must be a JSON list of objects")
    ids = [d.get("id") for d in data]
    if len(set(map(str, ids))) != len(ids):
        raise EngineConfigError(f"{variable} lists the same id twice")
    return data


def _field(entry: dict[str, Any], key: str, pattern: re.Pattern[str], where: str, *,
           required: bool = True) -> str | None:
    value = entry.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not pattern.match(value):
        raise EngineConfigError(f"{where}.{key} is missing or invalid")
    return value


def _kendra(raw: str) -> tuple[KendraIndex, ...]:
    indexes = []
    for n, entry in enumerate(_entries(raw, "KENDRA_INDEXES")):
        where = f"KENDRA_INDEXES[{n}]"
        index_id = str(_field(entry, "id", _KENDRA_ID, where))
        region = _field(entry, "region", REGION, where, required=False)
        role = _field(entry, "roleArn", _ROLE_ARN, where, required=False)
        external = _field(entry, "externalId", _EXTERNAL_ID, where, required=False)
        if external and not role:
            raise EngineConfigError(f"{where}.externalId needs a roleArn")
        name = _field(entry, "name", _NAME, where, required=False) or index_id
        indexes.append(KendraIndex(index_id, name, region, role, external))
    return tuple(indexes)


def _knowledge_bases(raw: str) -> tuple[KnowledgeBase, ...]:
    bases = []
    for n, entry in enumerate(_entries(raw, "KNOWLEDGE_BASES")):
        where = f"KNOWLEDGE_BASES[{n}]"
        kb_id = str(_field(entry, "id", _KB_ID, where))
        region = _field(entry, "region", REGION, where, required=False)
        name = _field(entry, "name", _NAME, where, required=False) or kb_id
        bases.append(KnowledgeBase(kb_id, name, region))
    return tuple(bases)
