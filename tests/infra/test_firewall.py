"""WebFirewall: IP rate limit from config, managed rule sets, optional geo allowlist, redacted logging."""

from typing import Any

import pytest

from components.firewall import MANAGED_RULE_GROUPS, WebFirewall, WebFirewallArgs

from .conftest import Harness

ACL = "aws:wafv2/webAcl:WebAcl"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
KMS_ARN = "arn:aws:kms:us-east-1:111122223333:key/logs"


def args(**overrides: Any) -> WebFirewallArgs:
    values: dict[str, Any] = {
        "prefix": "chatbot",
        "stack": "prod",
        "scope": "CLOUDFRONT",
        "rate_limit": 750,
        "window_seconds": 120,
        "geo_allowlist": (),
        "log_retention_days": 365,
        "logs_kms_key_arn": KMS_ARN,
        "retain": True,
    }
    return WebFirewallArgs(**{**values, **overrides})


def rules(harness: Harness, firewall_args: WebFirewallArgs) -> dict[str, dict[str, Any]]:
    harness.run(lambda: WebFirewall("fw", firewall_args).web_acl_arn)
    return {rule["name"]: rule for rule in harness.one(ACL).inputs["rules"]}


def test_rate_limit_and_managed_rules(pulumi_mocks) -> None:
    harness = pulumi_mocks("prod")
    found = rules(harness, args())
    assert "geo-allowlist" not in found
    rate = found["rate-limit-per-ip"]
    assert rate["statement"]["rateBasedStatement"] == {
        "aggregateKeyType": "IP",
        "limit": 750,
        "evaluationWindowSec": 120,
    }
    assert rate["action"] == {"block": {}}
    for group in MANAGED_RULE_GROUPS:
        statement = found[group]["statement"]["managedRuleGroupStatement"]
        assert statement == {"name": group, "vendorName": "AWS"}
        assert found[group]["overrideAction"] == {"none": {}}
    acl = harness.one(ACL).inputs
    assert acl["scope"] == "CLOUDFRONT" and acl["defaultAction"] == {"allow": {}}
    assert acl["name"] == "chatbot-prod-cloudfront-web-acl"
    assert sorted(r["priority"] for r in found.values()) == list(range(len(found)))
    for rule in [*found.values(), acl]:
        visibility = rule["visibilityConfig"]
        assert visibility["cloudwatchMetricsEnabled"] is True and visibility["sampledRequestsEnabled"] is True


def test_geo_rule_blocks_requests_from_outside_the_allowlist(pulumi_mocks) -> None:
    harness = pulumi_mocks("prod")
    geo = rules(harness, args(geo_allowlist=("GB", "IE")))["geo-allowlist"]
    assert geo["priority"] == 0
    assert geo["action"] == {"block": {}}
    assert geo["statement"] == {
        "notStatement": {"statement": {"geoMatchStatement": {"countryCodes": ["GB", "IE"]}}}
    }


def test_logging_to_an_encrypted_retained_log_group(pulumi_mocks) -> None:
    harness = pulumi_mocks("prod")
    rules(harness, args(log_retention_days=400))
    group = harness.one(LOG_GROUP)
    assert group.inputs["name"].startswith("aws-waf-logs-")
    assert group.inputs["retentionInDays"] == 400
    assert group.inputs["kmsKeyId"] == KMS_ARN
    assert group.protect and group.retain_on_delete
    logging = harness.one("aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration").inputs
    assert logging["logDestinationConfigs"] == [f"arn:aws:logs:us-east-1:111122223333:log-group:{group.name}"]
    assert {"singleHeader": {"name": "authorization"}} in logging["redactedFields"]


def test_dev_log_group_without_cmk_is_not_retained(pulumi_mocks) -> None:
    harness = pulumi_mocks("dev")
    rules(harness, args(stack="dev", logs_kms_key_arn=None, retain=False, log_retention_days=7))
    group = harness.one(LOG_GROUP)
    assert "kmsKeyId" not in group.inputs
    assert not group.protect and not group.retain_on_delete


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"scope": "GLOBAL"}, "scope"),
        ({"rate_limit": 9}, "rate_limit"),
        ({"window_seconds": 30}, "window_seconds"),
    ],
)
def test_invalid_args_are_rejected(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        args(**overrides)
