"""Load balancers: the private website's internal load balancer is HTTPS-only, closed (SEC-PRIVATE-WEBSITE).

A stack policy: listeners and listener rules are linked to their load balancer through
``loadBalancerArn`` / ``listenerArn`` property dependencies (or equal known ARNs), and the load
balancer to its security groups through ``securityGroups``. Both the ``aws.lb`` and ``aws.alb`` tokens
are covered.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

from pulumi_policy import PolicyResource, ReportViolation, StackValidationArgs
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError

from ..links import targets_of
from ..metadata import Equivalents, RuleMeta, stack_policy
from ..props import check_all, is_present, require_known, unwrap
from .network import INGRESS_TOKENS, LOAD_BALANCERS, attached_groups, group_keys, open_ingress

LISTENERS = ("aws:lb/listener:Listener", "aws:alb/listener:Listener")
LISTENER_RULES = ("aws:lb/listenerRule:ListenerRule", "aws:alb/listenerRule:ListenerRule")
ENCRYPTED_PROTOCOLS = ("HTTPS", "TLS")
RECOMMENDED_SSL_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"

# Predefined ELB policies whose lowest protocol is TLS 1.2 or 1.3. The API default when sslPolicy is
# omitted is ELBSecurityPolicy-2016-08 (TLS 1.0), so an unset policy fails.
ACCEPTED_SSL_POLICIES = frozenset(
    {
        # TLS 1.3 + 1.2 (2021-06), TLS 1.3 only
        "ELBSecurityPolicy-TLS13-1-2-2021-06",
        "ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
        "ELBSecurityPolicy-TLS13-1-2-Ext1-2021-06",
        "ELBSecurityPolicy-TLS13-1-2-Ext2-2021-06",
        "ELBSecurityPolicy-TLS13-1-3-2021-06",
        # FIPS (2023-04)
        "ELBSecurityPolicy-TLS13-1-2-FIPS-2023-04",
        "ELBSecurityPolicy-TLS13-1-2-Res-FIPS-2023-04",
        "ELBSecurityPolicy-TLS13-1-2-Ext0-FIPS-2023-04",
        "ELBSecurityPolicy-TLS13-1-2-Ext1-FIPS-2023-04",
        "ELBSecurityPolicy-TLS13-1-2-Ext2-FIPS-2023-04",
        "ELBSecurityPolicy-TLS13-1-3-FIPS-2023-04",
        # post-quantum key exchange (2025-09)
        "ELBSecurityPolicy-TLS13-1-2-PQ-2025-09",
        "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09",
        "ELBSecurityPolicy-TLS13-1-2-Ext1-PQ-2025-09",
        "ELBSecurityPolicy-TLS13-1-2-Ext2-PQ-2025-09",
        "ELBSecurityPolicy-TLS13-1-3-PQ-2025-09",
        "ELBSecurityPolicy-TLS13-1-2-FIPS-PQ-2025-09",
        "ELBSecurityPolicy-TLS13-1-2-Res-FIPS-PQ-2025-09",
        "ELBSecurityPolicy-TLS13-1-2-Ext0-FIPS-PQ-2025-09",
        "ELBSecurityPolicy-TLS13-1-2-Ext1-FIPS-PQ-2025-09",
        "ELBSecurityPolicy-TLS13-1-2-Ext2-FIPS-PQ-2025-09",
        "ELBSecurityPolicy-TLS13-1-3-FIPS-PQ-2025-09",
        # forward secrecy and TLS 1.2-only policies
        "ELBSecurityPolicy-FS-1-2-2019-08",
        "ELBSecurityPolicy-FS-1-2-Res-2019-08",
        "ELBSecurityPolicy-FS-1-2-Res-2020-10",
        "ELBSecurityPolicy-TLS-1-2-2017-01",
        "ELBSecurityPolicy-TLS-1-2-Ext-2018-06",
    }
)

META = RuleMeta(
    name="private-load-balancer",
    description=(
        "Internal load balancers (the private website) listen on HTTPS with a TLS 1.2+ security policy, "
        "redirect HTTP to HTTPS, and their security groups admit no 0.0.0.0/0 or ::/0."
    ),
    severity="high",
    catalogue_level="all",
    catalogue_ids=("SEC-PRIVATE-WEBSITE",),
    resource_types=(*LOAD_BALANCERS, *LISTENERS, *LISTENER_RULES, *INGRESS_TOKENS),
    remediation=(
        "On aws.lb.Listener of an internal load balancer set protocol='HTTPS', certificate_arn and "
        f"ssl_policy='{RECOMMENDED_SSL_POLICY}'; an HTTP listener may only have default_actions of "
        "type='redirect' with redirect.protocol='HTTPS'. Give the load balancer security_groups whose "
        "ingress allows only the CIDRs that should reach the site (never 0.0.0.0/0 or ::/0)."
    ),
    url="https://docs.aws.amazon.com/elasticloadbalancing/latest/application/describe-ssl-policies.html",
    equivalents=Equivalents(
        cdk_nag=("AwsSolutions-EC23",),
        pdk_nag=("AwsPrototyping-ALBHttpToHttpsRedirection", "AwsPrototyping-ELBTlsHttpsListenersOnly"),
        checkov=("CKV_AWS_2", "CKV_AWS_103", "CKV2_AWS_20"),
    ),
)


def _unknown(*path: str) -> UnknownValueError:
    return UnknownValueError(UNKNOWN_STRING_VALUE, list(path))


def _is_internal(lb: PolicyResource) -> bool:
    return require_known(lb.props, "internal", False) is True


def _redirect_problems(resource: PolicyResource, key: str) -> list[str]:
    """Actions under ``key`` that do anything but redirect to HTTPS."""
    actions = unwrap(require_known(resource.props, key, []))
    problems: list[str] = []
    for index in range(len(actions)):
        kind = require_known(resource.props, f"{key}[{index}].type")
        protocol = require_known(resource.props, f"{key}[{index}].redirect.protocol")
        if kind != "redirect" or protocol != "HTTPS":
            target = f" to {protocol}" if kind == "redirect" else ""
            problems.append(f"{key}[{index}] is {kind}{target}")
    return problems


def _listener_protocol(listener: PolicyResource) -> str:
    # The provider defaults an unset protocol to HTTP.
    return str(require_known(listener.props, "protocol", "HTTP")).upper()


def _check_listener(listener: PolicyResource, lb: PolicyResource, report: ReportViolation) -> None:
    protocol = _listener_protocol(listener)
    where = f"Listener {listener.name} of internal load balancer {lb.name}"
    if protocol in ENCRYPTED_PROTOCOLS:
        policy = require_known(listener.props, "sslPolicy")
        if policy not in ACCEPTED_SSL_POLICIES:
            shown = policy or "not set (the API default ELBSecurityPolicy-2016-08 allows TLS 1.0)"
            report(f"{where}: sslPolicy is {shown}; use a TLS 1.2+ policy such as {RECOMMENDED_SSL_POLICY}.",
                   listener.urn)
    elif protocol == "HTTP":
        problems = _redirect_problems(listener, "defaultActions")
        if problems:
            report(f"{where} is HTTP but {'; '.join(problems)}; HTTP listeners may only redirect to HTTPS.",
                   listener.urn)
    else:
        report(f"{where}: protocol {protocol} is not encrypted; use HTTPS (or TLS) with a TLS 1.2+ policy.",
               listener.urn)


def _check_rule(rule: PolicyResource, listener: PolicyResource, report: ReportViolation) -> None:
    problems = _redirect_problems(rule, "actions")
    if problems:
        report(f"Listener rule {rule.name} on HTTP listener {listener.name} of an internal load balancer: "
               f"{'; '.join(problems)}; rules of an HTTP listener may only redirect to HTTPS.", rule.urn)


def _check_groups(lb: PolicyResource, resources: Sequence[PolicyResource], report: ReportViolation) -> None:
    if not is_present(lb.props, "securityGroups"):
        if require_known(lb.props, "loadBalancerType", "application") == "application":
            report(f"Internal load balancer {lb.name} sets no securityGroups, so the VPC's default security "
                   "group applies; attach a group that admits only the intended CIDRs.", lb.urn)
        return
    groups, complete = attached_groups(lb)
    if not complete:
        raise _unknown(lb.name, "securityGroups")

    def check(resource: PolicyResource) -> None:
        entries, pending = open_ingress(resource)
        for entry in entries:
            report(f"{resource.name}: {entry.describe()} to internal load balancer {lb.name}; the private "
                   "website's security groups may only admit the intended CIDRs.", resource.urn)
        if pending is not None:
            raise pending

    ingress = [r for r in resources if r.resource_type in INGRESS_TOKENS and group_keys(r) & groups]
    check_all(*(partial(check, r) for r in ingress))


def _listener_checks(
    listener: PolicyResource, lbs: Sequence[PolicyResource], rules: Sequence[PolicyResource],
    report: ReportViolation,
) -> None:
    targets = targets_of(listener, "loadBalancerArn", lbs, ("arn", "id"))
    if targets is None:
        raise _unknown(listener.name, "loadBalancerArn")
    for lb in targets:
        if not _is_internal(lb):
            continue
        _check_listener(listener, lb, report)
        if _listener_protocol(listener) != "HTTP":
            continue
        for rule in rules:
            linked = targets_of(rule, "listenerArn", [listener], ("arn", "id"))
            if linked is None:
                raise _unknown(rule.name, "listenerArn")
            if linked:
                _check_rule(rule, listener, report)


def validate(args: StackValidationArgs, report: ReportViolation) -> None:
    resources = args.resources
    lbs = [r for r in resources if r.resource_type in LOAD_BALANCERS]
    if not lbs:
        return
    rules = [r for r in resources if r.resource_type in LISTENER_RULES]
    listeners = [r for r in resources if r.resource_type in LISTENERS]
    checks = [partial(_listener_checks, r, lbs, rules, report) for r in listeners]

    def groups(lb: PolicyResource) -> None:
        if _is_internal(lb):
            _check_groups(lb, resources, report)

    checks += [partial(groups, lb) for lb in lbs]
    check_all(*checks)


POLICIES = [stack_policy(META, validate)]
