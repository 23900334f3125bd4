"""Website: CloudFront over a private bucket with OAC, WAF, security headers and TLS from settings."""

import json
import re
from typing import Any

import pytest

from components.website import CACHING_OPTIMIZED_POLICY_ID, Website, WebsiteArgs, content_security_policy

from .conftest import ACCOUNT_ID, DISTRIBUTION_DOMAIN, Harness

DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
CERT = "arn:aws:acm:us-east-1:111122223333:certificate/0b5c9f0e-1d2a-4c3b-9e8f-7a6b5c4d3e2f"
WEB_ACL = "arn:aws:wafv2:us-east-1:111122223333:global/webacl/acl/1"
CUSTOM = {"custom_domain": "chat.example.com", "certificate_arn": CERT, "minimum_tls_version": "TLSv1.2_2021"}


def website_args(**overrides: Any) -> WebsiteArgs:
    values: dict[str, Any] = {
        "prefix": "chatbot",
        "stack": "prod",
        "content_kms_key_arn": None,
        "access_log_bucket": "logs-bucket",
        "retain": True,
        "web_acl_arn": WEB_ACL,
    }
    return WebsiteArgs(**{**values, **overrides})


def deploy(harness: Harness, args: WebsiteArgs) -> str:
    return harness.run(lambda: Website("site", args).url)


def directives(csp: str) -> dict[str, str]:
    return {part.split(" ", 1)[0]: part.partition(" ")[2] for part in csp.split("; ")}


def test_csp_has_no_wildcard_and_denies_framing() -> None:
    csp = directives(content_security_policy(("https://api.example.com", "wss://rt.example.com")))
    assert "*" not in "".join(csp.values())
    assert csp["default-src"] == "'none'"
    assert csp["frame-ancestors"] == "'none'"
    assert csp["connect-src"] == "'self' https://api.example.com wss://rt.example.com"
    assert "unsafe" not in " ".join(csp.values())
    assert "upgrade-insecure-requests" in csp


@pytest.mark.parametrize(
    "origin", ["https://*.example.com", "http://api.example.com", "*", "https://a.com/path"]
)
def test_csp_rejects_wildcard_or_insecure_origins(origin: str) -> None:
    with pytest.raises(ValueError, match="connect origin"):
        content_security_policy((origin,))


def test_custom_domain_distribution(pulumi_mocks) -> None:
    harness = pulumi_mocks("prod")
    url = deploy(harness, website_args(geo_allowlist=("GB", "IE"), **CUSTOM))
    assert url == "https://chat.example.com"
    dist = harness.one(DISTRIBUTION).inputs
    assert dist["viewerCertificate"] == {
        "acmCertificateArn": CERT,
        "sslSupportMethod": "sni-only",
        "minimumProtocolVersion": "TLSv1.2_2021",
    }
    assert dist["aliases"] == ["chat.example.com"]
    assert dist["webAclId"] == WEB_ACL
    assert dist["httpVersion"] == "http2and3" and dist["priceClass"] == "PriceClass_100"
    assert dist["defaultRootObject"] == "index.html"
    assert dist["restrictions"]["geoRestriction"] == {
        "restrictionType": "whitelist",
        "locations": ["GB", "IE"],
    }
    behavior = dist["defaultCacheBehavior"]
    assert behavior["viewerProtocolPolicy"] == "redirect-to-https"
    assert behavior["compress"] is True
    assert behavior["cachePolicyId"] == CACHING_OPTIMIZED_POLICY_ID
    assert behavior["responseHeadersPolicyId"] == "site-security-headers-id"
    origin = dist["origins"][0]
    assert origin["originAccessControlId"] == "site-oac-id"
    assert origin["domainName"].endswith(".s3.us-east-1.amazonaws.com")
    assert "s3OriginConfig" not in origin and "customOriginConfig" not in origin
    fallback = {e["errorCode"]: e for e in dist["customErrorResponses"]}
    assert set(fallback) == {403, 404}
    assert all(e["responseCode"] == 200 and e["responsePagePath"] == "/index.html" for e in fallback.values())


def test_dev_distribution_uses_the_default_certificate(pulumi_mocks) -> None:
    harness = pulumi_mocks("dev")
    url = deploy(harness, website_args(stack="dev", retain=False))
    assert url == f"https://{DISTRIBUTION_DOMAIN}"
    dist = harness.one(DISTRIBUTION).inputs
    assert dist["viewerCertificate"] == {"cloudfrontDefaultCertificate": True}
    assert "aliases" not in dist
    assert dist["restrictions"]["geoRestriction"]["restrictionType"] == "none"


def test_oac_and_security_headers(pulumi_mocks) -> None:
    harness = pulumi_mocks("prod")
    deploy(harness, website_args(**CUSTOM))
    oac = harness.one("aws:cloudfront/originAccessControl:OriginAccessControl").inputs
    assert (oac["originAccessControlOriginType"], oac["signingBehavior"], oac["signingProtocol"]) == (
        "s3",
        "always",
        "sigv4",
    )
    headers = harness.one("aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy").inputs
    config = headers["securityHeadersConfig"]
    assert config["strictTransportSecurity"] == {
        "accessControlMaxAgeSec": 63072000,
        "includeSubdomains": True,
        "preload": True,
        "override": True,
    }
    csp = config["contentSecurityPolicy"]["contentSecurityPolicy"]
    assert "*" not in csp and "frame-ancestors 'none'" in csp
    assert config["frameOptions"]["frameOption"] == "DENY"
    assert config["contentTypeOptions"] == {"override": True}
    assert config["referrerPolicy"]["referrerPolicy"] == "strict-origin-when-cross-origin"


def test_bucket_policy_admits_only_this_distribution(pulumi_mocks) -> None:
    harness = pulumi_mocks("prod")
    deploy(harness, website_args(content_kms_key_arn="arn:aws:kms:eu-west-1:111122223333:key/k", **CUSTOM))
    policy = json.loads(harness.one("aws:s3/bucketPolicy:BucketPolicy").inputs["policy"])
    read = next(s for s in policy["Statement"] if s["Sid"] == "CloudFrontOriginAccessControlRead")
    assert read["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert read["Action"] == "s3:GetObject"
    assert re.fullmatch(r"arn:aws:s3:::site-content-bucket-\w+/\*", read["Resource"])
    assert read["Condition"] == {
        "StringEquals": {"AWS:SourceArn": f"arn:aws:cloudfront::{ACCOUNT_ID}:distribution/E2QWRUHEXAMPLE"}
    }
    assert any(s["Sid"] == "DenyInsecureTransport" for s in policy["Statement"])


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"custom_domain": "chat.example.com"}, "all set or all None"),
        ({**CUSTOM, "minimum_tls_version": "TLSv1_2016"}, "minimum_tls_version"),
        ({"connect_origins": ("https://*.example.com",)}, "connect origin"),
    ],
)
def test_invalid_args_are_rejected(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        website_args(**overrides)
