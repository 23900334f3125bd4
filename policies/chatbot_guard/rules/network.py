"""Network: no security group open to the internet (SEC-NO-OPEN-INGRESS). VPC flow logs are in
``network_flow_logs.py``.

A stack policy. An ingress rule can live on four tokens (inline on a group, on the default
group, and on the two stand-alone rule tokens), and the one exception (TCP 443 on a public load
balancer) needs to know which load balancer uses the group. The helpers that find open ingress are
shared with ``loadbalancer.py``.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import partial

from pulumi_policy import PolicyResource, ReportViolation, StackValidationArgs
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError

from ..links import dependency_urns
from ..metadata import Equivalents, RuleMeta, stack_policy
from ..props import Known, Missing, Segment, Unknown, check_all, known, lookup, require_known, unwrap

SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
DEFAULT_SECURITY_GROUP = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
GROUP_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
GROUPS = (SECURITY_GROUP, DEFAULT_SECURITY_GROUP)
INGRESS_TOKENS = (*GROUPS, GROUP_RULE, INGRESS_RULE)
LOAD_BALANCERS = ("aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer")

OPEN_INGRESS_META = RuleMeta(
    name="no-open-ingress",
    description=(
        "No security group admits inbound traffic from 0.0.0.0/0 or ::/0, except TCP 443 on a group "
        "attached to a public (internet-facing) load balancer."
    ),
    severity="high",
    catalogue_level="all",
    catalogue_ids=("SEC-NO-OPEN-INGRESS",),
    resource_types=(*INGRESS_TOKENS, *LOAD_BALANCERS),
    remediation=(
        "Replace 0.0.0.0/0 and ::/0 in ingress cidrBlocks / ipv6CidrBlocks (or cidrIpv4 / cidrIpv6 of "
        "aws.vpc.SecurityGroupIngressRule) with the VPC CIDR, a prefix list or a source security group. "
        "Only a group listed in securityGroups of an aws.lb.LoadBalancer with internal=False may open "
        "TCP 443 (from_port=to_port=443) to the internet."
    ),
    url="https://docs.aws.amazon.com/vpc/latest/userguide/vpc-security-groups.html",
    equivalents=Equivalents(
        cdk_nag=("AwsSolutions-EC23",),
        pdk_nag=(
            "AwsPrototyping-EC2RestrictedInbound",
            "AwsPrototyping-EC2RestrictedCommonPorts",
            "AwsPrototyping-EC2RestrictedSSH",
            "AwsPrototyping-VPCDefaultSecurityGroupClosed",
        ),
        checkov=("CKV_AWS_24", "CKV_AWS_25", "CKV_AWS_260", "CKV2_AWS_12"),
    ),
)

def _unknown(*path: Segment) -> UnknownValueError:
    return UnknownValueError(UNKNOWN_STRING_VALUE, [str(s) for s in path])


def _dotted(path: Sequence[Segment]) -> str:
    text = ""
    for segment in path:
        text += f"[{segment}]" if isinstance(segment, int) else (f".{segment}" if text else segment)
    return text


def is_open_cidr(cidr: str) -> bool:
    """Any /0 network is the whole internet (0.0.0.0/0, ::/0 and their non-canonical spellings)."""
    try:
        return ipaddress.ip_network(cidr.strip(), strict=False).prefixlen == 0
    except ValueError:
        return False


@dataclass(frozen=True)
class OpenIngress:
    """One CIDR that opens one ingress rule to the internet."""

    resource: PolicyResource
    base: tuple[Segment, ...]  # the rule entry: ("ingress", 0) on a group, () on a rule resource
    cidr_path: str
    cidr: str
    protocol_key: str

    def describe(self) -> str:
        props = self.resource.props
        protocol = known(props, (*self.base, self.protocol_key), "?")
        low, high = (known(props, (*self.base, key)) for key in ("fromPort", "toPort"))
        ports = "" if low is None else f" ports {int(low)}-{int(high if high is not None else low)}"
        return f"{self.cidr_path} admits {self.cidr} (protocol {protocol}{ports})"

    def is_tcp_443_only(self) -> bool:
        props = self.resource.props
        protocol = str(require_known(props, (*self.base, self.protocol_key), "")).lower()
        if protocol not in ("tcp", "6"):
            return False
        low = require_known(props, (*self.base, "fromPort"))
        high = require_known(props, (*self.base, "toPort"))
        return low is not None and high is not None and float(low) == 443 == float(high)


def _ingress_layout(resource: PolicyResource) -> tuple[list[tuple[Segment, ...]], tuple[str, ...], str]:
    """(rule entry paths, CIDR keys, protocol key); raises when it depends on an unknown value."""
    props = resource.props
    if resource.resource_type in GROUPS:
        entries = lookup(props, "ingress")
        if isinstance(entries, Unknown):
            raise _unknown(resource.name, "ingress")
        count = len(unwrap(entries.value)) if isinstance(entries, Known) else 0
        return [("ingress", i) for i in range(count)], ("cidrBlocks", "ipv6CidrBlocks"), "protocol"
    if resource.resource_type == GROUP_RULE:
        if require_known(props, "type") != "ingress":
            return [], (), "protocol"
        return [()], ("cidrBlocks", "ipv6CidrBlocks"), "protocol"
    if resource.resource_type == INGRESS_RULE:
        return [()], ("cidrIpv4", "cidrIpv6"), "ipProtocol"
    return [], (), "protocol"


def _cidrs(props: object, path: tuple[Segment, ...]) -> Iterable[tuple[tuple[Segment, ...], str | None]]:
    """Every CIDR under ``path`` (a string or a list of them); None stands for an unknown one."""
    found = lookup(props, path)
    if isinstance(found, Missing):
        return
    if isinstance(found, Unknown):
        yield path, None
        return
    value = unwrap(found.value)
    if isinstance(value, str):
        yield path, value
        return
    for index in range(len(value)):
        item = lookup(props, (*path, index))
        if isinstance(item, Known):
            yield (*path, index), str(item.value)
        elif isinstance(item, Unknown):
            yield (*path, index), None


def open_ingress(resource: PolicyResource) -> tuple[list[OpenIngress], UnknownValueError | None]:
    """The resource's internet-open ingress CIDRs, and the first unknown that hid one (if any)."""
    try:
        entries, keys, protocol_key = _ingress_layout(resource)
    except UnknownValueError as error:
        return [], error
    found: list[OpenIngress] = []
    pending: UnknownValueError | None = None
    for base in entries:
        for key in keys:
            for path, cidr in _cidrs(resource.props, (*base, key)):
                if cidr is None:
                    pending = pending or _unknown(resource.name, *path)
                elif is_open_cidr(cidr):
                    found.append(OpenIngress(resource, base, _dotted(path), cidr, protocol_key))
    return found, pending


