"""The Bedrock knowledge base's table and database user (rag/kb_schema.py, run by handlers/db_migrate.py)
against the embedded PostgreSQL, with moto's Secrets Manager holding the secret the stack creates empty.

The embedded server trusts local logins, so passwords are checked against the role's SCRAM verifier."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import uuid
from typing import Any

import psycopg
import pytest
from chatbot_app.handlers import db_migrate
from chatbot_app.handlers.db_migrate import MigrationFailed, handler
from chatbot_app.rag import kb_schema
from chatbot_app.rag.kb_schema import KB_ROLE, KnowledgeBaseSchemaError, parse_dimension, prepare, rotate
from chatbot_app.rag.migrations import migrate

REGION = "eu-west-1"


def empty_secret(client: Any) -> str:
    """As components/knowledge_base.py creates it: no value."""
    return client.create_secret(Name=f"chatbot-dev-kb-db-user-{uuid.uuid4().hex[:6]}")["ARN"]


@pytest.fixture()
def migrated(fresh_db) -> str:
    uri = fresh_db()
    with psycopg.connect(uri) as conn:
        migrate(conn)
    return uri


def stored(client: Any, arn: str, **version: str) -> dict[str, str]:
    return json.loads(client.get_secret_value(SecretId=arn, **version)["SecretString"])


def password_matches(uri: str, password: str) -> bool:
    """Whether the role's SCRAM-SHA-256 verifier was made from `password` (RFC 5802 StoredKey)."""
    with psycopg.connect(uri) as conn:
        (verifier,) = conn.execute(
            "SELECT rolpassword FROM pg_authid WHERE rolname = %s", (KB_ROLE,)).fetchone()
    method, rest = verifier.split("$", 1)
    iterations_salt, keys = rest.split("$")
    iterations, salt = iterations_salt.split(":")
    assert method == "SCRAM-SHA-256"
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), base64.b64decode(salt), int(iterations))
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    return base64.b64encode(hashlib.sha256(client_key).digest()).decode() == keys.split(":")[0]


def as_kb_user(uri: str, statement: str, params: tuple[Any, ...] = ()) -> Any:
    with psycopg.connect(uri) as conn:
        conn.execute(f"SET ROLE {KB_ROLE}")
        return conn.execute(statement, params or None).fetchall()


def test_the_table_indexes_role_and_credentials_are_created(moto_secrets, migrated: str) -> None:
    arn = empty_secret(moto_secrets)
    with psycopg.connect(migrated) as conn:
        summary = prepare(conn, moto_secrets, arn, 1024)
    assert summary == {"table": "bedrock_integration.bedrock_kb", "dimension": 1024, "role": KB_ROLE,
                       "credentials": "created"}
    document = stored(moto_secrets, arn)
    assert document["username"] == KB_ROLE and len(document["password"]) >= 40
    assert password_matches(migrated, document["password"])
    with psycopg.connect(migrated) as conn:
        columns = dict(conn.execute(
            "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute WHERE attnum > 0 AND "
            "attrelid = 'bedrock_integration.bedrock_kb'::regclass AND NOT attisdropped").fetchall())
        indexes = [r[0] for r in conn.execute(
            "SELECT indexdef FROM pg_indexes WHERE schemaname = 'bedrock_integration'")]
        role = conn.execute("SELECT rolcanlogin, rolsuper, rolbypassrls, rolcreaterole, rolinherit "
                            "FROM pg_roles WHERE rolname = %s", (KB_ROLE,)).fetchone()
    assert columns == {"id": "uuid", "embedding": "vector(1024)", "chunks": "text", "metadata": "json",
                       "custom_metadata": "jsonb"}
    assert any("USING hnsw (embedding vector_cosine_ops)" in i for i in indexes)
    assert any("USING gin (to_tsvector('simple'::regconfig, chunks))" in i for i in indexes)
    assert any("USING gin (custom_metadata)" in i for i in indexes)
    assert any("bedrock_kb_pkey" in i and "(id)" in i for i in indexes)
    assert role == (True, False, False, False, False)


