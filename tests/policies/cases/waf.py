"""Fixtures for rules/waf.py: rate limit, managed rule groups and geo restriction at public entry points."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from ..harness import UNKNOWN
from . import DELETE, Baseline, Case, Resource, ref
from .cloudfront import MULTITENANT, edge

WEB_ACL = "aws:wafv2/webAcl:WebAcl"
ASSOCIATION = "aws:wafv2/webAclAssociation:WebAclAssociation"
ACL_RULE = "aws:wafv2/webAclRule:WebAclRule"
GROUP_ASSOCIATION = "aws:wafv2/webAclRuleGroupAssociation:WebAclRuleGroupAssociation"
REST_API = "aws:apigateway/restApi:RestApi"
STAGE = "aws:apigateway/stage:Stage"
GRAPHQL = "aws:appsync/graphQLApi:GraphQLApi"
LB, ALB = "aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer"
RATE, MANAGED, GEO = "waf-rate-limit", "waf-managed-rules", "cloudfront-geo-restriction"


def _visibility(name: str) -> dict[str, Any]:
    return {"cloudwatchMetricsEnabled": True, "metricName": name, "sampledRequestsEnabled": True}


def acl_rules(countries: list[str]) -> list[dict[str, Any]]:
    """What components/firewall.py builds: geo block, IP rate limit, two AWS managed groups."""
    geo = {"notStatement": {"statement": {"geoMatchStatement": {"countryCodes": countries}}}}
    rate = {"rateBasedStatement": {"aggregateKeyType": "IP", "limit": 1000, "evaluationWindowSec": 300}}
    managed = [
        {"managedRuleGroupStatement": {"name": group, "vendorName": "AWS"}}
        for group in ("AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet")
    ]
    rules = [("geo", geo, {"action": {"block": {}}}), ("rate", rate, {"action": {"block": {}}})]
    rules += [(f"managed-{i}", s, {"overrideAction": {"none": {}}}) for i, s in enumerate(managed)]
    return [
        {"name": name, "priority": i, "statement": statement, "visibilityConfig": _visibility(name), **action}
        for i, (name, statement, action) in enumerate(rules)
    ]


def web_acl(name: str, scope: str) -> Resource:
    return Resource(
        WEB_ACL,
        name,
        {
            "name": f"chatbot-prod-{name}",
            "scope": scope,
            "defaultAction": {"allow": {}},
            "rules": acl_rules(["DE", "FR"]),
            "visibilityConfig": _visibility(name),
        },
    )


def association(name: str, target: tuple[str, str], acl: str, stack: str) -> Resource:
    return Resource(
        ASSOCIATION,
        name,
        {"resourceArn": UNKNOWN, "webAclArn": UNKNOWN},
        property_dependencies={"resourceArn": [ref(*target, stack)], "webAclArn": [ref(WEB_ACL, acl, stack)]},
    )


def entry_points(stack: str = "prod") -> tuple[Resource, ...]:
    headers, oac, site = edge(stack)
    site.props["webAclId"] = UNKNOWN
    site.property_dependencies = {**site.property_dependencies, "webAclId": [ref(WEB_ACL, "edge-acl", stack)]}
    api = Resource(
        REST_API, "api", {"name": "chatbot-prod-api", "endpointConfiguration": {"types": ["REGIONAL"]}}
    )
    stage = Resource(
        STAGE,
        "stage",
        {"stageName": "v1", "restApi": UNKNOWN, "deployment": UNKNOWN, "xrayTracingEnabled": True},
        property_dependencies={"restApi": [ref(REST_API, "api", stack)]},
    )
    graphql = Resource(
        GRAPHQL,
        "graphql",
        {"name": "chatbot-prod-graphql", "authenticationType": "AMAZON_COGNITO_USER_POOLS"},
    )
    alb = Resource(
        LB, "alb", {"internal": False, "loadBalancerType": "application", "subnets": [UNKNOWN, UNKNOWN]}
    )
    return (
        headers, oac, site, web_acl("edge-acl", "CLOUDFRONT"), web_acl("regional-acl", "REGIONAL"),
        api, stage, graphql, alb,
        association("stage-waf", (STAGE, "stage"), "regional-acl", stack),
        association("graphql-waf", (GRAPHQL, "graphql"), "regional-acl", stack),
        association("alb-waf", (LB, "alb"), "regional-acl", stack),
    )  # fmt: skip


BASE = Baseline(entry_points())
DEV = Baseline(entry_points("dev"), stack="dev")
_RULES = BASE.resources[4].props["rules"]
_RATE_LIMIT = "rules.1.statement.rateBasedStatement"
_MANAGED_1 = "rules.3.statement.managedRuleGroupStatement"


def _variant(case: Case) -> Baseline:
    return Baseline(case.resources, stack=case.stack)


def _with_rules(rules: Any, *extra: Resource) -> Baseline:
    """The baseline whose regional ACL gets ``rules`` (DELETE: none inline), plus ``extra`` resources."""
    return Baseline(BASE.mutate(RATE, "rules replaced", "regional-acl", "rules", rules).resources + extra)


def _unlinked(name: str) -> Baseline:
    """The baseline with resource ``name`` losing its property dependencies (an ARN typed in by hand)."""
    return Baseline(
        tuple(replace(r, property_dependencies={}) if r.name == name else r for r in BASE.resources)
    )


def _rule_resource(rule: dict[str, Any]) -> Resource:
    props = {k: v for k, v in rule.items() if k != "name"} | {"name": rule["name"], "webAclArn": UNKNOWN}
    return Resource(
        ACL_RULE,
        f"rule-{rule['name']}",
        props,
        property_dependencies={"webAclArn": [ref(WEB_ACL, "regional-acl")]},
    )


def _group_association(index: int, override: str = "none") -> Resource:
    group = _RULES[index]["statement"]["managedRuleGroupStatement"]
    return Resource(
        GROUP_ASSOCIATION,
        f"group-{index}",
        {"ruleName": _RULES[index]["name"], "priority": 10 + index, "webAclArn": UNKNOWN,
         "managedRuleGroup": group, "overrideAction": override,
         "visibilityConfig": _visibility(_RULES[index]["name"])},
        property_dependencies={"webAclArn": [ref(WEB_ACL, "regional-acl")]},
    )  # fmt: skip


_SPLIT = _with_rules(DELETE, *map(_rule_resource, _RULES[:2]), _group_association(2), _group_association(3))
_API_JSON = json.dumps(
    [{"Name": "rate", "Priority": 1, "Action": {"Block": {}},
      "Statement": {"RateBasedStatement": {"AggregateKeyType": "IP", "Limit": 500}},
      "VisibilityConfig": {"CloudWatchMetricsEnabled": True, "MetricName": "rate",
                           "SampledRequestsEnabled": True}}]
)  # fmt: skip
_SECOND_ALB = Resource(ALB, "alb-twin", {"internal": False, "loadBalancerType": "application"})
COUNTRIES = {"stack-profile": {"allowedCountries": ["DE", "FR"]}}
_MULTI = Resource(
    MULTITENANT, "tenants",
    {"comment": "tenants", "enabled": True, "tenantConfig": {}, "webAclId": UNKNOWN,
     "defaultCacheBehavior": {"targetOriginId": "content", "viewerProtocolPolicy": "https-only"},
     "restrictions": {"geoRestriction": {"restrictionType": "whitelist", "items": ["DE"]}}},
    property_dependencies={"webAclId": [ref(WEB_ACL, "edge-acl")]},
)  # fmt: skip

CASES = [
    # SEC-WAF-RATE-LIMIT
    BASE.case(RATE),
    BASE.mutate(
        RATE,
        "distribution without web ACL",
        "site",
        "webAclId",
        DELETE,
        message="webAclId is not set",
        level="mandatory",
    ),
    BASE.without(
        RATE, "REST stage without association", "stage-waf", message="Stage stage is not rate limited"
    ),
    BASE.without(RATE, "AppSync API without association", "graphql-waf", message="GraphQLApi graphql"),
    BASE.without(RATE, "public ALB without association", "alb-waf", message="LoadBalancer alb"),
    BASE.plus(RATE, "public ALB twin token without association", _SECOND_ALB, message="alb-twin"),
    _variant(BASE.without(RATE, "-", "alb-waf")).mutate(
        RATE, "internal ALB needs no WAF", "alb", "internal", True, expect="pass"
    ),
    _variant(BASE.without(RATE, "-", "alb-waf")).mutate(
        RATE, "network LB needs no WAF", "alb", "loadBalancerType", "network", expect="pass"
    ),
    _variant(BASE.without(RATE, "-", "graphql-waf")).mutate(
        RATE, "private AppSync API", "graphql", "visibility", "PRIVATE", expect="pass"
    ),
    _variant(BASE.without(RATE, "-", "stage-waf")).mutate(
        RATE, "private REST API", "api", "endpointConfiguration.types", ["PRIVATE"], expect="pass"
    ),
    BASE.mutate(
        RATE, "limit above the ceiling", "regional-acl", f"{_RATE_LIMIT}.limit", 5000, message="<= 2000"
    ),
    BASE.case(
        RATE,
        "ceiling from the stack profile",
        expect="violation",
        config={"stack-profile": {"rateLimitCeiling": 100}},
        message="<= 100",
    ),
    BASE.mutate(RATE, "keyed on a constant", "regional-acl", f"{_RATE_LIMIT}.aggregateKeyType", "CONSTANT"),
    BASE.mutate(
        RATE,
        "forwarded IP is fine",
        "regional-acl",
        f"{_RATE_LIMIT}.aggregateKeyType",
        "FORWARDED_IP",
        expect="pass",
    ),
    BASE.mutate(RATE, "rate rule only counts", "regional-acl", "rules.1.action", {"count": {}}),
    BASE.mutate(
        RATE, "limit unknown", "regional-acl", f"{_RATE_LIMIT}.limit", UNKNOWN, expect="not-evaluated"
    ),
    BASE.mutate(RATE, "rules unknown", "edge-acl", "rules", UNKNOWN, expect="not-evaluated"),
    _unlinked("site").mutate(
        RATE,
        "web ACL outside the stack",
        "site",
        "webAclId",
        "arn:aws:wafv2:us-east-1:123456789012:global/webacl/other/abc",
        message="outside this stack",
    ),
    _unlinked("stage-waf").case(RATE, "association target unknown and unlinked", expect="not-evaluated"),
    _unlinked("site").case(RATE, "webAclId unknown and unlinked", expect="not-evaluated"),
    _with_rules(DELETE).case(RATE, "ACL with no rules at all", expect="violation", message="regional-acl"),
    _with_rules(DELETE).plus(
        RATE, "rate rule as a WebAclRule resource", _rule_resource(_RULES[1]), expect="pass"
    ),
    _variant(BASE.mutate(RATE, "-", "regional-acl", "rules", DELETE)).mutate(
        RATE, "rate rule in ruleJson", "regional-acl", "ruleJson", _API_JSON, expect="pass"
    ),
    _variant(BASE.mutate(RATE, "-", "regional-acl", "rules", DELETE)).mutate(
        RATE, "ruleJson limit too high", "regional-acl", "ruleJson", _API_JSON.replace("500", "9000")
    ),
    DEV.without(RATE, "mandatory on dev", "stage-waf", level="mandatory"),
    BASE.plus(
        RATE,
        "multitenant distribution twin without web ACL",
        Resource(MULTITENANT, "tenants", {k: v for k, v in _MULTI.props.items() if k != "webAclId"}),
    ),
    # SEC-WAF-MANAGED-RULES
    BASE.case(MANAGED),
    BASE.mutate(
        MANAGED,
        "known bad inputs missing",
        "regional-acl",
        "rules",
        _RULES[:3],
        message="AWSManagedRulesKnownBadInputsRuleSet",
        level="mandatory",
    ),
    BASE.mutate(
        MANAGED,
        "common rule set counted",
        "regional-acl",
        "rules.2.overrideAction",
        {"count": {}},
        message="AWSManagedRulesCommonRuleSet",
    ),
    BASE.mutate(MANAGED, "not the AWS vendor", "regional-acl", f"{_MANAGED_1}.vendorName", "Acme"),
    BASE.mutate(
        MANAGED, "group name unknown", "regional-acl", f"{_MANAGED_1}.name", UNKNOWN, expect="not-evaluated"
    ),
    BASE.mutate(MANAGED, "distribution without web ACL", "site", "webAclId", DELETE),
    _SPLIT.case(MANAGED, "rules as WebAclRule and WebAclRuleGroupAssociation resources"),
    _SPLIT.case(RATE, "rate rule split out as a WebAclRule resource"),
    _variant(_SPLIT.case(MANAGED)).mutate(
        MANAGED,
        "group association counted",
        "group-3",
        "overrideAction",
        "count",
        message="AWSManagedRulesKnownBadInputsRuleSet",
    ),
    DEV.mutate(MANAGED, "advisory on dev", "regional-acl", "rules", _RULES[:2], level="advisory"),
    # SEC-GEO-RESTRICTION
    BASE.case(GEO, "no allowed countries: not applicable"),
    BASE.mutate(
        GEO,
        "no allowed countries, no restriction",
        "site",
        "restrictions.geoRestriction",
        {"restrictionType": "none"},
        expect="pass",
    ),
    BASE.case(GEO, "distribution whitelist within allowed countries", config=COUNTRIES),
    BASE.mutate(
        GEO,
        "distribution whitelist too wide but web ACL geo rule",
        "site",
        "restrictions.geoRestriction.locations",
        ["DE", "FR", "US"],
        config=COUNTRIES,
        expect="pass",
    ),
    _variant(BASE.mutate(GEO, "-", "edge-acl", "rules", _RULES[1:])).mutate(
        GEO,
        "neither restricts",
        "site",
        "restrictions.geoRestriction",
        {"restrictionType": "none"},
        config=COUNTRIES,
        level="advisory",
        message="outside allowedCountries",
    ),
    _variant(
        BASE.mutate(
            GEO,
            "-",
            "edge-acl",
            "rules.0.statement.notStatement.statement.geoMatchStatement.countryCodes",
            ["DE", "US"],
        )
    ).mutate(
        GEO,
        "web ACL allows another country",
        "site",
        "restrictions.geoRestriction",
        {"restrictionType": "blacklist", "locations": ["RU"]},
        config=COUNTRIES,
    ),
    BASE.mutate(
        GEO,
        "restriction unknown",
        "site",
        "restrictions.geoRestriction.restrictionType",
        UNKNOWN,
        config=COUNTRIES,
        expect="not-evaluated",
    ),
    BASE.plus(GEO, "multitenant twin restricted with items", _MULTI, config=COUNTRIES, expect="pass"),
    _variant(BASE.mutate(GEO, "-", "edge-acl", "rules", _RULES[1:])).plus(
        GEO,
        "multitenant twin too wide",
        Resource(
            MULTITENANT,
            "tenants",
            {
                **_MULTI.props,
                "restrictions": {"geoRestriction": {"restrictionType": "whitelist", "items": ["US"]}},
            },
            property_dependencies=_MULTI.property_dependencies,
        ),
        config=COUNTRIES,
        message="tenants",
    ),
]
