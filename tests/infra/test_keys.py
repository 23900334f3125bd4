"""KMS keys: rotation, deletion window, aliases, retention and a least-privilege key policy."""

from typing import Any

import pytest

from components.keys import ADMIN_ACTIONS, Keys, KeysArgs, key_policy

from .conftest import ACCOUNT_ID

KEY = "aws:kms/key:Key"


def statements(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["Sid"]: s for s in doc["Statement"]}


def all_actions(doc: dict[str, Any]) -> list[str]:
    return [
        a for s in doc["Statement"] for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    ]


def principals(doc: dict[str, Any]) -> list[str]:
    found: list[str] = []
    for s in doc["Statement"]:
        principal = s["Principal"]
        if isinstance(principal, str):
            found.append(principal)
        else:
            for value in principal.values():
                found.extend([value] if isinstance(value, str) else value)
    return found


@pytest.mark.parametrize("data_class", ["data", "logs"])
def test_policy_has_no_wildcard_action_or_principal(data_class: str) -> None:
    doc = key_policy(ACCOUNT_ID, "aws", "eu-west-1", data_class)
    assert "kms:*" not in all_actions(doc) and "*" not in all_actions(doc)
    assert "*" not in principals(doc)
    assert all(s["Effect"] == "Allow" for s in doc["Statement"])


def test_root_gets_administration_only() -> None:
    admin = statements(key_policy(ACCOUNT_ID, "aws-us-gov", "us-gov-west-1", "logs"))["KeyAdministration"]
    assert admin["Principal"] == {"AWS": f"arn:aws-us-gov:iam::{ACCOUNT_ID}:root"}
    assert admin["Action"] == list(ADMIN_ACTIONS)
    assert not {"kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey*"} & set(admin["Action"])


def test_data_key_usage_only_through_services_of_the_account() -> None:
    doc = statements(key_policy(ACCOUNT_ID, "aws", "eu-west-1", "data"))
    condition = doc["UseThroughAwsServices"]["Condition"]["StringEquals"]
    assert condition["kms:CallerAccount"] == ACCOUNT_ID
    assert "s3.eu-west-1.amazonaws.com" in condition["kms:ViaService"]
    cloudfront = doc["CloudFrontOriginAccessControlRead"]
    assert cloudfront["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert cloudfront["Action"] == ["kms:Decrypt"]
    assert cloudfront["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT_ID}}
    assert "CloudWatchLogs" not in doc


def test_logs_key_grants_cloudwatch_logs_of_this_account_and_region() -> None:
    doc = statements(key_policy(ACCOUNT_ID, "aws", "us-east-1", "logs"))
    logs = doc["CloudWatchLogs"]
    assert logs["Principal"] == {"Service": "logs.us-east-1.amazonaws.com"}
    assert logs["Condition"] == {
        "ArnLike": {"kms:EncryptionContext:aws:logs:arn": f"arn:aws:logs:us-east-1:{ACCOUNT_ID}:*"}
    }
    assert set(doc) == {"KeyAdministration", "CloudWatchLogs"}


@pytest.mark.parametrize("classes", [(), ("data", "data"), ("secrets",)])
def test_args_reject_unknown_or_repeated_classes(classes: tuple[str, ...]) -> None:
    with pytest.raises(ValueError, match="data_classes|unknown data classes"):
        KeysArgs("chatbot", "dev", classes, retain=False, region="us-east-1")


@pytest.mark.parametrize(("retain", "window"), [(True, 30), (False, 7)])
def test_keys_rotate_and_follow_retention(pulumi_mocks, retain: bool, window: int) -> None:
    harness = pulumi_mocks("prod" if retain else "dev")
    arns = harness.run(
        lambda: Keys("keys", KeysArgs("chatbot", "prod", ("data", "logs"), retain, "eu-west-1")).key_arns
    )
    assert set(arns) == {"data", "logs"}
    keys = harness.of_type(KEY)
    assert len(keys) == 2
    for key in keys:
        assert key.inputs["enableKeyRotation"] is True
        assert key.inputs["customerMasterKeySpec"] == "SYMMETRIC_DEFAULT"
        assert key.inputs["deletionWindowInDays"] == window
        assert (key.protect, key.retain_on_delete) == (retain, retain)
        doc = harness.policy(key)
        assert "kms:*" not in all_actions(doc) and "*" not in principals(doc)
    aliases = {a.inputs["name"]: a for a in harness.of_type("aws:kms/alias:Alias")}
    assert set(aliases) == {"alias/chatbot-prod-data", "alias/chatbot-prod-logs"}
    assert all(not a.protect for a in aliases.values())
    assert aliases["alias/chatbot-prod-data"].inputs["targetKeyId"] == "keys-data-key-id"
    assert arns["data"] == f"arn:aws:kms:us-east-1:{ACCOUNT_ID}:key/keys-data-key-id"


def test_data_key_admits_s3_event_notifications_to_encrypted_queues_of_this_account_only() -> None:
    data_policy = statements(key_policy(ACCOUNT_ID, "aws", "eu-west-1", "data"))
    s3 = data_policy["S3EventNotificationsToEncryptedQueues"]
    assert s3["Principal"] == {"Service": "s3.amazonaws.com"}
    assert s3["Action"] == ["kms:GenerateDataKey", "kms:Decrypt"]
    assert s3["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT_ID}}
    assert "S3EventNotificationsToEncryptedQueues" not in statements(
        key_policy(ACCOUNT_ID, "aws", "eu-west-1", "logs"))
    via = statements(key_policy(ACCOUNT_ID, "aws", "eu-west-1", "data"))["UseThroughAwsServices"]
    assert "rds.eu-west-1.amazonaws.com" in via["Condition"]["StringEquals"]["kms:ViaService"]
