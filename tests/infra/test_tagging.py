"""Stack-wide tags: the pure tag logic and the resource transform, called directly."""

from typing import Any

import pulumi
import pytest
from pulumi.output import Unknown
from pulumi.runtime.rpc import is_rpc_secret, unwrap_rpc_secret, wrap_rpc_secret

from components.tagging import (
    merge_tags,
    register_tagging,
    resource_class,
    stack_tags,
    supports_tags,
    tagging_transform,
)

from .conftest import dev_settings

REQUIRED = stack_tags("chatbot", "dev", "platform-team")


def transform_args(type_: str, props: dict[str, Any], custom: bool = True) -> pulumi.ResourceTransformArgs:
    return pulumi.ResourceTransformArgs(
        custom=custom, type_=type_, name="res", props=props, opts=pulumi.ResourceOptions()
    )


def test_stack_tags() -> None:
    assert stack_tags("chatbot", "prod", "team-a") == {"app": "chatbot", "stack": "prod", "owner": "team-a"}


def test_merge_adds_missing_required_keys_and_keeps_existing_values() -> None:
    existing = {"purpose": "logs", "owner": "data-team"}
    merged = merge_tags(existing, REQUIRED)
    assert merged == {"app": "chatbot", "stack": "dev", "owner": "data-team", "purpose": "logs"}
    assert existing == {"purpose": "logs", "owner": "data-team"}  # not mutated


def test_merge_without_existing_tags() -> None:
    assert merge_tags(None, REQUIRED) == REQUIRED
    assert merge_tags({}, REQUIRED) == REQUIRED


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        ("aws:kms/key:Key", "pulumi_aws.kms.key.Key"),
        ("aws:lambda/function:Function", "pulumi_aws.lambda_.function.Function"),
        ("aws:s3/bucket:Bucket", "pulumi_aws.s3.bucket.Bucket"),
        ("aws:kms/key:Alias", None),  # class exists, but its token is aws:kms/alias:Alias
        ("aws:nosuchmodule/thing:Thing", None),
        ("nosuchpackage:mod/thing:Thing", None),
        ("pulumi:providers:aws", None),
        ("not-a-token", None),
    ],
)
def test_resource_class(token: str, expected: str | None) -> None:
    cls = resource_class(token)
    assert (None if cls is None else f"{cls.__module__}.{cls.__name__}") == expected


@pytest.mark.parametrize(
    ("token", "taggable"),
    [
        ("aws:kms/key:Key", True),
        ("aws:s3/bucket:Bucket", True),
        ("aws:wafv2/webAcl:WebAcl", True),
        ("aws:cloudwatch/logGroup:LogGroup", True),
        ("aws:cloudfront/distribution:Distribution", True),
        ("aws:lambda/function:Function", True),
        ("aws:kms/alias:Alias", False),
        ("aws:s3/bucketPolicy:BucketPolicy", False),
        ("aws:cloudfront/originAccessControl:OriginAccessControl", False),
        ("chatbot:keys:Keys", False),
    ],
)
def test_supports_tags_follows_the_sdk_class(token: str, taggable: bool) -> None:
    assert supports_tags(token) is taggable


def test_transform_adds_tags_to_a_taggable_custom_resource() -> None:
    result = tagging_transform(REQUIRED)(transform_args("aws:kms/key:Key", {"description": "k"}))
    assert result is not None
    assert result.props == {"description": "k", "tags": REQUIRED}


def test_transform_keeps_existing_tags() -> None:
    args = transform_args("aws:s3/bucket:Bucket", {"tags": {"purpose": "logs", "app": "custom"}})
    result = tagging_transform(REQUIRED)(args)
    assert result is not None
    assert result.props["tags"] == {
        "app": "custom",
        "stack": "dev",
        "owner": "platform-team",
        "purpose": "logs",
    }


@pytest.mark.parametrize(
    ("type_", "custom"),
    [
        ("aws:kms/alias:Alias", True),  # no tags input
        ("pulumi:providers:aws", True),  # providers are skipped
        ("chatbot:keys:Keys", False),  # component resources are skipped
        ("aws:kms/key:Key", False),  # a component that reuses a taggable token is still a component
    ],
)
def test_transform_leaves_other_resources_alone(type_: str, custom: bool) -> None:
    assert tagging_transform(REQUIRED)(transform_args(type_, {"name": "x"}, custom)) is None


def test_transform_merges_into_secret_tags() -> None:
    args = transform_args("aws:kms/key:Key", {"tags": wrap_rpc_secret({"purpose": "data"})})
    result = tagging_transform(REQUIRED)(args)
    assert result is not None
    assert is_rpc_secret(result.props["tags"])
    assert unwrap_rpc_secret(result.props["tags"]) == {**REQUIRED, "purpose": "data"}


def test_transform_keeps_a_wholly_unknown_tag_map() -> None:
    unknown = Unknown()
    result = tagging_transform(REQUIRED)(transform_args("aws:kms/key:Key", {"tags": unknown}))
    assert result is not None
    assert result.props["tags"] is unknown


def test_transform_merges_output_tags(pulumi_mocks) -> None:
    harness = pulumi_mocks("dev")

    def program() -> pulumi.Output[Any]:
        tags = pulumi.Output.from_input({"purpose": "data"})
        result = tagging_transform(REQUIRED)(transform_args("aws:kms/key:Key", {"tags": tags}))
        assert result is not None
        return result.props["tags"]

    assert harness.run(program) == {**REQUIRED, "purpose": "data"}


def test_register_tagging_registers_a_stack_transform(pulumi_mocks) -> None:
    harness = pulumi_mocks("dev")
    registered = harness.run(lambda: register_tagging(dev_settings()))
    assert harness.mocks.transforms == [registered]
    result = registered(transform_args("aws:kms/key:Key", {}))
    assert result is not None
    assert result.props["tags"] == {"app": "chatbot", "stack": "dev", "owner": "platform-team"}
