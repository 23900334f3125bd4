"""The local identity provider over HTTP: PKCE authorization code flow, refresh, JWKS-verifiable tokens."""

from __future__ import annotations

import re
from typing import Any

import jwt
import requests

from tests.local.client import (
    PASSWORDS,
    authorize_params,
    code_from,
    exchange,
    pkce_pair,
    sign_in,
    sign_in_code,
)
from tools.local_server.server import LocalServer


def test_authorize_page_is_a_form_without_script(config: dict[str, Any]) -> None:
    _, challenge = pkce_pair()
    params = authorize_params(config, challenge)
    page = requests.get(config["auth"]["authorizeUrl"], params=params, timeout=10)
    assert page.status_code == 200
    assert "<form" in page.text and 'type="password"' in page.text
    assert "<script" not in page.text and "style=" not in page.text
    assert not re.search(r"\son[a-z]+=", page.text)  # no inline event handlers either
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]
    assert page.headers["Cache-Control"] == "no-store"


def test_authorize_refuses_unregistered_redirect_and_missing_pkce(config: dict[str, Any]) -> None:
    _, challenge = pkce_pair()
    params = authorize_params(config, challenge)
    evil = requests.get(config["auth"]["authorizeUrl"], params={**params, "redirect_uri": "https://evil.example/"},
                        allow_redirects=False, timeout=10)
    assert evil.status_code == 400 and "location" not in evil.headers
    plain = requests.get(config["auth"]["authorizeUrl"], params={**params, "code_challenge_method": "plain"},
                         allow_redirects=False, timeout=10)
    assert plain.status_code == 302
    location = plain.headers["location"]
    assert "error=invalid_request" in location and "state=state-1" in location


def test_wrong_password_gives_no_code(config: dict[str, Any]) -> None:
    _, challenge = pkce_pair()
    attempts = (("admin", "wrong"), ("nobody", PASSWORDS["admin"]), ("user", PASSWORDS["admin"]))
    for username, password in attempts:
        answer = sign_in_code(config, username, password, challenge)
        assert answer.status_code == 401
        assert "location" not in answer.headers
        assert "Incorrect user name or password." in answer.text


def test_code_needs_the_right_verifier_and_works_once(config: dict[str, Any]) -> None:
    verifier, challenge = pkce_pair()
    redirect = sign_in_code(config, "user", PASSWORDS["user"], challenge)
    assert redirect.status_code == 302
    assert redirect.headers["location"].startswith(config["auth"]["redirectUri"] + "?")
    assert "state=state-1" in redirect.headers["location"]
    wrong = exchange(config, code_from(redirect), pkce_pair()[0])
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"
    # The failed attempt consumed the code: even the right verifier cannot use it now.
    assert exchange(config, code_from(redirect), verifier).status_code == 400

    verifier, challenge = pkce_pair()
    code = code_from(sign_in_code(config, "user", PASSWORDS["user"], challenge))
    first = exchange(config, code, verifier)
    assert first.status_code == 200
    assert set(first.json()) >= {"id_token", "access_token", "refresh_token", "expires_in", "token_type"}
    again = exchange(config, code, verifier)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"


def test_tokens_are_cognito_shaped_and_verify_with_the_jwks(local_server: LocalServer,
                                                            config: dict[str, Any]) -> None:
    tokens = sign_in(config, "admin")
    keys = jwt.PyJWKClient(f"{local_server.url}/auth/.well-known/jwks.json")
    issuer = f"{local_server.url}/auth"
    client_id = config["auth"]["clientId"]
    identity = jwt.decode(tokens["id_token"], keys.get_signing_key_from_jwt(tokens["id_token"]).key,
                          algorithms=["RS256"], audience=client_id, issuer=issuer)
    assert identity["token_use"] == "id" and identity["cognito:username"] == "admin"  # noqa: S105
    assert identity["cognito:groups"] == ["admin", "workspace_manager"]
    access = jwt.decode(tokens["access_token"], keys.get_signing_key_from_jwt(tokens["access_token"]).key,
                        algorithms=["RS256"], issuer=issuer, options={"verify_aud": False})
    assert access["token_use"] == "access" and access["client_id"] == client_id  # noqa: S105
    assert access["sub"] == identity["sub"] and access["exp"] - access["iat"] == 3600


def test_refresh_token_gives_new_tokens_and_can_be_revoked(config: dict[str, Any]) -> None:
    auth = config["auth"]
    refresh = sign_in(config, "user")["refresh_token"]
    form = {"grant_type": "refresh_token", "client_id": auth["clientId"], "refresh_token": refresh}
    renewed = requests.post(auth["tokenUrl"], data=form, timeout=10)
    assert renewed.status_code == 200 and "id_token" in renewed.json()
    revoke_url = auth["tokenUrl"].replace("/token", "/revoke")
    revoked = requests.post(revoke_url, data={"token": refresh, "client_id": auth["clientId"]}, timeout=10)
    assert revoked.status_code == 200
    assert requests.post(auth["tokenUrl"], data=form, timeout=10).status_code == 400


def test_logout_returns_only_to_a_registered_uri(config: dict[str, Any]) -> None:
    auth = config["auth"]
    home = {"client_id": auth["clientId"], "logout_uri": auth["redirectUri"]}
    back = requests.get(auth["logoutUrl"], params=home, allow_redirects=False, timeout=10)
    assert back.status_code == 302 and back.headers["location"] == auth["redirectUri"]
    away = {**home, "logout_uri": "https://evil.example/"}
    evil = requests.get(auth["logoutUrl"], params=away, allow_redirects=False, timeout=10)
    assert evil.status_code == 200 and "location" not in evil.headers
