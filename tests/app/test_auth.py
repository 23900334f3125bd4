"""Token verification: signature, issuer, audience/client, token_use, expiry, algorithm, JWKS location."""

from __future__ import annotations

import jwt
import pytest
from chatbot_app.core import auth
from chatbot_app.core.config import get_config
from chatbot_app.core.errors import Unauthorized
from cryptography.hazmat.primitives.asymmetric import rsa

from .conftest import CLIENT_ID, ISSUER, KID, Tokens


def test_access_token_gives_sub_username_and_groups(app_env: None, tokens: Tokens) -> None:
    principal = auth.verify_token(tokens.make("alice", ["admin", "user"]), get_config())
    assert principal.sub == "alice"
    assert principal.username == "name-alice"
    assert principal.groups == {"admin", "user"}


def test_id_token_is_checked_against_aud(app_env: None, tokens: Tokens) -> None:
    assert auth.verify_token(tokens.make("bob", use="id"), get_config()).sub == "bob"
    with pytest.raises(Unauthorized, match="another client"):
        auth.verify_token(tokens.make("bob", use="id", client="other"), get_config())


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"client": "someone-elses-client"}, "another client"),
        ({"expires_in": -60}, "expired"),
        ({"issuer": "https://cognito-idp.eu-west-1.amazonaws.com/other-pool"}, "invalid token"),
        ({"use": "refresh"}, "token_use"),
    ],
)
def test_rejected_claims(app_env: None, tokens: Tokens, kwargs: dict, message: str) -> None:
    with pytest.raises(Unauthorized, match=message):
        auth.verify_token(tokens.make(**kwargs), get_config())


def test_expired_token_has_its_own_code(app_env: None, tokens: Tokens) -> None:
    with pytest.raises(Unauthorized) as caught:
        auth.verify_token(tokens.make(expires_in=-60), get_config())
    assert caught.value.code == "token_expired"


def test_signature_from_another_key_is_rejected(app_env: None, tokens: Tokens) -> None:
    intruder = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(Unauthorized, match="invalid token"):
        auth.verify_token(tokens.make(key=intruder), get_config())


def test_hmac_and_unsigned_tokens_are_rejected(app_env: None) -> None:
    claims = {
        "sub": "x",
        "iss": get_config().token_issuer,
        "client_id": CLIENT_ID,
        "token_use": "access",
        "exp": 9999999999,
        "iat": 1,
    }
    hs = jwt.encode(claims, "a-shared-secret-of-enough-length-123", algorithm="HS256", headers={"kid": KID})
    none = jwt.encode(claims, None, algorithm="none", headers={"kid": KID})
    for token in (hs, none, "not-a-jwt", ""):
        with pytest.raises(Unauthorized):
            auth.verify_token(token, get_config())


def test_missing_token(app_env: None) -> None:
    with pytest.raises(Unauthorized, match="missing"):
        auth.verify_token(None, get_config())


def test_jwks_must_be_https_unless_loopback(
    app_env: None, tokens: Tokens, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JWKS_URL", "http://idp.example.com/jwks.json")
    get_config.cache_clear()
    auth.clear_jwks_cache()
    with pytest.raises(Unauthorized, match="misconfigured"):
        auth.verify_token(tokens.make(), get_config())


def test_default_issuer_and_jwks_are_cognitos(app_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JWKS_URL")
    get_config.cache_clear()
    config = get_config()
    assert config.token_issuer == ISSUER
    assert config.jwks_url == config.token_issuer + "/.well-known/jwks.json"


def test_bearer_header_is_case_insensitive() -> None:
    assert auth.bearer({"authorization": "Bearer abc"}) == "abc"
    assert auth.bearer({"Authorization": "abc"}) == "abc"
    assert auth.bearer({}) is None
