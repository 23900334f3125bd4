"""Network: private and isolated subnets without a NAT by default, flow logs, gateway endpoints on every route
table, locked default group, interface endpoints reachable on 443 from the VPC only; or an existing VPC."""

from __future__ import annotations

import ipaddress
import json
from typing import Any

import pytest

from components.network import Network, NetworkArgs, service_name, subnet_cidrs

from . import conftest
from .conftest import ACCOUNT_ID, MOCK_REGION, Harness, dev_settings, prod_settings

VPC = "aws:ec2/vpc:Vpc"
SUBNET = "aws:ec2/subnet:Subnet"
ROUTE_TABLE = "aws:ec2/routeTable:RouteTable"
ROUTE = "aws:ec2/route:Route"
ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
GROUP = "aws:ec2/securityGroup:SecurityGroup"
DEFAULT_GROUP = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
NAT = "aws:ec2/natGateway:NatGateway"
INTERNET_GATEWAY = "aws:ec2/internetGateway:InternetGateway"
EIP = "aws:ec2/eip:Eip"
LOGS_KEY = f"arn:aws:kms:{MOCK_REGION}:{ACCOUNT_ID}:key/logs"
ZONES = ["us-east-1a", "us-east-1b", "us-east-1c"]
EXISTING_CIDR = "172.20.0.0/16"
SUBNETS = ("subnet-0a1b2c3d4e5f67890", "subnet-0a1b2c3d4e5f67891")


@pytest.fixture(autouse=True)
def network_invokes(monkeypatch: pytest.MonkeyPatch) -> None:
    """The data sources Network reads, answered like AWS would."""
    monkeypatch.setitem(conftest.INVOKE_RESULTS, "aws:index/getAvailabilityZones:getAvailabilityZones",
                        {"names": list(reversed(ZONES)), "zoneIds": ["use1-az1", "use1-az2", "use1-az4"],
                         "id": MOCK_REGION})
    monkeypatch.setitem(conftest.INVOKE_RESULTS, "aws:ec2/getVpc:getVpc",
                        {"id": "vpc-0a1b2c3d4e5f67890", "cidrBlock": EXISTING_CIDR})


def args(**overrides: Any) -> NetworkArgs:
    values: dict[str, Any] = {
        "prefix": "chatbot", "stack": "prod", "region": MOCK_REGION, "vpc_id": None,
        "private_subnet_ids": (), "availability_zone_count": 2, "nat_gateway": False,
        "log_retention_days": 365, "logs_kms_key_arn": LOGS_KEY, "retain": True,
    }
    return NetworkArgs(**{**values, **overrides})


def build(harness: Harness, network_args: NetworkArgs) -> dict[str, Any]:
    def program() -> Any:
        network = Network("net", network_args)
        return {
            "vpc_id": network.vpc_id, "vpc_cidr": network.vpc_cidr,
            "private": network.private_subnet_ids, "isolated": network.isolated_subnet_ids,
            "endpoint_sg": network.endpoint_security_group_id,
        }

    return harness.run(program)


def subnets(harness: Harness, tier: str) -> list[dict[str, Any]]:
    found = sorted((r for r in harness.of_type(SUBNET) if r.name.startswith(f"net-{tier}-")),
                   key=lambda r: r.name)
    return [r.inputs for r in found]  # by name: registration order depends on when inputs resolve


def test_created_vpc_has_private_and_isolated_subnets_and_no_way_out(pulumi_mocks) -> None:
    harness = pulumi_mocks("prod")
    out = build(harness, args())
    vpc = harness.one(VPC).inputs
    assert vpc["enableDnsSupport"] is True and vpc["enableDnsHostnames"] is True
    assert out["vpc_cidr"] == "10.0.0.0/16"
    private, isolated = subnets(harness, "private"), subnets(harness, "isolated")
    assert [s["availabilityZone"] for s in private] == ZONES[:2]
    assert [s["availabilityZone"] for s in isolated] == ZONES[:2]
    assert all(s["mapPublicIpOnLaunch"] is False for s in private + isolated)
    assert len(harness.of_type(SUBNET)) == 4
    # No NAT gateway unless asked: nothing routes to the internet.
    for typ in (NAT, INTERNET_GATEWAY, EIP, ROUTE):
        assert harness.of_type(typ) == []
    assert out["private"] == ["net-private-1-id", "net-private-2-id"]
    assert out["isolated"] == ["net-isolated-1-id", "net-isolated-2-id"]


@pytest.mark.parametrize("zones", [2, 3])
def test_subnet_ranges_do_not_overlap(zones: int) -> None:
    cidrs = subnet_cidrs("10.0.0.0/16", zones)
    networks = [ipaddress.ip_network(c) for tier in cidrs.values() for c in tier]
    assert len(networks) == 3 * zones
    assert all(n.subnet_of(ipaddress.ip_network("10.0.0.0/16")) for n in networks)
    assert not any(a.overlaps(b) for i, a in enumerate(networks) for b in networks[i + 1:])


