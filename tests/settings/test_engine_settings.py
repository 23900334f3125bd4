"""Engine, rerank, crawler, guardrail-content and self-hosted model settings: each field's rule, each
cross-field rule failing and passing, and the names restated from the app kept equal to it."""

from __future__ import annotations

import json
import sys

import pytest

from components.settings import settings_from_config
from components.settings.fields.engines import ENGINES, RERANK_MODELS
from components.settings.fields.models import PROMPT_FORMATS

from .helpers import DEV, PROD, REPO, problems

RAG = {"chatbot:ragEnabled": "true"}
KENDRA_ID = "0123abcd-4567-89ef-0123-456789abcdef"
IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/tgi@sha256:" + "a" * 64
MODEL = {"name": "mistral", "image": IMAGE, "instanceType": "ml.g5.2xlarge", "kind": "tgi",
         "hubModelId": "mistralai/Mistral-7B-Instruct-v0.3", "hubRevision": "b" * 40,
         "promptFormat": "mistral"}


def keys(config: dict[str, str]) -> list[str]:
    return [key for key, _ in problems(config)]


def test_every_engine_and_model_type_can_be_switched_on() -> None:
    config = {
        **DEV, **RAG,
        "chatbot:ragEngines": json.dumps(list(ENGINES)),
        "chatbot:opensearchStandbyReplicas": "false",
        "chatbot:kendraCreateIndex": "true", "chatbot:kendraIndexIds": json.dumps([KENDRA_ID]),
        "chatbot:kendraRoleArn": "arn:aws:iam::444455556666:role/kendra-reader",
        "chatbot:kendraExternalId": "chatbot-dev",
        "chatbot:knowledgeBaseCreate": "true", "chatbot:knowledgeBaseIds": '["ABCDE12345"]',
        "chatbot:ragRerankModels": json.dumps(list(RERANK_MODELS)),
        "chatbot:crawlerEnabled": "true", "chatbot:crawlerAllowedDomains": '["docs.example.com"]',
        "chatbot:selfHostedModels": json.dumps([MODEL]), "chatbot:natGateway": "true",
        "chatbot:guardrailDeniedTopics": json.dumps([{"name": "Legal advice", "definition": "Advice on "
                                                      "legal matters", "examples": ["Can I sue?"]}]),
        "chatbot:guardrailFilterStrength": "MEDIUM",
        "chatbot:guardrailPiiAnonymize": '["NAME", "EMAIL"]',
    }
    settings = settings_from_config(config, stack="dev")
    assert settings.kendra_enabled and settings.opensearch_enabled and settings.knowledge_bases_enabled
    assert [m.name for m in settings.self_hosted_models] == ["mistral"]
    assert settings.self_hosted_models[0].weights.revision == "b" * 40
    assert settings.self_hosted_idle_schedule is not None
    assert settings.guardrail_denied_topics[0].examples == ("Can I sue?",)


def test_defaults_add_nothing() -> None:
    settings = settings_from_config(DEV, stack="dev")
    assert settings.rag_engines == ("pgvector",)
    assert not (settings.kendra_create_index or settings.knowledge_base_create or settings.crawler_enabled)
    assert settings.self_hosted_models == () and settings.rag_rerank_models == ()
    assert settings.guardrail_filter_strength == "HIGH"


@pytest.mark.parametrize(("key", "value", "words"), [
    ("chatbot:ragEngines", '["pinecone"]', "not engines: 'pinecone'"),
    ("chatbot:ragEngines", "[]", "at least one"),
    ("chatbot:ragEngines", '["pgvector", "pgvector"]', "more than once"),
    ("chatbot:ragRerankModels", '["cohere.rerank-v2"]', "not rerank models"),
    ("chatbot:kendraIndexIds", '["short"]', "not Kendra index IDs"),
    ("chatbot:knowledgeBaseIds", '["abc"]', "not knowledge base IDs"),
    ("chatbot:kendraRoleArn", "arn:aws:iam::1:user/x", "IAM role ARN"),
    ("chatbot:crawlerAllowedDomains", '["https://example.com"]', "not host names"),
    ("chatbot:crawlerMaxPages", "0", "1 to 1000"),
    ("chatbot:crawlerMinIntervalMs", "100", "200 to 60000"),
    ("chatbot:kendraEdition", "GEN_AI_ENTERPRISE_EDITION", "DEVELOPER_EDITION or ENTERPRISE_EDITION"),
    ("chatbot:guardrailFilterStrength", "NONE", "LOW, MEDIUM, HIGH"),
    ("chatbot:guardrailPiiBlock", '["SSN"]', "not Bedrock PII entity types"),
    ("chatbot:guardrailDeniedTopics", '[{"name": "x"}]', "definition must be"),
    ("chatbot:guardrailDeniedTopics", '[{"name": "A", "definition": "d"}, {"name": "a", "definition": "e"}]',
     "unique"),
    ("chatbot:guardrailDeniedTopics", '["topic"]', "list of mappings"),
    ("chatbot:selfHostedModels", json.dumps([{**MODEL, "image": "ghcr.io/x/tgi:latest"}]),
     "pinned by digest"),
    ("chatbot:selfHostedModels", json.dumps([{**MODEL, "hubRevision": "main"}]), "40-hex commit"),
    ("chatbot:selfHostedModels", json.dumps([{**MODEL, "token": "x"}]), "[0]: unknown keys token"),
    ("chatbot:selfHostedModels", json.dumps([MODEL, MODEL]), "unique"),
    ("chatbot:selfHostedModels", json.dumps([{**MODEL, "name": f"m{i}"} for i in range(6)]),
     "at most 5 model"),
    ("chatbot:guardrailDeniedTopics", json.dumps([{"name": f"t{i}", "definition": "d"} for i in range(31)]),
     "at most 30 topic"),
    ("chatbot:selfHostedModels", json.dumps([{**MODEL, "promptFormat": "alpaca"}]), "promptFormat"),
    ("chatbot:selfHostedModels", json.dumps([{**MODEL, "environment": {"HF_TOKEN": 1}}]), "environment"),
    ("chatbot:selfHostedStartCron", "rate(1 hour)", "cron(<6 fields>)"),
    ("chatbot:selfHostedTimezone", "Paris time", "IANA"),
])
def test_field_rules_name_the_key_and_what_is_allowed(key: str, value: str, words: str) -> None:
    found = problems({**DEV, **RAG, key: value})
    assert [k for k, _ in found] == [key], found
    assert words in found[0][1]


