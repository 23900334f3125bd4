"""The engines' configuration from the environment (RAG_ENGINES, OPENSEARCH_*, KENDRA_INDEXES,
KNOWLEDGE_BASES, RERANK_*): parsed, validated with errors naming the variable, and turned into engines."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from chatbot_app.rag.engine_config import EngineConfig, EngineConfigError
from chatbot_app.rag.engines.kendra import KendraEngine
from chatbot_app.rag.engines.knowledge_base import BedrockKnowledgeBaseEngine
from chatbot_app.rag.engines.pgvector import PgVectorEngine
from chatbot_app.rag.engines.registry import EngineRegistry
from chatbot_app.rag.engines.rerank import RerankingEngine
from chatbot_app.rag.store import WorkspaceSpec

APP = Path(__file__).resolve().parents[2] / "app"
INDEX = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
ROLE = "arn:aws:iam::210987654321:role/reader"
FULL = {
    "RAG_ENGINES": "pgvector, opensearch,kendra,bedrock-kb",
    "OPENSEARCH_ENDPOINT": "https://abc123.eu-west-1.aoss.amazonaws.com", "OPENSEARCH_REGION": "eu-west-1",
    "KENDRA_INDEXES": json.dumps([{"id": INDEX, "name": "HR", "region": "eu-west-1", "roleArn": ROLE,
                                   "externalId": "ext-1"}]),
    "KNOWLEDGE_BASES": json.dumps([{"id": "KBABCDE123", "name": "Docs", "region": "us-east-1"}]),
    "RERANK_MODELS": "amazon.rerank-v1:0", "RERANK_REGION": "eu-central-1",
}


def test_the_full_configuration_and_what_the_ui_is_told() -> None:
    config = EngineConfig.from_env(FULL)
    assert config.engines == ("pgvector", "opensearch", "kendra", "bedrock-kb")
    assert config.kendra_index(INDEX).role_arn == ROLE
    assert config.knowledge_base("KBABCDE123").region == "us-east-1"
    assert config.options() == {
        "engines": ["pgvector", "opensearch", "kendra", "bedrock-kb"],
        "readOnlyEngines": ["kendra", "bedrock-kb"], "kendraIndexes": [{"id": INDEX, "name": "HR"}],
        "knowledgeBases": [{"id": "KBABCDE123", "name": "Docs"}], "rerankModels": ["amazon.rerank-v1:0"]}
    assert "roleArn" not in json.dumps(config.options()) and ROLE not in json.dumps(config.options())


def test_defaults_are_pgvector_only() -> None:
    config = EngineConfig.from_env({})
    assert (config.engines, config.rerank_models, config.kendra_indexes) == (("pgvector",), (), ())


@pytest.mark.parametrize(("override", "variable"), [
    ({"RAG_ENGINES": "pgvector,faiss"}, "RAG_ENGINES"),
    ({"RAG_ENGINES": " , "}, "RAG_ENGINES"),
    ({"OPENSEARCH_ENDPOINT": ""}, "OPENSEARCH_ENDPOINT"),
    ({"OPENSEARCH_REGION": "Europe"}, "OPENSEARCH_REGION"),
    ({"KENDRA_INDEXES": "[{"}, "KENDRA_INDEXES"),
    ({"KENDRA_INDEXES": "[]"}, "KENDRA_INDEXES"),
    ({"KENDRA_INDEXES": json.dumps([{"id": "short"}])}, "KENDRA_INDEXES[0].id"),
    ({"KENDRA_INDEXES": json.dumps([{"id": INDEX, "externalId": "e-1"}])}, "KENDRA_INDEXES[0].externalId"),
    ({"KENDRA_INDEXES": json.dumps([{"id": INDEX, "roleArn": "role"}])}, "KENDRA_INDEXES[0].roleArn"),
    ({"KENDRA_INDEXES": json.dumps([{"id": INDEX}, {"id": INDEX}])}, "KENDRA_INDEXES"),
    ({"KNOWLEDGE_BASES": json.dumps({"id": "KBABCDE123"})}, "KNOWLEDGE_BASES"),
    ({"KNOWLEDGE_BASES": json.dumps([{"id": "KBABCDE123", "region": "moon"}])}, "KNOWLEDGE_BASES[0].region"),
    ({"RERANK_MODELS": "cohere.rerank-v9"}, "RERANK_MODELS"),
    ({"RERANK_REGION": "", "AWS_REGION": ""}, "RERANK_REGION"),
])
def test_errors_name_the_variable(override: dict[str, str], variable: str) -> None:
    with pytest.raises(EngineConfigError, match=variable.replace("[", r"\[").replace("]", r"\]")):
        EngineConfig.from_env({**FULL, **override})


def test_the_rest_function_only_lists_choices() -> None:
    env = {"RAG_ENGINES": "pgvector,opensearch,kendra", "RERANK_MODELS": "cohere.rerank-v3-5:0"}
    with pytest.raises(EngineConfigError):
        EngineConfig.from_env(env)  # the service needs the endpoint and the indexes
    options = EngineConfig.from_env(env, service=False).options()
    assert options["engines"] == ["pgvector", "opensearch", "kendra"] and options["kendraIndexes"] == []


def test_the_registry_builds_each_engine_once_and_wraps_reranking() -> None:
    registry = EngineRegistry(EngineConfig.from_env(FULL), store=None)  # type: ignore[arg-type]
    pg = WorkspaceSpec("p", "m", 1024)
    assert isinstance(registry.engine(pg), PgVectorEngine) and registry.engine(pg) is registry.engine(pg)
    kendra = registry.engine(WorkspaceSpec("k", None, None, engine="kendra", engine_ref=INDEX))
    assert isinstance(kendra, KendraEngine) and kendra.role is not None and kendra.role.external_id == "ext-1"
    kb = registry.engine(WorkspaceSpec("b", None, None, engine="bedrock-kb", engine_ref="KBABCDE123",
                                       rerank_model="amazon.rerank-v1:0"))
    assert isinstance(kb, RerankingEngine) and isinstance(kb.engine, BedrockKnowledgeBaseEngine)
    assert kb.reranker.model_arn == "arn:aws:bedrock:eu-central-1::foundation-model/amazon.rerank-v1:0"


def test_opensearch_py_is_imported_only_for_opensearch_workspaces() -> None:
    code = ("import sys; from chatbot_app.rag.engines.registry import EngineRegistry;"
            "from chatbot_app.rag.engine_config import EngineConfig;"
            "from chatbot_app.rag.store import WorkspaceSpec;"
            "r = EngineRegistry(EngineConfig(), None); r.engine(WorkspaceSpec('p', 'm', 1024));"
            "from chatbot_app.rag import service, ingest;"
            "assert 'opensearchpy' not in sys.modules, 'imported'")
    result = subprocess.run([sys.executable, "-c", code], cwd=APP, capture_output=True, text=True,  # noqa: S603
                            timeout=60, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
