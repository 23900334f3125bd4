"""Each setting's own rule: accepted values, and the message for rejected ones."""

from __future__ import annotations

import pytest

from components.settings import SettingsError, settings_from_config

from .helpers import CERT, DEV, PROD

# A dev stack with a complete custom domain, so domain, certificate and TLS values can be tested alone.
DEV_DOMAIN = {
    **DEV,
    "chatbot:customDomain": "chat.example.com",
    "chatbot:certificateArn": CERT,
    "chatbot:minimumTlsVersion": "TLSv1.2_2021",
}

ACCEPTED = [
    ("chatbot:environment", "staging", PROD),
    ("chatbot:environment", "prod", PROD),
    ("chatbot:prefix", "ab", DEV),
    ("chatbot:prefix", "a-1", DEV),
    ("chatbot:prefix", "a" * 20, DEV),
    ("chatbot:owner", "platform-team", DEV),
    ("chatbot:owner", "Team A/b=c+d@e.f:g_h", DEV),
    ("chatbot:owner", "x" * 64, DEV),
    ("chatbot:logRetentionDays", "1", DEV),
    ("chatbot:logRetentionDays", "3653", DEV),
    ("chatbot:customDomain", "a.b", DEV_DOMAIN),
    ("chatbot:customDomain", "xn--bcher-kva.example.org", DEV_DOMAIN),
    ("chatbot:customDomain", "a1-b.c2.example", DEV_DOMAIN),
    ("chatbot:certificateArn", "arn:aws-cn:acm:us-east-1:123456789012:certificate/" + "a" * 36, DEV_DOMAIN),
    ("chatbot:minimumTlsVersion", "TLSv1.2_2019", DEV_DOMAIN),
    ("chatbot:minimumTlsVersion", "TLSv1.2_2025", DEV_DOMAIN),
    ("chatbot:minimumTlsVersion", "TLSv1.3_2025", DEV_DOMAIN),
    # The chat route's limit may not exceed the overall one, so the lowest overall limit needs a lower one.
    ("chatbot:rateLimitPerIp", "10", {**DEV, "chatbot:chatRateLimitPerIp": "10"}),
    ("chatbot:rateLimitPerIp", "2000000000", DEV),
    ("chatbot:rateLimitWindowSeconds", "60", DEV),
    ("chatbot:rateLimitWindowSeconds", "600", DEV),
    ("chatbot:geoAllowlist", "[]", DEV),
    ("chatbot:geoAllowlist", '["GB", "IE", "DE"]', DEV),
    ("aws:region", "us-gov-west-1", DEV),
    ("aws:region", "ap-southeast-2", DEV),
]

REJECTED = [
    ("chatbot:environment", "production", "one of dev, staging, prod"),
    ("chatbot:environment", "Dev", "one of dev, staging, prod"),
    ("chatbot:prefix", "a", "2-20 characters"),
    ("chatbot:prefix", "1abc", "starting with a letter"),
    ("chatbot:prefix", "Abc", "lower-case"),
    ("chatbot:prefix", "a_b", "2-20 characters"),
    ("chatbot:prefix", "a" * 21, "2-20 characters"),
    ("chatbot:owner", "", "1-64 characters"),
    ("chatbot:owner", "x" * 65, "1-64 characters"),
    ("chatbot:owner", "team#1", "AWS tag values"),
    ("chatbot:owner", "t\u00ebam", "AWS tag values"),
    ("chatbot:logRetentionDays", "0", "retention periods: 1, 3, 5"),
    ("chatbot:logRetentionDays", "2", "retention periods"),
    ("chatbot:logRetentionDays", "3654", "retention periods"),
    ("chatbot:customDomain", "localhost", "at least one dot"),
    ("chatbot:customDomain", "Chat.Example.com", "lower-case host name"),
    ("chatbot:customDomain", "-a.example.com", "RFC 1123"),
    ("chatbot:customDomain", "a-.example.com", "RFC 1123"),
    ("chatbot:customDomain", "a..example.com", "RFC 1123"),
    ("chatbot:customDomain", "a_b.example.com", "RFC 1123"),
    ("chatbot:customDomain", "*.example.com", "RFC 1123"),
    ("chatbot:customDomain", "x" * 64 + ".example.com", "RFC 1123"),
    ("chatbot:customDomain", "https://chat.example.com", "RFC 1123"),
    ("chatbot:certificateArn", CERT.replace("us-east-1", "eu-west-1"), "ARN in us-east-1"),
    ("chatbot:certificateArn", CERT.replace("111122223333", "11112222333"), "ACM certificate ARN"),
    ("chatbot:certificateArn", CERT.upper(), "ACM certificate ARN"),
    ("chatbot:certificateArn", "arn:aws:iam::111122223333:server-certificate/x", "ACM certificate ARN"),
    ("chatbot:minimumTlsVersion", "TLSv1", "one of TLSv1.2_2019, TLSv1.2_2021, TLSv1.2_2025, TLSv1.3_2025"),
    ("chatbot:minimumTlsVersion", "tlsv1.2_2021", "one of TLSv1.2_2019"),
    ("chatbot:rateLimitPerIp", "9", "from 10 to 2000000000"),
    ("chatbot:rateLimitPerIp", "2000000001", "from 10 to 2000000000"),
    ("chatbot:rateLimitWindowSeconds", "30", "one of 60, 120, 300, 600"),
    ("chatbot:rateLimitWindowSeconds", "301", "one of 60, 120, 300, 600"),
    ("chatbot:geoAllowlist", '["UK"]', "not ISO 3166-1 alpha-2 country codes: 'UK'"),
    ("chatbot:geoAllowlist", '["gb"]', "not ISO 3166-1 alpha-2"),
    ("chatbot:geoAllowlist", '["GBR"]', "not ISO 3166-1 alpha-2"),
    ("chatbot:geoAllowlist", '["GB", "IE", "GB"]', "listed more than once: GB"),
    ("aws:region", "us-east", "AWS region name"),
    ("aws:region", "US-EAST-1", "AWS region name"),
    ("aws:region", "us-east-1a", "AWS region name"),
]


