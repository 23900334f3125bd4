"""Fixtures for rules/kms.py."""

from ..harness import UNKNOWN
from . import DELETE, Baseline, Resource

KEY = "aws:kms/key:Key"
BASE = Baseline((Resource(KEY, "data-key", {"enableKeyRotation": True, "description": "data"}),))
DEV = Baseline(BASE.resources, stack="dev")

CASES = [
    BASE.case("kms-key-rotation"),
    BASE.mutate(
        "kms-key-rotation",
        "rotation off",
        "data-key",
        "enableKeyRotation",
        False,
        level="mandatory",
        message="never rotates",
    ),
    BASE.mutate("kms-key-rotation", "rotation unset", "data-key", "enableKeyRotation", DELETE),
    BASE.mutate(
        "kms-key-rotation",
        "rotation unknown at preview",
        "data-key",
        "enableKeyRotation",
        UNKNOWN,
        expect="not-evaluated",
    ),
    BASE.mutate(
        "kms-key-rotation",
        "asymmetric keys cannot rotate",
        "data-key",
        "customerMasterKeySpec",
        "RSA_2048",
        expect="pass",
    ),
    DEV.mutate(
        "kms-key-rotation",
        "rotation off on dev is still mandatory",
        "data-key",
        "enableKeyRotation",
        False,
        level="mandatory",
    ),
]
