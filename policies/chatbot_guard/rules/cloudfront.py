"""CloudFront: viewer TLS (SEC-CLOUDFRONT-TLS) and per-distribution hardening (SEC-CLOUDFRONT-HARDENING).

The response headers policy rules (HSTS, CSP) are in ``cloudfront_headers.py``.

Both distribution tokens are covered: the classic ``Distribution`` and the ``MultitenantDistribution``
(whose lists are spelt ``cacheBehaviors`` / ``customOriginConfigs`` / ``items``).
"""

from __future__ import annotations

import re
from functools import partial

from pulumi_policy import ReportViolation, ResourceValidationArgs

from ..metadata import Equivalents, RuleMeta, resource_policy
from ..props import check_all, is_present, known, require_known
from ..settings import TLS_POLICY_ORDER, current_settings

DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
MULTITENANT = "aws:cloudfront/multitenantDistribution:MultitenantDistribution"
DISTRIBUTIONS = (DISTRIBUTION, MULTITENANT)
HEADERS_POLICY = "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy"
_CERT = "viewerCertificate"
DOCS = "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/"

META = RuleMeta(
    name="cloudfront-viewer-tls",
    description=(
        "CloudFront distributions use an ACM certificate with sni-only and a minimum viewer "
        "security policy no weaker than the stack's."
    ),
    severity="high",
    catalogue_level="non-dev",
    catalogue_ids=("SEC-CLOUDFRONT-TLS",),
    resource_types=DISTRIBUTIONS,
    remediation=(
        "Set viewerCertificate to {acmCertificateArn: <ACM cert in us-east-1>, sslSupportMethod: "
        "'sni-only', minimumProtocolVersion: 'TLSv1.2_2021' or newer} and give the distribution aliases."
    ),
    url=f"{DOCS}secure-connections-supported-viewer-protocols-ciphers.html",
    equivalents=Equivalents(cdk_nag=("AwsSolutions-CFR4",), checkov=("CKV_AWS_174",)),
)


def _rank(policy: str) -> int:
    return TLS_POLICY_ORDER.index(policy) if policy in TLS_POLICY_ORDER else -1


def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
    props = args.props
    if require_known(props, f"{_CERT}.cloudfrontDefaultCertificate", False) is True:
        report("viewerCertificate uses the default *.cloudfront.net certificate, which forces TLSv1.", None)
        return

    def certificate() -> None:
        # Presence is enough: the ARN is usually computed from a certificate in the same stack.
        if not is_present(props, f"{_CERT}.acmCertificateArn"):
            iam = is_present(props, f"{_CERT}.iamCertificateId")
            source = "an IAM certificate" if iam else "no certificate"
            report(f"viewerCertificate has {source}; use an ACM certificate (acmCertificateArn).", None)

    def support_method() -> None:
        method = require_known(props, f"{_CERT}.sslSupportMethod")
        if method != "sni-only":
            report(f"sslSupportMethod is {method!r}; use 'sni-only' (dedicated IPs allow legacy TLS).", None)

    def protocol() -> None:
        floor = current_settings().minimum_tls_version
        version = require_known(props, f"{_CERT}.minimumProtocolVersion", "TLSv1")
        if _rank(version) < _rank(floor):
            report(f"minimumProtocolVersion is {version!r}; the stack requires {floor!r} or newer.", None)

    check_all(certificate, support_method, protocol)


# --- SEC-CLOUDFRONT-HARDENING: viewer protocol, origins, headers policy (one distribution at a time) ---

