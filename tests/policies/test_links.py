"""links.py: how stack policies tell which resource another one refers to."""

from __future__ import annotations

from typing import Any

import pytest
from chatbot_guard.links import (
    Links,
    dependencies_of_type,
    dependency_urns,
    depends_on,
    identifiers,
    linked,
    refers_to,
    targets_of,
    values_at,
    walk,
)
from chatbot_guard.props import Known, Missing, Unknown
from pulumi_policy import PolicyResource
from pulumi_policy.proxy import UnknownValueError

from .harness import UNKNOWN, urn_for

BUCKET = "aws:s3/bucket:Bucket"
POLICY = "aws:s3/bucketPolicy:BucketPolicy"
RANDOM = "random:index/randomId:RandomId"


def res(
    type_: str, name: str, props: dict[str, Any] | None = None, **deps: list[PolicyResource]
) -> PolicyResource:
    """A stack-policy resource; ``deps`` are its property dependencies."""
    urn = urn_for(type_, name, "prod")
    flat = [d for targets in deps.values() for d in targets]
    return PolicyResource(type_, props or {}, urn, name, None, None, None, flat, dict(deps))  # type: ignore[arg-type]


DOCS = res(BUCKET, "docs", {"bucket": "docs-1a2b", "id": "docs-1a2b", "arn": "arn:aws:s3:::docs-1a2b"})
LOGS = res(BUCKET, "logs", {"bucket": "logs-1a2b", "id": "logs-1a2b", "arn": "arn:aws:s3:::logs-1a2b"})
SUFFIX = res(RANDOM, "suffix", {"hex": UNKNOWN})


def test_walk_visits_every_element_and_names_the_concrete_path() -> None:
    props = {"a": [{"b": 1}, {"b": UNKNOWN}, {}], "ids": ["x", "y"]}
    assert list(walk(props, "a[].b")) == [
        ("a[0].b", Known(1)),
        ("a[1].b", Unknown(("a", 1, "b"))),
        ("a[2].b", Missing()),
    ]
    assert values_at(props, "ids[]") == [Known("x"), Known("y")]
    assert values_at(props, "plain") == [Missing()]


def test_walk_keeps_an_unknown_list_as_one_value_and_a_missing_list_as_none() -> None:
    assert list(walk({"a": UNKNOWN}, "a[].b")) == [("a", Unknown(("a",)))]
    assert list(walk({}, "a[].b")) == []


def test_nested_lists() -> None:
    props = {"a": [{"b": [{"c": 1}, {"c": 2}]}, {"b": [{"c": 3}]}]}
    assert values_at(props, "a[].b[].c") == [Known(1), Known(2), Known(3)]


def test_dependencies() -> None:
    policy = res(POLICY, "p", {"bucket": UNKNOWN}, bucket=[DOCS])
    assert dependency_urns(policy, "bucket") == {DOCS.urn}
    assert dependency_urns(policy, "policy") == set()
    assert depends_on(policy, "bucket", DOCS) and not depends_on(policy, "bucket", LOGS)


def test_identifiers_skip_unknown_and_empty_values() -> None:
    target = res(BUCKET, "b", {"id": "", "arn": UNKNOWN, "bucket": "b-1"})
    assert identifiers(target, ("id", "arn", "bucket")) == {"b-1"}


@pytest.mark.parametrize(
    ("props", "deps", "expected"),
    [
        ({"bucket": UNKNOWN}, [DOCS], True),  # a dependency decides, whatever the value
        ({"bucket": "docs-1a2b"}, [], True),  # equal known names
        ({"bucket": "arn:aws:s3:::docs-1a2b"}, [], True),  # or ARNs
        ({"bucket": "other"}, [], False),
        ({}, [], False),
        ({"bucket": UNKNOWN}, [], None),  # could be anything: undecided
        ({"bucket": UNKNOWN}, [LOGS], False),  # computed from another resource
        ({"bucket": UNKNOWN}, [SUFFIX], False),
    ],
)
def test_refers_to(props: dict[str, Any], deps: list[PolicyResource], expected: bool | None) -> None:
    source = res(POLICY, "p", props, bucket=deps) if deps else res(POLICY, "p", props)
    assert refers_to(source, "bucket", DOCS, ("bucket", "arn")) is expected


