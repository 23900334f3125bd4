"""Observability: an encrypted, TLS-only alarm topic CloudWatch can publish to, the alarms, the token metric
and the dashboard."""

import json
from typing import Any

import pytest

from components.keys import ADMIN_ACTIONS
from components.observability import (
    AWS_MANAGED_SNS_KEY,
    METRIC_NAMESPACE,
    TOKENS_FILTER_PATTERN,
    AlarmThresholds,
    Observability,
    ObservabilityArgs,
    topic_key_policy,
)

from .conftest import ACCOUNT_ID, MOCK_REGION, Harness

ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
TOPIC = "aws:sns/topic:Topic"
KEY = "aws:kms/key:Key"
FUNCTIONS = {"rest": "chatbot-prod-rest", "chat_worker": "chatbot-prod-chat-worker"}
TOKEN_LOGS = {"chat_worker": "/aws/lambda/chatbot-prod-chat-worker"}


def make_args(**overrides: Any) -> ObservabilityArgs:
    values: dict[str, Any] = {
        "prefix": "chatbot", "stack": "prod", "region": MOCK_REGION, "function_names": FUNCTIONS,
        "rest_api_name": "chatbot-prod-rest", "rest_stage_name": "api", "websocket_api_id": "ws123",
        "websocket_stage_name": "api", "token_log_group_names": TOKEN_LOGS, "alarm_email": "ops@example.com",
        "customer_managed_keys": True, "retain": True,
        "thresholds": AlarmThresholds(tokens_per_hour=250_000),
    }
    values.update(overrides)
    return ObservabilityArgs(**values)


def build(harness: Harness, args: ObservabilityArgs) -> None:
    harness.run(lambda: Observability("obs", args).topic_arn)


def alarms(harness: Harness) -> dict[str, dict[str, Any]]:
    return {r.name.removeprefix("obs-"): r.inputs for r in harness.of_type(ALARM)}


