"""Identity settings: the Cognito user pool (MFA, plan, hosted domain) and optional OIDC/SAML federation."""

from __future__ import annotations

import re
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, Field, SecretStr

from components.settings.setting import Setting, matches

Mfa = Literal["ON", "OPTIONAL"]
CognitoPlan = Literal["ESSENTIALS", "PLUS"]
FederationProvider = Literal["oidc", "saml"]

AUTH_DOMAIN_PATTERN = r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$"
RESERVED_DOMAIN_WORDS = ("aws", "amazon", "cognito")  # Cognito rejects prefixes containing them
FEDERATION_NAME_PATTERN = r"^[\w.-]{1,32}$"
CLIENT_ID_PATTERN = r"^\S{1,255}$"
GROUP_CLAIM_PATTERN = r"^[\w:./-]{1,64}$"
_AUTH_DOMAIN = re.compile(AUTH_DOMAIN_PATTERN)


def is_auth_domain_prefix(value: str) -> bool:
    return _AUTH_DOMAIN.fullmatch(value) is not None and not any(w in value for w in RESERVED_DOMAIN_WORDS)


def is_https_url(value: str) -> bool:
    """An absolute https URL with a host, as Cognito takes for an issuer or a metadata document."""
    if any(char.isspace() for char in value):
        return False
    try:
        parts = urlsplit(value)
        return parts.scheme == "https" and bool(parts.hostname) and parts.port != 0
    except ValueError:  # e.g. a port that is not a number
        return False


_HTTPS_RULE = "an https URL such as https://idp.example.com"


class IdentityFields(BaseModel):
    mfa: Annotated[Mfa, Setting(
        "string", "one of ON, OPTIONAL; ON unless environment is dev (SEC-COGNITO-MFA)",
        dev_relaxation="OPTIONAL: users may sign in without a second factor",
        effect="no cost (TOTP); OPTIONAL lets a stolen password alone sign in",
    )] = Field("ON", alias="mfa", description="Multi-factor authentication of the user pool (TOTP).")
    cognito_plan: Annotated[CognitoPlan, Setting(
        "string", "one of ESSENTIALS, PLUS; PLUS unless environment is dev, as threat protection needs it "
        "(SEC-COGNITO-PASSWORDS)",
        dev_relaxation="ESSENTIALS: no threat protection, lower cost",
        effect=(
            "PLUS bills every monthly active user (about $0.02 each, no free tier) and adds threat "
            "protection against compromised credentials; ESSENTIALS is cheaper (the first 10,000 "
            "monthly users free) with no threat protection"
        ),
    )] = Field("PLUS", alias="cognitoPlan", description="Cognito feature plan of the user pool.")
    auth_domain_prefix: Annotated[str | None, Setting(
        "string", f"empty (derived from prefix and stack), or 1-63 lower-case letters, digits and hyphens "
        f"(`{AUTH_DOMAIN_PATTERN}`) without the words {', '.join(RESERVED_DOMAIN_WORDS)}, which Cognito "
        "rejects", is_auth_domain_prefix,
    )] = Field(None, alias="authDomainPrefix", description=(
        "Prefix of the user pool's hosted sign-in domain (<prefix>.auth.<region>.amazoncognito.com)."))
    federation_provider: Annotated[FederationProvider | None, Setting(
        "string", "empty (no federation), or one of oidc, saml",
        effect=(
            "no idle cost; users sign in with your identity provider, so its MFA and offboarding "
            "apply to the chatbot"
        ),
    )] = Field(None, alias="federationProvider", description=(
        "Kind of identity provider that federated users sign in with."))
    federation_name: Annotated[str | None, Setting(
        "string", f"empty, or 1-32 letters, digits, _ . - (`{FEDERATION_NAME_PATTERN}`); required when "
        "federationProvider is set", matches(FEDERATION_NAME_PATTERN),
    )] = Field(None, alias="federationName", description="Name of the identity provider in the user pool.")
    federation_issuer_url: Annotated[str | None, Setting(
        "string", f"empty, or {_HTTPS_RULE}; required when federationProvider is oidc, empty otherwise",
        is_https_url,
    )] = Field(None, alias="federationIssuerUrl", description="Issuer URL of the OIDC identity provider.")
    federation_metadata_url: Annotated[str | None, Setting(
        "string", f"empty, or {_HTTPS_RULE}; required when federationProvider is saml, empty otherwise",
        is_https_url,
    )] = Field(None, alias="federationMetadataUrl", description=(
        "URL of the SAML identity provider's metadata document."))
    federation_client_id: Annotated[str | None, Setting(
        "string", "empty, or 1-255 characters without spaces; required when federationProvider is oidc, "
        "empty otherwise", matches(CLIENT_ID_PATTERN),
    )] = Field(None, alias="federationClientId", description="Client ID registered with the OIDC provider.")
    federation_client_secret: Annotated[SecretStr | None, Setting(
        "string", "empty, or a Pulumi secret set with `pulumi config set --secret "
        "chatbot:federationClientSecret`; required when federationProvider is oidc, empty otherwise "
        "(SEC-NO-PLAINTEXT-SECRETS)", secret=True,
        effect="stored encrypted as a Pulumi secret, never in the stack file or in plain text",
    )] = Field(None, alias="federationClientSecret", description=(
        "Client secret registered with the OIDC provider. Never printed; a plain (unencrypted) value is an "
        "error."))
    federation_group_claim: Annotated[str, Setting(
        "string", f"1-64 letters, digits and _ : . / - (`{GROUP_CLAIM_PATTERN}`)",
        matches(GROUP_CLAIM_PATTERN),
    )] = Field("groups", alias="federationGroupClaim", description=(
        "Identity provider claim whose value names a federated user's chatbot group; mapped into the user "
        "pool."))

    @property
    def uses_federation(self) -> bool:
        return self.federation_provider is not None
