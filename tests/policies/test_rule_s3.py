"""s3-public-access-block: a stack policy over both bucket tokens and the block resource."""

from __future__ import annotations

from typing import Any

import pytest
from chatbot_guard.suppressions import parse_suppressions

from .conftest import PackFactory
from .harness import UNKNOWN, Diagnostic, PackHarness, Resource, Result

POLICY = "s3-public-access-block"
BUCKET = "aws:s3/bucket:Bucket"
BUCKET_V2 = "aws:s3/bucketV2:BucketV2"
BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
FLAG_NAMES = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
FLAGS = dict.fromkeys(FLAG_NAMES, True)


def own(result: Result) -> list[Diagnostic]:
    """This rule's diagnostics: the other S3 baseline rules also look at these bare buckets."""
    return [d for d in result.diagnostics if d.policy == POLICY]


def bucket(name: str = "docs", type_: str = BUCKET) -> Resource:
    return Resource(type_, name, {"bucket": f"{name}-1a2b3c", "id": f"{name}-1a2b3c"})


def block(harness: PackHarness, target: Resource, linked: bool = True, **changes: Any) -> Resource:
    """A block for ``target``: linked through propertyDependencies, or by its known bucket name."""
    props = {k: v for k, v in {**FLAGS, "bucket": target.props["bucket"], **changes}.items() if v is not None}
    deps = {"bucket": [harness.urn(target.type, target.name)]} if linked else {}
    return Resource(BLOCK, f"{target.name}-pab", props, property_dependencies=deps)


@pytest.mark.parametrize("type_", [BUCKET, BUCKET_V2])
@pytest.mark.parametrize("linked", [True, False])
def test_compliant_baseline(pack: PackFactory, type_: str, linked: bool) -> None:
    harness = pack()
    docs = bucket(type_=type_)
    assert own(harness.analyze_stack([docs, block(harness, docs, linked=linked)])) == []


@pytest.mark.parametrize("type_", [BUCKET, BUCKET_V2])
def test_bucket_without_block(pack: PackFactory, type_: str) -> None:
    harness = pack()
    docs = bucket(type_=type_)
    (violation,) = harness.analyze_stack([docs]).violations(POLICY)
    assert violation.urn == harness.urn(type_, "docs")
    assert violation.level == "mandatory"
    assert "no aws.s3.BucketPublicAccessBlock refers to it" in violation.message


@pytest.mark.parametrize("flag", sorted(FLAGS))
@pytest.mark.parametrize("value", [False, None])
def test_each_flag_off_or_unset(pack: PackFactory, flag: str, value: bool | None) -> None:
    harness = pack()
    docs = bucket()
    (violation,) = harness.analyze_stack([docs, block(harness, docs, **{flag: value})]).violations(POLICY)
    assert f"docs-pab leaves {flag} off" in violation.message


def test_block_for_another_bucket_does_not_count(pack: PackFactory) -> None:
    harness = pack()
    docs, logs = bucket("docs"), bucket("logs")
    result = harness.analyze_stack([docs, logs, block(harness, logs, linked=False)])
    assert [v.urn for v in result.violations(POLICY)] == [harness.urn(BUCKET, "docs")]


def test_unknown_bucket_name_linked_by_dependency_is_enough(pack: PackFactory) -> None:
    harness = pack()
    docs = Resource(BUCKET, "docs", {"bucket": UNKNOWN, "id": UNKNOWN})
    pab = block(harness, docs, bucket=UNKNOWN)
    assert own(harness.analyze_stack([docs, pab])) == []


def test_unlinked_unknown_block_defers_and_known_failures_still_count(pack: PackFactory) -> None:
    harness = pack()
    docs, logs = bucket("docs"), bucket("logs")
    mystery = Resource(BLOCK, "mystery-pab", {**FLAGS, "bucket": UNKNOWN})
    bad = block(harness, logs, blockPublicPolicy=False)
    result = harness.analyze_stack([docs, logs, mystery, bad])
    (violation,) = result.violations(POLICY)
    assert violation.urn == harness.urn(BUCKET, "logs")
    (note,) = result.cant_run(POLICY)
    assert "mystery-pab.bucket" in note.message


def test_unknown_flag_defers(pack: PackFactory) -> None:
    harness = pack()
    docs = bucket()
    result = harness.analyze_stack([docs, block(harness, docs, restrictPublicBuckets=UNKNOWN)])
    assert result.violations(POLICY) == []
    assert len(result.cant_run(POLICY)) == 1


def test_suppressed_bucket_is_listed_with_its_reason(pack: PackFactory) -> None:
    reason = "Public website bucket served through CloudFront OAC review 2024-11."
    config = {"stack-profile": {"suppressions": [{"policy": POLICY, "urn": "*::site", "reason": reason}]}}
    harness = pack(config=config)
    site, docs = bucket("site"), bucket("docs")
    result = harness.analyze_stack([site, docs])
    assert [v.urn for v in result.violations(POLICY)] == [harness.urn(BUCKET, "docs")]
    (record,) = result.reasons(POLICY)
    assert parse_suppressions(record) == [(harness.urn(BUCKET, "site"), reason)]


def test_other_resources_are_ignored(pack: PackFactory) -> None:
    resources = [Resource("aws:sqs/queue:Queue", "q", {"name": "q"})]
    assert own(pack().analyze_stack(resources)) == []


# --- s3-public-access-block-settings: the block resource itself, which can remediate ---

SETTINGS = "s3-public-access-block-settings"


def test_block_settings_remediation_turns_every_flag_on(pack: PackFactory) -> None:
    harness = pack(config={SETTINGS: "remediate"})
    props = {"bucket": "docs-1a2b3c", "blockPublicAcls": True, "ignorePublicAcls": False, "skipDestroy": True}
    (remediation,), not_applicable = harness.remediate(BLOCK, props)
    assert not_applicable == []
    assert remediation.policy == SETTINGS
    assert remediation.props == {"bucket": "docs-1a2b3c", "skipDestroy": True, **FLAGS}
    # At remediate level a remaining violation is still reported as mandatory.
    (violation,) = harness.analyze(BLOCK, props).violations(SETTINGS)
    assert violation.level == "mandatory"
    assert "blockPublicPolicy, ignorePublicAcls, restrictPublicBuckets not true" in violation.message


def test_block_settings_remediation_overrides_flags_unknown_at_preview(pack: PackFactory) -> None:
    harness = pack(config={SETTINGS: "remediate"})
    props = {"bucket": "docs-1a2b3c", **FLAGS, "blockPublicAcls": UNKNOWN}
    (remediation,), _ = harness.remediate(BLOCK, props)
    assert remediation.props == {"bucket": "docs-1a2b3c", **FLAGS}


def test_block_settings_remediation_leaves_a_compliant_block_alone(pack: PackFactory) -> None:
    harness = pack(config={SETTINGS: "remediate"})
    assert harness.remediate(BLOCK, {"bucket": "docs-1a2b3c", **FLAGS}) == ([], [])


def test_block_settings_remediation_does_not_run_at_the_default_level(pack: PackFactory) -> None:
    assert pack().remediate(BLOCK, {"bucket": "docs-1a2b3c"}) == ([], [])
