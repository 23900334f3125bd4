"""CloudFront: viewers connect with a custom certificate and modern TLS (SEC-CLOUDFRONT-TLS)."""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs

from ..metadata import Equivalents, RuleMeta, resource_policy
from ..props import check_all, is_present, require_known
from ..settings import TLS_POLICY_ORDER, current_settings

DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
_CERT = "viewerCertificate"

META = RuleMeta(
    name="cloudfront-viewer-tls",
    description=(
        "CloudFront distributions use an ACM certificate with sni-only and a minimum viewer "
        "security policy no weaker than the stack's."
    ),
    severity="high",
    catalogue_level="non-dev",
    catalogue_ids=("SEC-CLOUDFRONT-TLS",),
    resource_types=(DISTRIBUTION,),
    remediation=(
        "Set viewerCertificate to {acmCertificateArn: <ACM cert in us-east-1>, sslSupportMethod: "
        "'sni-only', minimumProtocolVersion: 'TLSv1.2_2021' or newer} and give the distribution aliases."
    ),
    url=(
        "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/"
        "secure-connections-supported-viewer-protocols-ciphers.html"
    ),
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


POLICIES = [resource_policy(META, validate)]
