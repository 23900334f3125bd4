"""WAFv2 at the public edge: rate limit (SEC-WAF-RATE-LIMIT), managed rules (SEC-WAF-MANAGED-RULES), geo
(SEC-GEO-RESTRICTION). Stack policies: a web ACL's rules may come from its ``rules``, its ``ruleJson``,
separate ``WebAclRule`` / ``WebAclRuleGroupAssociation`` resources, and it reaches an entry point through
a distribution's ``webAclId`` or a ``WebAclAssociation``.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from pulumi_policy import PolicyResource, ReportViolation, StackValidationArgs

from ..metadata import Equivalents, RuleMeta, stack_policy
from ..props import check_all, is_unknown_value, require_known
from ..settings import current_settings
from .cloudfront import DISTRIBUTIONS, MULTITENANT
from .waf_edge import (
    ASSOCIATED,
    MANAGED_GROUPS,
    WAF_DOCS,
    WAF_PARTS,
    Acl,
    Edge,
    Verdict,
    all_of,
    dig,
    equals,
    for_entries,
)


def _rate_ok(rule: Any, ceiling: int) -> Verdict:
    rate = dig(rule, "statement", "rateBasedStatement")
    if rate is None:
        return False
    limit = dig(rate, "limit")
    within = None if is_unknown_value(limit) else isinstance(limit, int | float) and limit <= ceiling
    blocks = dig(rule, "action", "block")
    block = None if is_unknown_value(blocks) else blocks is not None
    return all_of(equals(dig(rate, "aggregateKeyType") or "IP", "IP", "FORWARDED_IP"), within, block)


def _managed_ok(rule: Any, group: str) -> Verdict:
    statement = dig(rule, "statement", "managedRuleGroupStatement")
    if statement is None:
        return False
    counted = dig(rule, "overrideAction", "count")
    not_counted = None if is_unknown_value(counted) else counted is None
    return all_of(
        equals(dig(statement, "name"), group), equals(dig(statement, "vendorName"), "AWS"), not_counted
    )


def _geo_ok(rule: Any, allowed: set[str]) -> Verdict:
    """A block rule on NOT(geo match of allowed countries only)."""
    codes = dig(rule, "statement", "notStatement", "statement", "geoMatchStatement", "countryCodes")
    if codes is None:
        return False
    unknown = is_unknown_value(codes) or any(is_unknown_value(c) for c in codes)
    subset = None if unknown else bool(codes) and set(codes) <= allowed
    blocks = dig(rule, "action", "block")
    return all_of(subset, None if is_unknown_value(blocks) else blocks is not None)


RATE = RuleMeta(
    name="waf-rate-limit",
    description=(
        "Every public entry point (CloudFront distribution, API Gateway REST stage, AppSync GraphQL API, "
        "internet-facing ALB) has a WAFv2 web ACL with a blocking rate-based rule keyed on IP (or "
        "FORWARDED_IP) whose limit is at most the stack's rateLimitCeiling. API Gateway v2 (HTTP/WebSocket) "
        "APIs cannot take a web ACL; they are covered by the API authorization rules."
    ),
    severity="high",
    catalogue_level="all",
    catalogue_ids=("SEC-WAF-RATE-LIMIT",),
    resource_types=(*DISTRIBUTIONS, *ASSOCIATED, *WAF_PARTS),
    remediation=(
        "Create an aws.wafv2.WebAcl with a rule {statement: {rate_based_statement: {aggregate_key_type: "
        "'IP', limit: <= rateLimitCeiling}}, action: {block: {}}}; attach it with web_acl_id=acl.arn on a "
        "distribution, or an aws.wafv2.WebAclAssociation(resource_arn=<stage/api/alb arn>, "
        "web_acl_arn=acl.arn)."
    ),
    url=f"{WAF_DOCS}waf-rule-statement-type-rate-based.html",
    equivalents=Equivalents(
        cdk_nag=("AwsSolutions-APIG3", "AwsSolutions-CFR2"),
        checkov=("CKV_AWS_68", "CKV2_AWS_29", "CKV2_AWS_33"),
    ),
)


def validate_rate(args: StackValidationArgs, report: ReportViolation) -> None:
    ceiling = current_settings().rate_limit_ceiling

    def problem(acl: Acl) -> str | None:
        if acl.decide(_rate_ok(rule, ceiling) for rule in acl.rules):
            return None
        return f"web ACL {acl.name} has no blocking rateBasedStatement keyed on IP with limit <= {ceiling}"

    for_entries(args, report, "is not rate limited", problem)


MANAGED = RuleMeta(
    name="waf-managed-rules",
    description=(
        "The web ACL of every public entry point uses the AWS managed rule groups "
        f"{' and '.join(MANAGED_GROUPS)} (vendor AWS), not overridden to count."
    ),
    severity="medium",
    catalogue_level="non-dev",
    catalogue_ids=("SEC-WAF-MANAGED-RULES",),
    resource_types=RATE.resource_types,
    remediation=(
        "Add a rule per group to the web ACL: {statement: {managed_rule_group_statement: "
        "{vendor_name: 'AWS', name: 'AWSManagedRulesCommonRuleSet'}}, override_action: {none: {}}} (same for "
        "AWSManagedRulesKnownBadInputsRuleSet)."
    ),
    url=f"{WAF_DOCS}aws-managed-rule-groups-baseline.html",
    equivalents=Equivalents(checkov=("CKV_AWS_192",)),
)


def validate_managed(args: StackValidationArgs, report: ReportViolation) -> None:
    def problem(acl: Acl) -> str | None:
        missing = [g for g in MANAGED_GROUPS if not acl.decide(_managed_ok(r, g) for r in acl.rules)]
        if not missing:
            return None
        return f"web ACL {acl.name} lacks (or counts only) {', '.join(missing)}"

    for_entries(args, report, "lacks AWS managed rules", problem)


GEO = RuleMeta(
    name="cloudfront-geo-restriction",
    description=(
        "When the stack profile lists allowedCountries, each CloudFront distribution admits viewers only "
        "from (a subset of) them: a whitelist geo restriction, or a web ACL rule blocking every other "
        "country."
    ),
    severity="low",
    catalogue_level="advisory",
    catalogue_ids=("SEC-GEO-RESTRICTION",),
    resource_types=(*DISTRIBUTIONS, *WAF_PARTS),
    remediation=(
        "Set restrictions.geo_restriction={restriction_type: 'whitelist', locations: <allowedCountries>}, or "
        "add a web ACL rule {action: {block: {}}, statement: {not_statement: {statement: "
        "{geo_match_statement: {country_codes: <allowedCountries>}}}}}."
    ),
    url="https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/georestrictions.html",
    equivalents=Equivalents(cdk_nag=("AwsSolutions-CFR1",)),
)


def _geo_restricted(dist: PolicyResource, allowed: set[str]) -> bool:
    kind = require_known(dist.props, "restrictions.geoRestriction.restrictionType", "none")
    key = "items" if dist.resource_type == MULTITENANT else "locations"
    codes = {str(c) for c in require_known(dist.props, f"restrictions.geoRestriction.{key}", [])}
    return kind == "whitelist" and bool(codes) and codes <= allowed


def validate_geo(args: StackValidationArgs, report: ReportViolation) -> None:
    allowed = set(current_settings().allowed_countries)
    if not allowed:
        args.not_applicable("allowedCountries is empty in the stack profile")
    edge = Edge(list(args.resources))

    def check(dist: PolicyResource) -> None:
        if _geo_restricted(dist, allowed):
            return
        acls, _ = edge.acls_for(dist)
        if acls and all(acl.decide(_geo_ok(r, allowed) for r in acl.rules) for acl in acls):
            return
        report(
            f"Distribution {dist.name} admits viewers outside allowedCountries {sorted(allowed)}: set a "
            "whitelist restrictions.geoRestriction or a web ACL geo block rule.",
            dist.urn,
        )

    check_all(*(partial(check, d) for d in edge.of(*DISTRIBUTIONS)))


POLICIES = [
    stack_policy(RATE, validate_rate),
    stack_policy(MANAGED, validate_managed),
    stack_policy(GEO, validate_geo),
]
