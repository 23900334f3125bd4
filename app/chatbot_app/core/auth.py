"""Cognito token verification (RS256 against the pool's JWKS), independent of API Gateway's authorizer."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from typing import Any

from .config import Config
from .errors import Unauthorized

_JWKS_TTL_SECONDS = 3600
_LEEWAY_SECONDS = 5
_AUDIENCE_CLAIM = {"id": "aud", "access": "client_id"}


@dataclass(frozen=True)
class Principal:
    sub: str
    username: str
    groups: frozenset[str]
    kind: str
    expires_at: int

    def in_group(self, group: str) -> bool:
        return group in self.groups


class _JwksCache:
    """Keys by kid; refetched on an unknown kid at most once a minute so bad tokens cannot hammer Cognito."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._keys: dict[str, Any] = {}
        self._url = ""
        self._fetched_at = 0.0

    def key(self, url: str, kid: str) -> Any:
        with self._lock:
            stale = time.monotonic() - self._fetched_at > _JWKS_TTL_SECONDS
            may_refresh = time.monotonic() - self._fetched_at > 60
            if url != self._url or stale or (kid not in self._keys and may_refresh):
                self._keys = _load_keys(url)
                self._url, self._fetched_at = url, time.monotonic()
            return self._keys.get(kid)

    def clear(self) -> None:
        with self._lock:
            self._keys, self._url, self._fetched_at = {}, "", 0.0


_CACHE = _JwksCache()


def clear_jwks_cache() -> None:
    _CACHE.clear()


def _check_url(url: str) -> None:
    from urllib.parse import urlparse

    parsed = urlparse(url)
    if parsed.scheme == "https":
        return
    # Plain HTTP only for a local identity provider (the local development server).
    host = parsed.hostname or ""
    if parsed.scheme == "http" and is_loopback_host(host):
        return
    raise Unauthorized("token verification is misconfigured")


def is_loopback_host(host: str) -> bool:
    """`localhost` or a loopback IP (a bare host, no port)."""
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _load_keys(url: str) -> dict[str, Any]:
    import urllib.request

    from jwt import PyJWK

    _check_url(url)
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:  # noqa: S310  # nosec B310
            document = json.loads(resp.read(1_000_000))  # https, or loopback http (_check_url)
    except (OSError, ValueError) as exc:
        raise Unauthorized("signing keys are unavailable") from exc
    keys: dict[str, Any] = {}
    for jwk in document.get("keys", []):
        if jwk.get("kty") == "RSA" and jwk.get("kid"):
            keys[jwk["kid"]] = PyJWK(jwk, algorithm="RS256")
    return keys


def verify_token(token: str | None, config: Config) -> Principal:
    """Return the caller for a valid Cognito access or ID token; raise Unauthorized otherwise."""
    import jwt

    if not token:
        raise Unauthorized("missing bearer token")
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise Unauthorized("malformed token") from exc
    if header.get("alg") != "RS256" or not header.get("kid"):
        raise Unauthorized("unsupported token algorithm")
    key = _CACHE.key(config.jwks_url, str(header["kid"]))
    if key is None:
        raise Unauthorized("unknown signing key")
    try:
        claims = jwt.decode(
            token,
            key=key,
            algorithms=["RS256"],
            issuer=config.token_issuer,
            leeway=_LEEWAY_SECONDS,
            options={"require": ["exp", "iat", "iss", "sub", "token_use"], "verify_aud": False},
        )
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized("token expired", code="token_expired") from exc
    except jwt.PyJWTError as exc:
        raise Unauthorized("invalid token") from exc
    return _principal(claims, config)


def _principal(claims: dict[str, Any], config: Config) -> Principal:
    token_use = str(claims.get("token_use"))
    # Cognito puts the app client in `aud` for ID tokens and in `client_id` for access tokens.
    audience_claim = _AUDIENCE_CLAIM.get(token_use)
    if audience_claim is None:
        raise Unauthorized("token_use must be access or id")
    if claims.get(audience_claim) != config.user_pool_client_id:
        raise Unauthorized("token was issued to another client")
    groups = claims.get("cognito:groups") or []
    if not isinstance(groups, list):
        raise Unauthorized("invalid groups claim")
    username = claims.get("cognito:username") or claims.get("username") or claims["sub"]
    return Principal(
        sub=str(claims["sub"]),
        username=str(username),
        groups=frozenset(str(g) for g in groups),
        kind=token_use,
        expires_at=int(claims["exp"]),
    )


def bearer(headers: dict[str, str] | None) -> str | None:
    for name, value in (headers or {}).items():
        if name.lower() == "authorization" and value:
            scheme, _, token = value.partition(" ")
            return token.strip() if scheme.lower() == "bearer" else value.strip()
    return None