@pytest.mark.parametrize(("key", "value", "base"), ACCEPTED)
def test_accepted_values(key: str, value: str, base: dict[str, str]) -> None:
    settings_from_config({**base, key: value}, stack="test")


@pytest.mark.parametrize(("key", "value", "fragment"), REJECTED)
def test_rejected_values_name_the_key_and_what_is_allowed(key: str, value: str, fragment: str) -> None:
    base = DEV_DOMAIN if key in DEV_DOMAIN else DEV
    with pytest.raises(SettingsError) as caught:
        settings_from_config({**base, key: value}, stack="test")
    assert [problem.key for problem in caught.value.problems] == [key]
    message = caught.value.problems[0].message
    assert fragment in message
    assert "(got " in message


@pytest.mark.parametrize(
    ("key", "value", "fragment"),
    [
        ("chatbot:customerManagedKeys", "yes", "expected a boolean, true or false"),
        ("chatbot:retainData", "True", "expected a boolean, true or false"),
        ("chatbot:retainData", "", "expected a boolean"),
        ("chatbot:logRetentionDays", "7.5", "expected a whole number"),
        ("chatbot:logRetentionDays", "seven", "expected a whole number"),
        ("chatbot:rateLimitPerIp", "1e400", "expected a whole number"),
        ("chatbot:rateLimitPerIp", "", "expected a whole number"),
        ("chatbot:geoAllowlist", "GB", "expected a list of strings"),
        ("chatbot:geoAllowlist", '{"GB": true}', "expected a list of strings"),
        ("chatbot:geoAllowlist", "[1, 2]", "expected a list of strings"),
    ],
)
def test_type_errors_are_reported_per_key(key: str, value: str, fragment: str) -> None:
    with pytest.raises(SettingsError) as caught:
        settings_from_config({**DEV, key: value}, stack="test")
    assert [(problem.key, fragment in problem.message) for problem in caught.value.problems] == [(key, True)]


def test_values_are_parsed_by_declared_type() -> None:
    settings = settings_from_config(
        {
            **DEV,
            "chatbot:logRetentionDays": "7.0",
            "chatbot:rateLimitPerIp": "+500",
            "chatbot:customerManagedKeys": "false",
            "chatbot:geoAllowlist": '["GB","IE"]',
        },
        stack="test",
    )
    assert settings.log_retention_days == 7
    assert settings.rate_limit_per_ip == 500
    assert settings.customer_managed_keys is False
    assert settings.geo_allowlist == ("GB", "IE")


@pytest.mark.parametrize("key", ["chatbot:owner", "aws:region"])
def test_required_keys(key: str) -> None:
    config = {k: v for k, v in DEV.items() if k != key}
    with pytest.raises(SettingsError) as caught:
        settings_from_config(config, stack="test")
    assert [problem.key for problem in caught.value.problems] == [key]
    assert f"is required: set it with `pulumi config set {key} " in caught.value.problems[0].message
