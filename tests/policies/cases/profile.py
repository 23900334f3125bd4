"""Fixtures for profile.py (the stack-profile policy: pack-wide settings and suppressions)."""

from . import Baseline, Resource

KEY = "aws:kms/key:Key"
BASE = Baseline((Resource(KEY, "data-key", {"enableKeyRotation": False}),))
WITH_REASON = {
    "policy": "kms-key-rotation",
    "urn": "*::data-key",
    "reason": "imported key, rotated by the HSM team",
}


def suppressing(*entries: dict) -> dict:
    return {"stack-profile": {"suppressions": list(entries)}}


CASES = [
    BASE.case("stack-profile", "no suppressions"),
    BASE.case("stack-profile", "a suppression with a written reason", config=suppressing(WITH_REASON)),
    BASE.case(
        "kms-key-rotation",
        "a suppressed violation is listed, not reported",
        config=suppressing(WITH_REASON),
        expect="suppressed",
    ),
    BASE.case("stack-profile", "a suppression without a reason is itself a violation", expect="violation",
              config=suppressing({"policy": "kms-key-rotation", "urn": "*::data-key"}), level="mandatory"),
    BASE.case("stack-profile", "a reason too short to explain anything", expect="violation",
              config=suppressing({**WITH_REASON, "reason": "legacy"})),
    BASE.case("stack-profile", "a suppression of a policy that does not exist", expect="violation",
              config=suppressing({**WITH_REASON, "policy": "kms-rotation-typo"})),
    BASE.case("kms-key-rotation", "a reasonless suppression does not suppress",
              config=suppressing({"policy": "kms-key-rotation", "urn": "*::data-key"}), expect="violation"),
]
