"""The local identity provider: OAuth 2.0 authorization code + PKCE (S256) with Cognito-shaped RS256 tokens.

The handlers verify these tokens exactly as they verify Cognito's (core/auth.py): the signing key comes from
the JWKS this provider serves, and iss, token_use, aud (ID token) or client_id (access token), exp and
cognito:groups are checked. The signing key is generated once and kept in the data dir (mode 0600); codes
and refresh tokens live in memory only, so a restart signs everyone out.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import secrets
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from .users import User, load_users, verify_password

TOKEN_SECONDS = 3600  # Cognito's default ID/access token lifetime
CODE_SECONDS = 300  # Cognito's authorization codes last five minutes
REFRESH_SECONDS = 30 * 86400
SCOPES = ("openid", "email", "profile", "phone", "aws.cognito.signin.user.admin")
_PKCE = re.compile(r"^[A-Za-z0-9._~-]{43,128}$")  # RFC 7636: verifier and S256 challenge alphabet
KEY_FILE = "idp-signing-key.pem"
# Claim and field values, not secrets (bandit reads the "token" in their keys as a password).
ACCESS_USE, ID_USE, BEARER = "access", "id", "Bearer"


class OAuthError(Exception):
    """An OAuth error response: `error` is the RFC 6749 code, `description` is safe to show."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error, self.description, self.status = error, description, status


@dataclass(frozen=True)
class AuthorizeRequest:
    client_id: str
    redirect_uri: str
    scopes: tuple[str, ...]
    state: str
    code_challenge: str


@dataclass(frozen=True)
class _Grant:
    user: str
    client_id: str
    redirect_uri: str
    scopes: tuple[str, ...]
    code_challenge: str
    expires: float


def load_signing_key(data_dir: Path) -> rsa.RSAPrivateKey:
    """The provider's RSA key from the data dir, created there (owner read/write only) on first use."""
    path = data_dir / KEY_FILE
    if path.exists():
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, rsa.RSAPrivateKey):
            raise ValueError(f"{path} is not an RSA private key; delete it to get a new one")
        os.chmod(path, 0o600)
        return key
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(pem)
    return key


def s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


