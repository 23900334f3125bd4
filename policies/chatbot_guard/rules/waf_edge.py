"""WAFv2 at the edge: which web ACLs (with which rules) protect which public entry point.

Shared by the WAF rules in ``waf.py``. A web ACL's rules can be inline (``rules`` / ``ruleJson``) or
separate ``WebAclRule`` / ``WebAclRuleGroupAssociation`` resources; an ACL reaches an entry point through
a distribution's ``webAclId`` or a ``WebAclAssociation``. No ``POLICIES`` here.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from pulumi_policy import PolicyResource, ReportViolation, StackValidationArgs
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError

from ..links import dependencies_of_type, refers_to
from ..props import Known, Missing, Unknown, check_all, is_unknown_value, known, lookup, plain, require_known
from .cloudfront import DISTRIBUTIONS

WEB_ACL = "aws:wafv2/webAcl:WebAcl"
ASSOCIATION = "aws:wafv2/webAclAssociation:WebAclAssociation"
ACL_RULE = "aws:wafv2/webAclRule:WebAclRule"
GROUP_ASSOCIATION = "aws:wafv2/webAclRuleGroupAssociation:WebAclRuleGroupAssociation"
REST_STAGE = "aws:apigateway/stage:Stage"
REST_API = "aws:apigateway/restApi:RestApi"
APPSYNC = "aws:appsync/graphQLApi:GraphQLApi"
LOAD_BALANCERS = ("aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer")
ASSOCIATED = (REST_STAGE, APPSYNC, *LOAD_BALANCERS)
WAF_PARTS = (WEB_ACL, ASSOCIATION, ACL_RULE, GROUP_ASSOCIATION)
MANAGED_GROUPS = ("AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet")
WAF_DOCS = "https://docs.aws.amazon.com/waf/latest/developerguide/"

Verdict = bool | None  # None: depends on a value unknown at preview


def dig(data: Any, *keys: str) -> Any:
    for key in keys:
        if is_unknown_value(data):
            return data
        data = data.get(key) if isinstance(data, Mapping) else None
    return data


def _camel(data: Any) -> Any:
    """ruleJson uses the API's PascalCase; the provider's inputs are camelCase."""
    if isinstance(data, Mapping):
        return {k[:1].lower() + k[1:]: _camel(v) for k, v in data.items()}
    return [_camel(v) for v in data] if isinstance(data, list) else data


@dataclass
class Acl:
    resource: PolicyResource
    rules: list[Any] = field(default_factory=list)
    pending: bool = False  # some rule source is unknown at preview

    @property
    def name(self) -> str:
        return self.resource.name

    def decide(self, verdicts: Iterator[Verdict]) -> bool:
        """True when a rule satisfies; False when none can; raises when only unknowns could."""
        seen = list(verdicts)
        if True in seen:
            return True
        if None in seen or self.pending:
            raise UnknownValueError(UNKNOWN_STRING_VALUE, [self.name, "rules"])
        return False


def _links(resource: PolicyResource, prop: str, target: PolicyResource) -> Verdict:
    """Does ``resource.<prop>`` (an ARN) refer to ``target``? None when it cannot be told yet."""
    return refers_to(resource, prop, target, ("arn", "id"))


class Edge:
    """Web ACLs with their rules, and which entry point uses which ACL."""

    def __init__(self, resources: list[PolicyResource]) -> None:
        self.resources = resources
        self.associations = self.of(ASSOCIATION)
        self.acls = {r.urn: self._acl(r) for r in self.of(WEB_ACL)}

    def of(self, *types: str) -> list[PolicyResource]:
        return [r for r in self.resources if r.resource_type in types]

    def _acl(self, acl: PolicyResource) -> Acl:
        result = Acl(acl)
        for source in (lookup(acl.props, "rules"), lookup(acl.props, "ruleJson")):
            if isinstance(source, Unknown):
                result.pending = True
            elif isinstance(source, Known):
                result.rules += _rules_of(plain(source.value))
        for rule in self.of(ACL_RULE, GROUP_ASSOCIATION):
            linked = _links(rule, "webAclArn", acl)
            if linked is None:
                result.pending = True
            elif linked:
                result.rules.append(_rule_of(rule))
        return result

    def acls_for(self, entry: PolicyResource) -> tuple[list[Acl], str]:
        """The stack's ACLs protecting ``entry``, or ([], why not); raises while links are unknown."""
        if entry.resource_type in DISTRIBUTIONS:
            if isinstance(lookup(entry.props, "webAclId"), Missing):
                return [], "webAclId is not set"
            refs = [(entry, "webAclId")]
        else:
            refs = [(a, "webAclArn") for a in self.associations if _links(a, "resourceArn", entry)]
            if not refs:
                if any(_links(a, "resourceArn", entry) is None for a in self.associations):
                    raise UnknownValueError(UNKNOWN_STRING_VALUE, [entry.name, "resourceArn"])
                return [], "no aws.wafv2.WebAclAssociation has it as resourceArn"
        found: list[Acl] = []
        for holder, prop in refs:
            verdicts = {urn: _links(holder, prop, acl.resource) for urn, acl in self.acls.items()}
            matched = [self.acls[urn] for urn, v in verdicts.items() if v]
            if not matched and None in verdicts.values():
                raise UnknownValueError(UNKNOWN_STRING_VALUE, [holder.name, prop])
            if not matched:
                if isinstance(lookup(holder.props, prop), Unknown):
                    raise UnknownValueError(UNKNOWN_STRING_VALUE, [holder.name, prop])
                return (
                    [],
                    f"{holder.name}.{prop} refers to a web ACL outside this stack, which cannot be verified",
                )
            found += matched
        return found, ""

    def is_public(self, entry: PolicyResource) -> bool:
        if entry.resource_type == APPSYNC:
            return require_known(entry.props, "visibility", "GLOBAL") != "PRIVATE"
        if entry.resource_type in LOAD_BALANCERS:
            internal = require_known(entry.props, "internal", False)
            return (
                require_known(entry.props, "loadBalancerType", "application") == "application"
                and not internal
            )
        if entry.resource_type == REST_STAGE:
            apis = dependencies_of_type(entry, "restApi", (REST_API,))
            return not any(plain(known(a.props, "endpointConfiguration.types")) == ["PRIVATE"] for a in apis)
        return True