@pytest.mark.parametrize(("config", "expected"), [
    ({"chatbot:ragEngines": '["opensearch"]'}, ["chatbot:ragEngines, chatbot:ragRerankModels, "
                                                "chatbot:crawlerEnabled, chatbot:ragEnabled"]),
    ({**RAG, "chatbot:ragEngines": '["kendra"]'},
     ["chatbot:ragEngines, chatbot:kendraCreateIndex, chatbot:kendraIndexIds"]),
    ({**RAG, "chatbot:kendraCreateIndex": "true"},
     ["chatbot:ragEngines, chatbot:kendraCreateIndex, chatbot:kendraIndexIds"]),
    ({**RAG, "chatbot:ragEngines": '["bedrock-kb"]'},
     ["chatbot:ragEngines, chatbot:knowledgeBaseCreate, chatbot:knowledgeBaseIds"]),
    ({**RAG, "chatbot:knowledgeBaseIds": '["ABCDE12345"]'},
     ["chatbot:ragEngines, chatbot:knowledgeBaseCreate, chatbot:knowledgeBaseIds"]),
    ({**RAG, "chatbot:ragEngines": '["kendra"]', "chatbot:kendraIndexIds": json.dumps([KENDRA_ID]),
      "chatbot:kendraExternalId": "abc"}, ["chatbot:kendraExternalId, chatbot:kendraRoleArn"]),
    ({**RAG, "chatbot:ragEngines": '["kendra"]', "chatbot:kendraCreateIndex": "true",
      "chatbot:kendraRoleArn": "arn:aws:iam::444455556666:role/r"},
     ["chatbot:kendraExternalId, chatbot:kendraRoleArn"]),
    ({**RAG, "chatbot:ragEngines": '["kendra"]', "chatbot:kendraCreateIndex": "true",
      "chatbot:crawlerEnabled": "true"}, ["chatbot:crawlerEnabled, chatbot:ragEngines"]),
    ({**RAG, "chatbot:crawlerAllowedDomains": '["docs.example.com"]'},
     ["chatbot:crawlerAllowedDomains, chatbot:crawlerEnabled"]),
    ({"chatbot:guardrailMode": "none", "chatbot:guardrailDeniedTopics": '[{"name": "a", "definition": "b"}]'},
     ["chatbot:guardrailFilterStrength, chatbot:guardrailDeniedTopics, chatbot:guardrailPiiAnonymize, "
      "chatbot:guardrailPiiBlock, chatbot:guardrailMode"]),
    ({"chatbot:guardrailPiiAnonymize": '["EMAIL", "PIN"]'},
     ["chatbot:guardrailPiiAnonymize, chatbot:guardrailPiiBlock"]),
])
def test_cross_field_rules(config: dict[str, str], expected: list[str]) -> None:
    assert keys({**DEV, **config}) == expected


def test_hub_weights_need_a_nat_gateway_and_s3_weights_do_not() -> None:
    found = problems({**DEV, "chatbot:selfHostedModels": json.dumps([MODEL])})
    assert [k for k, _ in found] == ["chatbot:selfHostedModels, chatbot:natGateway"]
    assert "mistral" in found[0][1] and "weightsS3Uri" in found[0][1]
    from_s3 = {k: v for k, v in MODEL.items() if k not in ("hubModelId", "hubRevision")}
    from_s3["weightsS3Uri"] = "s3://reviewed-weights/mistral-7b/"
    assert problems({**DEV, "chatbot:selfHostedModels": json.dumps([from_s3])}) == []
    with_nat = {**DEV, "chatbot:selfHostedModels": json.dumps([MODEL]), "chatbot:natGateway": "true"}
    assert problems(with_nat) == []


def test_standby_replicas_off_only_in_dev() -> None:
    prod = {**PROD, **RAG, "chatbot:ragDbMinAcu": "0.5", "chatbot:ragEngines": '["opensearch"]'}
    assert keys(prod) == []
    found = problems({**prod, "chatbot:opensearchStandbyReplicas": "false"})
    assert [k for k, _ in found] == ["chatbot:opensearchStandbyReplicas, chatbot:environment"]
    assert "Availability Zone" in found[0][1]
    assert keys({**DEV, **RAG, "chatbot:ragEngines": '["opensearch"]',
                 "chatbot:opensearchStandbyReplicas": "false"}) == []


def test_restated_names_match_the_app() -> None:
    app = str(REPO / "app")
    if app not in sys.path:
        sys.path.insert(0, app)
    from chatbot_app.core.sagemaker_models import FORMATS
    from chatbot_app.rag.engines.rerank import RERANK_MODELS as APP_RERANK_MODELS

    assert RERANK_MODELS == APP_RERANK_MODELS
    assert PROMPT_FORMATS == tuple(FORMATS)
