"""Retrieval (RAG) settings: each field's own rule, each cross-field rule failing and passing, and the
lists restated from the app package kept equal to it."""

from __future__ import annotations

import json
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from components.settings import settings_from_config
from components.settings.fields.rag import EMBEDDING_MODELS, ENGINE_VERSIONS, UPLOAD_FORMATS

from .helpers import DEV, PROD, REPO, problems

RAG = {"chatbot:ragEnabled": "true"}
WARM = {**RAG, "chatbot:ragDbMinAcu": "0.5"}
VPC = {"chatbot:vpcId": "vpc-0123456789abcdef0",
       "chatbot:privateSubnetIds": '["subnet-0a1b2c3d", "subnet-0a1b2c3e"]'}


def test_defaults_are_off_and_cheap_and_a_dev_stack_can_turn_retrieval_on() -> None:
    settings = settings_from_config({**DEV, **RAG}, stack="dev")
    assert settings.rag_enabled and settings.rag_db_auto_pause
    capacity = (settings.rag_db_min_acu, settings.rag_db_max_acu, settings.rag_db_auto_pause_seconds)
    assert capacity == (0, 4, 300)
    assert (settings.rag_db_port, settings.rag_db_master_user) == (5433, "chatbot_owner")
    assert settings.rag_db_engine_version == "16.10"
    assert (settings.rag_db_backup_retention_days, settings.rag_db_secret_rotation_days) == (7, 30)
    assert settings.rag_embedding_models == ("amazon.titan-embed-text-v2:0",)
    assert settings.rag_upload_formats == UPLOAD_FORMATS
    assert (settings.rag_max_upload_mb, settings.rag_top_k) == (25, 5)
    assert not settings_from_config(PROD, stack="prod").rag_enabled  # prod without RAG needs no RAG keys


ACCEPTED = [
    ("chatbot:ragDbMinAcu", "0"), ("chatbot:ragDbMinAcu", "0.5"), ("chatbot:ragDbMinAcu", "4"),
    ("chatbot:ragDbMinAcu", "3.5"), ("chatbot:ragDbMaxAcu", "256"), ("chatbot:ragDbMaxAcu", "1"),
    ("chatbot:ragDbAutoPauseSeconds", "86400"), ("chatbot:ragDbPort", "1150"), ("chatbot:ragDbPort", "65535"),
    ("chatbot:ragDbPort", "5433"), ("chatbot:ragDbMasterUser", "rag"), ("chatbot:ragDbMasterUser", "a" * 16),
    ("chatbot:ragDbMasterUser", "vector_owner_2"), ("chatbot:ragDbBackupRetentionDays", "35"),
    ("chatbot:ragDbSecretRotationDays", "365"), ("chatbot:ragDbSecretRotationDays", "1"),
    ("chatbot:ragEmbeddingModels", json.dumps(list(EMBEDDING_MODELS))),
    ("chatbot:ragUploadFormats", '["pdf", "txt"]'), ("chatbot:ragMaxUploadMb", "50"),
    ("chatbot:ragTopK", "1"), ("chatbot:ragTopK", "20"),
    *[("chatbot:ragDbEngineVersion", version) for version in ENGINE_VERSIONS],
]


@pytest.mark.parametrize(("key", "value"), ACCEPTED)
def test_accepted_values(key: str, value: str) -> None:
    config = {**DEV, **RAG, key: value}
    if key == "chatbot:ragDbAutoPauseSeconds":
        config["chatbot:ragDbMinAcu"] = "0"
    if key == "chatbot:ragDbMinAcu":
        config["chatbot:ragDbMaxAcu"] = "256"
    assert problems(config) == []


