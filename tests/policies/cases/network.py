"""Fixtures for rules/network.py: no-open-ingress and vpc-flow-logs."""

from ..harness import UNKNOWN
from . import DELETE, Baseline, Resource, ref

VPC = "aws:ec2/vpc:Vpc"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"
SG = "aws:ec2/securityGroup:SecurityGroup"
DEFAULT_SG = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
SG_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
LB = "aws:lb/loadBalancer:LoadBalancer"
ALB = "aws:alb/loadBalancer:LoadBalancer"

OPEN = "no-open-ingress"
FLOWS = "vpc-flow-logs"


def _rule(port: float, cidrs: list[str], **extra: object) -> dict[str, object]:
    return {"protocol": "tcp", "fromPort": port, "toPort": port, "cidrBlocks": cidrs, **extra}


def _resources(stack: str, lb_type: str = LB) -> tuple[Resource, ...]:
    return (
        Resource(VPC, "main-vpc", {"cidrBlock": "10.0.0.0/16", "enableDnsHostnames": True,
                                   "enableDnsSupport": True, "instanceTenancy": "default"}),
        Resource(
            FLOW_LOG, "main-flow-log",
            {"vpcId": UNKNOWN, "trafficType": "ALL", "logDestinationType": "cloud-watch-logs",
             "logDestination": UNKNOWN, "iamRoleArn": UNKNOWN, "maxAggregationInterval": 600.0},
            property_dependencies={"vpcId": [ref(VPC, "main-vpc", stack)]},
        ),
        Resource(
            SG, "web-lb-sg",
            {"vpcId": UNKNOWN, "description": "public load balancer", "revokeRulesOnDelete": False,
             "ingress": [_rule(443.0, ["0.0.0.0/0"], ipv6CidrBlocks=["::/0"], description="HTTPS")],
             "egress": [_rule(8080.0, ["10.0.0.0/16"])]},
            property_dependencies={"vpcId": [ref(VPC, "main-vpc", stack)]},
        ),
        Resource(
            lb_type, "web-lb",
            {"internal": False, "loadBalancerType": "application", "securityGroups": [UNKNOWN],
             "subnets": [UNKNOWN, UNKNOWN], "dropInvalidHeaderFields": True},
            property_dependencies={"securityGroups": [ref(SG, "web-lb-sg", stack)]},
        ),
        Resource(
            SG, "app-sg",
            {"vpcId": UNKNOWN, "description": "application", "revokeRulesOnDelete": False,
             "ingress": [_rule(8080.0, ["10.0.0.0/16"])], "egress": []},
        ),
        Resource(
            SG_RULE, "app-https-from-vpc",
            {"type": "ingress", **_rule(443.0, ["10.0.0.0/16"]), "securityGroupId": UNKNOWN},
            property_dependencies={"securityGroupId": [ref(SG, "app-sg", stack)]},
        ),
        Resource(
            INGRESS_RULE, "app-from-lb",
            {"ipProtocol": "tcp", "fromPort": 8080.0, "toPort": 8080.0, "securityGroupId": UNKNOWN,
             "referencedSecurityGroupId": UNKNOWN},
            property_dependencies={"securityGroupId": [ref(SG, "app-sg", stack)],
                                   "referencedSecurityGroupId": [ref(SG, "web-lb-sg", stack)]},
        ),
        Resource(DEFAULT_SG, "default-sg", {"vpcId": UNKNOWN, "ingress": [], "egress": []}),
    )


BASE = Baseline(_resources("prod"))
DEV = Baseline(_resources("dev"), stack="dev")
ALB_BASE = Baseline(_resources("prod", ALB))


def _extra(type_: str, name: str, props: dict[str, object], group: str = "app-sg") -> Resource:
    return Resource(type_, name, props, property_dependencies={"securityGroupId": [ref(SG, group)]})


# A group linked to its load balancer by known ids only (as during `pulumi up`, without dependencies).
BY_ID = Baseline((
    Resource(SG, "edge-sg", {"id": "sg-0edge", "ingress": [_rule(443.0, ["0.0.0.0/0"])], "egress": []}),
    Resource(LB, "edge-lb", {"internal": False, "securityGroups": ["sg-0other", "sg-0edge"]}),
))
SUPPRESS = {"stack-profile": {"suppressions": [
    {"policy": OPEN, "urn": "*::app-sg", "reason": "Bastion replaced by SSM; removed in the next release."}
]}}

