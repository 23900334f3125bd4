"""Versioned, idempotent schema migrations for the RAG store.

Migrations are the files NNNN_name.sql beside this module, applied in order, each in its own transaction
together with its row in rag.schema_migrations (version, name, sha256). A session-level advisory lock
serialises concurrent deploys. Re-running applies nothing new; an applied file whose text changed since is
refused (edit history by adding a migration, never by rewriting one). Any failure raises MigrationError
naming the file, so the deploy step stops with a clear message.

Run it as the database owner (the master user on Aurora); the application connects as a login role that
is a member of chatbot_rag_app (see grant_app_role), which owns nothing and so is subject to RLS.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from importlib import resources

import psycopg
from psycopg import sql

APP_ROLE = "chatbot_rag_app"
_FILE = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
_ROLE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
# Any fixed 64-bit number; the same for every deploy of this schema.
_LOCK_KEY = 0x5241_4753_544F_5245 & 0x7FFF_FFFF_FFFF_FFFF


class MigrationError(RuntimeError):
    pass


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def load_migrations() -> list[Migration]:
    found: list[Migration] = []
    for entry in resources.files(__package__).iterdir():
        match = _FILE.match(entry.name)
        if match:
            found.append(Migration(int(match.group(1)), match.group(2), entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise MigrationError(f"two migration files share a version: {versions}")
    return found


def applied_versions(conn: psycopg.Connection) -> dict[int, str]:
    rows = conn.execute("SELECT version, checksum FROM rag.schema_migrations").fetchall()
    return {int(v): str(c) for v, c in rows}


def migrate(conn: psycopg.Connection, migrations: list[Migration] | None = None) -> list[int]:
    """Apply pending migrations; return the versions applied by this call (empty when up to date)."""
    migrations = load_migrations() if migrations is None else migrations
    conn.autocommit = True
    conn.execute("SELECT pg_advisory_lock(%s)", (_LOCK_KEY,))
    try:
        with conn.transaction():
            conn.execute("CREATE SCHEMA IF NOT EXISTS rag")
            conn.execute(
                "CREATE TABLE IF NOT EXISTS rag.schema_migrations ("
                " version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,"
                " applied_at timestamptz NOT NULL DEFAULT now())"
            )
        done = applied_versions(conn)
        applied: list[int] = []
        for migration in migrations:
            if migration.version in done:
                if done[migration.version] != migration.checksum:
                    raise MigrationError(
                        f"migration {migration.version:04d}_{migration.name}.sql was changed after it was "
                        "applied; add a new migration instead"
                    )
                continue
            _apply(conn, migration)
            applied.append(migration.version)
        return applied
    finally:
        conn.execute("SELECT pg_advisory_unlock(%s)", (_LOCK_KEY,))


def _apply(conn: psycopg.Connection, migration: Migration) -> None:
    label = f"{migration.version:04d}_{migration.name}.sql"
    try:
        with conn.transaction():
            # Whole-file text without parameters: simple query protocol runs every statement in it.
            conn.execute(sql.SQL(migration.sql))  # type: ignore[arg-type]
            conn.execute(
                "INSERT INTO rag.schema_migrations (version, name, checksum) VALUES (%s, %s, %s)",
                (migration.version, migration.name, migration.checksum),
            )
    except psycopg.Error as exc:
        raise MigrationError(f"migration {label} failed and was rolled back: {exc}") from exc


def grant_app_role(conn: psycopg.Connection, login_role: str) -> None:
    """Make an existing login role a member of the application role (validated name, quoted)."""
    if not _ROLE.match(login_role):
        raise MigrationError(f"invalid role name: {login_role!r}")
    with conn.transaction():
        conn.execute(sql.SQL("GRANT {} TO {}").format(sql.Identifier(APP_ROLE), sql.Identifier(login_role)))
