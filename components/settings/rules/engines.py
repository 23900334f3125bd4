"""Rules of the retrieval engine, reranking and crawler settings.

An engine's own settings are accepted only when ragEngines lists that engine, and ragEngines only lists
what its settings make usable, so a half-configured engine is an error at preview instead of a workspace
that fails at its first question.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from components.settings.fields.engines import WRITABLE_ENGINES
from components.settings.rules.base import Rule, paired

if TYPE_CHECKING:
    from components.settings.model import StackSettings

DEFAULT_ENGINES = ("pgvector",)


def _engines_need_rag(s: StackSettings) -> str | None:
    if s.rag_enabled:
        return None
    used = [key for key, on in (
        ("ragEngines", s.rag_engines != DEFAULT_ENGINES), ("ragRerankModels", bool(s.rag_rerank_models)),
        ("crawlerEnabled", s.crawler_enabled)) if on]
    if not used:
        return None
    return (f"{', '.join(used)} need ragEnabled true: every engine keeps its workspaces and documents in the "
            "retrieval database; set ragEnabled to true or leave them unset")


def _kendra_configured(s: StackSettings) -> str | None:
    usable = s.kendra_create_index or bool(s.kendra_index_ids)
    if s.kendra_enabled and not usable:
        return ("ragEngines lists kendra, but there is no index: set kendraCreateIndex to true, or list "
                "existing indexes in kendraIndexIds")
    if usable and not s.kendra_enabled:
        key = "kendraCreateIndex" if s.kendra_create_index else "kendraIndexIds"
        return f"{key} is only used when ragEngines lists kendra; add kendra to ragEngines or leave it unset"
    return None


def _kendra_role(s: StackSettings) -> str | None:
    return paired("kendraExternalId", s.kendra_external_id is not None, s.kendra_role_arn is not None,
                  "kendraRoleArn is set") or (
        None if s.kendra_role_arn is None or s.kendra_index_ids else
        "kendraRoleArn is only used with kendraIndexIds (attached indexes of another account); leave it "
        "empty or list the indexes")


def _knowledge_bases_configured(s: StackSettings) -> str | None:
    usable = s.knowledge_base_create or bool(s.knowledge_base_ids)
    if s.knowledge_bases_enabled and not usable:
        return ("ragEngines lists bedrock-kb, but there is no knowledge base: set knowledgeBaseCreate to "
                "true, or list existing ones in knowledgeBaseIds")
    if usable and not s.knowledge_bases_enabled:
        key = "knowledgeBaseCreate" if s.knowledge_base_create else "knowledgeBaseIds"
        return (f"{key} is only used when ragEngines lists bedrock-kb; add bedrock-kb to ragEngines or leave "
                "it unset")
    return None


def _standby_outside_dev(s: StackSettings) -> str | None:
    if s.opensearch_standby_replicas or s.is_dev or not s.opensearch_enabled:
        return None
    # Availability, not a catalogue control: no catalogue ID.
    return (f"opensearchStandbyReplicas false is allowed only when environment is dev, not {s.environment}: "
            "without standby replicas an Availability Zone outage stops retrieval from OpenSearch")


def _crawler_needs_writable_engine(s: StackSettings) -> str | None:
    if not s.crawler_enabled or any(e in s.rag_engines for e in WRITABLE_ENGINES):
        return None
    return ("crawlerEnabled needs an engine that takes documents: add pgvector or opensearch to ragEngines "
            "(kendra and bedrock-kb workspaces read their own data sources)")


def _crawler_settings_unused(s: StackSettings) -> str | None:
    if s.crawler_enabled or not s.crawler_allowed_domains:
        return None
    return ("crawlerAllowedDomains is only used when crawlerEnabled is true; enable the crawler or leave "
            "it unset")


RULES = (
    Rule(("rag_engines", "rag_rerank_models", "crawler_enabled", "rag_enabled"), _engines_need_rag),
    Rule(("rag_engines", "kendra_create_index", "kendra_index_ids"), _kendra_configured),
    Rule(("kendra_external_id", "kendra_role_arn"), _kendra_role, depends=("kendra_index_ids",)),
    Rule(("rag_engines", "knowledge_base_create", "knowledge_base_ids"), _knowledge_bases_configured),
    Rule(("opensearch_standby_replicas", "environment"), _standby_outside_dev, depends=("rag_engines",)),
    Rule(("crawler_enabled", "rag_engines"), _crawler_needs_writable_engine),
    Rule(("crawler_allowed_domains", "crawler_enabled"), _crawler_settings_unused),
)
