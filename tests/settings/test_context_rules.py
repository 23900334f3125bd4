"""Rules across the network, identity, chat, operations and private-website settings."""

from __future__ import annotations

import pytest

from components.settings import SettingsError, settings_from_config

from .helpers import CERT, DEV, OIDC, PROD, SAML, SECRET_KEY

SECRETS = frozenset({SECRET_KEY})
VPC = "vpc-0123456789abcdef0"
TWO_SUBNETS = '["subnet-0a1b2c3d", "subnet-0a1b2c3e"]'
ACM_EU = "arn:aws:acm:eu-west-1:111122223333:certificate/" + "b" * 36
PRIVATE_PROD = {
    **{k: v for k, v in PROD.items() if k not in ("chatbot:customDomain", "chatbot:certificateArn",
                                                  "chatbot:minimumTlsVersion")},
    "chatbot:privateWebsite": "true",
    "chatbot:privateWebsiteCidrs": '["10.0.0.0/8", "2001:db8::/32"]',
    "chatbot:privateWebsiteCertificateArn": ACM_EU,
}
EXISTING = {
    "chatbot:guardrailMode": "existing",
    "chatbot:guardrailId": "ab12cd34ef",
    "chatbot:guardrailVersion": "3",
}
BEDROCK = "arn:aws:bedrock:{}:111122223333:guardrail/ab12cd34ef"