def test_re_runs_reuse_the_stored_password(moto_secrets, migrated: str) -> None:
    arn = empty_secret(moto_secrets)
    with psycopg.connect(migrated) as conn:
        prepare(conn, moto_secrets, arn, 512)
        first = stored(moto_secrets, arn)
        again = prepare(conn, moto_secrets, arn, 512)
    assert again["credentials"] == "reused" and stored(moto_secrets, arn) == first
    assert len(moto_secrets.list_secret_version_ids(SecretId=arn)["Versions"]) == 1
    assert password_matches(migrated, first["password"])


def test_the_role_may_use_its_table_and_nothing_else(moto_secrets, migrated: str) -> None:
    with psycopg.connect(migrated) as conn:
        prepare(conn, moto_secrets, empty_secret(moto_secrets), 256)
    vector = "[" + ",".join(["0.1"] * 256) + "]"
    row = as_kb_user(migrated, "INSERT INTO bedrock_integration.bedrock_kb (id, embedding, chunks, metadata) "
                               "VALUES (gen_random_uuid(), %s, 'text', '{}') RETURNING chunks", (vector,))
    assert row == [("text",)]
    assert as_kb_user(migrated, "SELECT count(*) FROM bedrock_integration.bedrock_kb") == [(1,)]
    for forbidden in ("SELECT count(*) FROM rag.workspaces", "SELECT count(*) FROM rag.chunks",
                      "CREATE TABLE bedrock_integration.other (id int)",
                      "DROP TABLE bedrock_integration.bedrock_kb"):
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            as_kb_user(migrated, forbidden)


def test_a_table_of_another_dimension_is_refused(moto_secrets, migrated: str) -> None:
    arn = empty_secret(moto_secrets)
    with psycopg.connect(migrated) as conn:
        prepare(conn, moto_secrets, arn, 1024)
        with pytest.raises(KnowledgeBaseSchemaError, match="holds 1024-dimension vectors"):
            prepare(conn, moto_secrets, arn, 512)


@pytest.mark.parametrize("text", [None, "", "768", "abc", "2048"])
def test_unsupported_dimensions_are_refused(text: str | None) -> None:
    with pytest.raises(KnowledgeBaseSchemaError, match="KB_DIMENSION must be one of 256, 512, 1024, 1536"):
        parse_dimension(text)


def test_a_secret_holding_something_else_is_refused(moto_secrets, migrated: str) -> None:
    name = f"kb-{uuid.uuid4().hex[:6]}"
    arn = moto_secrets.create_secret(Name=name, SecretString='{"username": "admin"}')["ARN"]
    with psycopg.connect(migrated) as conn, pytest.raises(KnowledgeBaseSchemaError, match="does not hold"):
        prepare(conn, moto_secrets, arn, 1024)


def test_the_deploy_step_prepares_it_and_never_shows_the_password(moto_secrets, migrated: str,
                                                                   caplog) -> None:
    arn = empty_secret(moto_secrets)
    env = {"DB_DSN": migrated, "APP_DB_USER": "app_kb_test", "KB_SECRET_ARN": arn, "KB_DIMENSION": "1024",
           "AWS_REGION": REGION}
    # The app's own logs (botocore's debug wire logs show every request body; they stay off in Lambda).
    with caplog.at_level(logging.DEBUG, logger="chatbot_app"):
        summary = handler({}, None, env=env)
    assert summary["knowledgeBase"]["credentials"] == "created"
    password = stored(moto_secrets, arn)["password"]
    assert password not in json.dumps(summary) and password not in caplog.text
    with pytest.raises(MigrationFailed, match="preparing the knowledge base's table failed: KB_DIMENSION"):
        handler({}, None, env={**env, "KB_DIMENSION": "999"})


