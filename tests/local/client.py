"""A small client of the local server for the tests: the browser's PKCE sign-in and API calls, over HTTP."""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

PASSWORDS = {"admin": "admin-local-only", "user": "user-local-only"}  # local/users.yaml's documented ones


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def authorize_params(config: dict[str, Any], challenge: str, state: str = "state-1") -> dict[str, str]:
    auth = config["auth"]
    return {"response_type": "code", "client_id": auth["clientId"], "redirect_uri": auth["redirectUri"],
            "scope": " ".join(auth["scopes"]), "state": state, "code_challenge": challenge,
            "code_challenge_method": "S256"}


def sign_in_code(config: dict[str, Any], username: str, password: str, challenge: str) -> requests.Response:
    """POST the sign-in form, as the page does; a 302 to the redirect URI carries the code."""
    form = {**authorize_params(config, challenge), "username": username, "password": password}
    return requests.post(config["auth"]["authorizeUrl"], data=form, allow_redirects=False, timeout=10)


def code_from(response: requests.Response) -> str:
    return parse_qs(urlsplit(response.headers["location"]).query)["code"][0]


def exchange(config: dict[str, Any], code: str, verifier: str) -> requests.Response:
    auth = config["auth"]
    form = {"grant_type": "authorization_code", "client_id": auth["clientId"], "code": code,
            "redirect_uri": auth["redirectUri"], "code_verifier": verifier}
    return requests.post(auth["tokenUrl"], data=form, timeout=10)


def sign_in(config: dict[str, Any], username: str) -> dict[str, Any]:
    verifier, challenge = pkce_pair()
    response = sign_in_code(config, username, PASSWORDS[username], challenge)
    answer = exchange(config, code_from(response), verifier)
    answer.raise_for_status()
    return answer.json()


@dataclass
class Api:
    base: str
    token: str

    def call(self, method: str, path: str, body: Any = None) -> requests.Response:
        return requests.request(method, f"{self.base}{path}", json=body, timeout=30,
                                headers={"Authorization": self.token})