REJECTED = [
    ("chatbot:ragEnabled", "yes", "expected a boolean"),
    ("chatbot:ragDbMinAcu", "0.25", "0, or a number from 0.5 to 256 in steps of 0.5"),
    ("chatbot:ragDbMinAcu", "300", "from 0.5 to 256"),
    ("chatbot:ragDbMinAcu", "-0.5", "from 0.5 to 256"),
    ("chatbot:ragDbMinAcu", "half", "from 0.5 to 256"),
    ("chatbot:ragDbMinAcu", "nan", "from 0.5 to 256"),
    ("chatbot:ragDbMaxAcu", "0", "from 1 to 256"),
    ("chatbot:ragDbMaxAcu", "257", "from 1 to 256"),
    ("chatbot:ragDbAutoPauseSeconds", "299", "from 300 to 86400"),
    ("chatbot:ragDbAutoPauseSeconds", "86401", "from 300 to 86400"),
    ("chatbot:ragDbPort", "5432", "except 5432 (SEC-AURORA-NONDEFAULT)"),
    ("chatbot:ragDbPort", "1149", "from 1150 to 65535"),
    ("chatbot:ragDbPort", "65536", "from 1150 to 65535"),
    *[("chatbot:ragDbMasterUser", name, "not postgres, admin, root, rdsadmin, master, user")
      for name in ("postgres", "admin", "root", "rdsadmin", "master", "user")],
    ("chatbot:ragDbMasterUser", "ab", "3-16 lower-case letters"),
    ("chatbot:ragDbMasterUser", "a" * 17, "3-16 lower-case letters"),
    ("chatbot:ragDbMasterUser", "Owner", "3-16 lower-case letters"),
    ("chatbot:ragDbMasterUser", "1owner", "starting with a letter"),
    ("chatbot:ragDbMasterUser", "rag-owner", "3-16 lower-case letters, digits and _"),
    ("chatbot:ragDbEngineVersion", "15.4", "one of 16.6, 16.8"),
    ("chatbot:ragDbEngineVersion", "16", "one of 16.6"),
    ("chatbot:ragDbBackupRetentionDays", "0", "from 1 to 35"),
    ("chatbot:ragDbBackupRetentionDays", "36", "from 1 to 35"),
    ("chatbot:ragDbSecretRotationDays", "0", "from 1 to 365"),
    ("chatbot:ragDbSecretRotationDays", "366", "from 1 to 365"),
    ("chatbot:ragEmbeddingModels", "[]", "must list at least one; allowed: amazon.titan-embed-text-v2:0"),
    ("chatbot:ragEmbeddingModels", '["amazon.titan-embed-text-v1"]',
     "not embedding models: 'amazon.titan-embed-text-v1'; allowed: amazon.titan-embed-text-v2:0, "
     "cohere.embed-english-v3, cohere.embed-multilingual-v3"),
    ("chatbot:ragEmbeddingModels", '["cohere.embed-english-v3", "cohere.embed-english-v3"]',
     "listed more than once: cohere.embed-english-v3"),
    ("chatbot:ragUploadFormats", "[]", "must list at least one; allowed: pdf, docx"),
    ("chatbot:ragUploadFormats", '["pdf", "exe", "md"]', "not upload formats: 'exe', 'md'"),
    ("chatbot:ragUploadFormats", '["pdf", "pdf"]', "listed more than once: pdf"),
    ("chatbot:ragMaxUploadMb", "0", "from 1 to 50"),
    ("chatbot:ragMaxUploadMb", "51", "from 1 to 50"),
    ("chatbot:ragTopK", "0", "from 1 to 20"),
    ("chatbot:ragTopK", "21", "from 1 to 20"),
]


@pytest.mark.parametrize(("key", "value", "fragment"), REJECTED)
def test_rejected_values_name_the_key_and_what_is_allowed(key: str, value: str, fragment: str) -> None:
    found = problems({**DEV, **RAG, key: value})
    assert [k for k, _ in found] == [key]  # the field's own error hides the rules that involve it
    assert fragment in found[0][1]


