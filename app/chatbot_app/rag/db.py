"""Connections to the vector database: IAM authentication and verified TLS, never a stored password.

In AWS the application connects as the login role DB_USER with a 15-minute IAM token (signed locally by
botocore, no network call) and verify-full TLS against the Amazon RDS CA bundle shipped in this package.
Locally and in tests DB_DSN (a libpq connection string) replaces all of that.

Environment:
  DB_HOST, DB_PORT, DB_NAME, DB_USER   the cluster endpoint and the IAM-enabled login role
  DB_DSN                               a full connection string instead (local server, tests)
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

import psycopg

CA_BUNDLE = "rds-ca-bundle.pem"  # Amazon RDS root CAs (every region), see README "Database TLS"
CONNECT_TIMEOUT_SECONDS = 10


class DatabaseConfigError(RuntimeError):
    pass


@dataclass(frozen=True)
class DatabaseEndpoint:
    host: str
    port: int
    name: str
    user: str
    region: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> DatabaseEndpoint:
        missing = [k for k in ("DB_HOST", "DB_PORT", "DB_NAME", "DB_USER") if not env.get(k)]
        if missing:
            raise DatabaseConfigError(f"the database is not configured: set {', '.join(missing)} (or DB_DSN)")
        try:
            port = int(env["DB_PORT"])
        except ValueError as error:
            raise DatabaseConfigError(f"DB_PORT must be a port number, got {env['DB_PORT']!r}") from error
        return cls(env["DB_HOST"], port, env["DB_NAME"], env["DB_USER"], env.get("AWS_REGION"))


def ca_bundle_path() -> str:
    path = resources.files(__package__).joinpath(CA_BUNDLE)
    return str(path)


def iam_connector(endpoint: DatabaseEndpoint, rds_client: Any) -> Callable[[], psycopg.Connection]:
    """A connect function that signs a fresh IAM token for every new connection."""

    def connect() -> psycopg.Connection:
        token = rds_client.generate_db_auth_token(
            DBHostname=endpoint.host, Port=endpoint.port, DBUsername=endpoint.user, Region=endpoint.region
        )
        return psycopg.connect(
            host=endpoint.host, port=endpoint.port, dbname=endpoint.name, user=endpoint.user, password=token,
            sslmode="verify-full", sslrootcert=ca_bundle_path(), connect_timeout=CONNECT_TIMEOUT_SECONDS,
            application_name="chatbot",
        )

    return connect


def dsn_connector(dsn: str) -> Callable[[], psycopg.Connection]:
    return lambda: psycopg.connect(dsn, connect_timeout=CONNECT_TIMEOUT_SECONDS, application_name="chatbot")


def connector_from_env(env: Mapping[str, str] | None = None,
                       rds_client: Any = None) -> Callable[[], psycopg.Connection]:
    env = os.environ if env is None else env
    if env.get("DB_DSN"):
        return dsn_connector(env["DB_DSN"])
    endpoint = DatabaseEndpoint.from_env(env)
    if rds_client is None:
        from ..core.aws import client  # the app's lazily created, cached boto3 clients

        rds_client = client("rds", endpoint.region)
    return iam_connector(endpoint, rds_client)
