"""Rules of the identity settings: hardened Cognito outside dev, complete and consistent federation."""

from __future__ import annotations

from typing import TYPE_CHECKING

from components.settings.rules.base import Rule, outside_dev, paired

if TYPE_CHECKING:
    from components.settings.model import StackSettings

# A command, not a secret.
SECRET_COMMAND = "pulumi config set --secret chatbot:federationClientSecret"  # noqa: S105  # nosec B105


def _mfa_outside_dev(s: StackSettings) -> str | None:
    if s.is_dev or s.mfa == "ON":
        return None
    return outside_dev(s, "mfa", s.mfa, "SEC-COGNITO-MFA", "users must sign in with a second factor; set ON")


def _plan_outside_dev(s: StackSettings) -> str | None:
    if s.is_dev or s.cognito_plan == "PLUS":
        return None
    return outside_dev(s, "cognitoPlan", s.cognito_plan, "SEC-COGNITO-PASSWORDS",
                       "threat protection, enforced outside dev, needs the PLUS plan; set PLUS")


def _when(provider: str) -> str:
    return f"federationProvider is {provider}"


def _federation_name(s: StackSettings) -> str | None:
    return paired("federationName", s.federation_name is not None, s.uses_federation,
                  "federationProvider is set", ": it names the identity provider in the user pool, e.g. Corp")


def _issuer_url(s: StackSettings) -> str | None:
    return paired("federationIssuerUrl", s.federation_issuer_url is not None,
                  s.federation_provider == "oidc", _when("oidc"), ", e.g. https://login.example.com")


def _metadata_url(s: StackSettings) -> str | None:
    return paired("federationMetadataUrl", s.federation_metadata_url is not None,
                  s.federation_provider == "saml", _when("saml"),
                  ", e.g. https://idp.example.com/metadata.xml")


def _client_id(s: StackSettings) -> str | None:
    return paired("federationClientId", s.federation_client_id is not None,
                  s.federation_provider == "oidc", _when("oidc"))


def _client_secret(s: StackSettings) -> str | None:
    return paired("federationClientSecret", s.federation_client_secret is not None,
                  s.federation_provider == "oidc", _when("oidc"),
                  f": set it with `{SECRET_COMMAND} <secret>`")


RULES = (
    Rule(("mfa", "environment"), _mfa_outside_dev),
    Rule(("cognito_plan", "environment"), _plan_outside_dev),
    Rule(("federation_name", "federation_provider"), _federation_name),
    Rule(("federation_issuer_url", "federation_provider"), _issuer_url),
    Rule(("federation_metadata_url", "federation_provider"), _metadata_url),
    Rule(("federation_client_id", "federation_provider"), _client_id),
    Rule(("federation_client_secret", "federation_provider"), _client_secret),
)
