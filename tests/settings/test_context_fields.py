"""Own rules of the network, identity, chat, operations and private-website settings."""

from __future__ import annotations

import pytest

from components.settings import SettingsError, settings_from_config

from .helpers import DEV

VPC = {
    "chatbot:vpcId": "vpc-0123456789abcdef0",
    "chatbot:privateSubnetIds": '["subnet-0a1b2c3d", "subnet-0a1b2c3e"]',
}
SUBNETS = '["subnet-0a1b2c3d", "subnet-0a1b2c3d4e5f67890"]'
GUARDRAIL = {"chatbot:guardrailMode": "existing", "chatbot:guardrailVersion": "1"}
PRIVATE = {
    "chatbot:privateWebsite": "true",
    "chatbot:privateWebsiteCidrs": '["10.0.0.0/8"]',
    "chatbot:privateWebsiteCertificateArn": "arn:aws:acm:us-east-1:111122223333:certificate/" + "a" * 36,
}
GUARDRAIL_ARN = "arn:aws:bedrock:us-east-1:111122223333:guardrail/ab12cd34ef"

ACCEPTED = [
    ("chatbot:vpcId", "vpc-01234567", {**DEV, **VPC}),
    ("chatbot:vpcId", "vpc-0123456789abcdef0", {**DEV, **VPC}),
    ("chatbot:privateSubnetIds", SUBNETS, {**DEV, **VPC}),
    ("chatbot:availabilityZoneCount", "2", DEV),
    ("chatbot:availabilityZoneCount", "3", DEV),
    ("chatbot:natGateway", "true", DEV),
    ("chatbot:mfa", "ON", DEV),
    ("chatbot:mfa", "OPTIONAL", DEV),
    ("chatbot:cognitoPlan", "ESSENTIALS", DEV),
    ("chatbot:authDomainPrefix", "a", DEV),
    ("chatbot:authDomainPrefix", "chatbot-dev-1", DEV),
    ("chatbot:authDomainPrefix", "a" * 63, DEV),
    ("chatbot:federationGroupClaim", "custom:chatbot_group", DEV),
    ("chatbot:federationGroupClaim", "https://example.com/claims/group", DEV),
    ("chatbot:bedrockRegion", "us-west-2", DEV),
    ("chatbot:bedrockModels", '["amazon.nova-pro-v1:0", "eu.anthropic.claude-3-5-sonnet-20240620-v1:0"]',
     DEV),
    ("chatbot:guardrailId", "ab12cd34ef", {**DEV, **GUARDRAIL}),
    ("chatbot:guardrailId", GUARDRAIL_ARN, {**DEV, **GUARDRAIL}),
    ("chatbot:guardrailVersion", "99999999", {**DEV, **GUARDRAIL, "chatbot:guardrailId": "x"}),
    ("chatbot:guardrailVersion", "DRAFT", {**DEV, **GUARDRAIL, "chatbot:guardrailId": "x"}),
    ("chatbot:quotaMessagesPerDay", "1", DEV),
    ("chatbot:quotaMessagesPerDay", "100000", DEV),
    ("chatbot:quotaTokensPerDay", "1000", DEV),
    ("chatbot:quotaTokensPerDay", "100000000", DEV),
    ("chatbot:chatRateLimitPerIp", "10", DEV),
    ("chatbot:alarmEmail", "ops@example.com", DEV),
    ("chatbot:alarmEmail", "first.last+alarms@sub.example.co.uk", DEV),
    ("chatbot:xrayTracing", "true", DEV),
    ("chatbot:devTools", "true", DEV),
    ("chatbot:privateWebsiteCidrs", '["10.0.0.0/8", "192.168.1.0/24", "2001:db8::/32", "10.1.2.3/32"]',
     {**DEV, **PRIVATE}),
]

