"""Per-resource-type idle-cost rules. A rule returns None for a resource that costs nothing while idle."""

from __future__ import annotations

from typing import Any

from .model import UNKNOWN, Context, Line, Rule, priced, unpriced

# AWS managed rule groups with a monthly subscription on top of the rule charge.
PREMIUM_RULE_GROUPS = {
    "AWSManagedRulesBotControlRuleSet",
    "AWSManagedRulesATPRuleSet",
    "AWSManagedRulesACFPRuleSet",
    "AWSManagedRulesAntiDDoSRuleSet",
}
KENDRA_EDITIONS = {
    "DEVELOPER_EDITION": "kendraDeveloperHour",
    "ENTERPRISE_EDITION": "kendraEnterpriseHour",
    "GEN_AI_ENTERPRISE_EDITION": "kendraGenAiEnterpriseHour",
}


def _known(value: Any) -> bool:
    return value is not None and value != UNKNOWN


def nat_gateway(ctx: Context, r: dict[str, Any]) -> Line:
    return priced(ctx, r, "natGatewayHour", 1, "1 NAT gateway", hourly=True)


def public_ip(ctx: Context, r: dict[str, Any]) -> Line:
    return priced(ctx, r, "publicIpv4Hour", 1, "1 public IPv4 address", hourly=True)


def vpc_endpoint(ctx: Context, r: dict[str, Any]) -> Line | None:
    kind = r["inputs"].get("vpcEndpointType", "Gateway")
    if kind == "Gateway":
        return None  # S3 and DynamoDB gateway endpoints are free
    if kind not in ("Interface", "GatewayLoadBalancer"):
        return unpriced(ctx, r, f"endpoint type {kind} is not in the price file")
    return _endpoint_az_hours(ctx, r, str(r["inputs"].get("serviceName", "")).rsplit(".", 1)[-1])


def opensearch_vpc_endpoint(ctx: Context, r: dict[str, Any]) -> Line:
    """An OpenSearch Serverless VPC endpoint bills at the PrivateLink interface endpoint rate per AZ."""
    return _endpoint_az_hours(ctx, r, "OpenSearch Serverless")


def _endpoint_az_hours(ctx: Context, r: dict[str, Any], service: str) -> Line:
    subnets = r["inputs"].get("subnetIds")
    notes: list[str] = []
    if isinstance(subnets, list) and all(_known(s) for s in subnets):
        count = len(subnets)
    elif deps := ctx.dependencies(r, "subnetIds"):
        count = len(deps)  # the subnet IDs are unknown at preview, but which subnets is known
    else:
        count = 1
        notes.append("subnet (AZ) count unknown until deploy: priced for 1 AZ, a lower bound")
    return priced(ctx, r, "interfaceEndpointAzHour", count,
                  f"{service} endpoint in {count} AZ{'s' if count != 1 else ''}", hourly=True, notes=notes)


def load_balancer(ctx: Context, r: dict[str, Any]) -> Line:
    kind = r["inputs"].get("loadBalancerType", "application")
    key = {"application": "albHour", "network": "nlbHour"}.get(kind)
    if key is None:
        return unpriced(ctx, r, f"{kind} load balancers are not in the price file")
    return priced(ctx, r, key, 1, f"1 {kind} load balancer", hourly=True,
                  notes=["capacity units (LCUs) are usage"])


def aurora_instance(ctx: Context, r: dict[str, Any]) -> Line:
    instance_class = r["inputs"].get("instanceClass")
    if instance_class != "db.serverless":
        return unpriced(ctx, r, f"instance class {instance_class} is not in the price file")
    clusters = ctx.dependencies(r, "clusterIdentifier")
    scaling = clusters[0]["inputs"].get("serverlessv2ScalingConfiguration") if clusters else None
    minimum = scaling.get("minCapacity") if isinstance(scaling, dict) else None
    if not _known(minimum):
        return unpriced(ctx, r, "minimum ACU unknown (cluster or its serverlessv2ScalingConfiguration "
                                "not found)")
    if float(minimum) == 0:
        pause = scaling.get("secondsUntilAutoPause", 300)
        return Line(r, ctx.region_of(r), 0.0, "0 ACU minimum: auto-pause",
                    [f"pauses after {pause} s without connections; no compute charge while paused"])
    return priced(ctx, r, "auroraServerlessV2AcuHour", float(minimum), f"{minimum} ACU minimum",
                  hourly=True, notes=["storage and I/O are usage"])


