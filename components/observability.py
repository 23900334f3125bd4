"""Alarms, a dashboard and a token-usage metric for the chat stack, notifying an encrypted SNS topic.

CloudWatch cannot publish to a topic encrypted with the AWS managed `aws/sns` key (its key policy cannot
grant cloudwatch.amazonaws.com), so whenever alarms must reach someone (an e-mail is configured) or the
stack uses customer managed keys, the topic gets its own CMK whose policy admits CloudWatch. Otherwise
(dev, nobody subscribed) it stays on `aws/sns`: encrypted, at no key cost.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from components.aws_context import AwsContext
from components.keys import ADMIN_ACTIONS
from components.naming import resource_name
from components.settings.fields.operations import EMAIL_PATTERN

METRIC_NAMESPACE = "Chatbot"
TOKENS_FIELD = "tokens"  # a number in the chat functions' JSON log records
# Matches every JSON record whose `tokens` is a number; the metric value is that number.
TOKENS_FILTER_PATTERN = f"{{ $.{TOKENS_FIELD} >= 0 }}"
AWS_MANAGED_SNS_KEY = "alias/aws/sns"
_KEY = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")
_ALARM_PERIOD_SECONDS = 300


@dataclass(frozen=True)
class AlarmThresholds:
    rest_5xx_per_5_minutes: int = 5
    rest_latency_p95_ms: int = 3000  # REST handlers answer from DynamoDB; the model runs in the worker
    function_errors_per_5_minutes: int = 1
    function_throttles_per_5_minutes: int = 1
    websocket_errors_per_5_minutes: int = 5
    tokens_per_hour: int = 1_000_000

    def __post_init__(self) -> None:
        bad = [k for k, v in vars(self).items() if not isinstance(v, int) or v < 1]
        if bad:
            raise ValueError(f"alarm thresholds must be positive integers: {bad}")


@dataclass(frozen=True)
class ObservabilityArgs:
    """`function_names` and `token_log_group_names` are keyed by a short role (`rest`, `chat_worker`)."""

    prefix: str
    stack: str
    region: str
    function_names: Mapping[str, pulumi.Input[str]]
    rest_api_name: pulumi.Input[str]
    rest_stage_name: pulumi.Input[str]
    websocket_api_id: pulumi.Input[str]
    websocket_stage_name: pulumi.Input[str]
    token_log_group_names: Mapping[str, pulumi.Input[str]]  # the chat functions' log groups
    alarm_email: str | None
    customer_managed_keys: bool
    retain: bool
    thresholds: AlarmThresholds = field(default_factory=AlarmThresholds)
    # Queues whose every message is a failure someone should look at (the ingestion DLQ), by role.
    dead_letter_queue_names: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for label, keys in (("function_names", self.function_names),
                            ("token_log_group_names", self.token_log_group_names)):
            bad = [k for k in keys if not _KEY.match(k)]
            if not keys or bad:
                raise ValueError(f"{label} must be non-empty with keys matching {_KEY.pattern}, bad: {bad}")
        if self.alarm_email is not None and not re.match(EMAIL_PATTERN, self.alarm_email):
            raise ValueError(f"alarm_email is not an e-mail address: {self.alarm_email!r}")

    @property
    def own_topic_key(self) -> bool:
        return self.customer_managed_keys or self.alarm_email is not None


def topic_key_policy(account_id: str, partition: str, region: str) -> dict[str, Any]:
    """Key policy of the alarm topic's CMK (pure, so it is tested without Pulumi)."""
    root = f"arn:{partition}:iam::{account_id}:root"
    usage = ["kms:Decrypt", "kms:GenerateDataKey*"]
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "KeyAdministration", "Effect": "Allow", "Principal": {"AWS": root},
             "Action": list(ADMIN_ACTIONS), "Resource": "*"},
            {"Sid": "UseThroughSns", "Effect": "Allow", "Principal": {"AWS": root}, "Action": usage,
             "Resource": "*", "Condition": {"StringEquals": {
                 "kms:CallerAccount": account_id, "kms:ViaService": f"sns.{region}.amazonaws.com"}}},
            # The form AWS documents for CloudWatch alarms; which alarms may publish (and so make CloudWatch
            # use this key) is narrowed by the topic policy, and the key serves this topic only.
            {"Sid": "CloudWatchAlarmsPublish", "Effect": "Allow",
             "Principal": {"Service": "cloudwatch.amazonaws.com"}, "Action": usage, "Resource": "*"},
        ],
    }