class FakeSecrets:
    """Secrets Manager's versions and staging labels, as a rotation sees them (moto cannot hold a version
    that has a label but no value, which is how RotateSecret starts)."""

    class exceptions:  # noqa: N801 - boto3's attribute name
        class ResourceNotFoundException(Exception):
            pass

    def __init__(self, arn: str, current: str) -> None:
        self.arn = arn
        self.values: dict[str, str] = {"v1": current}
        self.stages: dict[str, list[str]] = {"v1": ["AWSCURRENT"]}

    def start(self, token: str) -> None:
        self.stages[token] = ["AWSPENDING"]

    def describe_secret(self, SecretId: str) -> dict[str, Any]:  # noqa: N803
        return {"ARN": SecretId, "VersionIdsToStages": {k: list(v) for k, v in self.stages.items()}}

    def get_secret_value(self, SecretId: str, VersionId: str | None = None,  # noqa: N803
                         VersionStage: str = "AWSCURRENT") -> dict[str, str]:
        version = VersionId or next(v for v, s in self.stages.items() if VersionStage in s)
        if version not in self.values or VersionStage not in self.stages.get(version, []):
            raise self.exceptions.ResourceNotFoundException(version)
        return {"SecretString": self.values[version]}

    def put_secret_value(self, SecretId: str, SecretString: str, ClientRequestToken: str = "v",  # noqa: N803
                         VersionStages: tuple[str, ...] = ("AWSCURRENT",)) -> None:
        self.values[ClientRequestToken] = SecretString
        self.stages[ClientRequestToken] = list(VersionStages)

    def update_secret_version_stage(self, SecretId: str, VersionStage: str, MoveToVersionId: str,  # noqa: N803
                                    RemoveFromVersionId: str) -> None:
        self.stages[RemoveFromVersionId].remove(VersionStage)
        self.stages[MoveToVersionId] = [VersionStage]


def test_rotation_sets_a_new_password_and_makes_it_current(moto_secrets, migrated: str, monkeypatch) -> None:
    arn = empty_secret(moto_secrets)
    with psycopg.connect(migrated) as conn:
        prepare(conn, moto_secrets, arn, 1024)
    old = stored(moto_secrets, arn)["password"]
    fake = FakeSecrets(arn, json.dumps({"username": KB_ROLE, "password": old}))
    monkeypatch.setattr(db_migrate, "_secrets", lambda env: fake)
    env = {"DB_DSN": migrated, "KB_SECRET_ARN": arn}
    fake.start("t2")
    for step in kb_schema.STEPS:
        assert handler({"Step": step, "SecretId": arn, "ClientRequestToken": "t2"}, None, env=env) == {
            "rotation": step}
    new = json.loads(fake.values["t2"])["password"]
    assert new != old and fake.stages == {"v1": [], "t2": ["AWSCURRENT"]}
    assert password_matches(migrated, new) and not password_matches(migrated, old)
    # A repeated step after the rotation finished changes nothing.
    again = handler({"Step": "finishSecret", "SecretId": arn, "ClientRequestToken": "t2"}, None, env=env)
    assert again == {"rotation": "already current"}


def test_rotation_touches_only_the_knowledge_base_secret(moto_secrets) -> None:
    fake = FakeSecrets("arn:kb", json.dumps({"username": KB_ROLE, "password": "x"}))
    fake.start("t2")
    event = {"Step": "createSecret", "SecretId": "arn:master", "ClientRequestToken": "t2"}
    with pytest.raises(KnowledgeBaseSchemaError, match="only the knowledge base's secret"):
        rotate(event, fake, "arn:kb", psycopg.connect)
    with pytest.raises(KnowledgeBaseSchemaError, match="not a version of the secret"):
        rotate({**event, "SecretId": "arn:kb", "ClientRequestToken": "t9"}, fake, "arn:kb", psycopg.connect)
    with pytest.raises(MigrationFailed, match="KB_SECRET_ARN is not set"):
        handler(event, None, env={"DB_DSN": "postgresql://nowhere.invalid/x"})
