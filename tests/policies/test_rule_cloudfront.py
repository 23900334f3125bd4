"""cloudfront-viewer-tls: a 'non-dev' rule, presence-only ARN, configurable TLS floor."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import PackFactory
from .harness import UNKNOWN, Diagnostic, Result

DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
POLICY = "cloudfront-viewer-tls"
CERT = {
    "acmCertificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/abc",
    "sslSupportMethod": "sni-only",
    "minimumProtocolVersion": "TLSv1.2_2021",
}


def own(result: Result) -> list[Diagnostic]:
    """This rule's diagnostics: the other CloudFront rules also look at these minimal distributions."""
    return [d for d in result.diagnostics if d.policy == POLICY]


def distribution(**cert: Any) -> dict[str, Any]:
    merged = {k: v for k, v in {**CERT, **cert}.items() if v is not None}
    return {"enabled": True, "aliases": ["chat.example.com"], "viewerCertificate": merged}


def test_compliant_baseline(pack: PackFactory) -> None:
    assert own(pack().analyze(DISTRIBUTION, distribution())) == []


def test_default_certificate_fails_whatever_the_protocol(pack: PackFactory) -> None:
    cert = {"cloudfrontDefaultCertificate": True, "minimumProtocolVersion": "TLSv1.2_2021"}
    props = {"viewerCertificate": cert}
    (violation,) = pack().analyze(DISTRIBUTION, props).violations(POLICY)
    assert "forces TLSv1" in violation.message
    assert violation.level == "mandatory"


@pytest.mark.parametrize(
    ("mutation", "fragment"),
    [
        ({"acmCertificateArn": None}, "has no certificate"),
        ({"acmCertificateArn": None, "iamCertificateId": "ASCA123"}, "has an IAM certificate"),
        ({"sslSupportMethod": "vip"}, "sslSupportMethod is 'vip'"),
        ({"sslSupportMethod": None}, "sslSupportMethod is None"),
        ({"minimumProtocolVersion": "TLSv1.2_2019"}, "minimumProtocolVersion is 'TLSv1.2_2019'"),
        ({"minimumProtocolVersion": None}, "minimumProtocolVersion is 'TLSv1'"),
        ({"minimumProtocolVersion": "TLSv9_2099"}, "minimumProtocolVersion is 'TLSv9_2099'"),
    ],
)
def test_each_failure_mode(pack: PackFactory, mutation: dict[str, Any], fragment: str) -> None:
    (violation,) = pack().analyze(DISTRIBUTION, distribution(**mutation)).violations(POLICY)
    assert fragment in violation.message


def test_missing_viewer_certificate_reports_everything(pack: PackFactory) -> None:
    assert len(pack().analyze(DISTRIBUTION, {"enabled": True}).violations(POLICY)) == 3


def test_unknown_certificate_arn_is_enough_at_preview(pack: PackFactory) -> None:
    result = pack().analyze(DISTRIBUTION, distribution(acmCertificateArn=UNKNOWN))
    assert own(result) == []


def test_unknown_protocol_defers_but_known_violations_still_count(pack: PackFactory) -> None:
    props = distribution(acmCertificateArn=None, minimumProtocolVersion=UNKNOWN)
    result = pack().analyze(DISTRIBUTION, props)
    (violation,) = result.violations(POLICY)
    assert "has no certificate" in violation.message
    (note,) = result.cant_run(POLICY)
    assert "viewerCertificate.minimumProtocolVersion" in note.message


def test_floor_follows_stack_profile(pack: PackFactory) -> None:
    harness = pack(config={"stack-profile": {"minimumTlsVersion": "TLSv1.3_2025"}})
    assert len(harness.analyze(DISTRIBUTION, distribution()).violations(POLICY)) == 1
    newest = distribution(minimumProtocolVersion="TLSv1.3_2025")
    assert own(harness.analyze(DISTRIBUTION, newest)) == []
    relaxed = pack(config={"stack-profile": {"minimumTlsVersion": "TLSv1.2_2019"}})
    older = distribution(minimumProtocolVersion="TLSv1.2_2019")
    assert own(relaxed.analyze(DISTRIBUTION, older)) == []


def test_advisory_on_dev_stacks(pack: PackFactory) -> None:
    (violation,) = pack("dev").analyze(DISTRIBUTION, distribution(sslSupportMethod="vip")).violations(POLICY)
    assert violation.level == "advisory"


def test_disabled_by_config(pack: PackFactory) -> None:
    harness = pack(config={POLICY: "disabled"})
    assert own(harness.analyze(DISTRIBUTION, distribution(sslSupportMethod="vip"))) == []
