"""One local server for the whole package: started in-process on a free port, in local mode, and stopped
at the end, checking that nothing is left running and that the process environment is restored."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.local.client import Api, sign_in
from tools.local_server.server import LocalServer, Options

INDEX = ('<!doctype html><html lang="en"><head><meta charset="utf-8"><title>chatbot</title>'
         '<script type="module" src="/js/app.js"></script></head><body><main id="app"></main></body></html>')


def _environment() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}  # pytest's own, per phase


def _refused(url: str) -> bool:
    host, port = url.removeprefix("http://").rsplit(":", 1)
    try:
        socket.create_connection((host, int(port)), timeout=1).close()
    except OSError:
        return True
    return False


@pytest.fixture(scope="package")
def local_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    root = tmp_path_factory.mktemp("local-server")
    web = root / "web"
    (web / "js").mkdir(parents=True)
    (web / "index.html").write_text(INDEX)
    (web / "js" / "app.js").write_text("export const ready = true;\n")
    (web / "tests").mkdir()
    (web / "tests" / "secret.js").write_text("never served\n")
    (web / "README.md").write_text("never served\n")
    (web / "package.json").write_text('{"type": "module"}\n')
    environment = _environment()
    server = LocalServer(Options(port=0, data_dir=root / "data", models="local", web_root=web)).start()
    yield server
    url, moto_url = server.url, server.moto_url
    pgdata = Path(root / "data" / "pgdata")
    server.stop()
    assert _refused(url), "the HTTP server still listens"
    assert _refused(moto_url), "moto still listens"
    assert not (pgdata / "postmaster.pid").exists(), "PostgreSQL is still running"
    assert _environment() == environment, "the process environment was not restored"


@pytest.fixture(scope="package")
def config(local_server: LocalServer) -> dict[str, Any]:
    return requests.get(f"{local_server.url}/config.json", timeout=10).json()


@pytest.fixture(scope="package")
def admin(config: dict[str, Any]) -> Api:
    return Api(config["apiUrl"], sign_in(config, "admin")["id_token"])


@pytest.fixture(scope="package")
def user(config: dict[str, Any]) -> Api:
    return Api(config["apiUrl"], sign_in(config, "user")["id_token"])
