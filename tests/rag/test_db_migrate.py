"""The deploy's migration step (handlers/db_migrate.py) against the embedded PostgreSQL, with moto's
Secrets Manager holding the master secret the way RDS writes it."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import psycopg
import pytest
from chatbot_app.handlers import db_migrate
from chatbot_app.handlers.db_migrate import MigrationFailed, connection_kwargs, handler
from chatbot_app.rag.migrations import APP_ROLE, Migration, load_migrations
from psycopg.conninfo import conninfo_to_dict

from components.vector_store_migration import migration_checksums

REGION = "eu-west-1"
PASSWORD = "Pw-7c1f0e-never-shown"  # noqa: S105  # nosec B105 - test data
ALL = [f"{m.version:04d}_{m.name}.sql" for m in load_migrations()]


def secret(client: Any, value: str) -> str:
    return client.create_secret(Name=f"rds!cluster-{uuid.uuid4()}", SecretString=value)["ARN"]


def rds_secret(client: Any, password: str = PASSWORD) -> str:
    return secret(client, json.dumps({"username": "postgres", "password": password}))


def new_role() -> str:
    return f"app_{uuid.uuid4().hex[:10]}"


def dsn_env(uri: str, role: str) -> dict[str, str]:
    return {"DB_DSN": uri, "APP_DB_USER": role}


def secret_env(pg_server: Any, uri: str, arn: str, role: str) -> dict[str, str]:
    info = pg_server.get_postmaster_info()
    # The server's Unix socket: libpq skips TLS there, so the handler's verify-full settings still connect.
    return {"DB_HOST": str(info.socket_dir), "DB_PORT": str(info.port),
            "DB_NAME": conninfo_to_dict(uri)["dbname"], "MASTER_SECRET_ARN": arn, "APP_DB_USER": role,
            "AWS_REGION": REGION}


def role_facts(uri: str, role: str) -> dict[str, Any]:
    with psycopg.connect(uri) as conn:
        row = conn.execute("SELECT rolcanlogin, rolsuper, rolbypassrls, rolpassword IS NULL FROM pg_authid "
                           "WHERE rolname = %s", (role,)).fetchone()
        groups = {r[0] for r in conn.execute(
            "SELECT g.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid "
            "JOIN pg_roles u ON u.oid = m.member WHERE u.rolname = %s", (role,))}
    assert row is not None, f"role {role} does not exist"
    return {"login": row[0], "super": row[1], "bypassrls": row[2], "no_password": row[3], "groups": groups}


def test_a_fresh_database_is_migrated_and_the_login_role_prepared(fresh_db) -> None:
    uri, role = fresh_db(), new_role()
    # The event the stack sends: the checksums components/vector_store_migration.py reads at deploy time.
    summary = handler({"migrations": migration_checksums()}, None, env=dsn_env(uri, role))
    assert summary == {"applied": ALL, "current": load_migrations()[-1].version}
    facts = role_facts(uri, role)
    assert facts["login"] and facts["no_password"]  # it signs in with IAM tokens only
    assert not facts["super"] and not facts["bypassrls"]  # so row-level security applies to it
    assert APP_ROLE in facts["groups"]
    with psycopg.connect(uri) as conn:
        assert conn.execute("SELECT extname FROM pg_extension WHERE extname = 'vector'").fetchone()


def test_re_runs_apply_nothing_and_keep_the_role(fresh_db) -> None:
    uri, role = fresh_db(), new_role()
    handler({}, None, env=dsn_env(uri, role))
    again = handler({"migrations": migration_checksums()}, None, env=dsn_env(uri, role))
    assert again == {"applied": [], "current": load_migrations()[-1].version}
    assert APP_ROLE in role_facts(uri, role)["groups"]


def test_rds_iam_is_granted_where_the_role_exists(fresh_db, admin_uri: str) -> None:
    uri, role = fresh_db(), new_role()
    with psycopg.connect(admin_uri, autocommit=True) as conn:
        conn.execute("CREATE ROLE rds_iam NOLOGIN")
    try:
        handler({}, None, env=dsn_env(uri, role))
        assert {"rds_iam", APP_ROLE} <= role_facts(uri, role)["groups"]
    finally:
        with psycopg.connect(admin_uri, autocommit=True) as conn:
            conn.execute("DROP ROLE rds_iam")
    other = new_role()
    handler({}, None, env=dsn_env(uri, other))
    assert role_facts(uri, other)["groups"] == {APP_ROLE}  # no rds_iam on a plain PostgreSQL


def test_a_failing_migration_stops_with_the_file_and_the_database_error(fresh_db, monkeypatch) -> None:
    uri, role = fresh_db(), new_role()
    broken = Migration(99, "broken", "CREATE TABLE rag.half_done (x int);\nSELECT 1 / 0;")
    monkeypatch.setattr(db_migrate, "load_migrations", lambda: [*load_migrations(), broken])
    with pytest.raises(MigrationFailed) as caught:
        handler({}, None, env=dsn_env(uri, role))
    message = str(caught.value)
    assert "migration 0099_broken.sql failed and was rolled back" in message
    assert "division by zero" in message
    assert caught.value.__cause__ is None and caught.value.__suppress_context__  # the message only
    with psycopg.connect(uri) as conn:  # earlier migrations stay, the broken one left nothing behind
        versions = [r[0] for r in conn.execute("SELECT version FROM rag.schema_migrations ORDER BY 1")]
        assert versions == [m.version for m in load_migrations()]
        assert conn.execute("SELECT to_regclass('rag.half_done')").fetchone() == (None,)


def test_a_migration_changed_after_it_was_applied_is_refused(fresh_db, monkeypatch) -> None:
    uri, role = fresh_db(), new_role()
    handler({}, None, env=dsn_env(uri, role))
    first, *rest = load_migrations()
    edited = Migration(first.version, first.name, first.sql + "\n-- edited\n")
    monkeypatch.setattr(db_migrate, "load_migrations", lambda: [edited, *rest])
    with pytest.raises(MigrationFailed, match="0001_schema.sql was changed after it was applied"):
        handler({}, None, env=dsn_env(uri, role))


def test_code_older_than_the_stack_is_refused_before_connecting() -> None:
    sent = {**migration_checksums(), "0099_new.sql": "0" * 64}
    with pytest.raises(MigrationFailed, match=r"differ from the ones the stack read \(0099_new.sql\)"):
        handler({"migrations": sent}, None, env=dsn_env("postgresql://nowhere.invalid/x", new_role()))


def test_a_login_role_that_bypasses_row_level_security_is_refused(fresh_db, admin_uri: str) -> None:
    uri, role = fresh_db(), new_role()
    with psycopg.connect(admin_uri, autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {role} LOGIN BYPASSRLS")
    with pytest.raises(MigrationFailed, match=f"login role {role} is a superuser or has BYPASSRLS"):
        handler({}, None, env=dsn_env(uri, role))


def test_the_master_secret_is_read_from_secrets_manager(moto_secrets, pg_server, fresh_db) -> None:
    uri, role = fresh_db(), new_role()
    env = secret_env(pg_server, uri, rds_secret(moto_secrets), role)
    assert handler({}, None, env=env)["applied"] == ALL
    assert role_facts(uri, role)["login"]


def test_connections_verify_the_server_certificate(moto_secrets) -> None:
    env = {"DB_HOST": "db.cluster-x.eu-west-1.rds.amazonaws.com", "DB_PORT": "5433", "DB_NAME": "chatbot",
           "MASTER_SECRET_ARN": rds_secret(moto_secrets)}
    kwargs = connection_kwargs(env, moto_secrets)
    assert kwargs["sslmode"] == "verify-full"
    assert "BEGIN CERTIFICATE" in Path(kwargs["sslrootcert"]).read_text(encoding="ascii")
    assert (kwargs["user"], kwargs["password"], kwargs["port"]) == ("postgres", PASSWORD, 5433)


def test_errors_never_show_the_password(moto_secrets, pg_server, fresh_db, monkeypatch) -> None:
    uri, role = fresh_db(), new_role()
    # A database error that echoes its input: the password must still not reach the deploy's output.
    leaky = Migration(99, "leaky", f"SELECT '{PASSWORD}'::integer;")
    monkeypatch.setattr(db_migrate, "load_migrations", lambda: [*load_migrations(), leaky])
    with pytest.raises(MigrationFailed) as caught:
        handler({}, None, env=secret_env(pg_server, uri, rds_secret(moto_secrets), role))
    assert "0099_leaky.sql" in str(caught.value) and "invalid input syntax" in str(caught.value)
    assert PASSWORD not in str(caught.value) and "[redacted]" in str(caught.value)

    unreachable = {"DB_HOST": "127.0.0.1", "DB_PORT": "1", "DB_NAME": "chatbot",
                   "MASTER_SECRET_ARN": rds_secret(moto_secrets), "APP_DB_USER": role, "AWS_REGION": REGION}
    expected = r"could not connect to 127.0.0.1:1/chatbot as postgres"
    with pytest.raises(MigrationFailed, match=expected) as refused:
        handler({}, None, env=unreachable)
    assert PASSWORD not in str(refused.value)


@pytest.mark.parametrize("value", ["not json", json.dumps({"username": "postgres"}), json.dumps([1])])
def test_a_secret_that_is_not_rds_credentials_is_refused(moto_secrets, value: str) -> None:
    env = {"DB_HOST": "h", "DB_PORT": "5433", "DB_NAME": "chatbot",
           "MASTER_SECRET_ARN": secret(moto_secrets, value), "APP_DB_USER": new_role(), "AWS_REGION": REGION}
    with pytest.raises(MigrationFailed, match="is not RDS's JSON username/password document"):
        handler({}, None, env=env)


@pytest.mark.parametrize(("missing", "named"), [("APP_DB_USER", "APP_DB_USER"),
                                                ("MASTER_SECRET_ARN", "MASTER_SECRET_ARN")])
def test_missing_configuration_is_named(moto_secrets, missing: str, named: str) -> None:
    env = {"DB_HOST": "h", "DB_PORT": "5433", "DB_NAME": "chatbot", "MASTER_SECRET_ARN": "arn",
           "APP_DB_USER": "chatbot_app"}
    del env[missing]
    with pytest.raises(MigrationFailed, match=f"not configured: set {named}"):
        handler({}, None, env=env)