class IdentityProvider:
    def __init__(self, *, issuer: str, client_id: str, redirect_uris: tuple[str, ...], users_file: Path,
                 key: rsa.RSAPrivateKey) -> None:
        self.issuer, self.client_id, self.redirect_uris = issuer, client_id, redirect_uris
        self.users_file = users_file
        self._key = key
        public = key.public_key().public_bytes(serialization.Encoding.DER,
                                               serialization.PublicFormat.SubjectPublicKeyInfo)
        self.kid = base64.urlsafe_b64encode(hashlib.sha256(public).digest()[:12]).decode().rstrip("=")
        self._lock = threading.Lock()
        self._codes: dict[str, _Grant] = {}
        self._refresh: dict[str, _Grant] = {}

    # Users are read again at each sign-in and refresh, so edits to the file apply without a restart.
    def users(self) -> dict[str, User]:
        return load_users(self.users_file)

    def jwks(self) -> dict[str, Any]:
        jwk = jwt.algorithms.RSAAlgorithm.to_jwk(self._key.public_key(), as_dict=True)
        return {"keys": [{**jwk, "kid": self.kid, "alg": "RS256", "use": "sig"}]}

    def check_authorize(self, params: dict[str, str]) -> AuthorizeRequest:
        """Validate an authorize request. Client and redirect errors are `invalid_client`/`invalid_request`
        with status 400 (never redirected: the redirect target is what is in doubt)."""
        if params.get("client_id") != self.client_id:
            raise OAuthError("invalid_client", "unknown client_id")
        if params.get("redirect_uri") not in self.redirect_uris:
            raise OAuthError("invalid_request", "redirect_uri is not registered for this client")
        return AuthorizeRequest(self.client_id, params["redirect_uri"], self._scopes(params.get("scope", "")),
                                params.get("state", ""), self._challenge(params))

    def _scopes(self, raw: str) -> tuple[str, ...]:
        scopes = tuple(dict.fromkeys(raw.split())) or ("openid",)
        unknown = [s for s in scopes if s not in SCOPES]
        if unknown:
            raise OAuthError("invalid_scope", f"unknown scope {unknown[0]}", status=302)
        return scopes

    @staticmethod
    def _challenge(params: dict[str, str]) -> str:
        if params.get("response_type") != "code":
            raise OAuthError("unsupported_response_type", "response_type must be code", status=302)
        if params.get("code_challenge_method") != "S256":
            raise OAuthError("invalid_request", "PKCE with code_challenge_method=S256 is required",
                             status=302)
        challenge = params.get("code_challenge", "")
        if not _PKCE.match(challenge):
            raise OAuthError("invalid_request", "code_challenge is missing or malformed", status=302)
        return challenge

    def sign_in(self, request: AuthorizeRequest, username: str, password: str) -> str | None:
        """An authorization code for the right password, None otherwise (no hint which part was wrong)."""
        user = self.users().get(username)
        # Hash anyway for an unknown user, so the answer time does not reveal which names exist.
        stored = user.password_hash if user else "scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$" + "A" * 43 + "="
        if not verify_password(password, stored) or user is None:
            return None
        code = secrets.token_urlsafe(32)
        grant = _Grant(user.username, request.client_id, request.redirect_uri, request.scopes,
                       request.code_challenge, time.time() + CODE_SECONDS)
        with self._lock:
            self._codes[code] = grant
        return code

    def exchange_code(self, form: dict[str, str]) -> dict[str, Any]:
        """grant_type=authorization_code: the code is consumed by the first attempt, right or wrong."""
        with self._lock:
            grant = self._codes.pop(form.get("code", ""), None)
        if grant is None or grant.expires < time.time():
            raise OAuthError("invalid_grant", "the authorization code is invalid, expired or already used")
        if form.get("client_id") != grant.client_id:
            raise OAuthError("invalid_client", "client_id does not match the authorization code")
        if form.get("redirect_uri") != grant.redirect_uri:
            raise OAuthError("invalid_grant", "redirect_uri does not match the authorization request")
        verifier = form.get("code_verifier", "")
        if not _PKCE.match(verifier) or not hmac.compare_digest(s256(verifier), grant.code_challenge):
            raise OAuthError("invalid_grant", "code_verifier does not match the code_challenge")
        refresh = secrets.token_urlsafe(48)
        with self._lock:
            self._refresh[refresh] = _Grant(grant.user, grant.client_id, "", grant.scopes, "",
                                            time.time() + REFRESH_SECONDS)
        return {**self._tokens(grant), "refresh_token": refresh}

    def refresh(self, form: dict[str, str]) -> dict[str, Any]:
        with self._lock:
            grant = self._refresh.get(form.get("refresh_token", ""))
        if grant is None or grant.expires < time.time() or form.get("client_id") != grant.client_id:
            raise OAuthError("invalid_grant", "the refresh token is invalid or expired")
        return self._tokens(grant)

    def revoke(self, token: str, client_id: str) -> None:
        with self._lock:
            grant = self._refresh.get(token)
            if grant is not None and grant.client_id == client_id:
                del self._refresh[token]

    def _tokens(self, grant: _Grant) -> dict[str, Any]:
        user = self.users().get(grant.user)
        if user is None:  # removed from the file since sign-in
            raise OAuthError("invalid_grant", "the user no longer exists")
        now = int(time.time())
        common = {"sub": user.sub, "iss": self.issuer, "cognito:groups": list(user.groups),
                  "origin_jti": str(uuid.uuid4()), "event_id": str(uuid.uuid4()), "auth_time": now,
                  "iat": now, "exp": now + TOKEN_SECONDS}
        access = {**common, "token_use": ACCESS_USE, "client_id": grant.client_id,
                  "scope": " ".join(grant.scopes), "username": user.username, "jti": str(uuid.uuid4())}
        answer: dict[str, Any] = {"access_token": self._sign(access), "expires_in": TOKEN_SECONDS,
                                  "token_type": BEARER}
        if "openid" in grant.scopes:
            identity = {**common, "token_use": ID_USE, "aud": grant.client_id,
                        "cognito:username": user.username, "email": user.email, "email_verified": True,
                        "jti": str(uuid.uuid4())}
            answer["id_token"] = self._sign(identity)
        return answer

    def _sign(self, claims: dict[str, Any]) -> str:
        return jwt.encode(claims, self._key, algorithm="RS256", headers={"kid": self.kid})
