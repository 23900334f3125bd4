"""RuleMeta validation, the registry, and what the engine sees of each rule."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from chatbot_guard import ALL_RULES, all_policies
from chatbot_guard.metadata import RuleMeta, meta_of, resource_policy
from chatbot_guard.suppressions import (
    format_resource_suppression,
    format_stack_suppressions,
    parse_suppressions,
)
from hypothesis import given
from hypothesis import strategies as st

from .conftest import PackFactory

VALID = RuleMeta(
    name="example-rule",
    description="Example.",
    severity="low",
    catalogue_level="advisory",
    catalogue_ids=("SEC-EXAMPLE",),
    resource_types=("aws:s3/bucket:Bucket",),
    remediation="Fix it.",
    url="https://docs.aws.amazon.com/",
)


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"name": "Example_Rule"}, "kebab-case"),
        ({"name": "all"}, None),
        ({"severity": "urgent"}, "severity"),
        ({"catalogue_level": "prod"}, "catalogue_level"),
        ({"catalogue_ids": ("KMS5",)}, "catalogue id"),
        ({"resource_types": ("aws.s3.Bucket",)}, "resource type"),
        ({"url": "http://example.com"}, "https"),
        ({"description": " "}, "description"),
        ({"remediation": ""}, "remediation"),
    ],
)
def test_rule_meta_rejects_bad_values(change: dict[str, Any], fragment: str | None) -> None:
    if fragment is None:
        # "all" is kebab-case but reserved by the SDK, which refuses it when the policy is built.
        with pytest.raises(TypeError, match="reserved"):
            resource_policy(replace(VALID, **change), lambda args, report: None)
        return
    with pytest.raises(ValueError, match=fragment):
        replace(VALID, **change)


def test_resource_policy_needs_resource_types() -> None:
    with pytest.raises(ValueError, match="no resource types"):
        resource_policy(replace(VALID, resource_types=()), lambda args, report: None)


def test_registry_covers_every_policy() -> None:
    policies = all_policies()
    assert [p.name for p in policies] == list(ALL_RULES)
    assert all(meta_of(p) is ALL_RULES[p.name] for p in policies)
    assert policies[0].name == "stack-profile"


@pytest.mark.parametrize("name", [n for n in ALL_RULES if n != "stack-profile"])
def test_every_rule_is_fully_described(name: str) -> None:
    meta = ALL_RULES[name]
    assert meta.catalogue_ids and meta.resource_types
    # Equivalents are checked against the catalogue in test_catalogue.py (some IDs have none).
    assert meta.url.startswith("https://docs.aws.amazon.com/")


def test_analyzer_info_carries_the_metadata(pack: PackFactory) -> None:
    infos = {p.name: p for p in pack().info.policies}
    kms = infos["kms-key-rotation"]
    assert list(kms.tags) == ["SEC-KMS-ROTATION"]
    assert kms.framework.specification == "SEC-KMS-ROTATION"
    assert "Equivalent rules: AwsSolutions-KMS5, CKV_AWS_7." in kms.remediation_steps
    assert kms.url == ALL_RULES["kms-key-rotation"].url
    assert infos["s3-public-access-block"].policy_type == 2  # POLICY_TYPE_STACK
    # The catalogue's level: "all" and "non-dev" are MANDATORY (1), "advisory" is ADVISORY (0).
    expected = {name: 0 if meta.catalogue_level == "advisory" else 1 for name, meta in ALL_RULES.items()}
    assert {name: p.enforcementLevel for name, p in infos.items() if name in ALL_RULES} == expected


reasons = st.text(min_size=1, max_size=30).map(lambda s: " ".join(s.split())).filter(bool)
urns = st.from_regex(r"urn:pulumi:[a-z]+::chatbot::aws:s3/bucket:Bucket::[a-z0-9 -]{1,10}", fullmatch=True)


@given(st.lists(st.tuples(urns, reasons), min_size=1, max_size=4))
def test_suppression_records_round_trip(records: list[tuple[str, str]]) -> None:
    assert parse_suppressions(format_stack_suppressions(records)) == records
    urn, reason = records[0]
    assert parse_suppressions(format_resource_suppression(reason), urn) == [(urn, reason)]
    assert parse_suppressions("Policy does not implement validate") == []
