"""Fixtures for local mode: the chat application's (moto DynamoDB, JWKS, tokens) and the RAG tests' embedded
PostgreSQL, reused as they are, and no network for the embedding model."""

from __future__ import annotations

import pytest

from tests.app.conftest import app_env, ddb, jwks_url, session, signing_key, tokens  # noqa: F401
from tests.rag.conftest import admin_uri, app_uri, pg_server, rag_db, store  # noqa: F401


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """The model ships in the wheel: nothing may reach Hugging Face."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
