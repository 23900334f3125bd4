"""KMS: automatic rotation of symmetric customer managed keys (SEC-KMS-ROTATION)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import ReportViolation, ResourceValidationArgs

from ..metadata import Equivalents, RuleMeta, resource_policy
from ..props import require_known, unwrap

KEY = "aws:kms/key:Key"
SYMMETRIC = "SYMMETRIC_DEFAULT"

META = RuleMeta(
    name="kms-key-rotation",
    description="Symmetric customer managed KMS keys rotate their key material automatically.",
    severity="medium",
    catalogue_level="all",
    catalogue_ids=("SEC-KMS-ROTATION",),
    resource_types=(KEY,),
    remediation="Set enableKeyRotation: true on the aws.kms.Key (optionally rotationPeriodInDays).",
    url="https://docs.aws.amazon.com/kms/latest/developerguide/rotate-keys.html",
    equivalents=Equivalents(cdk_nag=("AwsSolutions-KMS5",), checkov=("CKV_AWS_7",)),
)


def _require_rotatable(args: ResourceValidationArgs) -> None:
    """Only symmetric keys in KMS's own key store support automatic rotation."""
    spec = require_known(args.props, "customerMasterKeySpec", SYMMETRIC)
    if spec != SYMMETRIC:
        args.not_applicable(f"{spec} keys do not support automatic rotation")
    if require_known(args.props, "customKeyStoreId"):
        args.not_applicable("keys in a custom key store do not support automatic rotation")


def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
    _require_rotatable(args)
    if require_known(args.props, "enableKeyRotation", False) is not True:
        report("enableKeyRotation is not true, so this key's material never rotates.", None)


def remediate(args: ResourceValidationArgs) -> Mapping[str, Any] | None:
    _require_rotatable(args)
    if require_known(args.props, "enableKeyRotation", False) is True:
        return None
    # The raw values keep their Secret wrappers, so secrets stay secret in the response.
    updated = dict(unwrap(args.props))
    updated["enableKeyRotation"] = True
    return updated


POLICIES = [resource_policy(META, validate, remediate=remediate)]