OPEN_CASES = [
    BASE.case(OPEN),
    ALB_BASE.case(OPEN, "public aws.alb load balancer on 443 is the exception"),
    BY_ID.case(OPEN, "group linked to the public load balancer by known id"),
    BY_ID.mutate(OPEN, "known id not attached", "edge-lb", "securityGroups", ["sg-0other"],
                 message="not attached to a public load balancer"),
    BASE.mutate(OPEN, "IPv4 world on an app port", "app-sg", "ingress.0.cidrBlocks", ["0.0.0.0/0"],
                level="mandatory", message="ingress[0].cidrBlocks[0] admits 0.0.0.0/0"),
    BASE.mutate(OPEN, "IPv6 world on an app port", "app-sg", "ingress.0.ipv6CidrBlocks", ["::/0"],
                message="::/0"),
    BASE.mutate(OPEN, "non-canonical /0 is still the internet", "app-sg", "ingress.0.cidrBlocks",
                ["10.0.0.0/0"]),
    BASE.mutate(OPEN, "public LB group opens SSH", "web-lb-sg", "ingress.0.fromPort", 22.0,
                message="only TCP 443"),
    BASE.mutate(OPEN, "public LB group opens all protocols", "web-lb-sg", "ingress.0.protocol", "-1"),
    BASE.plus(OPEN, "all protocols from the world needs no port to fail",
              _extra(SG_RULE, "all-in", {"type": "ingress", "protocol": "-1", "fromPort": UNKNOWN,
                                          "toPort": UNKNOWN, "cidrBlocks": ["0.0.0.0/0"]}, group="web-lb-sg"),
              message="all-in"),
    BASE.mutate(OPEN, "443 open but the load balancer is internal", "web-lb", "internal", True,
                message="not attached to a public load balancer"),
    ALB_BASE.mutate(OPEN, "443 open but the aws.alb load balancer is internal", "web-lb", "internal", True),
    BASE.without(OPEN, "443 open on a group no load balancer uses", "web-lb"),
    BASE.plus(OPEN, "aws.ec2.SecurityGroupRule ingress from ::/0",
              _extra(SG_RULE, "ssh-anywhere", {"type": "ingress", "protocol": "tcp", "fromPort": 22.0,
                                                "toPort": 22.0, "ipv6CidrBlocks": ["::/0"]}),
              message="ipv6CidrBlocks[0] admits ::/0"),
    BASE.plus(OPEN, "aws.ec2.SecurityGroupRule egress to the world is not ingress",
              _extra(SG_RULE, "all-out", {"type": "egress", "protocol": "-1", "fromPort": 0.0,
                                           "toPort": 0.0, "cidrBlocks": ["0.0.0.0/0"]}),
              expect="pass"),
    BASE.plus(OPEN, "aws.vpc.SecurityGroupIngressRule from 0.0.0.0/0",
              _extra(INGRESS_RULE, "rdp-anywhere", {"ipProtocol": "tcp", "fromPort": 3389.0,
                                                     "toPort": 3389.0, "cidrIpv4": "0.0.0.0/0"}),
              message="cidrIpv4 admits 0.0.0.0/0"),
    BASE.plus(OPEN, "aws.vpc.SecurityGroupIngressRule 443 on the public LB group",
              _extra(INGRESS_RULE, "https-v6", {"ipProtocol": "tcp", "fromPort": 443.0, "toPort": 443.0,
                                                 "cidrIpv6": "::/0"}, group="web-lb-sg"),
              expect="pass"),
    BASE.mutate(OPEN, "default security group opened", "default-sg", "ingress",
                [_rule(22.0, ["0.0.0.0/0"])], message="default-sg"),
    BASE.mutate(OPEN, "CIDR unknown at preview", "app-sg", "ingress.0.cidrBlocks", [UNKNOWN],
                expect="not-evaluated"),
    BASE.mutate(OPEN, "ingress list unknown at preview", "app-sg", "ingress", UNKNOWN,
                expect="not-evaluated"),
    BASE.mutate(OPEN, "rule type unknown at preview", "app-https-from-vpc", "type", UNKNOWN,
                expect="not-evaluated"),
    BASE.mutate(OPEN, "internal flag unknown decides the 443 exception", "web-lb", "internal", UNKNOWN,
                expect="not-evaluated"),
    DEV.mutate(OPEN, "dev stacks are not exempt", "app-sg", "ingress.0.cidrBlocks", ["0.0.0.0/0"],
               level="mandatory"),
    BASE.mutate(OPEN, "suppressed with a reason", "app-sg", "ingress.0.cidrBlocks", ["0.0.0.0/0"],
                expect="suppressed", config=SUPPRESS),
]

OTHER_VPC = Resource(VPC, "other-vpc", {"cidrBlock": "10.1.0.0/16"})
BY_VPC_ID = Baseline((
    Resource(VPC, "known-vpc", {"id": "vpc-0123", "cidrBlock": "10.2.0.0/16"}),
    Resource(FLOW_LOG, "known-flow-log", {"vpcId": "vpc-0123", "trafficType": "ALL"}),
))

FLOW_CASES = [
    BASE.case(FLOWS),
    BY_VPC_ID.case(FLOWS, "flow log linked by known VPC id"),
    BY_VPC_ID.mutate(FLOWS, "flow log for another VPC id", "known-flow-log", "vpcId", "vpc-0999"),
    BASE.without(FLOWS, "no flow log", "main-flow-log", level="mandatory", message="no aws.ec2.FlowLog"),
    BASE.plus(FLOWS, "a second VPC without flow log", OTHER_VPC, message="VPC other-vpc"),
    BASE.mutate(FLOWS, "REJECT only", "main-flow-log", "trafficType", "REJECT", message="REJECT, not ALL"),
    BASE.mutate(FLOWS, "ACCEPT only", "main-flow-log", "trafficType", "ACCEPT"),
    BASE.mutate(FLOWS, "traffic type unknown at preview", "main-flow-log", "trafficType", UNKNOWN,
                expect="not-evaluated"),
    BY_VPC_ID.mutate(FLOWS, "unlinked vpcId unknown at preview", "known-flow-log", "vpcId", UNKNOWN,
                     expect="not-evaluated"),
    BASE.mutate(FLOWS, "flow log without trafficType", "main-flow-log", "trafficType", DELETE),
    DEV.case(FLOWS, "dev baseline"),
    DEV.without(FLOWS, "no flow log on dev is advisory", "main-flow-log", level="advisory"),
]

CASES = OPEN_CASES + FLOW_CASES
