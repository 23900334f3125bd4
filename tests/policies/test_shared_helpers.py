"""policy_documents.py and cmk.py: the helpers several rule modules share."""

from __future__ import annotations

import json

import pytest
from chatbot_guard.cmk import customer_managed_key_set
from chatbot_guard.policy_documents import (
    DocumentError,
    Statement,
    action_matches,
    aws_managed_policy_name,
    denies_insecure_transport,
    documents,
    parse_document,
)
from chatbot_guard.props import Known, Unknown

from .harness import UNKNOWN


def test_parse_document_normalises_strings_and_lists() -> None:
    doc = {
        "Statement": {
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": ["a", "b"],
            "Principal": "*",
            "Sid": "Read",
            "Condition": {"Bool": {"aws:SecureTransport": "true"}},
        }
    }
    for form in (doc, json.dumps(doc)):
        (statement,) = parse_document(form)
        assert statement == Statement(
            "Allow",
            ("s3:GetObject",),
            (),
            ("a", "b"),
            (),
            {"*": ("*",)},
            {"Bool": {"aws:SecureTransport": "true"}},
            "Read",
        )
        assert statement.allows and statement.label(0) == "statement 'Read'"


@pytest.mark.parametrize("bad", ["{not json", "[]", json.dumps({"Statement": ["x"]})])
def test_invalid_documents_raise(bad: str) -> None:
    with pytest.raises(DocumentError):
        parse_document(bad)


def test_documents_walks_inline_policies_and_reports_unknowns() -> None:
    policy = json.dumps({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
    props = {"inlinePolicies": [{"name": "a", "policy": policy}, {"name": "b", "policy": UNKNOWN}]}
    found = dict(documents("aws:iam/role:Role", props))
    assert found["inlinePolicies[0].policy"] == Known(policy)
    assert isinstance(found["inlinePolicies[1].policy"], Unknown)
    assert list(documents("aws:iam/role:Role", {})) == []
    assert list(documents("aws:s3/bucket:Bucket", {"policy": policy})) == []


@pytest.mark.parametrize(
    "pattern, action, expected",
    [
        ("*", "iam:PassRole", True),
        ("iam:*", "IAM:passrole", True),
        ("s3:Get*", "s3:GetObject", True),
        ("s3:Get*", "s3:PutObject", False),
        ("bedrock:Invoke?odel", "bedrock:InvokeModel", True),
    ],
)
def test_action_matches_like_iam(pattern: str, action: str, expected: bool) -> None:
    assert action_matches(pattern, action) is expected


@pytest.mark.parametrize(
    "arn, expected",
    [
        ("arn:aws:iam::aws:policy/AmazonBedrockFullAccess", "AmazonBedrockFullAccess"),
        ("arn:aws-us-gov:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole",
         "AWSLambdaVPCAccessExecutionRole"),
        ("arn:aws:iam::123456789012:policy/AmazonBedrockFullAccess", None),  # customer managed, same name
        ("AmazonBedrockFullAccess", None),
        (None, None),
    ],
)
def test_aws_managed_policy_name(arn: object, expected: str | None) -> None:
    assert aws_managed_policy_name(arn) == expected


@pytest.mark.parametrize(
    "props, expected",
    [
        ({"kmsKeyId": "arn:aws:kms:eu-west-1:111122223333:key/abc"}, True),
        ({"kmsKeyId": UNKNOWN}, True),  # computed from a key in the same stack: presence is what matters
        ({"kmsKeyId": "alias/aws/s3"}, False),
        ({"kmsKeyId": ""}, False),
        ({}, False),
    ],
)
def test_customer_managed_key_set(props: dict, expected: bool) -> None:
    assert customer_managed_key_set(props, "kmsKeyId") is expected


def _deny(**changes: object) -> Statement:
    statement = {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "sns:Publish",
        "Resource": "arn:aws:sns:eu-west-1:111122223333:t",
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        **changes,
    }
    (parsed,) = parse_document({"Statement": [{k: v for k, v in statement.items() if v is not None}]})
    return parsed


@pytest.mark.parametrize(
    ("changes", "action", "expected"),
    [
        ({}, "sns:Publish", True),
        ({"Action": "sns:*"}, "sns:Publish", True),
        ({"Action": "*"}, "s3:*", True),
        ({"Action": "sns:Publish"}, "sns:*", False),  # one action does not cover them all
        ({"Principal": {"AWS": ["*"]}}, "sns:Publish", True),
        ({"Principal": {"AWS": "arn:aws:iam::111122223333:root"}}, "sns:Publish", False),
        ({"Principal": {"Service": "*"}}, "sns:Publish", False),
        ({"Effect": "Allow"}, "sns:Publish", False),
        ({"Condition": {"BoolIfExists": {"aws:securetransport": ["false"]}}}, "sns:Publish", True),
        ({"Condition": {"bool": {"aws:SecureTransport": False}}}, "sns:Publish", True),
        ({"Condition": {"Bool": {"aws:SecureTransport": "true"}}}, "sns:Publish", False),
        ({"Condition": None}, "sns:Publish", False),
        ({"Action": None, "NotAction": "sns:Subscribe"}, "sns:Publish", False),
        ({"Resource": None, "NotResource": "x"}, "sns:Publish", False),
    ],
)
def test_denies_insecure_transport(changes: dict[str, object], action: str, expected: bool) -> None:
    assert denies_insecure_transport(_deny(**changes), action) is expected