def test_refers_to_attributes_decide_what_counts_as_equal() -> None:
    source = res(POLICY, "p", {"bucket": "arn:aws:s3:::docs-1a2b"})
    assert refers_to(source, "bucket", DOCS, ("id",)) is False
    assert refers_to(source, "bucket", DOCS) is True  # default: id or ARN


def test_refers_to_deciding_types_limit_which_dependencies_rule_the_target_out() -> None:
    # A name built from a random suffix may still be this bucket's: only a bucket dependency rules it out.
    source = res(POLICY, "p", {"bucket": UNKNOWN}, bucket=[SUFFIX])
    assert refers_to(source, "bucket", DOCS, deciding_types=(BUCKET,)) is None
    source = res(POLICY, "p", {"bucket": UNKNOWN}, bucket=[LOGS])
    assert refers_to(source, "bucket", DOCS, deciding_types=(BUCKET,)) is False


def test_refers_to_explicit_values_for_nested_references() -> None:
    proxy = res("aws:rds/proxy:Proxy", "px", {"auths": [{"secretArn": "s-1"}, {"secretArn": UNKNOWN}]})
    secret = res("aws:secretsmanager/secret:Secret", "s", {"id": "s-1", "arn": "s-1"})
    other = res("aws:secretsmanager/secret:Secret", "t", {"id": "t-1"})
    values = values_at(proxy.props, "auths[].secretArn")
    assert refers_to(proxy, "auths", secret, values=values) is True
    assert refers_to(proxy, "auths", other, values=values) is None  # the unknown one might be it


def test_targets_of() -> None:
    listener = res("aws:lb/listener:Listener", "l", {"loadBalancerArn": "arn:lb/2"})
    lb1 = res("aws:lb/loadBalancer:LoadBalancer", "lb1", {"arn": "arn:lb/1"})
    lb2 = res("aws:lb/loadBalancer:LoadBalancer", "lb2", {"arn": "arn:lb/2"})
    assert targets_of(listener, "loadBalancerArn", [lb1, lb2]) == [lb2]
    # A dependency names exactly its targets, even next to a known value naming another.
    linked_one = res(listener.resource_type, "l1", {"loadBalancerArn": "arn:lb/2"}, loadBalancerArn=[lb1])
    assert targets_of(linked_one, "loadBalancerArn", [lb1, lb2]) == [lb1]
    unknown = res(listener.resource_type, "l2", {"loadBalancerArn": UNKNOWN})
    assert targets_of(unknown, "loadBalancerArn", [lb1, lb2]) is None
    external = res(listener.resource_type, "l3", {"loadBalancerArn": UNKNOWN}, loadBalancerArn=[SUFFIX])
    assert targets_of(external, "loadBalancerArn", [lb1, lb2]) == []
    assert targets_of(res(listener.resource_type, "l4"), "loadBalancerArn", [lb1]) == []


def test_linked_sorts_matches_from_undecided_and_defers() -> None:
    by_dep = res(POLICY, "a", {"bucket": UNKNOWN}, bucket=[DOCS])
    by_name = res(POLICY, "b", {"bucket": "docs-1a2b"})
    other = res(POLICY, "c", {"bucket": "logs-1a2b"})
    maybe = res(POLICY, "d", {"bucket": UNKNOWN})
    bucket_itself = DOCS
    found = linked([by_dep, by_name, other, maybe, bucket_itself], (POLICY,), DOCS, "bucket", ("bucket",))
    assert found.matches == [by_dep, by_name]
    assert found.undecided == [maybe]
    with pytest.raises(UnknownValueError):
        found.defer("bucket")
    Links(matches=[by_name]).defer("bucket")  # nothing undecided: no deferral


def test_dependencies_of_type() -> None:
    policy = res(POLICY, "p", {"bucket": UNKNOWN}, bucket=[SUFFIX, DOCS, LOGS])
    assert dependencies_of_type(policy, "bucket", (BUCKET,)) == [DOCS, LOGS]
    assert dependencies_of_type(policy, "policy", (BUCKET,)) == []