def test_three_zones(pulumi_mocks) -> None:
    harness = pulumi_mocks("prod")
    build(harness, args(availability_zone_count=3))
    assert [s["availabilityZone"] for s in subnets(harness, "private")] == ZONES


def test_too_few_zones_in_the_region_is_an_error(pulumi_mocks, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(conftest.INVOKE_RESULTS, "aws:index/getAvailabilityZones:getAvailabilityZones",
                        {"names": ZONES[:2], "zoneIds": [], "id": MOCK_REGION})
    with pytest.raises(Exception, match="offers 2 zones, fewer than the 3 asked"):
        build(pulumi_mocks("prod"), args(availability_zone_count=3))


def test_gateway_endpoints_on_every_route_table(pulumi_mocks) -> None:
    harness = pulumi_mocks("prod")
    build(harness, args(nat_gateway=True))
    tables = sorted(f"{r.name}-id" for r in harness.of_type(ROUTE_TABLE))
    assert len(tables) == 3  # private, isolated, public
    gateways = {r.inputs["serviceName"]: r.inputs for r in harness.of_type(ENDPOINT)}
    assert set(gateways) == {f"com.amazonaws.{MOCK_REGION}.s3", f"com.amazonaws.{MOCK_REGION}.dynamodb"}
    for endpoint in gateways.values():
        assert endpoint["vpcEndpointType"] == "Gateway"
        assert sorted(endpoint["routeTableIds"]) == tables


def test_nat_gateway_only_when_asked_and_only_for_private_subnets(pulumi_mocks) -> None:
    harness = pulumi_mocks("dev")
    build(harness, args(nat_gateway=True))
    nat = harness.one(NAT).inputs
    assert nat["subnetId"] == "net-public-1-id" and nat["allocationId"] == "net-nat-ip-id"
    assert harness.one(EIP).inputs["domain"] == "vpc"
    (public,) = subnets(harness, "public")
    assert public["mapPublicIpOnLaunch"] is False
    routes = {r.inputs["routeTableId"]: r.inputs for r in harness.of_type(ROUTE)}
    assert routes["net-private-routes-id"]["natGatewayId"] == "net-nat-id"
    assert routes["net-public-routes-id"]["gatewayId"] == "net-igw-id"
    assert "net-isolated-routes-id" not in routes  # isolated subnets never route out


def test_flow_logs_record_all_traffic_to_an_encrypted_retained_group(pulumi_mocks) -> None:
    harness = pulumi_mocks("prod")
    build(harness, args(log_retention_days=400))
    flow = harness.one(FLOW_LOG).inputs
    group = harness.one(LOG_GROUP)
    assert flow["vpcId"] == "net-vpc-id" and flow["trafficType"] == "ALL"
    assert flow["logDestinationType"] == "cloud-watch-logs"
    assert flow["logDestination"] == f"arn:aws:logs:{MOCK_REGION}:{ACCOUNT_ID}:log-group:{group.name}"
    assert flow["iamRoleArn"].endswith("/net-flow-logs-role")
    assert group.inputs["name"] == "/aws/vpc/flow-logs/chatbot-prod-vpc"
    assert group.inputs["retentionInDays"] == 400 and group.inputs["kmsKeyId"] == LOGS_KEY
    assert group.protect and group.retain_on_delete


def test_flow_log_role_is_least_privilege(pulumi_mocks) -> None:
    harness = pulumi_mocks("prod")
    build(harness, args())
    trust = harness.policy(harness.one(ROLE), "assumeRolePolicy")["Statement"][0]
    assert trust["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}
    assert trust["Condition"]["StringEquals"] == {"aws:SourceAccount": ACCOUNT_ID}
    assert trust["Condition"]["ArnLike"] == {
        "aws:SourceArn": f"arn:aws:ec2:{MOCK_REGION}:{ACCOUNT_ID}:vpc-flow-log/*"}
    assert "managedPolicyArns" not in harness.one(ROLE).inputs
    (statement,) = harness.policy(harness.one(ROLE_POLICY))["Statement"]
    group_arn = f"arn:aws:logs:{MOCK_REGION}:{ACCOUNT_ID}:log-group:/aws/vpc/flow-logs/chatbot-prod-vpc"
    assert statement["Resource"] == [group_arn, f"{group_arn}:*"]
    assert sorted(statement["Action"]) == ["logs:CreateLogStream", "logs:DescribeLogStreams",
                                           "logs:PutLogEvents"]


def test_default_security_group_is_stripped(pulumi_mocks) -> None:
    harness = pulumi_mocks("prod")
    build(harness, args())
    default = harness.one(DEFAULT_GROUP).inputs
    assert default["vpcId"] == "net-vpc-id"
    assert not default.get("ingress") and not default.get("egress")


def test_interface_endpoints_private_dns_and_https_from_the_vpc_only(pulumi_mocks) -> None:
    harness = pulumi_mocks("prod")
    out = build(harness, args(interface_endpoints=("bedrock-runtime", "sagemaker.studio")))
    interfaces = {r.inputs["serviceName"]: r.inputs for r in harness.of_type(ENDPOINT)
                  if r.inputs["vpcEndpointType"] == "Interface"}
    assert set(interfaces) == {f"com.amazonaws.{MOCK_REGION}.bedrock-runtime",
                               f"aws.sagemaker.{MOCK_REGION}.studio"}
    for endpoint in interfaces.values():
        assert endpoint["privateDnsEnabled"] is True
        assert endpoint["subnetIds"] == out["private"]
        assert endpoint["securityGroupIds"] == [out["endpoint_sg"]]
    group = harness.one(GROUP).inputs
    assert not group.get("ingress") and not group.get("egress")
    rule = harness.one(INGRESS).inputs
    assert rule["securityGroupId"] == out["endpoint_sg"] == "net-endpoints-sg-id"
    assert (rule["ipProtocol"], rule["fromPort"], rule["toPort"]) == ("tcp", 443, 443)
    assert rule["cidrIpv4"] == "10.0.0.0/16"
    assert harness.of_type(EGRESS) == []


def test_no_interface_endpoint_unless_asked(pulumi_mocks) -> None:
    harness = pulumi_mocks("dev")
    build(harness, args())
    assert all(r.inputs["vpcEndpointType"] == "Gateway" for r in harness.of_type(ENDPOINT))


def test_existing_vpc_is_used_as_it_is(pulumi_mocks) -> None:
    harness = pulumi_mocks("prod")
    out = build(harness, args(vpc_id="vpc-0a1b2c3d4e5f67890", private_subnet_ids=SUBNETS,
                              interface_endpoints=("sts",)))
    for typ in (VPC, SUBNET, FLOW_LOG, DEFAULT_GROUP, ROUTE_TABLE, NAT, LOG_GROUP, ROLE):
        assert harness.of_type(typ) == [], typ
    assert out["vpc_id"] == "vpc-0a1b2c3d4e5f67890" and out["vpc_cidr"] == EXISTING_CIDR
    assert out["private"] == out["isolated"] == list(SUBNETS)
    (endpoint,) = [r.inputs for r in harness.of_type(ENDPOINT)]
    assert endpoint["vpcEndpointType"] == "Interface" and endpoint["subnetIds"] == list(SUBNETS)
    assert harness.one(INGRESS).inputs["cidrIpv4"] == EXISTING_CIDR
    assert ("aws:ec2/getVpc:getVpc", {"id": "vpc-0a1b2c3d4e5f67890"}) in harness.mocks.calls


def test_builds_in_preview_with_unknown_outputs(pulumi_mocks) -> None:
    harness = pulumi_mocks("prod", preview=True)
    build(harness, args(nat_gateway=True, interface_endpoints=("sts",)))
    policy = json.loads(harness.one(ROLE_POLICY).inputs["policy"])  # known at preview: judged by the pack
    assert "log-group:/aws/vpc/flow-logs/" in policy["Statement"][0]["Resource"][0]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"vpc_id": "vpc-0a1b2c3d4e5f67890"}, "at least 2 private_subnet_ids"),
        ({"vpc_id": "vpc-0a1b2c3d4e5f67890", "private_subnet_ids": SUBNETS, "nat_gateway": True},
         "nat_gateway is only"),
        ({"private_subnet_ids": SUBNETS}, "only for an existing VPC"),
        ({"availability_zone_count": 4}, "must be 2 or 3"),
        ({"cidr_block": "8.8.0.0/16"}, "private IPv4"),
        ({"cidr_block": "10.0.0.0/24"}, "private IPv4"),
        ({"interface_endpoints": ("s3",)}, "gateway endpoints serve those"),
        ({"interface_endpoints": ("sts", "sts")}, "unique"),
        ({"interface_endpoints": ("Bedrock Runtime",)}, "short service names"),
    ],
)
def test_invalid_args(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        args(**overrides)


def test_args_from_settings() -> None:
    dev = NetworkArgs.from_settings(dev_settings(**{"chatbot:natGateway": "true"}), None)
    assert (dev.vpc_id, dev.nat_gateway, dev.retain, dev.log_retention_days) == (None, True, False, 7)
    assert dev.availability_zone_count == 2 and dev.interface_endpoints == ()
    prod = NetworkArgs.from_settings(
        prod_settings(**{"chatbot:vpcId": "vpc-0a1b2c3d4e5f67890",
                         "chatbot:privateSubnetIds": json.dumps(list(SUBNETS))}),
        LOGS_KEY, ("bedrock-runtime",),
    )
    assert prod.vpc_id == "vpc-0a1b2c3d4e5f67890" and prod.private_subnet_ids == SUBNETS
    assert prod.retain is True and prod.region == "eu-west-1"
    assert prod.interface_endpoints == ("bedrock-runtime",)
    assert service_name(prod.region, "bedrock-runtime") == "com.amazonaws.eu-west-1.bedrock-runtime"
