"""The Bedrock knowledge base's table in the stack's Aurora database, and its database user.

Follows AWS's "Using Aurora PostgreSQL as a knowledge base for Amazon Bedrock": schema bedrock_integration,
table bedrock_kb (id uuid PK, embedding vector(N), chunks text, metadata json, custom_metadata jsonb), an
HNSW cosine index on the embedding and GIN indexes on to_tsvector('simple', chunks) and custom_metadata.
Unlike the guide, the table belongs to the master user; the knowledge base's login role (bedrock_kb_user)
gets USAGE on that schema and SELECT/INSERT/UPDATE/DELETE on that table, nothing else (it cannot read the
rag schema).

Credentials: the stack creates the Secrets Manager secret without a value. The first run generates the
password here (`secrets`), stores {"username", "password"} and sets it on the role; later runs reuse the
stored value (ALTER ROLE to it), so re-runs are stable. The password reaches the server only as the
verifier libpq computes (never as statement text) and is never logged or returned.

Rotation: Secrets Manager invokes the migration function with {"Step", "SecretId", "ClientRequestToken"};
`rotate` implements the four steps (createSecret, setSecret, testSecret, finishSecret).
"""

from __future__ import annotations

import json
import secrets as token_source
from collections.abc import Callable
from typing import Any

import psycopg
from psycopg import sql

SCHEMA = "bedrock_integration"
TABLE = "bedrock_kb"
KB_ROLE = "bedrock_kb_user"
QUALIFIED_TABLE = f"{SCHEMA}.{TABLE}"
DIMENSIONS: tuple[int, ...] = (256, 512, 1024, 1536)  # the embedding models' (HNSW on vector: <= 2000)
PASSWORD_BYTES = 32
CONNECTION_LIMIT = 20
_LOCK_KEY = 0x4B42_5343_4845_4D41  # any fixed 64-bit number, distinct from the migrations' lock
STEPS = ("createSecret", "setSecret", "testSecret", "finishSecret")
CURRENT, PENDING = "AWSCURRENT", "AWSPENDING"


class KnowledgeBaseSchemaError(RuntimeError):
    """Preparing the knowledge base's table or user failed; the message never holds a password."""


def parse_dimension(text: str | None) -> int:
    try:
        dimension = int(text or "")
    except ValueError:
        dimension = 0
    if dimension not in DIMENSIONS:
        raise KnowledgeBaseSchemaError(
            f"KB_DIMENSION must be one of {', '.join(map(str, DIMENSIONS))}, got {text!r}")
    return dimension


def _table_dimension(conn: psycopg.Connection) -> int | None:
    row = conn.execute(
        "SELECT a.atttypmod FROM pg_attribute a WHERE a.attrelid = to_regclass(%s) "
        "AND a.attname = 'embedding' AND NOT a.attisdropped", (QUALIFIED_TABLE,)).fetchone()
    return None if row is None else int(row[0])


def ensure_table(conn: psycopg.Connection, dimension: int) -> None:
    """Schema, table and indexes (idempotent). A table of another dimension is refused, not altered:
    its vectors came from another model and would all have to be re-embedded."""
    schema, table = sql.Identifier(SCHEMA), sql.Identifier(SCHEMA, TABLE)
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY & 0x7FFF_FFFF_FFFF_FFFF,))
        conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(schema))
        conn.execute(sql.SQL("REVOKE ALL ON SCHEMA {} FROM PUBLIC").format(schema))
        existing = _table_dimension(conn)
        if existing is not None and existing != dimension:
            raise KnowledgeBaseSchemaError(
                f"{QUALIFIED_TABLE} holds {existing}-dimension vectors but the knowledge base's model gives "
                f"{dimension}; drop the table (and re-sync the data source) or keep the model")
        conn.execute(sql.SQL(
            "CREATE TABLE IF NOT EXISTS {} (id uuid PRIMARY KEY, embedding vector({}), chunks text, "
            "metadata json, custom_metadata jsonb)").format(table, sql.Literal(dimension)))
        for index, method in (("bedrock_kb_embedding_hnsw", "hnsw (embedding vector_cosine_ops)"),
                              ("bedrock_kb_chunks_fts", "gin (to_tsvector('simple'::regconfig, chunks))"),
                              ("bedrock_kb_custom_metadata", "gin (custom_metadata)")):
            conn.execute(sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} USING " + method)
                         .format(sql.Identifier(index), table))


