"""Retrieval as the stack assembles it: the vector database, the engines beyond pgvector, the rag service
and ingestion, the crawler, and what the chat API's functions get (RetrievalAccess)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import pulumi

from components.chat_api import RetrievalAccess
from components.data_tables import DataTables
from components.knowledge_base import (
    KnowledgeBaseSecret,
    KnowledgeBaseSecretArgs,
    StackKnowledgeBase,
    StackKnowledgeBaseArgs,
)
from components.network import Network
from components.retrieval import Retrieval, RetrievalArgs
from components.retrieval_engines import RetrievalEngines, RetrievalEnginesArgs
from components.settings import StackSettings
from components.stack_keys import StackKeys
from components.vector_store import AuroraVectorStore, AuroraVectorStoreArgs
from components.vector_store_migration import KnowledgeBaseTable
from components.web_crawler import WebCrawler, WebCrawlerArgs


@dataclass(frozen=True)
class StackRetrieval:
    store: AuroraVectorStore
    component: Retrieval
    engines: RetrievalEngines
    access: RetrievalAccess  # what the chat API's functions get
    crawler: WebCrawler | None
    knowledge_base: StackKnowledgeBase | None


KNOWLEDGE_BASE_DIMENSION = 1024  # every embedding model a knowledge base accepts offers 1024


def build_retrieval(settings: StackSettings, code: pulumi.Input[pulumi.Archive], keys: StackKeys,
                    network: Network, tables: DataTables) -> StackRetrieval:
    """The vector database, then the rag service and ingestion once its migration has run."""
    store_args = AuroraVectorStoreArgs.from_settings(
        settings, network=network, code=code, kms_key_arn=keys.data, logs_kms_key_arn=keys.logs)
    kb_secret = None
    if settings.knowledge_base_create:
        # The secret first: the migration writes the knowledge base user's credentials into it.
        kb_secret = KnowledgeBaseSecret("rag-kb-secret", KnowledgeBaseSecretArgs(
            prefix=settings.prefix, stack=settings.stack, dev=settings.is_dev, retain=settings.retain_data,
            kms_key_arn=keys.data))
        store_args = dataclasses.replace(store_args, data_api=True, knowledge_base=KnowledgeBaseTable(
            secret_arn=kb_secret.arn, dimension=KNOWLEDGE_BASE_DIMENSION))
    store = AuroraVectorStore("rag-db", store_args)
    knowledge_base = None
    if kb_secret is not None:
        knowledge_base = StackKnowledgeBase("rag-kb", StackKnowledgeBaseArgs(
            prefix=settings.prefix, stack=settings.stack, region=settings.region, dev=settings.is_dev,
            retain=settings.retain_data, cluster_arn=store.cluster_arn, database_name=store.database_name,
            secret_arn=kb_secret.arn, uploads_bucket_name=tables.uploads_bucket.bucket_name,
            table_ready=[store.migration], kms_key_arn=keys.data,
            embedding_model=settings.rag_embedding_models[0], dimension=KNOWLEDGE_BASE_DIMENSION))
    engines = RetrievalEngines("rag-engines", RetrievalEnginesArgs(
        settings, network=network, client_security_group_id=store.access.client_security_group_id,
        data_kms_key_arn=keys.data,
        created_knowledge_base_id=knowledge_base.knowledge_base_id if knowledge_base else None))
    max_upload_bytes = settings.rag_max_upload_mb * 1024 * 1024
    args = RetrievalArgs(
        prefix=settings.prefix, stack=settings.stack, region=settings.region, code=code,
        database=store.access, uploads_bucket_name=tables.uploads_bucket.bucket_name,
        bedrock_region=settings.bedrock_region, embedding_models=tuple(settings.rag_embedding_models),
        max_upload_bytes=max_upload_bytes, upload_formats=tuple(settings.rag_upload_formats),
        log_retention_days=settings.log_retention_days, logs_kms_key_arn=keys.logs,
        data_kms_key_arn=keys.data, retain=settings.retain_data, xray_tracing=settings.xray_tracing,
        engines=engines.parts,
    )
    # The functions connect as the login role the migration creates: they exist only after it ran.
    component = Retrieval("rag", args, opts=pulumi.ResourceOptions(depends_on=[store.migration]))
    engines.grant(component.rag_function.role.arn, component.processor.role.arn)
    crawler, crawler_args = None, None
    if settings.crawler_enabled:
        crawler_args = WebCrawlerArgs(
            prefix=settings.prefix, stack=settings.stack, region=settings.region, code=code,
            rag_function_name=args.rag_function_name, uploads_bucket_name=tables.uploads_bucket.bucket_name,
            uploads_kms_key_arn=keys.data, allowed_domains=tuple(settings.crawler_allowed_domains),
            max_pages=settings.crawler_max_pages, min_interval_ms=settings.crawler_min_interval_ms,
            feeds=settings.crawler_feeds, max_upload_bytes=max_upload_bytes,
            log_retention_days=settings.log_retention_days, logs_kms_key_arn=keys.logs,
            retain=settings.retain_data, xray_tracing=settings.xray_tracing)
        crawler = WebCrawler("rag-crawler", crawler_args)
    # What the REST function offers a new workspace or crawl, so it refuses a bad request early.
    rest_view = {key: value for key, value in engines.parts.rag_environment.items()
                 if key in ("RAG_ENGINES", "RERANK_MODELS", "KENDRA_INDEXES", "KNOWLEDGE_BASES")}
    if crawler_args is not None:
        rest_view.update(CRAWLER_ALLOWED_DOMAINS=",".join(crawler_args.allowed_domains),
                         CRAWLER_FEEDS="true" if crawler_args.feeds else "false")
    access = RetrievalAccess(
        rag_function_name=args.rag_function_name, uploads_bucket_name=tables.uploads_bucket.bucket_name,
        uploads_kms_key_arn=keys.data, max_upload_bytes=max_upload_bytes,
        upload_formats=tuple(settings.rag_upload_formats), top_k=settings.rag_top_k,
        engines_environment=rest_view,
        crawler_function_name=crawler_args.function_name if crawler_args is not None else None,
        crawler_max_pages=settings.crawler_max_pages,
    )
    return StackRetrieval(store, component, engines, access, crawler, knowledge_base)
