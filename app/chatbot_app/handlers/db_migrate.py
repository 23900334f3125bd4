"""Database migration step, invoked by the stack on every deploy (aws.lambda_.Invocation, see
components/vector_store_migration.py).

Connects as the master user with the RDS-managed master secret over verify-full TLS, applies the pending
migrations (app/chatbot_app/rag/migrations), and makes sure the application's login role exists: LOGIN, no
password (it signs in with IAM tokens), a member of chatbot_rag_app, and of rds_iam where that role exists
(Aurora). Returns {"applied": [file names], "current": highest applied version}.

Any failure raises MigrationFailed: Lambda returns a function error, the Invocation fails with this
message and the deploy stops. Messages name the migration file and the database error, never the password.

With KB_SECRET_ARN (and KB_DIMENSION) set, it then prepares the Bedrock knowledge base's table and its
database user and writes that user's credentials to the secret (rag/kb_schema.py); the summary gains
"knowledgeBase". An event with "Step" is Secrets Manager rotating that secret: only that step runs.

Environment: DB_HOST, DB_PORT, DB_NAME, MASTER_SECRET_ARN, APP_DB_USER; DB_DSN replaces the first four
(local runs and tests); optional KB_SECRET_ARN, KB_DIMENSION.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from typing import Any

import psycopg
from psycopg import sql

from ..rag import kb_schema
from ..rag.db import ca_bundle_path
from ..rag.migrations import (
    APP_ROLE,
    Migration,
    MigrationError,
    applied_versions,
    grant_app_role,
    load_migrations,
    migrate,
)

log = logging.getLogger(__name__)
CONNECT_TIMEOUT_SECONDS = 60  # a paused Aurora Serverless v2 database takes about 15 s to resume
IAM_ROLE = "rds_iam"  # Aurora's role for IAM-authenticated logins; absent on a plain PostgreSQL
REDACTED = "[redacted]"


class MigrationFailed(RuntimeError):
    """The deploy's migration step failed; the message is what the deploy shows."""


def master_credentials(secret_arn: str, secrets: Any) -> tuple[str, str]:
    """The master user name and password from the RDS-managed secret (JSON username/password)."""
    try:
        value = secrets.get_secret_value(SecretId=secret_arn)["SecretString"]
        document = json.loads(value)
        return str(document["username"]), str(document["password"])
    except (KeyError, TypeError, ValueError) as error:
        raise MigrationFailed(
            f"the master secret {secret_arn} is not RDS's JSON username/password document") from error


def connection_kwargs(env: Mapping[str, str], secrets: Any) -> dict[str, Any]:
    """psycopg.connect arguments for the master user: verify-full TLS against the bundled RDS CAs."""
    missing = [k for k in ("DB_HOST", "DB_PORT", "DB_NAME", "MASTER_SECRET_ARN") if not env.get(k)]
    if missing:
        raise MigrationFailed(f"the migration function is not configured: set {', '.join(missing)}")
    user, password = master_credentials(env["MASTER_SECRET_ARN"], secrets)
    return {
        "host": env["DB_HOST"], "port": int(env["DB_PORT"]), "dbname": env["DB_NAME"], "user": user,
        "password": password, "sslmode": "verify-full", "sslrootcert": ca_bundle_path(),
        "connect_timeout": CONNECT_TIMEOUT_SECONDS, "application_name": "chatbot-migrate",
    }


def ensure_login_role(conn: psycopg.Connection, login_role: str) -> None:
    """The application's login role: created without a password, a member of the application role (and of
    rds_iam on Aurora). Refused if it could bypass row-level security."""
    with conn.transaction():
        row = conn.execute(
            "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = %s", (login_role,)).fetchone()
        role = sql.Identifier(login_role)
        if row is None:
            conn.execute(sql.SQL("CREATE ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS")
                         .format(role))
        elif row[0] or row[1]:
            raise MigrationFailed(
                f"login role {login_role} is a superuser or has BYPASSRLS, so row-level security would not "
                "apply to it; remove those attributes (ALTER ROLE ... NOSUPERUSER NOBYPASSRLS)")
        else:
            conn.execute(sql.SQL("ALTER ROLE {} LOGIN").format(role))
    grant_app_role(conn, login_role)
    with conn.transaction():
        if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (IAM_ROLE,)).fetchone():
            conn.execute(sql.SQL("GRANT {} TO {}").format(sql.Identifier(IAM_ROLE), role))


def check_expected(event: Mapping[str, Any], migrations: list[Migration]) -> None:
    """The stack sends the checksums it read at deploy time: the deployed code must carry the same files."""
    expected = event.get("migrations")
    if expected is None:
        return
    if not isinstance(expected, dict):
        raise MigrationFailed("the event's migrations must map file names to sha256 checksums")
    packaged = {f"{m.version:04d}_{m.name}.sql": m.checksum for m in migrations}
    names = set(expected) | set(packaged)
    differ = sorted(name for name in names if expected.get(name) != packaged.get(name))
    if differ:
        raise MigrationFailed(
            "the deployed function's migrations differ from the ones the stack read "
            f"({', '.join(differ)}); deploy again so the function's code is current")