CASES = [
    # Network
    pytest.param(
        {**DEV, "chatbot:vpcId": VPC},
        "chatbot:privateSubnetIds, chatbot:vpcId",
        "vpcId is set, so list at least 2 private subnets of it in different availability zones in "
        "privateSubnetIds (got 0)",
        id="vpc-without-subnets",
    ),
    pytest.param(
        {**DEV, "chatbot:vpcId": VPC, "chatbot:privateSubnetIds": '["subnet-0a1b2c3d"]'},
        "chatbot:privateSubnetIds, chatbot:vpcId",
        "(got 1)",
        id="vpc-one-subnet",
    ),
    pytest.param(
        {**DEV, "chatbot:privateSubnetIds": TWO_SUBNETS},
        "chatbot:privateSubnetIds, chatbot:vpcId",
        "privateSubnetIds is only used with vpcId",
        id="subnets-without-vpc",
    ),
    pytest.param(
        {**DEV, "chatbot:vpcId": VPC, "chatbot:privateSubnetIds": TWO_SUBNETS,
         "chatbot:natGateway": "true"},
        "chatbot:natGateway, chatbot:vpcId",
        "natGateway must be false when vpcId is set",
        id="nat-in-existing-vpc",
    ),
    # Identity
    pytest.param(
        {**PROD, "chatbot:mfa": "OPTIONAL"},
        "chatbot:mfa, chatbot:environment",
        "mfa OPTIONAL is allowed only when environment is dev, not prod: users must sign in with a "
        "second factor; set ON (SEC-COGNITO-MFA)",
        id="prod-mfa-optional",
    ),
    pytest.param(
        {**PROD, "chatbot:environment": "staging", "chatbot:cognitoPlan": "ESSENTIALS"},
        "chatbot:cognitoPlan, chatbot:environment",
        "cognitoPlan ESSENTIALS is allowed only when environment is dev, not staging: threat "
        "protection, enforced outside dev, needs the PLUS plan; set PLUS (SEC-COGNITO-PASSWORDS)",
        id="staging-essentials",
    ),
    pytest.param(
        {**DEV, "chatbot:federationProvider": "saml"},
        "chatbot:federationName, chatbot:federationProvider",
        "federationName is required when federationProvider is set",
        id="federation-without-name",
    ),
    pytest.param(
        {**DEV, "chatbot:federationName": "Corp"},
        "chatbot:federationName, chatbot:federationProvider",
        "federationName is only used when federationProvider is set; leave it empty",
        id="name-alone",
    ),
    pytest.param(
        {**DEV, **OIDC, "chatbot:federationIssuerUrl": ""},
        "chatbot:federationIssuerUrl, chatbot:federationProvider",
        "federationIssuerUrl is required when federationProvider is oidc",
        id="oidc-without-issuer",
    ),
    pytest.param(
        {**DEV, **OIDC, "chatbot:federationClientId": ""},
        "chatbot:federationClientId, chatbot:federationProvider",
        "federationClientId is required when federationProvider is oidc",
        id="oidc-without-client",
    ),
    pytest.param(
        {**DEV, **OIDC, SECRET_KEY: ""},
        "chatbot:federationClientSecret, chatbot:federationProvider",
        "federationClientSecret is required when federationProvider is oidc: set it with "
        "`pulumi config set --secret chatbot:federationClientSecret <secret>`",
        id="oidc-without-secret",
    ),
    pytest.param(
        {**DEV, **OIDC, "chatbot:federationMetadataUrl": "https://idp.example.com/m.xml"},
        "chatbot:federationMetadataUrl, chatbot:federationProvider",
        "federationMetadataUrl is only used when federationProvider is saml",
        id="oidc-with-metadata",
    ),
    pytest.param(
        {**DEV, **SAML, "chatbot:federationMetadataUrl": ""},
        "chatbot:federationMetadataUrl, chatbot:federationProvider",
        "federationMetadataUrl is required when federationProvider is saml",
        id="saml-without-metadata",
    ),
    pytest.param(
        {**DEV, **SAML, "chatbot:federationIssuerUrl": "https://login.example.com"},
        "chatbot:federationIssuerUrl, chatbot:federationProvider",
        "federationIssuerUrl is only used when federationProvider is oidc",
        id="saml-with-issuer",
    ),
    pytest.param(
        {**DEV, **SAML, SECRET_KEY: "x"},
        "chatbot:federationClientSecret, chatbot:federationProvider",
        "federationClientSecret is only used when federationProvider is oidc",
        id="saml-with-secret",
    ),
    pytest.param(
        {**DEV, "chatbot:federationClientId": "abc"},
        "chatbot:federationClientId, chatbot:federationProvider",
        "(a value here would be silently ignored)",
        id="client-id-without-federation",
    ),
    # Chat and models
    pytest.param(
        {**PROD, "chatbot:guardrailMode": "none"},
        "chatbot:guardrailMode, chatbot:environment",
        "guardrailMode none is allowed only when environment is dev, not prod: every model call goes "
        "through a Bedrock guardrail",
        id="prod-no-guardrail",
    ),
    pytest.param(
        {**DEV, "chatbot:guardrailMode": "existing", "chatbot:guardrailVersion": "1"},
        "chatbot:guardrailId, chatbot:guardrailMode",
        "guardrailId is required when guardrailMode is existing",
        id="existing-without-id",
    ),
    pytest.param(
        {**DEV, "chatbot:guardrailMode": "existing", "chatbot:guardrailId": "abc"},
        "chatbot:guardrailVersion, chatbot:guardrailMode",
        "guardrailVersion is required when guardrailMode is existing",
        id="existing-without-version",
    ),
    pytest.param(
        {**DEV, "chatbot:guardrailId": "abc"},
        "chatbot:guardrailId, chatbot:guardrailMode",
        "guardrailId is only used when guardrailMode is existing",
        id="id-with-create",
    ),
    pytest.param(
        {**DEV, "chatbot:guardrailMode": "none", "chatbot:guardrailVersion": "2"},
        "chatbot:guardrailVersion, chatbot:guardrailMode",
        "guardrailVersion is only used when guardrailMode is existing",
        id="version-with-none",
    ),
    pytest.param(
        {**PROD, **EXISTING, "chatbot:guardrailVersion": "DRAFT"},
        "chatbot:guardrailVersion, chatbot:environment",
        "guardrailVersion DRAFT is allowed only when environment is dev, not prod",
        id="prod-draft",
    ),
    pytest.param(
        {**DEV, **EXISTING, "chatbot:guardrailId": BEDROCK.format("eu-west-1")},
        "chatbot:guardrailId, chatbot:bedrockRegion, aws:region",
        "guardrailId is a guardrail in eu-west-1 but models are invoked in us-east-1",
        id="arn-region",
    ),
    pytest.param(
        {**DEV, **EXISTING, "chatbot:bedrockRegion": "us-west-2",
         "chatbot:guardrailId": BEDROCK.format("us-east-1")},
        "chatbot:guardrailId, chatbot:bedrockRegion, aws:region",
        "in us-east-1 but models are invoked in us-west-2",
        id="arn-region-vs-bedrock-region",
    ),
    pytest.param(
        {**DEV, "chatbot:rateLimitPerIp": "50"},
        "chatbot:chatRateLimitPerIp, chatbot:rateLimitPerIp",
        "chatRateLimitPerIp (100) must be at most rateLimitPerIp (50): it is the stricter limit of the "
        "chat send route",
        id="chat-limit-above-default",
    ),
    # Operations
    pytest.param(
        {**PROD, "chatbot:devTools": "true"},
        "chatbot:devTools, chatbot:environment",
        "devTools true is allowed only when environment is dev, not prod: SageMaker Studio's role has "
        "broad SageMaker access (AmazonSageMakerFullAccess) (SEC-DEV-TOOLS-DEV-ONLY)",
        id="prod-dev-tools",
    ),
    # Private website
    pytest.param(
        {**PRIVATE_PROD, "chatbot:privateWebsiteCidrs": "[]"},
        "chatbot:privateWebsiteCidrs, chatbot:privateWebsite",
        "privateWebsiteCidrs is required when privateWebsite is true: list the networks allowed to "
        "reach the internal load balancer, e.g. 10.0.0.0/8 (SEC-PRIVATE-WEBSITE)",
        id="private-no-cidrs",
    ),
    pytest.param(
        {**DEV, "chatbot:privateWebsiteCidrs": '["10.0.0.0/8"]'},
        "chatbot:privateWebsiteCidrs, chatbot:privateWebsite",
        "privateWebsiteCidrs is only used when privateWebsite is true",
        id="cidrs-without-private",
    ),
    pytest.param(
        {**PRIVATE_PROD, "chatbot:privateWebsiteCertificateArn": ""},
        "chatbot:privateWebsiteCertificateArn, chatbot:privateWebsite",
        "privateWebsiteCertificateArn is required when privateWebsite is true: the internal load "
        "balancer listens on HTTPS only",
        id="private-no-certificate",
    ),
    pytest.param(
        {**DEV, "chatbot:privateWebsiteCertificateArn": ACM_EU},
        "chatbot:privateWebsiteCertificateArn, chatbot:privateWebsite",
        "privateWebsiteCertificateArn is only used when privateWebsite is true",
        id="certificate-alone",
    ),
    pytest.param(
        {**PRIVATE_PROD, "aws:region": "eu-central-1"},
        "chatbot:privateWebsiteCertificateArn, aws:region",
        "privateWebsiteCertificateArn is in eu-west-1 but the stack's region (aws:region) is "
        "eu-central-1",
        id="private-certificate-region",
    ),
    pytest.param(
        {**PRIVATE_PROD, "chatbot:customDomain": "chat.example.com", "chatbot:certificateArn": CERT,
         "chatbot:minimumTlsVersion": "TLSv1.2_2021"},
        "chatbot:privateWebsite, chatbot:customDomain, chatbot:certificateArn, chatbot:minimumTlsVersion",
        "privateWebsite is true, so leave customDomain, certificateArn, minimumTlsVersion empty",
        id="private-and-cloudfront",
    ),
    pytest.param(
        {**DEV, **PRIVATE_PROD, "aws:region": "eu-west-1", "chatbot:environment": "dev",
         "chatbot:minimumTlsVersion": "TLSv1.2_2021"},
        "chatbot:privateWebsite, chatbot:customDomain, chatbot:certificateArn, chatbot:minimumTlsVersion",
        "so leave minimumTlsVersion empty",
        id="private-and-tls-in-dev",
    ),
]


