"""db-secret-rotation: which secret names count as database credentials (a pure classifier)."""

from __future__ import annotations

import pytest
from chatbot_guard.rules.secrets import DB_WORDS


@pytest.mark.parametrize(
    "text",
    ["chatbot/aurora/credentials", "prod-db-master", "RDS_Proxy_Creds", "pgvector-admin", "app.postgresql",
     "Database credentials for the vector store", "mysql"],
)
def test_database_words_are_recognised(text: str) -> None:
    assert DB_WORDS.search(text)


@pytest.mark.parametrize(
    "text",
    ["chatbot-openai-api-key", "hf-token", "feedback", "dbt-cloud-token", "adobe-sign", "cards", "upgrade"],
)
def test_other_secrets_are_not_database_credentials(text: str) -> None:
    assert not DB_WORDS.search(text)