def run(conn: psycopg.Connection, login_role: str, migrations: list[Migration]) -> dict[str, Any]:
    """Apply pending migrations and ensure the login role; the summary the handler returns."""
    labels = {m.version: f"{m.version:04d}_{m.name}.sql" for m in migrations}
    try:
        applied = migrate(conn, migrations)
        ensure_login_role(conn, login_role)
    except MigrationError as error:
        raise MigrationFailed(str(error)) from error
    except psycopg.Error as error:
        raise MigrationFailed(f"preparing login role {login_role} failed: {error}") from error
    current = max(applied_versions(conn), default=0)
    return {"applied": [labels[v] for v in applied], "current": current}


def _secrets(env: Mapping[str, str]) -> Any:
    from ..core.aws import client  # the app's lazily created, cached boto3 clients

    return client("secretsmanager", env.get("AWS_REGION"))


def _connect(env: Mapping[str, str], **login: str) -> tuple[psycopg.Connection, str]:
    """A connection as the master user (or as `login`'s user and password), and the password to keep out
    of messages ("" with DB_DSN)."""
    if env.get("DB_DSN"):
        kwargs: dict[str, Any] = {"conninfo": env["DB_DSN"], "connect_timeout": CONNECT_TIMEOUT_SECONDS,
                                  **login}
        where, password = "DB_DSN", login.get("password", "")
    else:
        kwargs = {**connection_kwargs(env, _secrets(env)), **login}
        where = f"{kwargs['host']}:{kwargs['port']}/{kwargs['dbname']} as {kwargs['user']}"
        password = kwargs["password"]
    try:
        return psycopg.connect(**kwargs), password
    except psycopg.Error as error:
        raise MigrationFailed(f"could not connect to {where}: {_redact(str(error), password)}") from None


def _redact(text: str, password: str) -> str:
    return text.replace(password, REDACTED) if password else text


def prepare_knowledge_base(conn: psycopg.Connection, env: Mapping[str, str]) -> dict[str, Any]:
    """The knowledge base's table, user and credentials, when the stack created a knowledge base."""
    try:
        dimension = kb_schema.parse_dimension(env.get("KB_DIMENSION"))
        return kb_schema.prepare(conn, _secrets(env), env["KB_SECRET_ARN"], dimension)
    except kb_schema.KnowledgeBaseSchemaError as error:
        raise MigrationFailed(f"preparing the knowledge base's table failed: {error}") from None
    except psycopg.Error as error:
        raise MigrationFailed(f"preparing the knowledge base's table failed: {error}") from error


def rotate_knowledge_base_secret(event: dict[str, Any], env: Mapping[str, str]) -> dict[str, Any]:
    """A Secrets Manager rotation step for the knowledge base's secret (never the master secret)."""
    secret_arn = env.get("KB_SECRET_ARN", "")
    if not secret_arn:
        raise MigrationFailed("rotation requested but KB_SECRET_ARN is not set")

    def connect(**login: str) -> psycopg.Connection:
        return _connect(env, **login)[0]

    try:
        done = kb_schema.rotate(event, _secrets(env), secret_arn, connect)
    except kb_schema.KnowledgeBaseSchemaError as error:
        raise MigrationFailed(f"rotating the knowledge base's secret failed: {error}") from None
    except psycopg.Error as error:
        # The message is the database's, which never holds the password (only its verifier was sent).
        raise MigrationFailed(f"rotating the knowledge base's secret failed: {error}") from None
    log.info("knowledge base secret rotation: %s", done)
    return {"rotation": done}


def handler(event: dict[str, Any], context: Any, env: Mapping[str, str] | None = None) -> dict[str, Any]:
    env = os.environ if env is None else env
    if "Step" in (event or {}):
        return rotate_knowledge_base_secret(event, env)
    login_role = env.get("APP_DB_USER", "")
    if not login_role:
        raise MigrationFailed("the migration function is not configured: set APP_DB_USER")
    try:
        migrations = load_migrations()
    except MigrationError as error:
        raise MigrationFailed(str(error)) from None
    check_expected(event or {}, migrations)
    conn, password = _connect(env)
    try:
        summary = run(conn, login_role, migrations)
        if env.get("KB_SECRET_ARN"):
            summary["knowledgeBase"] = prepare_knowledge_base(conn, env)
    except MigrationFailed as error:
        # Raised again without the chain: Lambda reports the message only, and it must not carry secrets.
        raise MigrationFailed(_redact(str(error), password)) from None
    finally:
        conn.close()
    log.info("migrations applied: %s; schema version %s; role %s in %s",
             summary["applied"] or "none", summary["current"], login_role, APP_ROLE)
    return summary
