"""Fixtures for rules/cloudfront.py: viewer TLS and hardening (HSTS and CSP: cloudfront_headers.py)."""

from __future__ import annotations

from typing import Any

from ..harness import UNKNOWN
from . import DELETE, Baseline, Case, Resource, ref

DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
MULTITENANT = "aws:cloudfront/multitenantDistribution:MultitenantDistribution"
HEADERS = "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy"
OAC = "aws:cloudfront/originAccessControl:OriginAccessControl"

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self' https://api.example.com wss://ws.example.com; frame-ancestors 'none'"
)
CERT = {
    "acmCertificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/abc",
    "sslSupportMethod": "sni-only",
    "minimumProtocolVersion": "TLSv1.2_2021",
}


def behaviour(origin: str, **extra: Any) -> dict[str, Any]:
    return {
        "targetOriginId": origin,
        "viewerProtocolPolicy": "redirect-to-https",
        "allowedMethods": ["GET", "HEAD", "OPTIONS"],
        "cachedMethods": ["GET", "HEAD"],
        "cachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6",
        "compress": True,
        **extra,
    }


def edge(stack: str = "prod") -> tuple[Resource, ...]:
    """A website distribution: private S3 bucket through OAC, an HTTPS API origin, HSTS + CSP headers."""
    headers = Resource(
        HEADERS,
        "headers",
        {
            "name": "chatbot-prod-headers",
            "securityHeadersConfig": {
                "strictTransportSecurity": {
                    "accessControlMaxAgeSec": 63072000,
                    "includeSubdomains": True,
                    "preload": True,
                    "override": True,
                },
                "contentSecurityPolicy": {"contentSecurityPolicy": CSP, "override": True},
                "contentTypeOptions": {"override": True},
                "frameOptions": {"frameOption": "DENY", "override": True},
            },
        },
    )
    oac = Resource(
        OAC,
        "oac",
        {
            "name": "chatbot-prod-oac",
            "originAccessControlOriginType": "s3",
            "signingBehavior": "always",
            "signingProtocol": "sigv4",
        },
    )
    site = Resource(
        DISTRIBUTION,
        "site",
        {
            "enabled": True,
            "aliases": ["chat.example.com"],
            "defaultRootObject": "index.html",
            "httpVersion": "http2and3",
            "priceClass": "PriceClass_100",
            "origins": [
                {
                    "originId": "content",
                    "domainName": "chatbot-prod-content.s3.eu-west-1.amazonaws.com",
                    "originAccessControlId": UNKNOWN,
                },
                {
                    "originId": "api",
                    "domainName": "abc123.execute-api.eu-west-1.amazonaws.com",
                    "customOriginConfig": {
                        "httpPort": 80,
                        "httpsPort": 443,
                        "originProtocolPolicy": "https-only",
                        "originSslProtocols": ["TLSv1.2"],
                    },
                },
            ],
            "defaultCacheBehavior": behaviour("content", responseHeadersPolicyId=UNKNOWN),
            "orderedCacheBehaviors": [behaviour("api", pathPattern="/api/*")],
            "restrictions": {"geoRestriction": {"restrictionType": "whitelist", "locations": ["DE", "FR"]}},
            "viewerCertificate": dict(CERT),
        },
        property_dependencies={
            "defaultCacheBehavior": [ref(HEADERS, "headers", stack)],
            "origins": [ref(OAC, "oac", stack)],
        },
    )
    return headers, oac, site


BASE = Baseline(edge())
DEV = Baseline(edge("dev"), stack="dev")
TLS, HARD, HSTS, CSP_RULE = (
    "cloudfront-viewer-tls",
    "cloudfront-hardening",
    "cloudfront-hsts",
    "cloudfront-csp",
)


def variant(case: Case) -> Baseline:
    return Baseline(case.resources, stack=case.stack)


# A multitenant distribution (the twin token) with the same settings in its own spelling.
_SITE = BASE.resources[2].props
MULTI = Resource(
    MULTITENANT,
    "tenants",
    {
        "comment": "tenants",
        "enabled": True,
        "origins": [{**_SITE["origins"][0], "id": "content"}],
        "defaultCacheBehavior": _SITE["defaultCacheBehavior"],
        "cacheBehaviors": [behaviour("content", pathPattern="/static/*", viewerProtocolPolicy="allow-all")],
        "tenantConfig": {},
        "viewerCertificate": dict(CERT),
    },
    property_dependencies={"defaultCacheBehavior": [ref(HEADERS, "headers")]},
)

