"""Retrieval engines behind one interface (issue 6). A workspace chooses its engine when it is created.

Engines: `pgvector` (Aurora PostgreSQL, rag/store.py), `opensearch` (OpenSearch Serverless), `kendra`
(an index the stack creates or an existing one), `bedrock-kb` (an existing Bedrock knowledge base). Every
engine answers `retrieve`; engines that hold the stack's own chunks also take `upsert` and `delete`
(Kendra and knowledge bases ingest from their own data sources, so those refuse writes).

OpenSearchServerlessEngine is imported from `.opensearch` directly: it needs opensearch-py, which only the
functions that use that engine carry.
"""

from .base import EngineError, Passage, RetrievalEngine, RetrievalQuery, WritableEngine
from .kendra import AssumedRole, KendraEngine
from .knowledge_base import BedrockKnowledgeBaseEngine
from .pgvector import PgVectorEngine
from .rerank import BedrockReranker, RerankingEngine

__all__ = [
    "AssumedRole", "BedrockKnowledgeBaseEngine", "BedrockReranker", "EngineError", "KendraEngine", "Passage",
    "PgVectorEngine", "RerankingEngine", "RetrievalEngine", "RetrievalQuery", "WritableEngine",
]
