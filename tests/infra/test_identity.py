"""Identity: the user pool's MFA, sign-up, password and threat-protection settings, groups, the PKCE client,
the hosted domain, and federation with its least-privilege group-mapping trigger."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest
from pulumi.runtime.rpc import is_rpc_secret, unwrap_rpc_secret

from components.identity import (
    SAML_EMAIL,
    TRIGGER_HANDLER,
    FederationArgs,
    Identity,
    IdentityArgs,
    derived_domain_prefix,
)
from components.settings import settings_from_config

from .conftest import ACCOUNT_ID, MOCK_REGION, PROD_CONFIG, Harness, dev_settings, prod_settings

POOL = "aws:cognito/userPool:UserPool"
CLIENT = "aws:cognito/userPoolClient:UserPoolClient"
GROUP = "aws:cognito/userGroup:UserGroup"
DOMAIN = "aws:cognito/userPoolDomain:UserPoolDomain"
IDP = "aws:cognito/identityProvider:IdentityProvider"
FUNCTION = "aws:lambda/function:Function"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
PERMISSION = "aws:lambda/permission:Permission"
SITE = "https://chat.example.com"
LOGS_KEY = f"arn:aws:kms:{MOCK_REGION}:{ACCOUNT_ID}:key/logs"
SECRET_KEY = "chatbot:federationClientSecret"  # noqa: S105  # nosec B105 - a config key, not a secret
OIDC = {
    "chatbot:federationProvider": "oidc",
    "chatbot:federationName": "Corp",
    "chatbot:federationIssuerUrl": "https://login.example.com",
    "chatbot:federationClientId": "chatbot-client",
    SECRET_KEY: "s3cr3t-value",
    "chatbot:federationGroupClaim": "chatbot_role",
    "chatbot:xrayTracing": "true",
}


def code() -> pulumi.Archive:
    return pulumi.AssetArchive({"chatbot_app/handlers/federation_groups.py": pulumi.StringAsset("")})


def build(harness: Harness, args: IdentityArgs) -> dict[str, Any]:
    def program() -> pulumi.Output[dict[str, Any]]:
        identity = Identity("identity", args)
        return pulumi.Output.all(
            issuer=identity.issuer, jwks=identity.jwks_url, domain=identity.hosted_ui_domain,
            pool_id=identity.user_pool_id, client_id=identity.client_id,
        )

    return harness.run(program)


def oidc_args(**overrides: str) -> IdentityArgs:
    settings = settings_from_config({**PROD_CONFIG, **OIDC, **overrides}, "prod", secret_keys={SECRET_KEY})
    return IdentityArgs.from_settings(settings, (SITE,), code(), LOGS_KEY)


def test_prod_pool_is_hardened_and_retained(pulumi_mocks) -> None:
    harness = pulumi_mocks("prod")
    build(harness, IdentityArgs.from_settings(prod_settings(), (SITE,), code(), LOGS_KEY))
    pool = harness.one(POOL)
    props = pool.inputs
    assert props["mfaConfiguration"] == "ON"
    assert props["softwareTokenMfaConfiguration"] == {"enabled": True}
    assert props["adminCreateUserConfig"]["allowAdminCreateUserOnly"] is True
    assert props["passwordPolicy"] == {
        "minimumLength": 12, "requireLowercase": True, "requireUppercase": True, "requireNumbers": True,
        "requireSymbols": True, "temporaryPasswordValidityDays": 7,
    }
    assert props["userPoolTier"] == "PLUS"
    assert props["userPoolAddOns"] == {"advancedSecurityMode": "ENFORCED"}
    assert props["deletionProtection"] == "ACTIVE"
    assert (pool.protect, pool.retain_on_delete) == (True, True)
    recovery = props["accountRecoverySetting"]["recoveryMechanisms"]
    assert recovery == [{"name": "verified_email", "priority": 1}]
    assert props["usernameConfiguration"] == {"caseSensitive": False}
    assert "lambdaConfig" not in props  # no federation: no trigger
    assert not harness.of_type(FUNCTION) and not harness.of_type(IDP)


def test_dev_pool_relaxes_only_what_settings_allow(pulumi_mocks) -> None:
    harness = pulumi_mocks("dev")
    build(harness, IdentityArgs.from_settings(
        dev_settings(**{"chatbot:mfa": "OPTIONAL", "chatbot:cognitoPlan": "ESSENTIALS"}), (SITE,), None, None
    ))
    pool = harness.one(POOL)
    assert pool.inputs["mfaConfiguration"] == "OPTIONAL"
    assert pool.inputs["softwareTokenMfaConfiguration"] == {"enabled": True}
    assert pool.inputs["userPoolTier"] == "ESSENTIALS" and "userPoolAddOns" not in pool.inputs
    assert pool.inputs["deletionProtection"] == "INACTIVE"
    assert (pool.protect, pool.retain_on_delete) == (False, False)
    assert pool.inputs["adminCreateUserConfig"]["allowAdminCreateUserOnly"] is True
    assert pool.inputs["passwordPolicy"]["minimumLength"] == 12


def test_groups_with_precedence_admin_first(pulumi_mocks) -> None:
    harness = pulumi_mocks("dev")
    build(harness, IdentityArgs.from_settings(dev_settings(), (SITE,), None, None))
    groups = {g.inputs["name"]: g.inputs for g in harness.of_type(GROUP)}
    assert {name: g["precedence"] for name, g in groups.items()} == {
        "admin": 0, "workspace_manager": 1, "user": 2,
    }
    assert all(g["userPoolId"] == "identity-user-pool-id" for g in groups.values())


def test_spa_client_uses_pkce_code_flow_without_secret(pulumi_mocks) -> None:
    harness = pulumi_mocks("prod")
    outputs = build(harness, IdentityArgs.from_settings(prod_settings(), (SITE,), None, LOGS_KEY))
    client = harness.one(CLIENT).inputs
    assert client["generateSecret"] is False
    assert client["allowedOauthFlows"] == ["code"] and client["allowedOauthFlowsUserPoolClient"] is True
    assert client["allowedOauthScopes"] == ["openid", "email", "profile"]
    assert client["callbackUrls"] == [SITE] and client["logoutUrls"] == [SITE]
    assert client["supportedIdentityProviders"] == ["COGNITO"]
    assert client["explicitAuthFlows"] == ["ALLOW_REFRESH_TOKEN_AUTH"]  # no password flows outside hosted UI
    assert client["enableTokenRevocation"] is True
    assert client["preventUserExistenceErrors"] == "ENABLED"
    assert (client["accessTokenValidity"], client["idTokenValidity"]) == (15, 15)
    units = client["tokenValidityUnits"]
    assert units == {"accessToken": "minutes", "idToken": "minutes", "refreshToken": "hours"}
    assert "custom:chatbot_group" not in client["writeAttributes"]
    pool_id = "identity-user-pool-id"
    assert outputs["pool_id"] == pool_id and outputs["client_id"] == "identity-spa-client-id"
    assert outputs["issuer"] == f"https://cognito-idp.eu-west-1.amazonaws.com/{pool_id}"
    assert outputs["jwks"] == f"https://cognito-idp.eu-west-1.amazonaws.com/{pool_id}/.well-known/jwks.json"


def test_hosted_domain_from_settings_or_derived(pulumi_mocks) -> None:
    harness = pulumi_mocks("prod")
    outputs = build(harness, IdentityArgs.from_settings(
        prod_settings(**{"chatbot:authDomainPrefix": "chat-login"}), (SITE,), None, LOGS_KEY
    ))
    assert harness.one(DOMAIN).inputs["domain"] == "chat-login"
    assert outputs["domain"] == "chat-login.auth.eu-west-1.amazoncognito.com"

    derived = derived_domain_prefix("chatbot", "prod", ACCOUNT_ID)
    assert derived == derived_domain_prefix("chatbot", "prod", ACCOUNT_ID)
    assert derived.startswith("chatbot-prod-")
    assert derived != derived_domain_prefix("chatbot", "prod", "444455556666")  # unique per account


def test_derived_domain_used_when_no_prefix_is_set(pulumi_mocks) -> None:
    harness = pulumi_mocks("dev")
    build(harness, IdentityArgs.from_settings(dev_settings(), (SITE,), None, None))
    assert harness.one(DOMAIN).inputs["domain"] == derived_domain_prefix("chatbot", "dev", ACCOUNT_ID)


def test_oidc_federation_maps_the_claim_and_keeps_the_secret_secret(pulumi_mocks) -> None:
    harness = pulumi_mocks("prod")
    build(harness, oidc_args())
    idp = harness.one(IDP).inputs
    assert idp["providerType"] == "OIDC" and idp["providerName"] == "Corp"
    assert idp["attributeMapping"] == {
        "email": "email", "username": "sub", "custom:chatbot_group": "chatbot_role",
    }
    details = idp["providerDetails"]
    assert is_rpc_secret(details)  # the engine stores the whole map encrypted
    plain = unwrap_rpc_secret(details)
    assert plain["oidc_issuer"] == "https://login.example.com"
    assert plain["client_secret"] == OIDC[SECRET_KEY]
    client = harness.one(CLIENT).inputs
    assert client["supportedIdentityProviders"] == ["COGNITO", "Corp"]
    assert "custom:chatbot_group" in client["writeAttributes"]  # Cognito writes mapped attributes
    assert "aws.cognito.signin.user.admin" not in client["allowedOauthScopes"]  # users cannot write it


def test_saml_federation(pulumi_mocks) -> None:
    harness = pulumi_mocks("prod")
    config = {
        **PROD_CONFIG,
        "chatbot:federationProvider": "saml",
        "chatbot:federationName": "CorpSaml",
        "chatbot:federationMetadataUrl": "https://idp.example.com/metadata.xml",
    }
    settings = settings_from_config(config, "prod")
    build(harness, IdentityArgs.from_settings(settings, (SITE,), code(), LOGS_KEY))
    idp = harness.one(IDP).inputs
    assert idp["providerType"] == "SAML"
    assert idp["providerDetails"]["MetadataURL"] == "https://idp.example.com/metadata.xml"
    assert idp["attributeMapping"] == {"email": SAML_EMAIL, "custom:chatbot_group": "groups"}


def test_trigger_is_arm64_python314_with_an_owned_log_group_and_least_privilege(pulumi_mocks) -> None:
    harness = pulumi_mocks("prod")
    build(harness, oidc_args())
    function = harness.one(FUNCTION).inputs
    assert function["runtime"] == "python3.14" and function["architectures"] == ["arm64"]
    assert function["handler"] == TRIGGER_HANDLER
    assert function["name"] == "chatbot-prod-federation-groups"
    assert function["tracingConfig"] == {"mode": "Active"}  # prod sets xrayTracing
    log_group = harness.one(LOG_GROUP)
    assert log_group.inputs["name"] == "/aws/lambda/chatbot-prod-federation-groups"
    assert log_group.inputs["retentionInDays"] == 365 and log_group.inputs["kmsKeyId"] == LOGS_KEY
    assert function["loggingConfig"] == {"logFormat": "JSON", "logGroup": log_group.inputs["name"]}

    role = harness.one(ROLE)
    assert "managedPolicyArns" not in role.inputs
    trust = harness.policy(role, "assumeRolePolicy")["Statement"]
    assert [s["Principal"] for s in trust] == [{"Service": "lambda.amazonaws.com"}]
    statements = {s["Sid"]: s for s in harness.policy(harness.one(ROLE_POLICY))["Statement"]}
    assert statements["OwnLogGroup"]["Action"] == ["logs:CreateLogStream", "logs:PutLogEvents"]
    assert statements["OwnLogGroup"]["Resource"] == [
        f"arn:aws:logs:eu-west-1:{ACCOUNT_ID}:log-group:/aws/lambda/chatbot-prod-federation-groups:*"
    ]
    assert statements["XRayTraces"]["Action"] == ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
    assert set(statements) == {"OwnLogGroup", "XRayTraces"}
    assert (function["memorySize"], function["timeout"]) == (128, 5)  # Cognito waits 5 s for a trigger

    pool = harness.one(POOL).inputs
    config = pool["lambdaConfig"]["preTokenGenerationConfig"]
    assert config["lambdaVersion"] == "V2_0"
    assert config["lambdaArn"].endswith("/identity-federation-groups-function")
    permission = harness.one(PERMISSION).inputs
    assert permission["principal"] == "cognito-idp.amazonaws.com"
    assert permission["action"] == "lambda:InvokeFunction"
    assert permission["sourceArn"].endswith("/identity-user-pool")


def test_trigger_without_tracing_gets_no_xray_permission(pulumi_mocks) -> None:
    harness = pulumi_mocks("prod")
    build(harness, oidc_args(**{"chatbot:xrayTracing": "false"}))
    assert harness.one(FUNCTION).inputs["tracingConfig"] == {"mode": "PassThrough"}  # no active tracing
    statements = harness.policy(harness.one(ROLE_POLICY))["Statement"]
    assert [s["Sid"] for s in statements] == ["OwnLogGroup"]


def _args(**overrides: Any) -> IdentityArgs:
    values: dict[str, Any] = {
        "prefix": "chatbot", "stack": "dev", "region": "us-east-1", "mfa": "ON", "cognito_plan": "PLUS",
        "callback_urls": (SITE,), "retain": False, "log_retention_days": 7, "logs_kms_key_arn": None,
    }
    return IdentityArgs(**{**values, **overrides})


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"mfa": "OFF"}, "never OFF"),
        ({"cognito_plan": "LITE"}, "cognito_plan"),
        ({"callback_urls": ()}, "callback_urls"),
        ({"callback_urls": ("http://chat.example.com",)}, "https"),
        ({"federation": FederationArgs("saml", "Corp", "groups", metadata_url="https://idp.example.com/m")},
         "needs `code`"),
        ({"prefix": "awsbot"}, "authDomainPrefix"),
    ],
)
def test_args_refuse_insecure_or_incomplete_values(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        _args(**overrides)


def test_reserved_word_is_fine_with_an_explicit_domain_prefix() -> None:
    assert _args(prefix="awsbot", auth_domain_prefix="chat-login").auth_domain_prefix == "chat-login"


@pytest.mark.parametrize(
    "missing", [{"issuer_url": None}, {"client_id": None}, {"client_secret": None}]
)
def test_oidc_federation_needs_issuer_client_and_secret(missing: dict[str, Any]) -> None:
    values: dict[str, Any] = {"issuer_url": "https://login.example.com", "client_id": "c"}
    values["client_secret"] = "not-a-real-secret"  # noqa: S105  # nosec B105
    with pytest.raises(ValueError, match="oidc federation needs"):
        FederationArgs("oidc", "Corp", "groups", **{**values, **missing})

