"""log-group-retention through Analyze, with the stack's floor and dev stacks."""

from __future__ import annotations

import pytest

from .conftest import PackFactory
from .harness import UNKNOWN, secret

LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
POLICY = "log-group-retention"
BASELINE = {"name": "/chatbot/api", "retentionInDays": 90}


def test_compliant_baseline(pack: PackFactory) -> None:
    assert pack().analyze(LOG_GROUP, BASELINE).diagnostics == []


@pytest.mark.parametrize("stack", ["prod", "dev"])
@pytest.mark.parametrize("retention", [None, 0])
def test_never_expire_is_mandatory_everywhere(pack: PackFactory, stack: str, retention: int | None) -> None:
    props = {"name": "/x"} if retention is None else {"name": "/x", "retentionInDays": retention}
    (violation,) = pack(stack).analyze(LOG_GROUP, props).violations(POLICY)
    assert violation.level == "mandatory"
    assert "never expire" in violation.message


def test_below_the_floor_fails_outside_dev(pack: PackFactory) -> None:
    (violation,) = pack("prod").analyze(LOG_GROUP, {**BASELINE, "retentionInDays": 7}).violations(POLICY)
    assert "retentionInDays is 7, below the stack floor of 30 days" in violation.message


def test_below_the_floor_is_fine_on_dev(pack: PackFactory) -> None:
    assert pack("dev").analyze(LOG_GROUP, {**BASELINE, "retentionInDays": 7}).diagnostics == []


def test_floor_comes_from_stack_profile_config(pack: PackFactory) -> None:
    harness = pack("prod", config={"stack-profile": {"logRetentionFloorDays": 365}})
    assert len(harness.analyze(LOG_GROUP, BASELINE).violations(POLICY)) == 1
    assert harness.analyze(LOG_GROUP, {**BASELINE, "retentionInDays": 400}).diagnostics == []


def test_dev_stacks_come_from_config(pack: PackFactory) -> None:
    harness = pack("sandbox", config={"stack-profile": {"devStacks": ["sandbox"]}})
    assert harness.analyze(LOG_GROUP, {**BASELINE, "retentionInDays": 7}).diagnostics == []
    harness = pack("dev", config={"stack-profile": {"devStacks": []}})
    assert len(harness.analyze(LOG_GROUP, {**BASELINE, "retentionInDays": 7}).violations(POLICY)) == 1


def test_unknown_retention_is_not_evaluated_at_preview(pack: PackFactory) -> None:
    result = pack().analyze(LOG_GROUP, {**BASELINE, "retentionInDays": UNKNOWN})
    assert result.violations() == []
    (note,) = result.cant_run(POLICY)
    assert note.level == "advisory"


def test_suppression_with_reason_skips_the_resource(pack: PackFactory) -> None:
    config = {
        "stack-profile": {
            "suppressions": [
                {"policy": POLICY, "urn": "*::aws:cloudwatch/logGroup:LogGroup::legacy-*",
                 "reason": "Imported legacy group, retention managed by the audit account."}
            ]
        }
    }
    harness = pack(config=config)
    result = harness.analyze(LOG_GROUP, {"name": "/legacy"}, name="legacy-audit")
    assert result.violations() == []
    reason = "Imported legacy group, retention managed by the audit account."
    assert result.reasons(POLICY) == [f"suppressed: {reason}"]
    # The glob does not match other resources.
    assert len(harness.analyze(LOG_GROUP, {"name": "/api"}, name="api").violations(POLICY)) == 1


def test_suppression_without_reason_does_not_apply(pack: PackFactory) -> None:
    config = {"stack-profile": {"suppressions": [{"policy": POLICY, "urn": "*", "reason": " tbd "}]}}
    result = pack(config=config).analyze(LOG_GROUP, {"name": "/legacy"})
    assert len(result.violations(POLICY)) == 1
    assert result.reasons(POLICY) == []


# --- Remediation: a never-expiring group gets the stack's floor, rounded up to what CloudWatch accepts ---


@pytest.mark.parametrize(
    ("floor", "expected"), [(30, 30), (1, 1), (31, 60), (200, 365), (366, 400), (4000, 3653)]
)
def test_remediation_sets_the_floor_rounded_up_to_an_allowed_value(
    pack: PackFactory, floor: int, expected: int
) -> None:
    harness = pack(config={POLICY: "remediate", "stack-profile": {"logRetentionFloorDays": floor}})
    (remediation,), not_applicable = harness.remediate(LOG_GROUP, {"name": "/x", "tags": {"k": secret("v")}})
    assert not_applicable == []
    assert remediation.policy == POLICY
    assert remediation.props is not None
    assert remediation.props["retentionInDays"] == expected
    assert remediation.props["name"] == "/x"
    assert remediation.props["tags"]["k"]["value"] == "v"  # still a secret envelope


def test_remediation_replaces_zero_and_keeps_a_chosen_retention(pack: PackFactory) -> None:
    harness = pack(config={POLICY: "remediate"})
    (remediation,), _ = harness.remediate(LOG_GROUP, {**BASELINE, "retentionInDays": 0})
    assert remediation.props is not None and remediation.props["retentionInDays"] == 30
    # Set but below the floor: the owner picked it, so it is reported, not rewritten.
    assert harness.remediate(LOG_GROUP, {**BASELINE, "retentionInDays": 7}) == ([], [])
    assert harness.remediate(LOG_GROUP, BASELINE) == ([], [])


def test_remediation_waits_for_an_unknown_retention(pack: PackFactory) -> None:
    harness = pack(config={POLICY: "remediate"})
    (remediation,), _ = harness.remediate(LOG_GROUP, {**BASELINE, "retentionInDays": UNKNOWN})
    assert remediation.props is None
    assert remediation.diagnostic.startswith(f"can't run remediation '{POLICY}'")


def test_remediation_does_not_run_at_the_default_level(pack: PackFactory) -> None:
    assert pack().remediate(LOG_GROUP, {"name": "/x"}) == ([], [])
