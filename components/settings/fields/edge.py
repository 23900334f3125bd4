"""Edge settings: the public website (CloudFront, TLS, WAF rate limit, geo allowlist) or a private one."""

from __future__ import annotations

import ipaddress
from typing import Annotated, Literal

from pydantic import BaseModel, Field, field_validator

from components.settings.countries import ISO_COUNTRY_CODES
from components.settings.setting import Setting, between, check_items, matches

TlsVersion = Literal["TLSv1.2_2019", "TLSv1.2_2021", "TLSv1.2_2025", "TLSv1.3_2025"]
TLS_VERSIONS = ("TLSv1.2_2019", "TLSv1.2_2021", "TLSv1.2_2025", "TLSv1.3_2025")
RATE_LIMIT_WINDOWS = (60, 120, 300, 600)
RATE_LIMIT_RULE = "an integer from 10 to 2000000000"
CERTIFICATE_ARN_PATTERN = r"^arn:aws[a-z-]*:acm:us-east-1:\d{12}:certificate/[0-9a-f-]{36}$"
REGIONAL_CERTIFICATE_ARN_PATTERN = (
    r"^arn:aws[a-z-]*:acm:[a-z]{2}(-gov)?-[a-z]+-\d:\d{12}:certificate/[0-9a-f-]{36}$"
)
_HOST_LABEL = r"(?!-)[a-z0-9-]{1,63}(?<!-)"
HOST_NAME_PATTERN = rf"^(?=.{{1,253}}$){_HOST_LABEL}(\.{_HOST_LABEL})+$"


def is_cidr(value: str) -> bool:
    """An IPv4 or IPv6 network in CIDR form with no host bits set, e.g. 10.0.0.0/8 (not 10.0.0.1/8)."""
    if "/" not in value:
        return False
    try:
        ipaddress.ip_network(value, strict=True)
    except ValueError:
        return False
    return True


