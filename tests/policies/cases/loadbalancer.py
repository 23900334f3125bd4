"""Fixtures for rules/loadbalancer.py: the private website's internal load balancer."""

from ..harness import UNKNOWN
from . import DELETE, Baseline, Resource, ref

LB = "aws:lb/loadBalancer:LoadBalancer"
ALB = "aws:alb/loadBalancer:LoadBalancer"
LISTENER = "aws:lb/listener:Listener"
ALB_LISTENER = "aws:alb/listener:Listener"
LISTENER_RULE = "aws:lb/listenerRule:ListenerRule"
ALB_LISTENER_RULE = "aws:alb/listenerRule:ListenerRule"
SG = "aws:ec2/securityGroup:SecurityGroup"
SG_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"

RULE = "private-load-balancer"
LB_ARN = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/site/50dc6c495c0c9188"
REDIRECT = {"type": "redirect", "redirect": {"protocol": "HTTPS", "port": "443", "statusCode": "HTTP_301"}}
FORWARD = {"type": "forward", "targetGroupArn": UNKNOWN}


def _resources(stack: str, lb_type: str = LB, listener_type: str = LISTENER) -> tuple[Resource, ...]:
    lb_urn = ref(lb_type, "site-lb", stack)
    return (
        Resource(
            SG, "site-lb-sg",
            {"vpcId": UNKNOWN, "description": "private website", "revokeRulesOnDelete": False,
             "ingress": [
                 {"protocol": "tcp", "fromPort": 443.0, "toPort": 443.0, "cidrBlocks": ["10.0.0.0/16"]},
                 {"protocol": "tcp", "fromPort": 80.0, "toPort": 80.0, "cidrBlocks": ["10.0.0.0/16"]},
             ],
             "egress": []},
        ),
        Resource(
            lb_type, "site-lb",
            {"internal": True, "loadBalancerType": "application", "securityGroups": [UNKNOWN],
             "subnets": [UNKNOWN, UNKNOWN], "dropInvalidHeaderFields": True},
            property_dependencies={"securityGroups": [ref(SG, "site-lb-sg", stack)]},
        ),
        Resource(
            listener_type, "site-https",
            {"loadBalancerArn": UNKNOWN, "port": 443.0, "protocol": "HTTPS", "certificateArn": UNKNOWN,
             "sslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06", "defaultActions": [FORWARD]},
            property_dependencies={"loadBalancerArn": [lb_urn]},
        ),
        Resource(
            listener_type, "site-http",
            {"loadBalancerArn": UNKNOWN, "port": 80.0, "protocol": "HTTP", "defaultActions": [REDIRECT]},
            property_dependencies={"loadBalancerArn": [lb_urn]},
        ),
    )


BASE = Baseline(_resources("prod"))
ALB_BASE = Baseline(_resources("prod", ALB, ALB_LISTENER))
DEV = Baseline(_resources("dev"), stack="dev")


def _on_group(type_: str, name: str, props: dict[str, object]) -> Resource:
    return Resource(type_, name, props, property_dependencies={"securityGroupId": [ref(SG, "site-lb-sg")]})


def _rule(type_: str, name: str, action: dict[str, object]) -> Resource:
    return Resource(type_, name, {"listenerArn": UNKNOWN, "priority": 10.0, "actions": [action],
                                  "conditions": [{"pathPattern": {"values": ["/api/*"]}}]},
                    property_dependencies={"listenerArn": [ref(LISTENER, "site-http")]})


# Listener and load balancer linked by a known ARN only, as during `pulumi up` without dependencies.
BY_ARN = Baseline((
    Resource(LB, "arn-lb", {"arn": LB_ARN, "internal": True, "loadBalancerType": "network",
                            "securityGroups": ["sg-0site"]}),
    Resource(LISTENER, "arn-tls", {"loadBalancerArn": LB_ARN, "protocol": "TLS", "port": 443.0,
                                   "sslPolicy": "ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
                                   "defaultActions": [FORWARD]}),
))