def test_topic_is_encrypted_with_its_own_rotating_cmk_that_cloudwatch_may_use(pulumi_mocks) -> None:
    harness = pulumi_mocks("prod")
    build(harness, make_args())
    key = harness.one(KEY)
    assert key.inputs["enableKeyRotation"] is True
    assert (key.protect, key.retain_on_delete) == (True, True)
    topic = harness.one(TOPIC).inputs
    assert topic["kmsMasterKeyId"] == f"arn:aws:kms:{MOCK_REGION}:{ACCOUNT_ID}:key/obs-topic-key-key-id"
    statements = {s["Sid"]: s for s in harness.policy(key)["Statement"]}
    assert statements["CloudWatchAlarmsPublish"]["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert statements["CloudWatchAlarmsPublish"]["Action"] == ["kms:Decrypt", "kms:GenerateDataKey*"]
    assert statements["KeyAdministration"]["Action"] == list(ADMIN_ACTIONS)  # no kms:* for the root
    assert statements["UseThroughSns"]["Condition"]["StringEquals"]["kms:ViaService"] == (
        f"sns.{MOCK_REGION}.amazonaws.com")


def test_topic_policy_admits_only_this_accounts_alarms_and_denies_plain_http(pulumi_mocks) -> None:
    harness = pulumi_mocks("prod")
    build(harness, make_args())
    policy = harness.one("aws:sns/topicPolicy:TopicPolicy")
    assert policy.inputs["arn"] == f"arn:aws:mock:{MOCK_REGION}:{ACCOUNT_ID}:topic/obs-alarms"
    # Built from the explicit topic name, so the document is known at preview.
    assert harness.one(TOPIC).inputs["name"] == "chatbot-prod-alarms"
    topic_arn = f"arn:aws:sns:{MOCK_REGION}:{ACCOUNT_ID}:chatbot-prod-alarms"
    statements = {s["Sid"]: s for s in harness.policy(policy)["Statement"]}
    assert statements["DenyInsecureTransport"] == {
        "Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "sns:Publish",
        "Resource": topic_arn, "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
    publish = statements["CloudWatchAlarmsPublish"]
    assert publish["Action"] == "sns:Publish" and publish["Resource"] == topic_arn
    assert publish["Condition"] == {
        "ArnLike": {"aws:SourceArn": f"arn:aws:cloudwatch:{MOCK_REGION}:{ACCOUNT_ID}:alarm:*"},
        "StringEquals": {"aws:SourceAccount": ACCOUNT_ID}}


def test_email_subscription_only_when_configured(pulumi_mocks) -> None:
    harness = pulumi_mocks("prod")
    build(harness, make_args())
    subscription = harness.one("aws:sns/topicSubscription:TopicSubscription").inputs
    assert (subscription["protocol"], subscription["endpoint"]) == ("email", "ops@example.com")

    harness = pulumi_mocks("dev")
    build(harness, make_args(alarm_email=None))
    assert harness.of_type("aws:sns/topicSubscription:TopicSubscription") == []


def test_dev_without_cmks_or_email_uses_the_aws_managed_sns_key(pulumi_mocks) -> None:
    harness = pulumi_mocks("dev")
    build(harness, make_args(alarm_email=None, customer_managed_keys=False, retain=False))
    assert harness.of_type(KEY) == []
    assert harness.one(TOPIC).inputs["kmsMasterKeyId"] == AWS_MANAGED_SNS_KEY


def test_an_email_without_cmks_still_gets_a_key_cloudwatch_can_use(pulumi_mocks) -> None:
    harness = pulumi_mocks("dev")
    build(harness, make_args(customer_managed_keys=False, retain=False))
    key = harness.one(KEY)
    assert (key.protect, key.inputs["deletionWindowInDays"]) == (False, 7)
    assert harness.one(TOPIC).inputs["kmsMasterKeyId"].endswith("key/obs-topic-key-key-id")


def test_alarms_cover_5xx_latency_errors_throttles_websocket_and_tokens(pulumi_mocks) -> None:
    harness = pulumi_mocks("prod")
    build(harness, make_args())
    found = alarms(harness)
    assert set(found) == {
        "rest-5xx", "rest-latency-p95", "websocket-errors", "rest-errors", "rest-throttles",
        "chat-worker-errors", "chat-worker-throttles", "token-usage",
    }
    topic_arn = f"arn:aws:mock:{MOCK_REGION}:{ACCOUNT_ID}:topic/obs-alarms"
    for alarm in found.values():
        assert alarm["alarmActions"] == [topic_arn] and alarm["okActions"] == [topic_arn]
        assert alarm["treatMissingData"] == "notBreaching"
        assert alarm["name"].startswith("chatbot-prod-")
    rest = {"ApiName": "chatbot-prod-rest", "Stage": "api"}
    assert found["rest-5xx"]["metricName"] == "5XXError" and found["rest-5xx"]["dimensions"] == rest
    latency = found["rest-latency-p95"]
    assert (latency["metricName"], latency["extendedStatistic"]) == ("Latency", "p95")
    assert (latency["threshold"], latency["evaluationPeriods"], latency["datapointsToAlarm"]) == (3000, 3, 3)
    assert "statistic" not in latency
    worker = found["chat-worker-throttles"]
    assert worker["namespace"] == "AWS/Lambda" and worker["metricName"] == "Throttles"
    assert worker["dimensions"] == {"FunctionName": "chatbot-prod-chat-worker"}
    assert found["chat-worker-errors"]["name"] == "chatbot-prod-chat-worker-errors"
    ws = found["websocket-errors"]
    assert ws["dimensions"] == {"ApiId": "ws123", "Stage": "api"}
    tokens = found["token-usage"]
    assert (tokens["namespace"], tokens["metricName"]) == (METRIC_NAMESPACE, "chatbot-prod-tokens-used")
    assert (tokens["statistic"], tokens["period"], tokens["threshold"]) == ("Sum", 3600, 250_000)


def test_a_dead_letter_queue_alarms_on_its_first_message(pulumi_mocks) -> None:
    harness = pulumi_mocks("prod")
    build(harness, make_args(dead_letter_queue_names={"ingest": "chatbot-prod-ingest-dlq"}))
    dlq = alarms(harness)["ingest-dead-letters"]
    assert (dlq["namespace"], dlq["metricName"]) == ("AWS/SQS", "ApproximateNumberOfMessagesVisible")
    assert dlq["dimensions"] == {"QueueName": "chatbot-prod-ingest-dlq"}
    assert (dlq["statistic"], dlq["threshold"], dlq["comparisonOperator"]) == (
        "Maximum", 1, "GreaterThanOrEqualToThreshold")


def test_token_metric_filter_reads_the_tokens_field_of_json_logs(pulumi_mocks) -> None:
    harness = pulumi_mocks("prod")
    build(harness, make_args())
    metric_filter = harness.one("aws:cloudwatch/logMetricFilter:LogMetricFilter").inputs
    assert metric_filter["logGroupName"] == "/aws/lambda/chatbot-prod-chat-worker"
    assert metric_filter["pattern"] == TOKENS_FILTER_PATTERN == "{ $.tokens >= 0 }"
    assert metric_filter["metricTransformation"] == {
        "name": "chatbot-prod-tokens-used", "namespace": "Chatbot", "value": "$.tokens", "unit": "Count"}


def test_dashboard_shows_every_function_the_apis_and_the_alarms(pulumi_mocks) -> None:
    harness = pulumi_mocks("prod")
    build(harness, make_args())
    dashboard = harness.one("aws:cloudwatch/dashboard:Dashboard").inputs
    assert dashboard["dashboardName"] == "chatbot-prod-chat"
    body = json.loads(dashboard["dashboardBody"])
    text = json.dumps(body)
    for needle in ("chatbot-prod-chat-worker", "chatbot-prod-rest", "ws123", "chatbot-prod-tokens-used"):
        assert needle in text
    alarm_widget = next(w for w in body["widgets"] if w["type"] == "alarm")
    assert len(alarm_widget["properties"]["alarms"]) == 8
    assert all(w["properties"]["region"] == MOCK_REGION for w in body["widgets"] if w["type"] == "metric")


def test_key_policy_grants_no_wildcard_service_actions() -> None:
    policy = topic_key_policy(ACCOUNT_ID, "aws", "eu-west-1")
    actions = [a for s in policy["Statement"] for a in s["Action"]]
    assert "kms:*" not in actions and "*" not in actions


@pytest.mark.parametrize(("overrides", "match"), [
    ({"function_names": {}}, "function_names"),
    ({"function_names": {"Rest API": "f"}}, "function_names"),
    ({"token_log_group_names": {}}, "token_log_group_names"),
    ({"alarm_email": "not-an-email"}, "alarm_email"),
])
def test_bad_args_fail_at_construction(overrides: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        make_args(**overrides)


def test_thresholds_must_be_positive() -> None:
    with pytest.raises(ValueError, match="tokens_per_hour"):
        AlarmThresholds(tokens_per_hour=0)