def _rules_of(value: Any) -> list[Any]:
    if isinstance(value, str):
        try:
            value = _camel(json.loads(value))
        except ValueError:
            return []  # the provider rejects malformed ruleJson before anything is deployed
    return value if isinstance(value, list) else []


def _rule_of(resource: PolicyResource) -> dict[str, Any]:
    props = plain(resource.props)
    if resource.resource_type == ACL_RULE:
        return props
    override = props.get("overrideAction", "none")
    return {
        "name": props.get("ruleName"),
        "statement": {"managedRuleGroupStatement": props.get("managedRuleGroup")},
        "overrideAction": override if is_unknown_value(override) else {str(override): {}},
    }


def all_of(*verdicts: Verdict) -> Verdict:
    return False if False in verdicts else (None if None in verdicts else True)


def equals(value: Any, *allowed: Any) -> Verdict:
    return None if is_unknown_value(value) else value in allowed


def for_entries(
    args: StackValidationArgs, report: ReportViolation, what: str, problem: Callable[[Acl], str | None]
) -> None:
    edge = Edge(list(args.resources))

    def check(entry: PolicyResource) -> None:
        if not edge.is_public(entry):
            return
        acls, why = edge.acls_for(entry)
        issues = [why] if why else [p for p in map(problem, acls) if p]
        if issues:
            report(
                f"{entry.resource_type.split(':')[-1]} {entry.name} {what}: {'; '.join(issues)}.", entry.urn
            )

    check_all(*(partial(check, entry) for entry in edge.of(*DISTRIBUTIONS, *ASSOCIATED)))