RULES = [
    pytest.param(
        {**DEV, **RAG, "chatbot:ragDbMinAcu": "8"},
        "chatbot:ragDbMaxAcu, chatbot:ragDbMinAcu",
        "ragDbMaxAcu (4) must be at least ragDbMinAcu (8): Aurora scales the database between the two",
        {"chatbot:ragDbMaxAcu": "8"},
        id="max-below-min",
    ),
    pytest.param(
        {**PROD, **RAG},
        "chatbot:ragDbMinAcu, chatbot:environment",
        "ragDbMinAcu 0 (auto-pause) is allowed only when environment is dev, not prod: a paused database "
        "makes the first question after an idle period wait about 15 seconds; set 0.5 or more",
        {"chatbot:ragDbMinAcu": "0.5"},
        id="prod-auto-pause",
    ),
    pytest.param(
        {**DEV, **WARM, "chatbot:ragDbAutoPauseSeconds": "600"},
        "chatbot:ragDbAutoPauseSeconds, chatbot:ragDbMinAcu",
        "ragDbAutoPauseSeconds (600) is only used when ragDbMinAcu is 0, but ragDbMinAcu is 0.5",
        {"chatbot:ragDbMinAcu": "0"},
        id="auto-pause-seconds-without-pausing",
    ),
    pytest.param(
        {**PROD, **WARM, "chatbot:environment": "staging", "chatbot:ragDbBackupRetentionDays": "3"},
        "chatbot:ragDbBackupRetentionDays, chatbot:environment",
        "ragDbBackupRetentionDays 3 is allowed only when environment is dev, not staging: keep at least 7 "
        "days of automated backups (SEC-BACKUPS)",
        {"chatbot:ragDbBackupRetentionDays": "7"},
        id="staging-short-backups",
    ),
    pytest.param(
        {**DEV, **RAG, "chatbot:bedrockRegion": "us-west-2"},
        "chatbot:ragEnabled, chatbot:bedrockRegion, chatbot:natGateway",
        "ragEnabled needs Bedrock in the stack's region (us-east-1), but bedrockRegion is us-west-2 and "
        "natGateway is false: the retrieval functions run in the VPC and reach Bedrock only through the "
        "regional bedrock-runtime interface endpoint; set natGateway to true, or leave bedrockRegion empty",
        {"chatbot:natGateway": "true"},
        id="bedrock-elsewhere-without-nat",
    ),
    pytest.param(
        {**DEV, **RAG, **VPC, "chatbot:bedrockRegion": "us-west-2"},
        "chatbot:ragEnabled, chatbot:bedrockRegion, chatbot:natGateway",
        "leave bedrockRegion empty (natGateway is only for a VPC the stack creates)",
        {"chatbot:bedrockRegion": ""},
        id="bedrock-elsewhere-in-existing-vpc",
    ),
    pytest.param(
        {**DEV, **RAG, "chatbot:vpcId": "vpc-0123456789abcdef0"},
        "chatbot:privateSubnetIds, chatbot:vpcId",
        "vpcId is set, so list at least 2 private subnets of it",
        {"chatbot:privateSubnetIds": VPC["chatbot:privateSubnetIds"]},
        id="existing-vpc-without-subnets",
    ),
]


@pytest.mark.parametrize(("config", "keys", "message", "fix"), RULES)
def test_each_rule_fails_with_its_keys_and_passes_once_fixed(
    config: dict[str, str], keys: str, message: str, fix: dict[str, str]
) -> None:
    found = problems(config)
    assert len(found) == 1 and found[0][0] == keys and message in found[0][1]
    assert problems({**config, **fix}) == []


@pytest.mark.parametrize("config", [
    pytest.param({**PROD, "chatbot:ragDbBackupRetentionDays": "1"}, id="prod-rag-off-short-backups"),
    pytest.param({**PROD, "chatbot:bedrockRegion": "us-west-2"}, id="prod-rag-off-bedrock-elsewhere"),
    pytest.param({**DEV, **RAG, "chatbot:ragDbBackupRetentionDays": "1"}, id="dev-short-backups"),
    pytest.param({**DEV, **RAG, "chatbot:ragDbAutoPauseSeconds": "3600"}, id="dev-pause-after-an-hour"),
    pytest.param({**PROD, **WARM, "chatbot:bedrockRegion": "eu-west-1"}, id="bedrock-region-is-the-region"),
])
def test_rules_hold_only_where_they_apply(config: dict[str, str]) -> None:
    assert problems(config) == []


def test_a_bad_field_and_a_broken_rule_are_reported_together() -> None:
    found = problems({**PROD, **RAG, "chatbot:ragDbPort": "5432"})
    assert [k for k, _ in found] == ["chatbot:ragDbPort", "chatbot:ragDbMinAcu, chatbot:environment"]


@given(st.one_of(st.floats(allow_nan=True, allow_infinity=True, width=32), st.integers(-5, 600)))
def test_min_acu_is_zero_or_half_steps_up_to_256(value: float) -> None:
    text = repr(value) if isinstance(value, float) else str(value)
    expected = value == 0 or (0.5 <= value <= 256 and float(value * 2).is_integer())
    config = {**DEV, **RAG, "chatbot:ragDbMaxAcu": "256", "chatbot:ragDbMinAcu": text}
    assert (problems(config) == []) == expected


def test_restated_lists_match_the_app() -> None:
    app = str(REPO / "app")
    if app not in sys.path:
        sys.path.insert(0, app)
    from chatbot_app.rag.embeddings import MODELS
    from chatbot_app.rag.parsers import CONTENT_TYPES

    assert EMBEDDING_MODELS == tuple(MODELS)
    assert UPLOAD_FORMATS == tuple(CONTENT_TYPES)
