"""LocalServer: starts and stops everything `make serve` runs, in order, each step timed.

Start: checks (host, data dir, port) -> moto + the stack's resources -> PostgreSQL + migrations -> the
handlers' environment -> the identity provider -> HTTP/WebSocket server -> the queue poller.
Stop runs the reverse; nothing is left running. Used by the CLI (__main__) and by tests in-process.
"""

from __future__ import annotations

import ipaddress
import socket
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import environment as envs
from .aws_services import MotoServer, Resources, create_tables, create_uploads
from .database import Database, EmbeddedPostgres
from .errors import StartupError
from .models import ModelMode, resolve_models
from .users import UsersFileError, load_users

REPO = Path(__file__).resolve().parents[2]
APP_DIR = REPO / "app"
DEFAULT_USERS = REPO / "local" / "users.yaml"
Progress = Callable[[str, float], None]


@dataclass(frozen=True)
class Options:
    host: str = "127.0.0.1"
    port: int = 8000
    data_dir: Path = REPO / ".local"
    models: str = "auto"  # auto | bedrock | local
    region: str | None = None
    users_file: Path = DEFAULT_USERS
    web_root: Path | None = None
    allow_remote: bool = False


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_data_dir(path: Path) -> None:
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / ".write-test"
        probe.write_text("ok")
        probe.unlink()
        ignore = path / ".gitignore"
        if not ignore.exists():
            ignore.write_text("# local server data (make serve): never commit\n*\n")
    except OSError as exc:
        raise StartupError(f"the data dir {path} is not writable ({exc.strerror or exc}); "
                           "choose another with --data-dir") from None


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise StartupError(f"cannot listen on {host}:{port} ({exc.strerror or exc}); "
                           "choose another port with --port") from None
    sock.listen(128)
    sock.setblocking(False)
    return sock


def reset_app_state() -> None:
    """Forget what the handlers cached (config, clients, JWKS, connections) so they read this env."""
    import boto3
    from chatbot_app.core import auth, aws, bedrock, config, rag_client, workspaces
    from chatbot_app.handlers import doc_processor, rag_service

    boto3.DEFAULT_SESSION = None  # it keeps the credentials it resolved first

    if doc_processor._processor.cache_info().currsize:
        doc_processor._processor().store.close()
    for clear in (config.get_config.cache_clear, aws.reset_clients, auth.clear_jwks_cache,
                  bedrock.clear_model_cache, workspaces._s3_signer.cache_clear, rag_service.reset,
                  doc_processor._processor.cache_clear):
        clear()
    rag_client.set_transport(None)


def warm_clients(url: str, region: str) -> None:
    """Create the handlers' boto3 clients once, here: botocore's lazy set-up is not safe when the first
    clients are created by several request threads at once."""
    from chatbot_app.core import aws

    for service in ("dynamodb", "lambda", "s3", "sqs"):
        aws.client(service, region)
    aws.client("apigatewaymanagementapi", region, f"{url}/{envs.STAGE}")


class LocalServer:
    def __init__(self, options: Options | None = None, progress: Progress | None = None) -> None:
        self.options = options or Options()
        self.progress = progress
        self.url = ""
        self.moto_url = ""
        self.database: Database | None = None
        self._mode: ModelMode | None = None
        self._queue: Resources | None = None
        self._stack: list[Callable[[], None]] = []

    @property
    def mode(self) -> ModelMode:
        if self._mode is None:
            raise RuntimeError("the local server is not started")
        return self._mode

    @property
    def queue(self) -> Resources:
        if self._queue is None:
            raise RuntimeError("the local server is not started")
        return self._queue

    @contextmanager
    def _step(self, label: str) -> Iterator[None]:
        started = time.monotonic()
        yield
        if self.progress is not None:
            self.progress(label, time.monotonic() - started)

    def start(self) -> LocalServer:
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self) -> None:
        opts = self.options
        if not is_loopback(opts.host) and not opts.allow_remote:
            raise StartupError(f"--host {opts.host} is not a loopback address; the local server has public "
                               "default passwords and no TLS. Add --allow-remote if you really mean it")
        _check_data_dir(opts.data_dir)
        try:
            load_users(opts.users_file)  # a broken users file fails now, not at the first sign-in
        except UsersFileError as exc:
            raise StartupError(f"{exc}; fix it or pass another file with --users") from None
        sock = _bind(opts.host, opts.port)
        self._stack.append(sock.close)
        host = f"[{opts.host}]" if ":" in opts.host else opts.host
        self.url = f"http://{host}:{sock.getsockname()[1]}"
        if str(APP_DIR) not in sys.path:
            sys.path.insert(0, str(APP_DIR))
        mode = self._mode = resolve_models(opts.models, opts.region)

        with self._step("moto (DynamoDB, S3, SQS, Secrets Manager): tables, uploads bucket, ingest queue"):
            moto = MotoServer()
            moto_url = moto.start()
            self._stack.append(moto.stop)
            create_tables(moto_url, mode.region)
            self._queue = create_uploads(moto_url, mode.region, self.url)
        with self._step(f"PostgreSQL + pgvector in {opts.data_dir / 'pgdata'}, migrated"):
            postgres = EmbeddedPostgres(opts.data_dir / "pgdata")
            postgres.start()
            self._stack.append(postgres.stop)
            self.database = postgres.prepare(envs.APP_DB_USER)
        self.moto_url = moto_url
        endpoints = envs.Endpoints(self.url, moto_url)
        models = envs.Models(mode.local, mode.region)
        env = envs.merged(envs.per_function(endpoints, models, self.database.app_dsn, self._queue.queue_url))
        env.update(envs.process_environment(endpoints, models, mode.credentials))
        saved = envs.apply(env)
        self._stack.append(lambda: envs.restore(saved))
        reset_app_state()
        self._stack.append(reset_app_state)  # runs before PostgreSQL stops: closes the handlers' connections
        warm_clients(self.url, mode.region)
        if mode.local:
            with self._step("local embedding model (wordllama, 256 dimensions)"):
                from chatbot_app.local.embeddings import load

                load()
        with self._step(f"HTTP and WebSocket server on {self.url}"):
            from .http_server import start_http

            self._stack.append(start_http(self, sock, endpoints))

    def stop(self) -> None:
        """Stop everything started so far, newest first; safe to call twice."""
        while self._stack:
            action = self._stack.pop()
            try:
                action()
            except Exception as exc:  # keep stopping the rest
                print(f"local server: error while stopping: {exc}", file=sys.stderr)

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()