def opensearch_collection(ctx: Context, r: dict[str, Any]) -> Line:
    family = "vector" if r["inputs"].get("type") == "VECTORSEARCH" else "search/time series"
    standby = r["inputs"].get("standbyReplicas", "ENABLED")
    group = f"{ctx.region_of(r)}:{family}"
    if group in ctx.seen:
        return Line(r, ctx.region_of(r), 0.0, f"shares the OCUs of {ctx.seen[group]}",
                    ["a collection with its own KMS key would bring its own OCUs"])
    ctx.seen[group] = r["name"]
    ocus = 1.0 if standby == "DISABLED" else 2.0  # 0.5 OCU indexing + 0.5 search, doubled by standbys
    label = "standby replicas off" if standby == "DISABLED" else "standby replicas on"
    return priced(ctx, r, "opensearchServerlessOcuHour", ocus, f"{ocus:g} OCU minimum ({label})",
                  hourly=True, notes=["later collections of the same kind and key share these OCUs"])


def kendra_index(ctx: Context, r: dict[str, Any]) -> Line:
    edition = r["inputs"].get("edition", "ENTERPRISE_EDITION")
    key = KENDRA_EDITIONS.get(edition)
    if key is None:
        return unpriced(ctx, r, f"Kendra edition {edition} is not in the price file")
    notes = []
    if r["inputs"].get("capacityUnits"):
        notes.append("extra query or storage capacity units are not priced here")
    return priced(ctx, r, key, 1, f"1 {edition} index", hourly=True, notes=notes)


def _schedules(ctx: Context, endpoint: dict[str, Any]) -> list[str]:
    name = endpoint["inputs"].get("name")
    found = []
    for other in ctx.resources:
        if other["type"] == "aws:scheduler/schedule:Schedule":
            # EventBridge Scheduler deleting the endpoint out of hours (components/self_hosted_models.py).
            target = other["inputs"].get("target")
            if (isinstance(target, dict) and _known(name)
                    and str(target.get("arn", "")).endswith("sagemaker:deleteEndpoint")
                    and f'"EndpointName": "{name}"' in str(target.get("input", ""))):
                found.append(other["name"])
            continue
        if other["type"] != "aws:appautoscaling/scheduledAction:ScheduledAction":
            continue
        target = str(other["inputs"].get("resourceId", ""))
        if endpoint["urn"] in (other.get("dependencies") or []) or (_known(name) and f"/{name}/" in target):
            found.append(other["name"])
    return found


def sagemaker_endpoint(ctx: Context, r: dict[str, Any]) -> Line:
    configs = ctx.dependencies(r, "endpointConfigName")
    variants = configs[0]["inputs"].get("productionVariants") if configs else None
    if not isinstance(variants, list):
        return unpriced(ctx, r, "endpoint configuration (instance types) unknown")
    lines, notes = [], []
    for variant in variants:
        if variant.get("serverlessConfig"):
            notes.append(f"serverless variant {variant.get('variantName')}: no idle compute")
            continue
        kind, count = variant.get("instanceType"), variant.get("initialInstanceCount", 1)
        if not (_known(kind) and _known(count)):
            return unpriced(ctx, r, "instance type or count unknown until deploy")
        lines.append(priced(ctx, r, "sagemakerInstanceHour", float(count), f"{count} x {kind}",
                            hourly=True, variant=kind))
    if schedules := _schedules(ctx, r):
        notes.append(f"schedule(s) {', '.join(schedules)}: the cost shown is always-on; "
                     "hours the schedule scales in or deletes the endpoint are not billed")
    notes += [n for line in lines for n in line.notes]
    if any(line.monthly is None for line in lines):
        return Line(r, ctx.region_of(r), None, "; ".join(line.detail for line in lines), notes)
    return Line(r, ctx.region_of(r), sum(line.monthly or 0.0 for line in lines),
                "; ".join(line.detail for line in lines) or "no instances", notes)


def web_acl(ctx: Context, r: dict[str, Any]) -> Line:
    rules = r["inputs"].get("rules")
    acl = priced(ctx, r, "wafWebAclMonth", 1, "1 web ACL", hourly=False)
    if not isinstance(rules, list):
        acl.notes.append("rule count unknown until deploy: rules not priced")
        return acl
    rule_line = priced(ctx, r, "wafRuleMonth", len(rules), f"{len(rules)} rules", hourly=False)
    premium = [rule["name"] for rule in rules if isinstance(rule.get("statement"), dict)
               and rule["statement"].get("managedRuleGroupStatement", {}).get("name") in PREMIUM_RULE_GROUPS]
    parts = [acl, rule_line]
    if premium:
        parts.append(priced(ctx, r, "wafPremiumRuleGroupMonth", len(premium),
                            f"{len(premium)} paid managed rule groups", hourly=False))
    notes = sorted({n for part in parts for n in part.notes})
    total = None if any(p.monthly is None for p in parts) else sum(p.monthly or 0.0 for p in parts)
    return Line(r, acl.region, total, " + ".join(p.detail for p in parts), notes)


def kms_key(ctx: Context, r: dict[str, Any]) -> Line:
    notes = ["each of the key's first two yearly rotations adds $1/month"] \
        if r["inputs"].get("enableKeyRotation") else []
    return priced(ctx, r, "kmsKeyMonth", 1, "1 customer managed key", hourly=False, notes=notes)