HARDENING = RuleMeta(
    name="cloudfront-hardening",
    description=(
        "Every cache behavior redirects HTTP to HTTPS, S3 origins are reached through origin access "
        "control (not a public bucket or legacy OAI), custom origins use https-only with TLSv1.2, and the "
        "default behavior attaches a response headers policy."
    ),
    severity="high",
    catalogue_level="all",
    catalogue_ids=("SEC-CLOUDFRONT-HARDENING",),
    resource_types=DISTRIBUTIONS,
    remediation=(
        "Set viewerProtocolPolicy='redirect-to-https' on defaultCacheBehavior and every ordered cache "
        "behavior; give S3 origins origin_access_control_id=aws.cloudfront.OriginAccessControl(...).id "
        "(drop s3_origin_config); give custom origins custom_origin_config with origin_protocol_policy="
        "'https-only' and origin_ssl_protocols=['TLSv1.2']; set default_cache_behavior."
        "response_headers_policy_id to a ResponseHeadersPolicy with HSTS."
    ),
    url=f"{DOCS}private-content-restricting-access-to-s3.html",
    equivalents=Equivalents(
        cdk_nag=("AwsSolutions-CFR5", "AwsSolutions-CFR7"), checkov=("CKV_AWS_34", "CKV2_AWS_32")
    ),
)
_SECURE_VIEWER = ("redirect-to-https", "https-only")
_S3_WEBSITE = re.compile(r"\.s3-website[.-][a-z0-9.-]*amazonaws\.com(\.cn)?$", re.I)
_S3_REST = re.compile(r"\.s3([.-][a-z0-9-]+)*\.amazonaws\.com(\.cn)?$", re.I)


def behaviour_paths(props: object, token: str) -> list[str]:
    """``defaultCacheBehavior`` plus every ordered behavior (raises when the list is unknown)."""
    key = "cacheBehaviors" if token == MULTITENANT else "orderedCacheBehaviors"
    return ["defaultCacheBehavior", *(f"{key}[{i}]" for i in range(len(require_known(props, key, []))))]


def _viewer_protocol(props: object, path: str, report: ReportViolation) -> None:
    policy = require_known(props, f"{path}.viewerProtocolPolicy")
    if policy not in _SECURE_VIEWER:
        report(f"{path}.viewerProtocolPolicy is {policy!r}; use 'redirect-to-https' or 'https-only'.", None)


def _origin(props: object, token: str, index: int, report: ReportViolation) -> None:
    path = f"origins[{index}]"
    name = known(props, f"{path}.originId") or known(props, f"{path}.id") or path
    domain = known(props, f"{path}.domainName") or ""
    custom = f"{path}.customOriginConfigs[0]" if token == MULTITENANT else f"{path}.customOriginConfig"
    has_custom = is_present(props, custom)
    if _S3_WEBSITE.search(domain):
        report(
            f"{path} ({name}) is an S3 website endpoint, which serves HTTP only and cannot use origin "
            "access control; use the bucket's REST endpoint with originAccessControlId.",
            None,
        )
    elif (
        _S3_REST.search(domain)
        or is_present(props, f"{path}.s3OriginConfig")
        or not (has_custom or is_present(props, f"{path}.vpcOriginConfig"))
    ):
        if not is_present(props, f"{path}.originAccessControlId"):
            legacy = is_present(props, f"{path}.s3OriginConfig.originAccessIdentity")
            how = "uses a legacy origin access identity" if legacy else "has no origin access control"
            report(
                f"{path} ({name}) {how}; set originAccessControlId (OAC) and keep the bucket private.", None
            )
    if not has_custom:
        return

    def protocol() -> None:
        policy = require_known(props, f"{custom}.originProtocolPolicy")
        if policy != "https-only":
            report(f"{custom}.originProtocolPolicy is {policy!r}; use 'https-only'.", None)

    def ssl() -> None:
        protocols = [str(p) for p in require_known(props, f"{custom}.originSslProtocols", [])]
        if set(protocols) != {"TLSv1.2"}:
            report(f"{custom}.originSslProtocols is {protocols}; allow only ['TLSv1.2'].", None)

    check_all(protocol, ssl)


def validate_hardening(args: ResourceValidationArgs, report: ReportViolation) -> None:
    props, token = args.props, args.resource_type

    def viewer() -> None:
        check_all(*(partial(_viewer_protocol, props, p, report) for p in behaviour_paths(props, token)))

    def origins() -> None:
        count = len(require_known(props, "origins", []))
        check_all(*(partial(_origin, props, token, i, report) for i in range(count)))

    def headers() -> None:
        if not is_present(props, "defaultCacheBehavior.responseHeadersPolicyId"):
            report(
                "defaultCacheBehavior.responseHeadersPolicyId is not set; attach a response headers "
                "policy with HSTS (and a Content-Security-Policy).",
                None,
            )

    check_all(viewer, origins, headers)


POLICIES = [
    resource_policy(META, validate),
    resource_policy(HARDENING, validate_hardening),
]