def set_role_password(conn: psycopg.Connection, password: str) -> None:
    """Create or update the knowledge base's login role with `password`, and its grants."""
    role = sql.Identifier(KB_ROLE)
    # libpq hashes the password the way the server's password_encryption asks; only that verifier is sent.
    verifier = conn.pgconn.encrypt_password(password.encode(), KB_ROLE.encode()).decode()
    with conn.transaction():
        row = conn.execute(
            "SELECT rolsuper OR rolbypassrls OR rolcreaterole FROM pg_roles WHERE rolname = %s", (KB_ROLE,)
        ).fetchone()
        if row is None:
            conn.execute(sql.SQL(
                "CREATE ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS NOINHERIT "
                "CONNECTION LIMIT {} PASSWORD {}").format(role, sql.Literal(CONNECTION_LIMIT),
                                                          sql.Literal(verifier)))
        elif row[0]:
            raise KnowledgeBaseSchemaError(
                f"role {KB_ROLE} is a superuser or has BYPASSRLS/CREATEROLE; remove those attributes")
        else:
            conn.execute(sql.SQL("ALTER ROLE {} LOGIN PASSWORD {}").format(role, sql.Literal(verifier)))
        conn.execute(sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(sql.Identifier(SCHEMA), role))
        conn.execute(sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE {} TO {}")
                     .format(sql.Identifier(SCHEMA, TABLE), role))


def _document(value: str, secret_arn: str) -> str:
    try:
        document = json.loads(value)
        if document["username"] != KB_ROLE or not isinstance(document["password"], str):
            raise ValueError
        return str(document["password"])
    except (KeyError, TypeError, ValueError):
        raise KnowledgeBaseSchemaError(
            f"the secret {secret_arn} does not hold {KB_ROLE}'s JSON username/password") from None


def _credentials(password: str) -> str:
    return json.dumps({"username": KB_ROLE, "password": password})


def stored_password(secrets: Any, secret_arn: str, **version: str) -> str | None:
    """The password in the secret's version (AWSCURRENT by default), or None when it has no value yet."""
    try:
        value = secrets.get_secret_value(SecretId=secret_arn, **version)["SecretString"]
    except secrets.exceptions.ResourceNotFoundException:
        return None
    return _document(value, secret_arn)


def prepare(conn: psycopg.Connection, secrets: Any, secret_arn: str, dimension: int) -> dict[str, Any]:
    """Table, indexes, role and credentials; the summary the migration handler returns."""
    ensure_table(conn, dimension)
    password = stored_password(secrets, secret_arn)
    created = password is None
    if password is None:
        password = token_source.token_urlsafe(PASSWORD_BYTES)
        # Stored first: if the database step fails, the next run sets this same value.
        secrets.put_secret_value(SecretId=secret_arn, SecretString=_credentials(password))
    set_role_password(conn, password)
    return {"table": QUALIFIED_TABLE, "dimension": dimension, "role": KB_ROLE,
            "credentials": "created" if created else "reused"}


def rotate(event: dict[str, Any], secrets: Any, secret_arn: str,
           connect: Callable[..., psycopg.Connection]) -> str:
    """One step of a Secrets Manager rotation of the knowledge base's secret (and nothing else's).
    `connect()` opens a connection as the master user; `connect(user=..., password=...)` as that user."""
    step, token = event.get("Step"), event.get("ClientRequestToken")
    if event.get("SecretId") != secret_arn:
        raise KnowledgeBaseSchemaError("this function rotates only the knowledge base's secret")
    if step not in STEPS or not isinstance(token, str):
        raise KnowledgeBaseSchemaError(f"unknown rotation step {step!r}")
    stages = secrets.describe_secret(SecretId=secret_arn).get("VersionIdsToStages", {})
    if token not in stages:
        raise KnowledgeBaseSchemaError("the rotation's version is not a version of the secret")
    if CURRENT in stages[token]:
        return "already current"
    if PENDING not in stages[token]:
        raise KnowledgeBaseSchemaError("the rotation's version is not pending")
    if step == "createSecret":
        if stored_password(secrets, secret_arn, VersionId=token, VersionStage=PENDING) is None:
            secrets.put_secret_value(SecretId=secret_arn, ClientRequestToken=token, VersionStages=[PENDING],
                                     SecretString=_credentials(token_source.token_urlsafe(PASSWORD_BYTES)))
    elif step in ("setSecret", "testSecret"):
        pending = stored_password(secrets, secret_arn, VersionId=token, VersionStage=PENDING)
        if pending is None and step == "testSecret":
            # Secrets Manager's check of a new rotation configuration: test the current credentials.
            pending = stored_password(secrets, secret_arn)
        if pending is None:
            raise KnowledgeBaseSchemaError("the pending version has no value")
        if step == "setSecret":
            with connect() as conn:
                set_role_password(conn, pending)
        else:
            with connect(user=KB_ROLE, password=pending) as conn:
                conn.execute(sql.SQL("SELECT 1 FROM {} LIMIT 1").format(sql.Identifier(SCHEMA, TABLE)))
    else:
        current = [v for v, labels in stages.items() if CURRENT in labels]
        secrets.update_secret_version_stage(SecretId=secret_arn, VersionStage=CURRENT, MoveToVersionId=token,
                                            **({"RemoveFromVersionId": current[0]} if current else {}))
    return step