@pytest.mark.parametrize(("config", "key", "fragment"), CASES)
def test_cross_field_rule(config: dict[str, str], key: str, fragment: str) -> None:
    with pytest.raises(SettingsError) as caught:
        settings_from_config(config, stack="test", secret_keys=SECRETS)
    messages = {problem.key: problem.message for problem in caught.value.problems}
    assert key in messages, caught.value
    assert fragment in messages[key]


def test_an_existing_vpc_with_its_subnets() -> None:
    settings = settings_from_config({**DEV, "chatbot:vpcId": VPC, "chatbot:privateSubnetIds": TWO_SUBNETS},
                                    stack="dev")
    assert not settings.creates_vpc
    assert settings.private_subnet_ids == ("subnet-0a1b2c3d", "subnet-0a1b2c3e")
    assert settings.nat_gateway is False


def test_a_private_website_needs_no_cloudfront_domain_outside_dev() -> None:
    settings = settings_from_config(PRIVATE_PROD, stack="prod")
    assert settings.private_website and not settings.uses_custom_domain
    assert settings.private_website_cidrs == ("10.0.0.0/8", "2001:db8::/32")
    assert settings.private_website_certificate_arn == ACM_EU


def test_an_existing_guardrail_outside_dev() -> None:
    config = {**PROD, **EXISTING, "chatbot:guardrailId": BEDROCK.format("eu-west-1")}
    settings = settings_from_config(config, stack="prod")
    assert settings.guardrail_required and not settings.creates_guardrail
    assert (settings.guardrail_id, settings.guardrail_version) == (BEDROCK.format("eu-west-1"), "3")


