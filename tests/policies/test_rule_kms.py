"""kms-key-rotation through Analyze and Remediate."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import PackFactory
from .harness import UNKNOWN, secret

KEY = "aws:kms/key:Key"
POLICY = "kms-key-rotation"
BASELINE: dict[str, Any] = {"description": "data key", "enableKeyRotation": True, "deletionWindowInDays": 30}


def test_compliant_baseline(pack: PackFactory) -> None:
    result = pack().analyze(KEY, BASELINE)
    assert result.violations(POLICY) == [] and result.cant_run(POLICY) == []


@pytest.mark.parametrize("mutation", [{"enableKeyRotation": False}, {"enableKeyRotation": None}])
def test_rotation_off_or_missing_is_mandatory(pack: PackFactory, mutation: dict[str, Any]) -> None:
    props = {k: v for k, v in {**BASELINE, **mutation}.items() if v is not None}
    (violation,) = pack().analyze(KEY, props).violations(POLICY)
    assert violation.level == "mandatory"
    assert violation.severity == "POLICY_SEVERITY_MEDIUM"
    assert "never rotates" in violation.message


def test_mandatory_on_dev_stacks_too(pack: PackFactory) -> None:
    (violation,) = pack("dev").analyze(KEY, {**BASELINE, "enableKeyRotation": False}).violations(POLICY)
    assert violation.level == "mandatory"


@pytest.mark.parametrize("spec", ["RSA_2048", "HMAC_256", "ECC_NIST_P256"])
def test_keys_that_cannot_rotate_are_not_applicable(pack: PackFactory, spec: str) -> None:
    result = pack().analyze(KEY, {**BASELINE, "enableKeyRotation": False, "customerMasterKeySpec": spec})
    assert result.violations(POLICY) == []
    assert result.reasons(POLICY) == [f"{spec} keys do not support automatic rotation"]


def test_custom_key_store_keys_are_not_applicable(pack: PackFactory) -> None:
    result = pack().analyze(KEY, {"enableKeyRotation": False, "customKeyStoreId": "cks-1234"})
    assert result.violations(POLICY) == []
    assert result.reasons(POLICY) == ["keys in a custom key store do not support automatic rotation"]


def test_explicit_symmetric_spec_is_checked(pack: PackFactory) -> None:
    result = pack().analyze(KEY, {"customerMasterKeySpec": "SYMMETRIC_DEFAULT", "enableKeyRotation": False})
    assert len(result.violations(POLICY)) == 1


@pytest.mark.parametrize("path", ["enableKeyRotation", "customerMasterKeySpec"])
def test_unknown_value_is_not_evaluated_at_preview(pack: PackFactory, path: str) -> None:
    result = pack().analyze(KEY, {**BASELINE, path: UNKNOWN})
    assert result.violations(POLICY) == []
    (note,) = result.cant_run(POLICY)
    assert note.level == "advisory"
    assert f".{path} can't be known during preview" in note.message


def test_other_resource_types_are_ignored(pack: PackFactory) -> None:
    assert pack().analyze("aws:kms/alias:Alias", {"name": "alias/x"}).diagnostics == []


def test_remediation_turns_rotation_on_and_keeps_secrets(pack: PackFactory) -> None:
    harness = pack(config={POLICY: "remediate"})
    props = {"description": "k", "enableKeyRotation": False, "tags": {"owner": secret("team-a")}}
    (remediation,), not_applicable = harness.remediate(KEY, props)
    assert not_applicable == []
    assert remediation.policy == POLICY
    assert remediation.props is not None
    assert remediation.props["enableKeyRotation"] is True
    assert remediation.props["description"] == "k"
    assert remediation.props["tags"]["owner"]["value"] == "team-a"  # still a secret envelope
    assert remediation.props["tags"]["owner"]["4dabf18193072939515e22adb298388d"] == (
        "1b47061264138c4ac30d75fd1eb44270"
    )
    # At remediate level a remaining violation is still reported as mandatory.
    (violation,) = harness.analyze(KEY, props).violations(POLICY)
    assert violation.level == "mandatory"


def test_remediation_leaves_compliant_and_asymmetric_keys_alone(pack: PackFactory) -> None:
    harness = pack(config={POLICY: "remediate"})
    assert harness.remediate(KEY, BASELINE) == ([], [])
    remediations, not_applicable = harness.remediate(KEY, {"customerMasterKeySpec": "RSA_4096"})
    assert remediations == []
    assert not_applicable == [(POLICY, "RSA_4096 keys do not support automatic rotation")]


def test_remediation_waits_when_the_key_spec_is_unknown(pack: PackFactory) -> None:
    harness = pack(config={POLICY: "remediate"})
    (remediation,), _ = harness.remediate(KEY, {"customerMasterKeySpec": UNKNOWN})
    assert remediation.props is None
    assert remediation.diagnostic.startswith("can't run remediation 'kms-key-rotation'")


def test_remediation_does_not_run_at_the_default_level(pack: PackFactory) -> None:
    assert pack().remediate(KEY, {"enableKeyRotation": False}) == ([], [])