def topic_policy(topic_arn: str, account_id: str, partition: str, region: str) -> dict[str, Any]:
    """Only this account's CloudWatch alarms publish, and nobody publishes without TLS."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "CloudWatchAlarmsPublish", "Effect": "Allow",
             "Principal": {"Service": "cloudwatch.amazonaws.com"}, "Action": "sns:Publish",
             "Resource": topic_arn, "Condition": {
                 "ArnLike": {"aws:SourceArn": f"arn:{partition}:cloudwatch:{region}:{account_id}:alarm:*"},
                 "StringEquals": {"aws:SourceAccount": account_id}}},
            {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "sns:Publish",
             "Resource": topic_arn, "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
        ],
    }


def dashboard_body(region: str, args: Mapping[str, Any], alarm_arns: list[str], token_metric: str) -> str:
    """The dashboard JSON from resolved names (`args`: rest_api, rest_stage, ws_api, ws_stage, functions)."""
    rest = {"ApiName": args["rest_api"], "Stage": args["rest_stage"]}
    ws = {"ApiId": args["ws_api"], "Stage": args["ws_stage"]}

    def metric(namespace: str, name: str, dims: Mapping[str, str], stat: str = "Sum") -> list[Any]:
        return [namespace, name, *[x for kv in dims.items() for x in kv], {"stat": stat}]

    def widget(title: str, metrics: list[list[Any]], y: int, x: int) -> dict[str, Any]:
        return {"type": "metric", "x": x, "y": y, "width": 12, "height": 6, "properties": {
            "title": title, "region": region, "view": "timeSeries", "period": _ALARM_PERIOD_SECONDS,
            "metrics": metrics}}

    functions = args["functions"]
    return json.dumps({"widgets": [
        {"type": "alarm", "x": 0, "y": 0, "width": 24, "height": 3,
         "properties": {"title": "Alarms", "alarms": alarm_arns}},
        widget("REST requests and errors", [metric("AWS/ApiGateway", m, rest)
                                            for m in ("Count", "4XXError", "5XXError")], 3, 0),
        widget("REST latency (ms)", [metric("AWS/ApiGateway", "Latency", rest, s)
                                     for s in ("p50", "p95", "p99")], 3, 12),
        widget("Lambda errors and throttles", [metric("AWS/Lambda", m, {"FunctionName": f})
                                               for f in functions for m in ("Errors", "Throttles")], 9, 0),
        widget("Lambda duration p95 (ms)", [metric("AWS/Lambda", "Duration", {"FunctionName": f}, "p95")
                                            for f in functions], 9, 12),
        widget("WebSocket", [metric("AWS/ApiGateway", m, ws) for m in
                             ("ConnectCount", "MessageCount", "IntegrationError", "ExecutionError")], 15, 0),
        widget("Model tokens", [[METRIC_NAMESPACE, token_metric, {"stat": "Sum"}]], 15, 12),
    ]}, sort_keys=True)


class Observability(pulumi.ComponentResource):
    topic: aws.sns.Topic
    topic_arn: pulumi.Output[str]
    alarms: dict[str, aws.cloudwatch.MetricAlarm]
    dashboard: aws.cloudwatch.Dashboard
    dashboard_name: pulumi.Output[str]
    token_metric_name: str

    def __init__(
        self, name: str, args: ObservabilityArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("chatbot:observability:Observability", name, None, opts)
        context = AwsContext.of(self)
        account_id, partition = context.account_id, context.partition

        topic_key: pulumi.Input[str] = AWS_MANAGED_SNS_KEY
        if args.own_topic_key:
            key = aws.kms.Key(
                f"{name}-topic-key",
                description=f"{args.prefix} {args.stack}: alarm topic encryption key",
                enable_key_rotation=True,
                deletion_window_in_days=30 if args.retain else 7,
                policy=pulumi.Output.all(account_id, partition).apply(
                    lambda ap: json.dumps(topic_key_policy(ap[0], ap[1], args.region))),
                opts=pulumi.ResourceOptions(parent=self, protect=args.retain, retain_on_delete=args.retain),
            )
            topic_key = key.arn
        # An explicit name makes the topic's ARN (and so its policy) known before the topic exists: the
        # policy pack checks the TLS-only statement at preview, not only during `pulumi up`.
        topic_name = resource_name(args.prefix, args.stack, "alarms", max_length=256)
        self.topic = aws.sns.Topic(
            f"{name}-alarms",
            name=topic_name,
            display_name=f"{args.prefix} {args.stack} alarms",
            kms_master_key_id=topic_key,
            signature_version=2,  # SHA256-signed notifications
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.topic_arn = self.topic.arn
        aws.sns.TopicPolicy(
            f"{name}-alarms-policy",
            arn=self.topic.arn,
            policy=pulumi.Output.all(account_id, partition).apply(lambda ap: json.dumps(topic_policy(
                f"arn:{ap[1]}:sns:{args.region}:{ap[0]}:{topic_name}", ap[0], ap[1], args.region))),
            opts=pulumi.ResourceOptions(parent=self),
        )
        if args.alarm_email is not None:
            aws.sns.TopicSubscription(
                f"{name}-alarms-email",
                topic=self.topic.arn,
                protocol="email",
                endpoint=args.alarm_email,
                opts=pulumi.ResourceOptions(parent=self),
            )

        self.token_metric_name = resource_name(args.prefix, args.stack, "tokens-used", max_length=255)
        for role, group in args.token_log_group_names.items():
            aws.cloudwatch.LogMetricFilter(
                f"{name}-tokens-{role}",
                name=f"{self.token_metric_name}-{role}",
                log_group_name=group,
                pattern=TOKENS_FILTER_PATTERN,
                metric_transformation=aws.cloudwatch.LogMetricFilterMetricTransformationArgs(
                    name=self.token_metric_name, namespace=METRIC_NAMESPACE, value=f"$.{TOKENS_FIELD}",
                    unit="Count"),
                opts=pulumi.ResourceOptions(parent=self),
            )

        self.alarms = {}
        self._create_alarms(name, args)
        self.dashboard = aws.cloudwatch.Dashboard(
            f"{name}-dashboard",
            dashboard_name=resource_name(args.prefix, args.stack, "chat", max_length=255),
            dashboard_body=pulumi.Output.all(
                rest_api=args.rest_api_name, rest_stage=args.rest_stage_name, ws_api=args.websocket_api_id,
                ws_stage=args.websocket_stage_name, functions=list(args.function_names.values()),
                alarms=[a.arn for a in self.alarms.values()],
            ).apply(lambda v: dashboard_body(args.region, v, v["alarms"], self.token_metric_name)),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.dashboard_name = self.dashboard.dashboard_name
        self.register_outputs({
            "topic_arn": self.topic_arn,
            "dashboard_name": self.dashboard_name,
            "alarm_names": {role: a.name for role, a in self.alarms.items()},
        })

    def _alarm(self, name: str, args: ObservabilityArgs, role: str, description: str,
               **metric: Any) -> None:
        metric.setdefault("period", _ALARM_PERIOD_SECONDS)
        metric.setdefault("evaluation_periods", 1)
        self.alarms[role] = aws.cloudwatch.MetricAlarm(
            f"{name}-{role}",
            name=resource_name(args.prefix, args.stack, role, max_length=255),
            alarm_description=description,
            comparison_operator="GreaterThanOrEqualToThreshold",
            treat_missing_data="notBreaching",  # no traffic is not an outage
            alarm_actions=[self.topic.arn],
            ok_actions=[self.topic.arn],
            opts=pulumi.ResourceOptions(parent=self),
            **metric,
        )

    def _create_alarms(self, name: str, args: ObservabilityArgs) -> None:
        t = args.thresholds
        rest = {"ApiName": args.rest_api_name, "Stage": args.rest_stage_name}
        self._alarm(name, args, "rest-5xx", "The REST API answered with server errors.",
                    namespace="AWS/ApiGateway", metric_name="5XXError", dimensions=rest, statistic="Sum",
                    threshold=t.rest_5xx_per_5_minutes)
        self._alarm(name, args, "rest-latency-p95", "REST API p95 latency is high for 15 minutes.",
                    namespace="AWS/ApiGateway", metric_name="Latency", dimensions=rest,
                    extended_statistic="p95", threshold=t.rest_latency_p95_ms, evaluation_periods=3,
                    datapoints_to_alarm=3)
        self._alarm(name, args, "websocket-errors", "WebSocket routes failed to reach their integration.",
                    namespace="AWS/ApiGateway", metric_name="IntegrationError", statistic="Sum",
                    dimensions={"ApiId": args.websocket_api_id, "Stage": args.websocket_stage_name},
                    threshold=t.websocket_errors_per_5_minutes)
        for role, function in args.function_names.items():
            for metric_name, threshold in (("Errors", t.function_errors_per_5_minutes),
                                           ("Throttles", t.function_throttles_per_5_minutes)):
                self._alarm(name, args, f"{role}-{metric_name.lower()}".replace("_", "-"),
                            f"Lambda function {role}: {metric_name.lower()}.", namespace="AWS/Lambda",
                            metric_name=metric_name, dimensions={"FunctionName": function}, statistic="Sum",
                            threshold=threshold)
        for role, queue in args.dead_letter_queue_names.items():
            self._alarm(name, args, f"{role}-dead-letters".replace("_", "-"),
                        f"Messages reached the dead-letter queue {role}: they failed every retry.",
                        namespace="AWS/SQS", metric_name="ApproximateNumberOfMessagesVisible",
                        dimensions={"QueueName": queue}, statistic="Maximum", threshold=1)
        self._alarm(name, args, "token-usage", "Model tokens used in the last hour exceed the budget.",
                    namespace=METRIC_NAMESPACE, metric_name=self.token_metric_name, statistic="Sum",
                    period=3600, threshold=t.tokens_per_hour)
