"""Retrieval engine settings: which engines workspaces may use, reranking and web crawling.

Every engine keeps the workspace catalogue (workspaces, documents, statuses) in the Aurora database, so
each needs ragEnabled. pgvector and opensearch hold the stack's own chunks (uploads and crawls go in);
kendra and bedrock-kb are read-only views on an index or a knowledge base filled by its own data sources.
The engine and rerank model names are restated from the app (app/chatbot_app/rag/engines);
tests/settings/test_engine_settings.py keeps them equal.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, Field, field_validator

from components.settings.setting import Setting, between, check_items, matches, setting_error

ENGINES: tuple[str, ...] = ("pgvector", "opensearch", "kendra", "bedrock-kb")
WRITABLE_ENGINES: tuple[str, ...] = ("pgvector", "opensearch")  # they take uploads and crawls
RERANK_MODELS: tuple[str, ...] = ("amazon.rerank-v1:0", "cohere.rerank-v3-5:0")
KendraEdition = Literal["DEVELOPER_EDITION", "ENTERPRISE_EDITION"]
KENDRA_INDEX_ID_PATTERN = r"^[a-zA-Z0-9][a-zA-Z0-9-]{35}$"
KNOWLEDGE_BASE_ID_PATTERN = r"^[0-9A-Z]{10}$"
ROLE_ARN_PATTERN = r"^arn:aws[a-z-]*:iam::\d{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}$"
EXTERNAL_ID_PATTERN = r"^[\w+=,.@:/-]{2,1224}$"
HOST_PATTERN = r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$"
_KENDRA_INDEX_ID = re.compile(KENDRA_INDEX_ID_PATTERN)
_KNOWLEDGE_BASE_ID = re.compile(KNOWLEDGE_BASE_ID_PATTERN)
_HOST = re.compile(HOST_PATTERN)


class RagEngineFields(BaseModel):
    rag_engines: Annotated[tuple[str, ...], Setting(
        "array", "one or more of " + ", ".join(ENGINES) + ", no duplicates; other than pgvector only when "
        "ragEnabled is true; kendra needs kendraCreateIndex or kendraIndexIds; bedrock-kb needs "
        "knowledgeBaseCreate or knowledgeBaseIds",
        effect=(
            "pgvector: no cost beyond the database; opensearch: a vector collection billed per OCU-hour "
            "around the clock (about $175 a month without standby replicas, $350 with) plus its VPC "
            "endpoint; kendra: a created index bills hourly from creation (developer edition about $810 a "
            "month); bedrock-kb: no idle cost for attached knowledge bases"
        ),
    )] = Field(("pgvector",), alias="ragEngines", description=(
        "Retrieval engines a workspace may be created with."))
    opensearch_standby_replicas: Annotated[bool, Setting(
        "boolean", "true or false; false only when environment is dev",
        dev_relaxation="false: one copy of each index; an Availability Zone outage stops retrieval",
        effect="false halves the collection's minimum OCUs (about $175 a month saved)",
    )] = Field(True, alias="opensearchStandbyReplicas", description=(
        "OpenSearch Serverless standby replicas in a second Availability Zone."))
    kendra_create_index: Annotated[bool, Setting(
        "boolean", "true or false; true only when ragEngines lists kendra",
        effect="true: a Kendra index billed hourly from creation, queried or not (it cannot scale to zero)",
    )] = Field(False, alias="kendraCreateIndex", description="Create a Kendra index for kendra workspaces.")
    kendra_edition: Annotated[KendraEdition, Setting(
        "string", "DEVELOPER_EDITION or ENTERPRISE_EDITION; used when kendraCreateIndex is true",
        effect=("DEVELOPER_EDITION: about $810 a month, one Availability Zone, for trials; "
                "ENTERPRISE_EDITION: about $1,008 a month, three Availability Zones, for production"),
    )] = Field("DEVELOPER_EDITION", alias="kendraEdition", description="Edition of the created Kendra index.")
    kendra_index_ids: Annotated[tuple[str, ...], Setting(
        "array", f"existing Kendra index IDs (36 characters, `{KENDRA_INDEX_ID_PATTERN}`), no duplicates; "
        "only when ragEngines lists kendra", effect="no cost to this stack (the index bills its owner)",
    )] = Field((), alias="kendraIndexIds", description="Existing Kendra indexes workspaces may attach.")
    kendra_role_arn: Annotated[str | None, Setting(
        "string", "empty, or an IAM role ARN in the indexes' account; only with kendraIndexIds",
        matches(ROLE_ARN_PATTERN),
    )] = Field(None, alias="kendraRoleArn", description=(
        "Role the retrieval function assumes to query attached Kendra indexes of another account."))
    kendra_external_id: Annotated[str | None, Setting(
        "string", "empty, or 2-1224 characters of letters, digits and _+=,.@:/- ; only with kendraRoleArn",
        matches(EXTERNAL_ID_PATTERN),
    )] = Field(None, alias="kendraExternalId", description=(
        "External ID the cross-account Kendra role requires (sts:ExternalId)."))
    knowledge_base_ids: Annotated[tuple[str, ...], Setting(
        "array", f"existing Bedrock knowledge base IDs (`{KNOWLEDGE_BASE_ID_PATTERN}`) in the Bedrock "
        "region, "
        "no duplicates; only when ragEngines lists bedrock-kb",
        effect="no cost to this stack beyond Retrieve calls (the knowledge base's store bills its owner)",
    )] = Field((), alias="knowledgeBaseIds", description=(
        "Existing Bedrock knowledge bases workspaces may attach."))
    knowledge_base_create: Annotated[bool, Setting(
        "boolean", "true or false; true only when ragEngines lists bedrock-kb",
        effect=("true: a knowledge base stored in the stack's Aurora database (Data API on), embedding with "
                "the first of ragEmbeddingModels; no idle cost beyond the database"),
    )] = Field(False, alias="knowledgeBaseCreate", description=(
        "Create a Bedrock knowledge base backed by the stack's vector database."))
    rag_rerank_models: Annotated[tuple[str, ...], Setting(
        "array", "none, or some of " + ", ".join(RERANK_MODELS) + ", no duplicates; only when ragEnabled "
        "is true",
        effect=("no idle cost; each reranked question bills one rerank query, and needs the "
                "bedrock-agent-runtime interface endpoint (about $7 a month per Availability Zone)"),
    )] = Field((), alias="ragRerankModels", description=(
        "Cross-encoder rerank models a workspace may choose (reranking is set per workspace)."))
    crawler_enabled: Annotated[bool, Setting(
        "boolean", "true or false; true only when ragEngines lists pgvector or opensearch",
        effect="true: a crawler function outside the VPC; no idle cost, pages bill as uploaded documents",
    )] = Field(False, alias="crawlerEnabled", description="Web crawling into workspaces.")
    crawler_allowed_domains: Annotated[tuple[str, ...], Setting(
        "array", "host names such as docs.example.com (exact match, no scheme, no wildcard), no duplicates; "
        "empty: a crawl stays on its start URL's host",
    )] = Field((), alias="crawlerAllowedDomains", description=(
        "Hosts a crawl may visit besides its start URL's host (SEC-TRUSTED-IMPORT)."))
    crawler_max_pages: Annotated[int, Setting(
        "integer", "an integer from 1 to 1000", between(1, 1000),
        effect="caps what one crawl can fetch, parse and embed",
    )] = Field(100, alias="crawlerMaxPages", description="Most pages one crawl may fetch.")
    crawler_min_interval_ms: Annotated[int, Setting(
        "integer", "an integer from 200 to 60000", between(200, 60_000),
    )] = Field(1000, alias="crawlerMinIntervalMs", description=(
        "Least time between two requests to one host, in ms (robots.txt Crawl-delay may raise it)."))
    crawler_feeds: Annotated[bool, Setting("boolean", "true or false")] = Field(
        False, alias="crawlerFeeds", description="Crawls may start from an RSS or Atom feed.")

    @field_validator("rag_engines")
    @classmethod
    def _check_rag_engines(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise setting_error(f"must list at least one; allowed: {', '.join(ENGINES)}")
        check_items(value, lambda item: item in ENGINES, "engines", ", ".join(ENGINES))
        return value

    @field_validator("rag_rerank_models")
    @classmethod
    def _check_rag_rerank_models(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        check_items(value, lambda item: item in RERANK_MODELS, "rerank models", ", ".join(RERANK_MODELS))
        return value

    @field_validator("kendra_index_ids")
    @classmethod
    def _check_kendra_index_ids(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        check_items(value, lambda item: _KENDRA_INDEX_ID.fullmatch(item) is not None, "Kendra index IDs",
                    f"36-character index IDs (`{KENDRA_INDEX_ID_PATTERN}`)")
        return value

    @field_validator("knowledge_base_ids")
    @classmethod
    def _check_knowledge_base_ids(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        check_items(value, lambda item: _KNOWLEDGE_BASE_ID.fullmatch(item) is not None,
                    "knowledge base IDs", f"10 upper-case letters and digits (`{KNOWLEDGE_BASE_ID_PATTERN}`)")
        return value

    @field_validator("crawler_allowed_domains")
    @classmethod
    def _check_crawler_allowed_domains(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        check_items(value, lambda item: _HOST.fullmatch(item) is not None, "host names",
                    "lower-case host names such as docs.example.com")
        return value

    @property
    def kendra_enabled(self) -> bool:
        return "kendra" in self.rag_engines

    @property
    def opensearch_enabled(self) -> bool:
        return "opensearch" in self.rag_engines

    @property
    def knowledge_bases_enabled(self) -> bool:
        return "bedrock-kb" in self.rag_engines