def group_keys(resource: PolicyResource) -> frozenset[str]:
    """What identifies the group an ingress resource belongs to: URNs and known group ids."""
    if resource.resource_type in GROUPS:
        return frozenset({resource.urn, known(resource.props, "id")} - {None, ""})
    deps = dependency_urns(resource, "securityGroupId")
    return frozenset(deps | ({known(resource.props, "securityGroupId")} - {None, ""}))


def attached_groups(load_balancer: PolicyResource) -> tuple[frozenset[str], bool]:
    """(URNs and known ids of the load balancer's groups, whether that list is complete)."""
    deps = dependency_urns(load_balancer, "securityGroups")
    ids: set[str] = set()
    complete = True
    for _, value in _cidrs(load_balancer.props, ("securityGroups",)):
        if value is None:
            complete = complete and bool(deps)  # an unknown id is then most likely a linked group's
        else:
            ids.add(value)
    return frozenset(deps | ids), complete


def _public_groups(resources: Sequence[PolicyResource]) -> tuple[frozenset[str], list[UnknownValueError]]:
    keys: set[str] = set()
    undecided: list[UnknownValueError] = []
    for lb in (r for r in resources if r.resource_type in LOAD_BALANCERS):
        internal = lookup(lb.props, "internal")
        if isinstance(internal, Unknown):
            undecided.append(_unknown(lb.name, "internal"))
            continue
        if isinstance(internal, Known) and internal.value is True:
            continue
        groups, complete = attached_groups(lb)
        keys |= groups
        if not complete:
            undecided.append(_unknown(lb.name, "securityGroups"))
    return frozenset(keys), undecided


def _check_entry(
    entry: OpenIngress, groups: frozenset[str], public: frozenset[str], undecided: list[UnknownValueError],
    report: ReportViolation,
) -> None:
    if entry.is_tcp_443_only():
        if groups & public:
            return
        if undecided:
            raise undecided[0]
        reason = "its group is not attached to a public load balancer"
    else:
        reason = "only TCP 443 on a group attached to a public load balancer may be open"
    report(f"{entry.resource.name}: {entry.describe()}; {reason}. Use a narrower CIDR or a source group.",
           entry.resource.urn)


def _check_ingress(
    resource: PolicyResource, public: frozenset[str], undecided: list[UnknownValueError],
    report: ReportViolation,
) -> None:
    entries, pending = open_ingress(resource)
    groups = group_keys(resource)
    check_all(*(partial(_check_entry, e, groups, public, undecided, report) for e in entries))
    if pending is not None:
        raise pending


def validate_open_ingress(args: StackValidationArgs, report: ReportViolation) -> None:
    public, undecided = _public_groups(args.resources)
    ingress = [r for r in args.resources if r.resource_type in INGRESS_TOKENS]
    check_all(*(partial(_check_ingress, r, public, undecided, report) for r in ingress))


POLICIES = [
    stack_policy(OPEN_INGRESS_META, validate_open_ingress),
]