def test_dev_allows_its_relaxations() -> None:
    config = {**DEV, "chatbot:mfa": "OPTIONAL", "chatbot:cognitoPlan": "ESSENTIALS",
              "chatbot:devTools": "true", "chatbot:guardrailMode": "none"}
    settings = settings_from_config(config, stack="dev")
    assert (settings.mfa, settings.cognito_plan, settings.dev_tools) == ("OPTIONAL", "ESSENTIALS", True)
    assert not settings.guardrail_required
    draft = settings_from_config({**DEV, **EXISTING, "chatbot:guardrailVersion": "DRAFT"}, stack="dev")
    assert draft.guardrail_version == "DRAFT"


def test_saml_federation_needs_no_secret() -> None:
    settings = settings_from_config({**DEV, **SAML}, stack="dev")
    assert settings.uses_federation and settings.federation_provider == "saml"
    assert settings.federation_client_secret is None and settings.federation_group_claim == "groups"


def test_new_rules_report_together_with_old_ones() -> None:
    config = {**PROD, "chatbot:retainData": "false", "chatbot:mfa": "OPTIONAL", "chatbot:devTools": "true",
              "chatbot:privateSubnetIds": TWO_SUBNETS, "chatbot:quotaTokensPerDay": "5"}
    with pytest.raises(SettingsError) as caught:
        settings_from_config(config, stack="prod")
    assert [problem.key for problem in caught.value.problems] == [
        "chatbot:quotaTokensPerDay",
        "chatbot:retainData, chatbot:environment",
        "chatbot:privateSubnetIds, chatbot:vpcId",
        "chatbot:mfa, chatbot:environment",
        "chatbot:devTools, chatbot:environment",
    ]


def test_an_invalid_private_website_flag_does_not_add_cloudfront_noise() -> None:
    # privateWebsite is not a boolean, so the CloudFront rules it switches off must not fire either.
    config = {**PRIVATE_PROD, "chatbot:privateWebsite": "yes"}
    with pytest.raises(SettingsError) as caught:
        settings_from_config(config, stack="prod")
    assert [problem.key for problem in caught.value.problems] == ["chatbot:privateWebsite"]
