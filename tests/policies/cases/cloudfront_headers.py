"""Fixtures for rules/cloudfront_headers.py: HSTS and CSP, on the edge baseline of ``cloudfront.py``."""

from __future__ import annotations

from ..harness import UNKNOWN
from . import DELETE, Resource
from .cloudfront import BASE, CSP, CSP_RULE, DEV, HSTS, MULTI, MULTITENANT, behaviour, variant

_EXTERNAL_HEADERS = variant(BASE.without(HSTS, "policy removed", "headers")).mutate(
    HSTS,
    "managed headers policy cannot be verified",
    "site",
    "defaultCacheBehavior.responseHeadersPolicyId",
    "67f7725c-6f97-4210-82d7-5512b31e9d03",
    message="not a policy this stack creates",
)

CASES = [
    # SEC-CLOUDFRONT-HARDENING (HSTS, stack rule)
    BASE.case(HSTS),
    BASE.mutate(
        HSTS,
        "HSTS not overriding",
        "headers",
        "securityHeadersConfig.strictTransportSecurity.override",
        False,
        message="override=False",
        level="mandatory",
    ),
    BASE.mutate(
        HSTS,
        "HSTS max-age too short",
        "headers",
        "securityHeadersConfig.strictTransportSecurity.accessControlMaxAgeSec",
        86400,
        message="accessControlMaxAgeSec=86400",
    ),
    BASE.mutate(HSTS, "no HSTS at all", "headers", "securityHeadersConfig.strictTransportSecurity", DELETE),
    BASE.mutate(
        HSTS,
        "no headers policy on the distribution",
        "site",
        "defaultCacheBehavior.responseHeadersPolicyId",
        DELETE,
        message="is not set",
    ),
    _EXTERNAL_HEADERS,
    BASE.without(HSTS, "headers policy id unknown and unlinked", "headers", expect="not-evaluated"),
    BASE.mutate(
        HSTS,
        "max-age unknown",
        "headers",
        "securityHeadersConfig.strictTransportSecurity.accessControlMaxAgeSec",
        UNKNOWN,
        expect="not-evaluated",
    ),
    BASE.plus(HSTS, "multitenant twin linked to the same policy", MULTI, expect="pass"),
    BASE.plus(
        HSTS,
        "multitenant twin without headers policy",
        Resource(MULTITENANT, "tenants", {**MULTI.props, "defaultCacheBehavior": behaviour("content")}),
    ),
    # SEC-CSP
    BASE.case(CSP_RULE),
    *(
        BASE.mutate(
            CSP_RULE,
            title,
            "headers",
            "securityHeadersConfig.contentSecurityPolicy.contentSecurityPolicy",
            policy,
            message=fragment,
            level="mandatory",
        )
        for title, policy, fragment in (
            ("img-src wildcard", CSP.replace("img-src 'self'", "img-src 'self' *"), "img-src allows *"),
            (
                "connect-src wildcard",
                CSP.replace("connect-src 'self'", "connect-src *"),
                "connect-src allows *",
            ),
            ("connect-src scheme only", CSP.replace("connect-src 'self'", "connect-src https:"), "https:"),
            ("script-src data:", CSP.replace("script-src 'self'", "script-src 'self' data:"), "data:"),
            (
                "default-src wildcard host",
                CSP.replace("default-src 'none'", "default-src https://*"),
                "default-src allows https://*",
            ),
            (
                "unsafe-eval",
                CSP.replace("script-src 'self'", "script-src 'self' 'unsafe-eval'"),
                "unsafe-eval",
            ),
            ("no frame-ancestors", CSP.replace("; frame-ancestors 'none'", ""), "frame-ancestors is missing"),
            ("no default-src", CSP.replace("default-src 'none'; ", ""), "default-src is missing"),
        )
    ),
    BASE.mutate(
        CSP_RULE,
        "img-src data: and a subdomain wildcard are fine",
        "headers",
        "securityHeadersConfig.contentSecurityPolicy.contentSecurityPolicy",
        CSP.replace("img-src 'self' data:", "img-src 'self' data: https://*.example.com"),
        expect="pass",
    ),
    BASE.mutate(
        CSP_RULE,
        "distribution without CSP",
        "headers",
        "securityHeadersConfig.contentSecurityPolicy",
        DELETE,
        message="sends no Content-Security-Policy",
    ),
    BASE.mutate(
        CSP_RULE,
        "distribution without headers policy",
        "site",
        "defaultCacheBehavior.responseHeadersPolicyId",
        DELETE,
        message="sends no Content-Security",
    ),
    BASE.mutate(
        CSP_RULE,
        "CSP unknown",
        "headers",
        "securityHeadersConfig.contentSecurityPolicy.contentSecurityPolicy",
        UNKNOWN,
        expect="not-evaluated",
    ),
    DEV.mutate(
        CSP_RULE,
        "advisory on dev",
        "headers",
        "securityHeadersConfig.contentSecurityPolicy.contentSecurityPolicy",
        "img-src *",
        level="advisory",
    ),
    BASE.plus(
        CSP_RULE,
        "multitenant twin without headers policy",
        Resource(MULTITENANT, "tenants", {**MULTI.props, "defaultCacheBehavior": behaviour("content")}),
    ),
    BASE.mutate(
        CSP_RULE,
        "suppressed with a reason",
        "headers",
        "securityHeadersConfig.contentSecurityPolicy.contentSecurityPolicy",
        "img-src *",
        expect="suppressed",
        config={
            "stack-profile": {
                "suppressions": [
                    {"policy": CSP_RULE, "urn": "*::headers", "reason": "Legacy widget needs eval until Q3."}
                ]
            }
        },
    ),
]
