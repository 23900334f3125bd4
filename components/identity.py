"""The Cognito user pool: MFA, admin-only sign-up, strong passwords, threat protection, groups, a PKCE SPA
client, a hosted domain, and optional OIDC/SAML federation that maps an identity-provider claim to a group.

Federated users get their group from the provider on every sign-in: the claim is mapped into
`custom:chatbot_group`, and a pre-token-generation (V2_0) trigger puts it into the tokens' `cognito:groups`
(app/chatbot_app/handlers/federation_groups.py). Users cannot forge that attribute: the SPA client only gets
the openid/email/profile scopes and no password flows, so its access tokens lack the
aws.cognito.signin.user.admin scope that UpdateUserAttributes needs.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import pulumi
import pulumi_aws as aws
from pulumi_aws import cognito

from components.lambda_function import AppFunction, AppFunctionArgs
from components.naming import resource_name
from components.settings import StackSettings

GROUP_ATTRIBUTE = "chatbot_group"  # `custom:chatbot_group` once in the pool
GROUPS: tuple[tuple[str, str], ...] = (  # name, description; precedence = position (0 wins)
    ("admin", "Administrators: change runtime inference settings, models and users"),
    ("workspace_manager", "Manage workspaces and their documents"),
    ("user", "Chat users"),
)
SCOPES = ("openid", "email", "profile")
TOKEN_MINUTES = 15  # access and ID tokens: short, the SPA refreshes them
REFRESH_HOURS = 12
PASSWORD_MIN_LENGTH = 12
RESERVED_DOMAIN_WORDS = ("aws", "amazon", "cognito")
SAML_EMAIL = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"
TRIGGER_HANDLER = "chatbot_app.handlers.federation_groups.handler"


@dataclass(frozen=True)
class FederationArgs:
    """One external identity provider; `client_secret` should be a Pulumi secret Output."""

    provider: Literal["oidc", "saml"]
    name: str
    group_claim: str
    issuer_url: str | None = None
    client_id: str | None = None
    client_secret: pulumi.Input[str] | None = None
    metadata_url: str | None = None

    def __post_init__(self) -> None:
        needed = {"oidc": ("issuer_url", "client_id", "client_secret"), "saml": ("metadata_url",)}
        if self.provider not in needed:
            raise ValueError(f"provider must be oidc or saml, got {self.provider!r}")
        missing = [field for field in needed[self.provider] if getattr(self, field) is None]
        if missing:
            raise ValueError(f"{self.provider} federation needs {', '.join(missing)}")


@dataclass(frozen=True)
class IdentityArgs:
    prefix: str
    stack: str
    region: str
    mfa: Literal["ON", "OPTIONAL"]
    cognito_plan: Literal["ESSENTIALS", "PLUS"]
    callback_urls: Sequence[pulumi.Input[str]]
    retain: bool
    log_retention_days: int
    logs_kms_key_arn: pulumi.Input[str] | None
    auth_domain_prefix: str | None = None
    federation: FederationArgs | None = None
    code: pulumi.Input[pulumi.Archive] | None = None  # the app archive; needed only with federation
    xray_tracing: bool = False

    def __post_init__(self) -> None:
        if self.mfa not in ("ON", "OPTIONAL"):
            raise ValueError(f"mfa must be ON or OPTIONAL (never OFF), got {self.mfa!r}")
        if self.cognito_plan not in ("ESSENTIALS", "PLUS"):
            raise ValueError(f"cognito_plan must be ESSENTIALS or PLUS, got {self.cognito_plan!r}")
        if not self.callback_urls:
            raise ValueError("callback_urls must name at least the website URL")
        for url in self.callback_urls:
            if isinstance(url, str) and not url.startswith("https://"):
                raise ValueError(f"callback URLs must be https, got {url!r}")
        if self.federation is not None and self.code is None:
            raise ValueError("federation needs `code`: the archive holding the group-mapping trigger")
        if self.auth_domain_prefix is None:
            base = f"{self.prefix}-{self.stack}"
            reserved = [word for word in RESERVED_DOMAIN_WORDS if word in base.lower()]
            if reserved:
                raise ValueError(f"cannot derive the hosted domain from {base!r}: Cognito rejects the words "
                                 f"{reserved}; set chatbot:authDomainPrefix")

    @classmethod
    def from_settings(
        cls,
        settings: StackSettings,
        callback_urls: Sequence[pulumi.Input[str]],
        code: pulumi.Input[pulumi.Archive] | None,
        logs_kms_key_arn: pulumi.Input[str] | None,
    ) -> IdentityArgs:
        federation = None
        if settings.federation_provider is not None and settings.federation_name is not None:
            secret = settings.federation_client_secret
            federation = FederationArgs(
                provider=settings.federation_provider,
                name=settings.federation_name,
                group_claim=settings.federation_group_claim,
                issuer_url=settings.federation_issuer_url,
                client_id=settings.federation_client_id,
                client_secret=None if secret is None else pulumi.Output.secret(secret.get_secret_value()),
                metadata_url=settings.federation_metadata_url,
            )
        return cls(
            prefix=settings.prefix, stack=settings.stack, region=settings.region, mfa=settings.mfa,
            cognito_plan=settings.cognito_plan, callback_urls=callback_urls, retain=settings.retain_data,
            log_retention_days=settings.log_retention_days, logs_kms_key_arn=logs_kms_key_arn,
            auth_domain_prefix=settings.auth_domain_prefix, federation=federation,
            code=code if federation is not None else None, xray_tracing=settings.xray_tracing,
        )


def derived_domain_prefix(prefix: str, stack: str, account_id: str) -> str:
    """`<prefix>-<stack>-<hash>`: hosted domains are global per region, so the account keeps it unique."""
    digest = hashlib.sha256(f"{account_id}/{prefix}/{stack}".encode()).hexdigest()[:8]
    return resource_name(prefix, stack, digest)  # hex digits never spell a reserved word


def attribute_mapping(federation: FederationArgs) -> dict[str, str]:
    email = "email" if federation.provider == "oidc" else SAML_EMAIL
    mapping = {"email": email, f"custom:{GROUP_ATTRIBUTE}": federation.group_claim}
    if federation.provider == "oidc":
        mapping["username"] = "sub"
    return mapping


def provider_details(federation: FederationArgs) -> dict[str, pulumi.Input[str]]:
    if federation.provider == "saml":
        return {"MetadataURL": federation.metadata_url or "", "RequestSigningAlgorithm": "rsa-sha256"}
    return {
        "client_id": federation.client_id or "",
        "client_secret": federation.client_secret or "",
        "oidc_issuer": federation.issuer_url or "",
        "authorize_scopes": " ".join(SCOPES),
        "attributes_request_method": "GET",
    }


class Identity(pulumi.ComponentResource):
    user_pool: aws.cognito.UserPool
    client: aws.cognito.UserPoolClient
    trigger: aws.lambda_.Function | None
    user_pool_id: pulumi.Output[str]
    user_pool_arn: pulumi.Output[str]
    client_id: pulumi.Output[str]
    issuer: pulumi.Output[str]
    jwks_url: pulumi.Output[str]
    hosted_ui_domain: pulumi.Output[str]

    def __init__(self, name: str, args: IdentityArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("chatbot:identity:Identity", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        federation = args.federation
        self.trigger = None
        if federation is not None and args.code is not None:
            self.trigger = self._trigger_function(name, args, args.code).function
        self.user_pool = self._user_pool(name, args)
        pool_id = self.user_pool.id
        for precedence, (group, description) in enumerate(GROUPS):
            cognito.UserGroup(
                f"{name}-group-{group.replace('_', '-')}",
                user_pool_id=pool_id, name=group, description=description, precedence=precedence, opts=child,
            )
        if self.trigger is not None:
            aws.lambda_.Permission(
                f"{name}-federation-groups-invoke",
                action="lambda:InvokeFunction",
                function=self.trigger.name,
                principal="cognito-idp.amazonaws.com",
                source_arn=self.user_pool.arn,  # only this pool may invoke it
                opts=child,
            )
        idp = None
        if federation is not None:
            idp = cognito.IdentityProvider(
                f"{name}-identity-provider",
                user_pool_id=pool_id,
                provider_name=federation.name,
                provider_type="OIDC" if federation.provider == "oidc" else "SAML",
                provider_details=provider_details(federation),
                attribute_mapping=attribute_mapping(federation),
                opts=child,
            )
        self.client = self._client(name, args, idp)

        if args.auth_domain_prefix is not None:
            domain: pulumi.Input[str] = args.auth_domain_prefix
        else:
            account = aws.get_caller_identity_output(opts=pulumi.InvokeOptions(parent=self)).account_id
            domain = account.apply(lambda a: derived_domain_prefix(args.prefix, args.stack, a))
        hosted = cognito.UserPoolDomain(
            f"{name}-domain",
            domain=domain,
            user_pool_id=pool_id,
            managed_login_version=1,  # the classic hosted UI; version 2 needs a branding style per client
            opts=child,
        )

        self.user_pool_id = pool_id
        self.user_pool_arn = self.user_pool.arn
        self.client_id = self.client.id
        self.issuer = pulumi.Output.concat("https://cognito-idp.", args.region, ".amazonaws.com/", pool_id)
        self.jwks_url = pulumi.Output.concat(self.issuer, "/.well-known/jwks.json")
        self.hosted_ui_domain = pulumi.Output.concat(
            hosted.domain, ".auth.", args.region, ".amazoncognito.com"
        )
        self.register_outputs(
            {
                "user_pool_id": self.user_pool_id,
                "user_pool_arn": self.user_pool_arn,
                "client_id": self.client_id,
                "issuer": self.issuer,
                "jwks_url": self.jwks_url,
                "hosted_ui_domain": self.hosted_ui_domain,
            }
        )

    def _user_pool(self, name: str, args: IdentityArgs) -> aws.cognito.UserPool:
        lambda_config = None
        if self.trigger is not None:
            lambda_config = cognito.UserPoolLambdaConfigArgs(
                pre_token_generation_config=cognito.UserPoolLambdaConfigPreTokenGenerationConfigArgs(
                    lambda_arn=self.trigger.arn, lambda_version="V2_0"
                )
            )
        # Threat protection (compromised credentials, adaptive authentication) exists only on PLUS.
        add_ons = None
        if args.cognito_plan == "PLUS":
            add_ons = cognito.UserPoolUserPoolAddOnsArgs(advanced_security_mode="ENFORCED")
        recovery = cognito.UserPoolAccountRecoverySettingRecoveryMechanismArgs(
            name="verified_email", priority=1
        )
        group_attribute = cognito.UserPoolSchemaArgs(
            name=GROUP_ATTRIBUTE, attribute_data_type="String", mutable=True, developer_only_attribute=False,
            string_attribute_constraints=cognito.UserPoolSchemaStringAttributeConstraintsArgs(
                min_length="0", max_length="256"
            ),
        )
        return cognito.UserPool(
            f"{name}-user-pool",
            name=resource_name(args.prefix, args.stack, "users", max_length=128),
            mfa_configuration=args.mfa,
            software_token_mfa_configuration=cognito.UserPoolSoftwareTokenMfaConfigurationArgs(enabled=True),
            admin_create_user_config=cognito.UserPoolAdminCreateUserConfigArgs(allow_admin_create_user_only=True),
            password_policy=cognito.UserPoolPasswordPolicyArgs(
                minimum_length=PASSWORD_MIN_LENGTH, require_lowercase=True, require_uppercase=True,
                require_numbers=True, require_symbols=True, temporary_password_validity_days=7,
            ),
            user_pool_tier=args.cognito_plan,
            user_pool_add_ons=add_ons,
            deletion_protection="ACTIVE" if args.retain else "INACTIVE",
            account_recovery_setting=cognito.UserPoolAccountRecoverySettingArgs(recovery_mechanisms=[recovery]),
            username_attributes=["email"],
            username_configuration=cognito.UserPoolUsernameConfigurationArgs(case_sensitive=False),
            auto_verified_attributes=["email"],
            # A changed e-mail address takes effect only once verified, so it cannot hijack recovery.
            user_attribute_update_settings=cognito.UserPoolUserAttributeUpdateSettingsArgs(
                attributes_require_verification_before_updates=["email"]
            ),
            # Always declared: custom attributes cannot be removed, and turning federation on later needs it.
            schemas=[group_attribute],
            lambda_config=lambda_config,
            opts=pulumi.ResourceOptions(parent=self, protect=args.retain, retain_on_delete=args.retain),
        )

    def _client(
        self, name: str, args: IdentityArgs, idp: aws.cognito.IdentityProvider | None
    ) -> aws.cognito.UserPoolClient:
        providers: list[pulumi.Input[str]] = ["COGNITO"]
        # The provider writes mapped attributes at each sign-in, so the client must allow writing them.
        mapped: list[str] = []
        if idp is not None:
            providers.append(idp.provider_name)
            mapped.append(f"custom:{GROUP_ATTRIBUTE}")
        return cognito.UserPoolClient(
            f"{name}-spa-client",
            name=resource_name(args.prefix, args.stack, "spa", max_length=128),
            user_pool_id=self.user_pool.id,
            generate_secret=False,  # a browser cannot keep a secret: authorization code + PKCE instead
            allowed_oauth_flows=["code"],
            allowed_oauth_flows_user_pool_client=True,
            allowed_oauth_scopes=list(SCOPES),
            callback_urls=list(args.callback_urls),
            logout_urls=list(args.callback_urls),
            supported_identity_providers=providers,
            explicit_auth_flows=["ALLOW_REFRESH_TOKEN_AUTH"],  # sign-in only through the hosted pages
            enable_token_revocation=True,
            prevent_user_existence_errors="ENABLED",
            access_token_validity=TOKEN_MINUTES,
            id_token_validity=TOKEN_MINUTES,
            refresh_token_validity=REFRESH_HOURS,
            token_validity_units=cognito.UserPoolClientTokenValidityUnitsArgs(  # units, not secrets:
                access_token="minutes", id_token="minutes", refresh_token="hours"  # noqa: S106  # nosec B106
            ),
            read_attributes=["email", "email_verified", "name", f"custom:{GROUP_ATTRIBUTE}"],
            write_attributes=["email", "name", *mapped],
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _trigger_function(
        self, name: str, args: IdentityArgs, code: pulumi.Input[pulumi.Archive]
    ) -> AppFunction:
        """The group-mapping trigger: it calls no AWS API, so its role may only write its own logs."""
        return AppFunction(
            f"{name}-federation-groups",
            AppFunctionArgs(
                prefix=args.prefix,
                stack=args.stack,
                region=args.region,
                role="federation-groups",
                handler=TRIGGER_HANDLER,
                code=code,
                log_retention_days=args.log_retention_days,
                logs_kms_key_arn=args.logs_kms_key_arn,
                retain=args.retain,
                xray_tracing=args.xray_tracing,
                description="Cognito pre-token-generation: federated users' group from their provider",
                memory_mb=128,
                timeout_seconds=5,  # Cognito waits 5 seconds for a trigger
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
