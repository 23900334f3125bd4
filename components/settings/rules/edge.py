"""Rules of the stack-wide and edge settings: encryption, retention, CloudFront TLS, private website."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from components.settings.rules.base import Rule, paired

if TYPE_CHECKING:
    from components.settings.model import StackSettings

# SEC-CLOUDFRONT-TLS: TLSv1.2_2021 or newer outside dev.
STRONG_TLS_VERSIONS = ("TLSv1.2_2021", "TLSv1.2_2025", "TLSv1.3_2025")
_DEFAULT_CERT_NOTE = "the default *.cloudfront.net certificate forces TLSv1"
_ACM_REGION = re.compile(r"^arn:[^:]+:acm:([^:]+):")


def _domain_and_certificate_together(s: StackSettings) -> str | None:
    if (s.custom_domain is None) == (s.certificate_arn is None):
        return None
    if s.custom_domain is not None:
        present, missing = "customDomain", "certificateArn"
    else:
        present, missing = "certificateArn", "customDomain"
    return (f"set together or not at all: {present} is set but {missing} is empty "
            "(CloudFront serves a custom domain only with an ACM certificate for it)")


def _tls_needs_domain(s: StackSettings) -> str | None:
    if s.minimum_tls_version is None or (s.custom_domain and s.certificate_arn):
        return None
    return (f"{s.minimum_tls_version} needs a custom domain and certificate: {_DEFAULT_CERT_NOTE}; "
            "set customDomain and certificateArn, or leave minimumTlsVersion empty (dev only)")


def _domain_needs_tls(s: StackSettings) -> str | None:
    if s.custom_domain is None or s.minimum_tls_version is not None:
        return None
    return ("customDomain is set, so choose a minimumTlsVersion: TLSv1.2_2021 (recommended), "
            "TLSv1.2_2025, TLSv1.3_2025, or TLSv1.2_2019 (dev only)")


def _cmk_outside_dev(s: StackSettings) -> str | None:
    if s.is_dev or s.customer_managed_keys:
        return None
    return (f"customerManagedKeys must be true when environment is {s.environment}: data stores are "
            "encrypted with customer managed KMS keys outside dev (SEC-CMK-AT-REST)")


def _retain_outside_dev(s: StackSettings) -> str | None:
    if s.is_dev or s.retain_data:
        return None
    return (f"retainData must be true when environment is {s.environment}: stateful resources must survive "
            "`pulumi destroy` and accidental deletion outside dev (SEC-DATA-RETENTION)")


def _domain_outside_dev(s: StackSettings) -> str | None:
    # A private website has no CloudFront distribution, so no CloudFront certificate to require.
    if s.is_dev or s.private_website or (s.custom_domain and s.certificate_arn):
        return None
    return (f"customDomain and certificateArn are required when environment is {s.environment}: "
            f"{_DEFAULT_CERT_NOTE} (SEC-CLOUDFRONT-TLS)")


def _strong_tls_outside_dev(s: StackSettings) -> str | None:
    if s.is_dev or s.private_website or s.minimum_tls_version in STRONG_TLS_VERSIONS:
        return None
    return (f"minimumTlsVersion must be TLSv1.2_2021 or newer ({', '.join(STRONG_TLS_VERSIONS)}) when "
            f"environment is {s.environment}, got {s.minimum_tls_version or 'empty'} (SEC-CLOUDFRONT-TLS)")


def _one_front_end(s: StackSettings) -> str | None:
    settings = (("customDomain", s.custom_domain), ("certificateArn", s.certificate_arn),
                ("minimumTlsVersion", s.minimum_tls_version))
    cloudfront = [key for key, value in settings if value is not None]
    if not s.private_website or not cloudfront:
        return None
    return (f"privateWebsite is true, so leave {', '.join(cloudfront)} empty: they configure the public "
            "CloudFront website, and the stack serves one front end at a time (the private website's "
            "certificate is privateWebsiteCertificateArn)")


def _private_website_cidrs(s: StackSettings) -> str | None:
    return paired("privateWebsiteCidrs", bool(s.private_website_cidrs), s.private_website,
                  "privateWebsite is true",
                  ": list the networks allowed to reach the internal load balancer, e.g. 10.0.0.0/8 "
                  "(SEC-PRIVATE-WEBSITE)")


def _private_website_certificate(s: StackSettings) -> str | None:
    return paired("privateWebsiteCertificateArn", s.private_website_certificate_arn is not None,
                  s.private_website, "privateWebsite is true",
                  ": the internal load balancer listens on HTTPS only (SEC-PRIVATE-WEBSITE)")


def _private_certificate_region(s: StackSettings) -> str | None:
    match = _ACM_REGION.match(s.private_website_certificate_arn or "")
    if match is None or match.group(1) == s.region:
        return None
    return (f"privateWebsiteCertificateArn is in {match.group(1)} but the stack's region (aws:region) is "
            f"{s.region}: a load balancer takes certificates from its own region only")


RULES = (
    Rule(("custom_domain", "certificate_arn"), _domain_and_certificate_together),
    Rule(("minimum_tls_version", "custom_domain", "certificate_arn"), _tls_needs_domain),
    Rule(("custom_domain", "minimum_tls_version"), _domain_needs_tls),
    Rule(("customer_managed_keys", "environment"), _cmk_outside_dev),
    Rule(("retain_data", "environment"), _retain_outside_dev),
    Rule(("custom_domain", "certificate_arn", "environment"), _domain_outside_dev, ("private_website",)),
    Rule(("minimum_tls_version", "environment"), _strong_tls_outside_dev, ("private_website",)),
    Rule(("private_website", "custom_domain", "certificate_arn", "minimum_tls_version"), _one_front_end),
    Rule(("private_website_cidrs", "private_website"), _private_website_cidrs),
    Rule(("private_website_certificate_arn", "private_website"), _private_website_certificate),
    Rule(("private_website_certificate_arn", "region"), _private_certificate_region),
)