CASES = [
    BASE.case(RULE),
    ALB_BASE.case(RULE, "aws.alb tokens baseline"),
    BY_ARN.case(RULE, "TLS listener linked by known ARN"),
    BY_ARN.mutate(RULE, "TLS listener by known ARN with a TLS 1.0 policy", "arn-tls", "sslPolicy",
                  "ELBSecurityPolicy-2016-08", message="ELBSecurityPolicy-2016-08"),
    BASE.mutate(RULE, "TLS 1.0 security policy", "site-https", "sslPolicy", "ELBSecurityPolicy-2016-08",
                level="mandatory", message="sslPolicy is ELBSecurityPolicy-2016-08"),
    BASE.mutate(RULE, "TLS 1.1 security policy", "site-https", "sslPolicy",
                "ELBSecurityPolicy-TLS13-1-1-2021-06"),
    BASE.mutate(RULE, "security policy left to the API default", "site-https", "sslPolicy", DELETE,
                message="not set"),
    ALB_BASE.mutate(RULE, "aws.alb listener with a TLS 1.0 policy", "site-https", "sslPolicy",
                    "ELBSecurityPolicy-TLS-1-1-2017-01"),
    BASE.mutate(RULE, "HTTP listener forwards", "site-http", "defaultActions", [FORWARD],
                message="defaultActions[0] is forward"),
    BASE.mutate(RULE, "HTTP listener redirects to HTTP", "site-http", "defaultActions.0.redirect.protocol",
                "#{protocol}", message="redirect to #{protocol}"),
    BASE.mutate(RULE, "main listener is plain HTTP", "site-https", "protocol", "HTTP"),
    BASE.mutate(RULE, "main listener is plain TCP", "site-https", "protocol", "TCP",
                message="protocol TCP is not encrypted"),
    BASE.plus(RULE, "aws.lb listener rule forwards HTTP", _rule(LISTENER_RULE, "api-plain", FORWARD),
              message="Listener rule api-plain"),
    BASE.plus(RULE, "aws.alb listener rule forwards HTTP", _rule(ALB_LISTENER_RULE, "api-plain", FORWARD)),
    BASE.plus(RULE, "listener rule redirects to HTTPS", _rule(LISTENER_RULE, "api-up", REDIRECT),
              expect="pass"),
    BASE.mutate(RULE, "load balancer group open to the internet on 443", "site-lb-sg",
                "ingress.0.cidrBlocks", ["0.0.0.0/0"], message="to internal load balancer site-lb"),
    BASE.plus(RULE, "aws.ec2.SecurityGroupRule opens the group",
              _on_group(SG_RULE, "world-https", {"type": "ingress", "protocol": "tcp", "fromPort": 443.0,
                                                 "toPort": 443.0, "cidrBlocks": ["0.0.0.0/0"]}),
              message="world-https"),
    BASE.plus(RULE, "aws.vpc.SecurityGroupIngressRule opens the group to ::/0",
              _on_group(INGRESS_RULE, "world-v6", {"ipProtocol": "tcp", "fromPort": 443.0, "toPort": 443.0,
                                                   "cidrIpv6": "::/0"}),
              message="cidrIpv6 admits ::/0"),
    BASE.mutate(RULE, "no security groups means the VPC default group", "site-lb", "securityGroups", DELETE,
                message="default security group"),
    BASE.mutate(RULE, "public load balancers are out of scope", "site-lb", "internal", False, expect="pass"),
    BASE.mutate(RULE, "internal flag unknown at preview", "site-lb", "internal", UNKNOWN,
                expect="not-evaluated"),
    BASE.mutate(RULE, "security policy unknown at preview", "site-https", "sslPolicy", UNKNOWN,
                expect="not-evaluated"),
    BY_ARN.mutate(RULE, "unlinked load balancer ARN unknown at preview", "arn-tls", "loadBalancerArn",
                  UNKNOWN, expect="not-evaluated"),
    BASE.mutate(RULE, "group CIDR unknown at preview", "site-lb-sg", "ingress.1.cidrBlocks", [UNKNOWN],
                expect="not-evaluated"),
    DEV.mutate(RULE, "dev stacks are not exempt", "site-https", "sslPolicy", "ELBSecurityPolicy-2016-08",
               level="mandatory"),
]
