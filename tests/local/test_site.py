"""The page and its runtime config: the stack's security headers (CSP without upgrade-insecure-requests on
plain http://127.0.0.1), config.json's contract, and static files confined to the web root."""

from __future__ import annotations

import requests

from components.security_headers import security_headers
from tools.local_server.server import LocalServer


def _csp(value: str) -> dict[str, str]:
    directives = (d.strip().split(" ", 1) for d in value.split(";") if d.strip())
    return {d[0]: d[1] if len(d) > 1 else "" for d in directives}


def test_page_and_config_carry_the_stacks_security_headers(local_server: LocalServer) -> None:
    stack = security_headers(())
    expected = _csp(stack["Content-Security-Policy"])
    del expected["upgrade-insecure-requests"]
    for path in ("/", "/config.json", "/js/app.js"):
        response = requests.get(f"{local_server.url}{path}", timeout=10)
        assert response.status_code == 200, path
        assert _csp(response.headers["Content-Security-Policy"]) == expected, path
        for name in (n for n in stack if n != "Content-Security-Policy"):
            assert response.headers[name] == stack[name], (path, name)
    assert expected["connect-src"] == "'self'" and expected["script-src"] == "'self'"


def test_config_json_describes_the_local_endpoints(local_server: LocalServer) -> None:
    response = requests.get(f"{local_server.url}/config.json", timeout=10)
    config = response.json()
    base = local_server.url
    assert response.headers["Cache-Control"] == "no-store"
    assert config["mode"] == "local" and "Local mode" in config["notice"]
    assert config["apiUrl"] == f"{base}/api"
    assert config["websocketUrl"] == base.replace("http://", "ws://") + "/ws"
    assert config["auth"] == {
        "authorizeUrl": f"{base}/auth/oauth2/authorize", "tokenUrl": f"{base}/auth/oauth2/token",
        "logoutUrl": f"{base}/auth/oauth2/logout", "clientId": "chatbot-local-web", "redirectUri": f"{base}/",
        "scopes": ["openid", "email", "profile"],
    }
    assert (config["adminGroup"], config["workspaceManagerGroup"]) == ("admin", "workspace_manager")
    assert config["embeddingModels"] == ["local.wordllama-256"]


def test_static_files_are_typed_and_confined(local_server: LocalServer) -> None:
    base = local_server.url
    module = requests.get(f"{base}/js/app.js", timeout=10)
    assert module.headers["Content-Type"].startswith("text/javascript")
    route = requests.get(f"{base}/sessions/abc", timeout=10)  # an app route: the page, as CloudFront does
    assert route.status_code == 200 and route.text.startswith("<!doctype html>")
    for skipped in ("tests/secret.js", "README.md", "package.json"):  # what the stack does not deploy
        assert requests.get(f"{base}/{skipped}", timeout=10).status_code == 404, skipped
    assert requests.get(f"{base}/missing.css", timeout=10).status_code == 404
    traversal = requests.get(f"{base}/%2e%2e/%2e%2e/pyproject.toml", timeout=10)
    assert traversal.status_code == 404
