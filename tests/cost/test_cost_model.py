"""The idle-cost arithmetic on small fixture resource lists, one resource kind at a time."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tools.cost.model import estimate
from tools.cost.prices import parse

# A price book of round numbers, so every expected figure can be checked by hand.
BOOK = parse({
    "currency": "USD", "hoursPerMonth": 730, "date": "2026-11-24", "regions": ["us-east-1", "eu-west-1"],
    "prices": {
        key: {"unit": "u", "source": "https://aws.amazon.com/x/pricing/", "date": "2026-11-24",
              "regions": {"us-east-1": {"price": price, "confirmed": True}}}
        for key, price in {
            "natGatewayHour": 0.045, "publicIpv4Hour": 0.005, "interfaceEndpointAzHour": 0.01,
            "albHour": 0.0225, "nlbHour": 0.0225, "auroraServerlessV2AcuHour": 0.12,
            "opensearchServerlessOcuHour": 0.24, "kendraDeveloperHour": 1.125, "kendraEnterpriseHour": 1.4,
            "kendraGenAiEnterpriseHour": 0.32, "wafWebAclMonth": 5.0, "wafRuleMonth": 1.0,
            "wafPremiumRuleGroupMonth": 10.0, "kmsKeyMonth": 1.0, "secretMonth": 0.4,
            "cloudwatchDashboardMonth": 3.0, "cloudwatchAlarmMetricMonth": 0.1,
            "cloudwatchHighResAlarmMetricMonth": 0.3, "cloudwatchCompositeAlarmMonth": 0.5,
        }.items()
    } | {
        "sagemakerInstanceHour": {"unit": "u", "source": "s", "date": "d", "byInstanceType": {
            "us-east-1": {"ml.g5.xlarge": {"price": 1.408, "confirmed": True}}}},
        "cognitoMau": {"unit": "u", "source": "s", "date": "d", "byTier": {
            "us-east-1": {"ESSENTIALS": {"price": 0.015, "freeMau": 10000, "confirmed": True}}}},
    },
})


def res(kind: str, name: str, inputs: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    token = {"nat": "aws:ec2/natGateway:NatGateway", "eip": "aws:ec2/eip:Eip",
             "vpce": "aws:ec2/vpcEndpoint:VpcEndpoint", "lb": "aws:lb/loadBalancer:LoadBalancer",
             "cluster": "aws:rds/cluster:Cluster", "instance": "aws:rds/clusterInstance:ClusterInstance",
             "aoss": "aws:opensearch/serverlessCollection:ServerlessCollection",
             "kendra": "aws:kendra/index:Index", "acl": "aws:wafv2/webAcl:WebAcl", "kms": "aws:kms/key:Key",
             "secret": "aws:secretsmanager/secret:Secret", "dash": "aws:cloudwatch/dashboard:Dashboard",
             "alarm": "aws:cloudwatch/metricAlarm:MetricAlarm", "pool": "aws:cognito/userPool:UserPool",
             "sm": "aws:sagemaker/endpoint:Endpoint",
             "smc": "aws:sagemaker/endpointConfiguration:EndpointConfiguration",
             "sched": "aws:appautoscaling/scheduledAction:ScheduledAction", "subnet": "aws:ec2/subnet:Subnet",
             "ebsched": "aws:scheduler/schedule:Schedule",
             "aossvpce": "aws:opensearch/serverlessVpcEndpoint:ServerlessVpcEndpoint",
             "provider": "pulumi:providers:aws", "table": "aws:dynamodb/table:Table"}[kind]
    return {"urn": f"urn:pulumi:t::p::{token}::{name}", "type": token, "name": name, "provider": None,
            "inputs": inputs or {}, "propertyDependencies": {}, "dependencies": [], **extra}


def cost(resources: list[dict[str, Any]], region: str | None = "us-east-1") -> dict[str, Any]:
    return estimate(resources, region, BOOK)


def monthly(resources: list[dict[str, Any]], region: str | None = "us-east-1") -> list[float | None]:
    return [item["monthly"] for item in cost(resources, region)["items"]]


def test_nat_gateway_and_its_address_bill_every_hour():
    assert monthly([res("nat", "nat"), res("eip", "ip")]) == [32.85, 3.65]  # 0.045 x 730, 0.005 x 730


def test_interface_endpoints_bill_per_az_and_gateway_endpoints_are_free():
    subnets = [res("subnet", f"private-{i}") for i in (1, 2, 3)]
    known = res("vpce", "known", {"vpcEndpointType": "Interface", "subnetIds": ["subnet-1", "subnet-2"]})
    unknown_ids = res("vpce", "deps", {"vpcEndpointType": "Interface", "subnetIds": "<unknown until deploy>"},
                      propertyDependencies={"subnetIds": [s["urn"] for s in subnets]})
    gateway = res("vpce", "s3", {"vpcEndpointType": "Gateway"})
    assert monthly([*subnets, known, unknown_ids, gateway]) == [14.6, 21.9]  # 2 and 3 AZ x 730 x 0.01


def test_an_unknown_az_count_is_said_not_hidden():
    endpoint = res("vpce", "e", {"vpcEndpointType": "Interface", "subnetIds": "<unknown until deploy>"})
    item = cost([endpoint])["items"][0]
    assert item["monthly"] == 7.3
    assert any("count unknown" in note for note in item["notes"])


def test_load_balancers():
    balancers = [res("lb", "alb", {"internal": True}), res("lb", "nlb", {"loadBalancerType": "network"})]
    assert monthly(balancers) == [16.43, 16.43]  # 0.0225 x 730 = 16.425


def test_aurora_minimum_acu_and_auto_pause():
    warm = res("cluster", "warm", {"serverlessv2ScalingConfiguration": {"minCapacity": 0.5}})
    cold = res("cluster", "cold", {"serverlessv2ScalingConfiguration": {"minCapacity": 0}})
    instances = [res("instance", name, {"instanceClass": "db.serverless"},
                     propertyDependencies={"clusterIdentifier": [cluster["urn"]]})
                 for name, cluster in (("warm-1", warm), ("cold-1", cold))]
    result = cost([warm, cold, *instances])
    assert [i["monthly"] for i in result["items"]] == [43.8, 0.0]  # 0.5 x 0.12 x 730
    assert "auto-pause" in result["items"][1]["detail"]


def test_opensearch_serverless_standby_doubles_the_ocus_and_collections_share_them():
    on = res("aoss", "a", {"type": "VECTORSEARCH"})
    shared = res("aoss", "b", {"type": "VECTORSEARCH"})
    off = res("aoss", "c", {"type": "SEARCH", "standbyReplicas": "DISABLED"})
    assert monthly([on, shared, off]) == [350.4, 0.0, 175.2]  # 2 and 1 OCU x 0.24 x 730


@pytest.mark.parametrize(("edition", "expected"), [
    ("DEVELOPER_EDITION", 821.25), (None, 1022.0), ("GEN_AI_ENTERPRISE_EDITION", 233.6)])
def test_kendra_editions(edition, expected):
    assert monthly([res("kendra", "k", {"edition": edition} if edition else {})]) == [expected]


def test_sagemaker_endpoint_instances_and_schedule_note():
    config = res("smc", "cfg", {"productionVariants": [
        {"variantName": "a", "instanceType": "ml.g5.xlarge", "initialInstanceCount": 2}]})
    endpoint = res("sm", "ep", {"name": "llm"}, propertyDependencies={"endpointConfigName": [config["urn"]]})
    schedule = res("sched", "nightly", {"resourceId": "endpoint/llm/variant/a"})
    item = cost([config, endpoint, schedule])["items"][0]
    assert item["monthly"] == 2055.68  # 2 x 1.408 x 730
    assert any("nightly" in note for note in item["notes"])


def test_an_eventbridge_schedule_deleting_the_endpoint_is_noted_and_another_endpoints_is_not():
    config = res("smc", "cfg", {"productionVariants": [{"instanceType": "ml.g5.xlarge"}]})
    endpoint = res("sm", "ep", {"name": "llm"}, propertyDependencies={"endpointConfigName": [config["urn"]]})

    def deleting(name: str, endpoint_name: str) -> dict[str, Any]:
        return res("ebsched", name, {"target": {
            "arn": "arn:aws:scheduler:::aws-sdk:sagemaker:deleteEndpoint",
            "input": json.dumps({"EndpointName": endpoint_name})}})

    item = cost([config, endpoint, deleting("stop-llm", "llm"), deleting("stop-other", "other")])["items"][0]
    notes = " ".join(item["notes"])
    assert "stop-llm" in notes and "stop-other" not in notes


def test_opensearch_vpc_endpoints_bill_per_az_like_interface_endpoints():
    endpoint = res("aossvpce", "vectors-vpce", {"subnetIds": ["subnet-1", "subnet-2"]})
    item = cost([endpoint])["items"][0]
    assert item["monthly"] == 14.6 and "OpenSearch Serverless endpoint in 2 AZs" in item["detail"]


def test_sagemaker_instance_type_missing_from_the_file_is_unpriced():
    config = res("smc", "cfg", {"productionVariants": [{"instanceType": "ml.p5.48xlarge"}]})
    endpoint = res("sm", "ep", propertyDependencies={"endpointConfigName": [config["urn"]]})
    result = cost([config, endpoint])
    assert result["items"][0]["monthly"] is None and not result["complete"]


def test_web_acl_counts_every_rule_and_paid_rule_groups():
    rules = [{"name": "rate", "statement": {"rateBasedStatement": {}}},
             {"name": "common", "statement": {"managedRuleGroupStatement": {
                 "name": "AWSManagedRulesCommonRuleSet"}}},
             {"name": "bots", "statement": {"managedRuleGroupStatement": {
                 "name": "AWSManagedRulesBotControlRuleSet"}}}]
    assert monthly([res("acl", "acl", {"rules": rules})]) == [18.0]  # 5 + 3 x 1 + 10
    unknown = cost([res("acl", "acl", {"rules": "<unknown until deploy>"})])["items"][0]
    assert unknown["monthly"] == 5.0 and any("rule count unknown" in n for n in unknown["notes"])


def test_monthly_items_keys_secrets_dashboards_alarms():
    alarms = [res("alarm", "std", {"period": 300}), res("alarm", "fast", {"period": 10}),
              res("alarm", "math", {"metricQueries": [{"id": "a", "metric": {}}, {"id": "b", "metric": {}},
                                                       {"id": "e", "expression": "a+b"}]})]
    resources = [res("kms", "key"), res("secret", "s", {"replicas": [{"region": "eu-west-1"}] * 2}),
                 res("dash", "d"), *alarms, res("table", "on-demand", {"billingMode": "PAY_PER_REQUEST"})]
    result = cost(resources)
    assert [i["monthly"] for i in result["items"]] == [1.0, 1.2, 3.0, 0.1, 0.3, 0.2]
    assert result["monthlyTotal"] == 5.8


def test_cognito_is_usage_driven_and_shows_its_tier():
    result = cost([res("pool", "users", {"userPoolTier": "ESSENTIALS"})])
    assert result["items"] == [] and result["monthlyTotal"] == 0
    assert any("ESSENTIALS" in line and "0.015" in line and "10,000 free" in line for line in result["usage"])


def test_an_uncovered_region_is_a_note_not_a_zero():
    result = cost([res("nat", "nat"), res("kms", "key")], region="ap-south-1")
    assert [i["monthly"] for i in result["items"]] == [None, None]
    assert not result["complete"]
    assert any("ap-south-1 is not covered" in note for note in result["notes"])
    assert any("leaves out 2" in note for note in result["notes"])


def test_a_resource_uses_its_explicit_providers_region():
    provider = res("provider", "edge", {"region": "us-east-1"})
    acl = res("acl", "edge-acl", {"rules": []}, provider=f"{provider['urn']}::id-1")
    result = cost([provider, acl, res("kms", "regional")], region="ap-south-1")
    regions = [(i["region"], i["monthly"]) for i in result["items"]]
    assert regions == [("us-east-1", 5.0), ("ap-south-1", None)]


def test_no_region_is_said():
    result = cost([res("kms", "key")], region=None)
    assert result["items"][0]["monthly"] is None and "region is unknown" in result["notes"][0]


def test_missing_regional_price_is_named():
    item = cost([res("nat", "nat")], region="eu-west-1")["items"][0]  # BOOK has us-east-1 prices only
    assert item["monthly"] is None and "no eu-west-1 price for natGatewayHour" in item["notes"][0]