CASES = [
    # SEC-CLOUDFRONT-TLS
    BASE.case(TLS),
    BASE.mutate(
        TLS,
        "default certificate",
        "site",
        "viewerCertificate",
        {"cloudfrontDefaultCertificate": True},
        message="forces TLSv1",
        level="mandatory",
    ),
    BASE.mutate(
        TLS,
        "no certificate",
        "site",
        "viewerCertificate.acmCertificateArn",
        DELETE,
        message="has no certificate",
    ),
    BASE.mutate(TLS, "dedicated IP", "site", "viewerCertificate.sslSupportMethod", "vip", message="'vip'"),
    BASE.mutate(
        TLS,
        "old protocol",
        "site",
        "viewerCertificate.minimumProtocolVersion",
        "TLSv1.2_2019",
        message="TLSv1.2_2019",
    ),
    BASE.mutate(
        TLS,
        "certificate ARN unknown is enough",
        "site",
        "viewerCertificate.acmCertificateArn",
        UNKNOWN,
        expect="pass",
    ),
    BASE.mutate(
        TLS,
        "protocol unknown",
        "site",
        "viewerCertificate.minimumProtocolVersion",
        UNKNOWN,
        expect="not-evaluated",
    ),
    BASE.mutate(
        TLS,
        "stricter stack floor",
        "site",
        "viewerCertificate.minimumProtocolVersion",
        "TLSv1.2_2025",
        config={"stack-profile": {"minimumTlsVersion": "TLSv1.3_2025"}},
        message="TLSv1.3_2025",
    ),
    DEV.mutate(TLS, "advisory on dev", "site", "viewerCertificate.sslSupportMethod", "vip", level="advisory"),
    BASE.plus(TLS, "multitenant twin compliant", MULTI, expect="pass"),
    BASE.plus(
        TLS,
        "multitenant twin default certificate",
        Resource(
            MULTITENANT,
            "tenants",
            {**MULTI.props, "viewerCertificate": {"cloudfrontDefaultCertificate": True}},
        ),
    ),
    # SEC-CLOUDFRONT-HARDENING (resource rule)
    BASE.case(HARD),
    BASE.mutate(
        HARD,
        "default behavior allows HTTP",
        "site",
        "defaultCacheBehavior.viewerProtocolPolicy",
        "allow-all",
        message="defaultCacheBehavior.viewerProtocolPolicy is 'allow-all'",
        level="mandatory",
    ),
    BASE.mutate(
        HARD,
        "ordered behavior allows HTTP",
        "site",
        "orderedCacheBehaviors.0.viewerProtocolPolicy",
        "allow-all",
        message="orderedCacheBehaviors[0].viewerProtocolPolicy",
    ),
    BASE.mutate(
        HARD,
        "S3 origin without OAC",
        "site",
        "origins.0.originAccessControlId",
        DELETE,
        message="has no origin access control",
    ),
    BASE.mutate(
        HARD,
        "S3 origin with legacy OAI",
        "site",
        "origins.0",
        {
            "originId": "content",
            "domainName": "chatbot-prod-content.s3.amazonaws.com",
            "s3OriginConfig": {"originAccessIdentity": "origin-access-identity/cloudfront/E2QWRUHAPOMQZL"},
        },
        message="legacy origin access identity",
    ),
    BASE.mutate(
        HARD,
        "S3 website endpoint",
        "site",
        "origins.0.domainName",
        "chatbot.s3-website-eu-west-1.amazonaws.com",
        message="S3 website endpoint",
    ),
    BASE.mutate(
        HARD, "S3 domain unknown, OAC present", "site", "origins.0.domainName", UNKNOWN, expect="pass"
    ),
    BASE.mutate(
        HARD,
        "custom origin over HTTP",
        "site",
        "origins.1.customOriginConfig.originProtocolPolicy",
        "match-viewer",
        message="originProtocolPolicy is 'match-viewer'",
    ),
    BASE.mutate(
        HARD,
        "custom origin allows TLSv1",
        "site",
        "origins.1.customOriginConfig.originSslProtocols",
        ["TLSv1", "TLSv1.2"],
        message="originSslProtocols",
    ),
    BASE.mutate(
        HARD,
        "custom origin protocol unknown",
        "site",
        "origins.1.customOriginConfig.originProtocolPolicy",
        UNKNOWN,
        expect="not-evaluated",
    ),
    BASE.mutate(
        HARD,
        "no response headers policy",
        "site",
        "defaultCacheBehavior.responseHeadersPolicyId",
        DELETE,
        message="responseHeadersPolicyId is not set",
    ),
    DEV.mutate(
        HARD,
        "mandatory on dev too",
        "site",
        "defaultCacheBehavior.viewerProtocolPolicy",
        "allow-all",
        level="mandatory",
    ),
    BASE.plus(HARD, "multitenant twin: cacheBehaviors allow HTTP", MULTI, message="cacheBehaviors[0]"),
]