class EdgeFields(BaseModel):
    custom_domain: Annotated[str | None, Setting(
        "string", "empty, or a lower-case host name (RFC 1123) with at least one dot, e.g. chat.example.com; "
        "required unless environment is dev or privateWebsite is true (SEC-CLOUDFRONT-TLS)",
        matches(HOST_NAME_PATTERN),
        dev_relaxation="empty: the website uses its *.cloudfront.net name",
        effect=(
            "no idle cost of its own; with certificateArn and minimumTlsVersion it lets viewers get a "
            "modern TLS policy (the default *.cloudfront.net certificate allows TLSv1)"
        ),
    )] = Field(None, alias="customDomain", description=(
        "Host name of the website. Set together with certificateArn and minimumTlsVersion."))
    certificate_arn: Annotated[str | None, Setting(
        "string", "empty, or an ACM certificate ARN in us-east-1, the only region CloudFront takes "
        f"certificates from (`{CERTIFICATE_ARN_PATTERN}`)", matches(CERTIFICATE_ARN_PATTERN),
        dev_relaxation="empty: the default *.cloudfront.net certificate",
    )] = Field(None, alias="certificateArn", description="ACM certificate (in us-east-1) for customDomain.")
    minimum_tls_version: Annotated[TlsVersion | None, Setting(
        "string", f"empty, or one of {', '.join(TLS_VERSIONS)}; TLSv1.2_2021 or newer unless environment is "
        "dev (SEC-CLOUDFRONT-TLS)",
        dev_relaxation="empty: the default certificate, which forces TLSv1",
        effect=(
            "no cost; older policies accept weaker protocols and ciphers that some old clients still "
            "need"
        ),
    )] = Field(None, alias="minimumTlsVersion", description=(
        "CloudFront security policy for viewers. Needs customDomain and certificateArn."))
    rate_limit_per_ip: Annotated[int, Setting(
        "integer", RATE_LIMIT_RULE, between(10, 2_000_000_000),
        effect=(
            "no cost; a lower limit blocks floods and scraping sooner but may block busy users behind "
            "one shared address"
        ),
    )] = Field(1000, alias="rateLimitPerIp", description=(
        "Requests one IP address may make per window before the web ACL blocks it (SEC-WAF-RATE-LIMIT)."))
    rate_limit_window_seconds: Annotated[int, Setting(
        "integer", "one of " + ", ".join(map(str, RATE_LIMIT_WINDOWS)),
        lambda value: value in RATE_LIMIT_WINDOWS,
    )] = Field(300, alias="rateLimitWindowSeconds", description="Window of the rate limit, in seconds.")
    geo_allowlist: Annotated[tuple[str, ...], Setting(
        "array", "upper-case ISO 3166-1 alpha-2 country codes (e.g. GB, IE), no duplicates; empty allows "
        "every country",
        effect=(
            "one more WAF rule (about $1 a month); blocks every country not listed, which cuts attack "
            "traffic but also your own users abroad"
        ),
    )] = Field((), alias="geoAllowlist", description=(
        "Countries allowed to reach the website; requests from elsewhere are blocked (SEC-GEO-RESTRICTION)."))

    @field_validator("geo_allowlist")
    @classmethod
    def _check_countries(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        check_items(value, ISO_COUNTRY_CODES.__contains__, "ISO 3166-1 alpha-2 country codes",
                    "upper-case ISO 3166-1 alpha-2 codes such as GB, IE, DE")
        return value


class PrivateWebsiteFields(BaseModel):
    """The reference chatbot's private website: an internal load balancer instead of CloudFront."""

    private_website: Annotated[bool, Setting(
        "boolean", "true or false; true needs privateWebsiteCidrs and privateWebsiteCertificateArn, and "
        "leaves customDomain, certificateArn and minimumTlsVersion empty (SEC-PRIVATE-WEBSITE)",
        effect=(
            "true: an internal load balancer (about $16 a month plus capacity units) reachable only "
            "from the listed networks, nothing public; false: CloudFront with a WAF web ACL (about $5 "
            "a month plus $1 per rule and per-request charges)"
        ),
    )] = Field(False, alias="privateWebsite", description=(
        "Serve the website from an internal HTTPS load balancer in the VPC instead of CloudFront."))
    private_website_cidrs: Annotated[tuple[str, ...], Setting(
        "array", "IPv4 or IPv6 networks in CIDR form (e.g. 10.0.0.0/8), no host bits, no duplicates, never "
        "0.0.0.0/0 or ::/0; at least one when privateWebsite is true, none otherwise (SEC-PRIVATE-WEBSITE)",
        effect=(
            "no cost; every network listed can reach the sign-in page, so list only the ones that "
            "need it"
        ),
    )] = Field((), alias="privateWebsiteCidrs", description=(
        "Networks allowed to reach the private website's load balancer."))
    private_website_certificate_arn: Annotated[str | None, Setting(
        "string", "empty, or an ACM certificate ARN in the stack's region (aws:region) "
        f"(`{REGIONAL_CERTIFICATE_ARN_PATTERN}`); required when privateWebsite is true",
        matches(REGIONAL_CERTIFICATE_ARN_PATTERN),
    )] = Field(None, alias="privateWebsiteCertificateArn", description=(
        "ACM certificate of the private website's HTTPS listener."))

    @field_validator("private_website_cidrs")
    @classmethod
    def _check_cidrs(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        everyone = [cidr for cidr in value if is_cidr(cidr) and ipaddress.ip_network(cidr).prefixlen == 0]
        also = [f"must not admit every address ({', '.join(everyone)}): the private website is reachable "
                "only from the networks listed here (SEC-PRIVATE-WEBSITE)"] if everyone else []
        check_items(value, is_cidr, "CIDR networks", "IPv4 or IPv6 CIDRs with no host bits, e.g. 10.0.0.0/8",
                    also)
        return value