def secret(ctx: Context, r: dict[str, Any]) -> Line:
    replicas = r["inputs"].get("replicas")
    count = 1 + (len(replicas) if isinstance(replicas, list) else 0)
    return priced(ctx, r, "secretMonth", count, f"{count} secret{'s' if count > 1 else ''}", hourly=False)


def dashboard(ctx: Context, r: dict[str, Any]) -> Line:
    return priced(ctx, r, "cloudwatchDashboardMonth", 1, "1 dashboard", hourly=False,
                  notes=["the free tier covers 3 dashboards per account"])


def metric_alarm(ctx: Context, r: dict[str, Any]) -> Line:
    queries = r["inputs"].get("metricQueries")
    metrics = sum(1 for q in queries if q.get("metric") is not None) if isinstance(queries, list) else 1
    if isinstance(queries, list) and any("ANOMALY_DETECTION_BAND" in str(q.get("expression", ""))
                                         for q in queries):
        metrics *= 3  # an anomaly detection alarm bills three metrics
    period = r["inputs"].get("period")
    high = _known(period) and isinstance(period, int | float) and period < 60
    key = "cloudwatchHighResAlarmMetricMonth" if high else "cloudwatchAlarmMetricMonth"
    what = f"{metrics} {'high-resolution ' if high else ''}alarm metric{'s' if metrics != 1 else ''}"
    return priced(ctx, r, key, metrics, what, hourly=False,
                  notes=["the free tier covers 10 alarm metrics per account"])


def composite_alarm(ctx: Context, r: dict[str, Any]) -> Line:
    return priced(ctx, r, "cloudwatchCompositeAlarmMonth", 1, "1 composite alarm", hourly=False)


def user_pool(ctx: Context, r: dict[str, Any]) -> Line:
    tier = r["inputs"].get("userPoolTier", "ESSENTIALS")
    region = ctx.region_of(r)
    price, problem = ctx.lookup("cognitoMau", region, tier if _known(tier) else None)
    if price is None:
        detail = f"Cognito {tier} plan: usage-driven, per monthly active user ({problem})"
    else:
        free = f" above {price.free_units:,} free" if price.free_units else " (no free tier)"
        detail = f"Cognito {tier} plan: usage-driven, ${price.amount:g} per monthly active user{free}"
    return Line(r, region, 0.0, detail, usage_driven=True)


def dynamodb_table(ctx: Context, r: dict[str, Any]) -> Line | None:
    if r["inputs"].get("billingMode", "PROVISIONED") != "PROVISIONED":
        return None
    return unpriced(ctx, r, "provisioned read/write capacity bills hourly and is not in the price file")


def rest_stage(ctx: Context, r: dict[str, Any]) -> Line | None:
    if not r["inputs"].get("cacheClusterEnabled"):
        return None
    return unpriced(ctx, r, "the API cache bills hourly by size and is not in the price file")


def _always_unpriced(why: str) -> Rule:
    return lambda ctx, r: unpriced(ctx, r, why)


RULES: dict[str, Rule] = {
    "aws:ec2/natGateway:NatGateway": nat_gateway,
    "aws:ec2/eip:Eip": public_ip,
    "aws:ec2/vpcEndpoint:VpcEndpoint": vpc_endpoint,
    "aws:lb/loadBalancer:LoadBalancer": load_balancer,
    "aws:alb/loadBalancer:LoadBalancer": load_balancer,
    "aws:rds/clusterInstance:ClusterInstance": aurora_instance,
    "aws:opensearch/serverlessCollection:ServerlessCollection": opensearch_collection,
    "aws:opensearch/serverlessVpcEndpoint:ServerlessVpcEndpoint": opensearch_vpc_endpoint,
    "aws:kendra/index:Index": kendra_index,
    "aws:sagemaker/endpoint:Endpoint": sagemaker_endpoint,
    "aws:wafv2/webAcl:WebAcl": web_acl,
    "aws:kms/key:Key": kms_key,
    "aws:kms/replicaKey:ReplicaKey": kms_key,
    "aws:kms/externalKey:ExternalKey": kms_key,
    "aws:secretsmanager/secret:Secret": secret,
    "aws:cloudwatch/dashboard:Dashboard": dashboard,
    "aws:cloudwatch/metricAlarm:MetricAlarm": metric_alarm,
    "aws:cloudwatch/compositeAlarm:CompositeAlarm": composite_alarm,
    "aws:cognito/userPool:UserPool": user_pool,
    "aws:dynamodb/table:Table": dynamodb_table,
    "aws:apigateway/stage:Stage": rest_stage,
    "aws:ec2/instance:Instance": _always_unpriced("EC2 instances are not in the price file"),
    "aws:rds/instance:Instance": _always_unpriced("RDS instances are not in the price file"),
    "aws:lambda/provisionedConcurrencyConfig:ProvisionedConcurrencyConfig":
        _always_unpriced("Lambda provisioned concurrency is not in the price file"),
}