REJECTED = [
    ("chatbot:vpcId", "vpc-123", "a VPC ID"),
    ("chatbot:vpcId", "vpc-0123456789ABCDEF0", "a VPC ID"),
    ("chatbot:vpcId", "subnet-01234567", "a VPC ID"),
    ("chatbot:privateSubnetIds", '["subnet-0123"]', "not subnet IDs: 'subnet-0123'"),
    ("chatbot:privateSubnetIds", '["vpc-01234567"]', "not subnet IDs"),
    ("chatbot:privateSubnetIds", '["subnet-0a1b2c3d", "subnet-0a1b2c3d"]',
     "listed more than once: subnet-0a1b2c3d"),
    ("chatbot:availabilityZoneCount", "1", "from 2 to 3"),
    ("chatbot:availabilityZoneCount", "4", "from 2 to 3"),
    ("chatbot:mfa", "on", "one of ON, OPTIONAL"),
    ("chatbot:mfa", "OFF", "one of ON, OPTIONAL"),
    ("chatbot:cognitoPlan", "LITE", "one of ESSENTIALS, PLUS"),
    ("chatbot:authDomainPrefix", "my-aws-chat", "without the words aws, amazon, cognito"),
    ("chatbot:authDomainPrefix", "amazonchat", "without the words"),
    ("chatbot:authDomainPrefix", "chat-cognito", "without the words"),
    ("chatbot:authDomainPrefix", "-chat", "1-63 lower-case letters"),
    ("chatbot:authDomainPrefix", "chat-", "1-63 lower-case letters"),
    ("chatbot:authDomainPrefix", "Chat", "1-63 lower-case letters"),
    ("chatbot:authDomainPrefix", "a" * 64, "1-63 lower-case letters"),
    ("chatbot:federationProvider", "OIDC", "one of oidc, saml"),
    ("chatbot:federationProvider", "google", "one of oidc, saml"),
    ("chatbot:federationName", "a" * 33, "1-32 letters"),
    ("chatbot:federationName", "Corp IdP", "1-32 letters"),
    ("chatbot:federationIssuerUrl", "http://login.example.com", "an https URL"),
    ("chatbot:federationIssuerUrl", "login.example.com", "an https URL"),
    ("chatbot:federationIssuerUrl", "https://", "an https URL"),
    ("chatbot:federationIssuerUrl", "https://login example.com", "an https URL"),
    ("chatbot:federationMetadataUrl", "ftp://idp.example.com/m.xml", "an https URL"),
    ("chatbot:federationClientId", "has space", "without spaces"),
    ("chatbot:federationGroupClaim", "", "1-64 letters"),
    ("chatbot:federationGroupClaim", "group claim", "1-64 letters"),
    ("chatbot:federationGroupClaim", "g" * 65, "1-64 letters"),
    ("chatbot:bedrockRegion", "us-west", "AWS region name"),
    ("chatbot:bedrockModels", '["Amazon.Nova"]', "not model IDs: 'Amazon.Nova'"),
    ("chatbot:bedrockModels", '["ab"]', "not model IDs"),
    ("chatbot:bedrockModels", '["amazon.nova-pro-v1:0", "amazon.nova-pro-v1:0"]',
     "listed more than once: amazon.nova-pro-v1:0"),
    ("chatbot:guardrailMode", "off", "one of create, existing, none"),
    ("chatbot:guardrailId", "ABC", "a guardrail ID"),
    ("chatbot:guardrailId", "abcdefghijk", "a guardrail ID"),
    ("chatbot:guardrailId", "arn:aws:bedrock:us-east-1:111122223333:agent/abc", "or ARN"),
    ("chatbot:guardrailVersion", "0", "a version number (1-99999999) or DRAFT"),
    ("chatbot:guardrailVersion", "draft", "or DRAFT"),
    ("chatbot:guardrailVersion", "123456789", "a version number"),
    ("chatbot:quotaMessagesPerDay", "0", "from 1 to 100000"),
    ("chatbot:quotaMessagesPerDay", "100001", "from 1 to 100000"),
    ("chatbot:quotaTokensPerDay", "999", "from 1000 to 100000000"),
    ("chatbot:quotaTokensPerDay", "100000001", "from 1000 to 100000000"),
    ("chatbot:chatRateLimitPerIp", "9", "from 10 to 2000000000"),
    ("chatbot:alarmEmail", "ops", "an e-mail address"),
    ("chatbot:alarmEmail", "ops@localhost", "an e-mail address"),
    ("chatbot:alarmEmail", "ops@@example.com", "an e-mail address"),
    ("chatbot:alarmEmail", "o ps@example.com", "an e-mail address"),
    ("chatbot:privateWebsiteCidrs", '["0.0.0.0/0"]', "must not admit every address (0.0.0.0/0)"),
    ("chatbot:privateWebsiteCidrs", '["::/0", "10.0.0.0/8"]', "must not admit every address (::/0)"),
    ("chatbot:privateWebsiteCidrs", '["10.0.0.1/8"]', "not CIDR networks: '10.0.0.1/8'"),
    ("chatbot:privateWebsiteCidrs", '["10.0.0.1"]', "not CIDR networks"),
    ("chatbot:privateWebsiteCidrs", '["10.0.0.0/33"]', "not CIDR networks"),
    ("chatbot:privateWebsiteCidrs", '["10.0.0.0/8", "10.0.0.0/8"]', "listed more than once: 10.0.0.0/8"),
    ("chatbot:privateWebsiteCertificateArn", "arn:aws:acm:us-east-1:1111:certificate/x",
     "ACM certificate ARN"),
]


@pytest.mark.parametrize(("key", "value", "base"), ACCEPTED)
def test_accepted_values(key: str, value: str, base: dict[str, str]) -> None:
    settings_from_config({**base, key: value}, stack="test")


@pytest.mark.parametrize(("key", "value", "fragment"), REJECTED)
def test_rejected_values_name_the_key_and_what_is_allowed(key: str, value: str, fragment: str) -> None:
    with pytest.raises(SettingsError) as caught:
        settings_from_config({**DEV, key: value}, stack="test")
    # The field's own error hides the rules that involve it, so it is the only problem.
    assert [problem.key for problem in caught.value.problems] == [key]
    message = caught.value.problems[0].message
    assert fragment in message
    assert "(got " in message


def test_every_problem_of_a_list_in_one_message() -> None:
    with pytest.raises(SettingsError) as caught:
        settings_from_config(
            {**DEV, "chatbot:privateWebsiteCidrs": '["0.0.0.0/0", "10.0.0.1/8", "10.0.0.0/8", "10.0.0.0/8"]'},
            stack="test",
        )
    (problem,) = caught.value.problems
    assert problem.message.startswith("must not admit every address (0.0.0.0/0)")
    assert "not CIDR networks: '0.0.0.0/0'" not in problem.message  # valid CIDR, refused for being /0
    assert "not CIDR networks: '10.0.0.1/8'" in problem.message
    assert "listed more than once: 10.0.0.0/8" in problem.message


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("chatbot:natGateway", "yes"),
        ("chatbot:availabilityZoneCount", "two"),
        ("chatbot:bedrockModels", "amazon.nova-pro-v1:0"),
        ("chatbot:privateWebsite", "1"),
    ],
)
def test_type_errors(key: str, value: str) -> None:
    with pytest.raises(SettingsError) as caught:
        settings_from_config({**DEV, key: value}, stack="test")
    assert [problem.key for problem in caught.value.problems] == [key]
    assert "expected a" in caught.value.problems[0].message
