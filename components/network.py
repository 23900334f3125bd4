"""The stack's network: a VPC it creates (the default) or an existing one, and the endpoints functions use.

A created VPC has, in 2-3 availability zones, *private* subnets (functions, endpoints, dev tooling; they
route to a NAT gateway only when `nat_gateway` asks for one) and *isolated* subnets (databases; never a
route out). Every flow (ALL traffic) is logged to an encrypted log group with retention, S3 and DynamoDB
are reached through free gateway endpoints on every route table, and the default security group is
adopted and stripped of its rules. There is no NAT gateway by default: it is what makes the reference's
idle bill, and the gateway and interface endpoints cover the AWS services the functions call.

An existing VPC is used as it is: its owner keeps its flow logs, route tables, gateway endpoints and
default security group (adopting them here could break other workloads); the stack only adds interface
endpoints in `private_subnet_ids`, and those subnets also serve as the isolated ones.

Interface endpoints (`interface_endpoints`, short service names such as "bedrock-runtime") get private
DNS and a security group admitting HTTPS from the VPC's CIDR only.
"""

from __future__ import annotations

import ipaddress
import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pulumi
import pulumi_aws as aws

from components.aws_context import AwsContext
from components.naming import resource_name

if TYPE_CHECKING:
    from components.settings import StackSettings

DEFAULT_CIDR = "10.0.0.0/16"
GATEWAY_SERVICES: tuple[str, ...] = ("s3", "dynamodb")
# Services whose endpoint name does not follow com.amazonaws.<region>.<name>.
SERVICE_NAME_FORMATS: dict[str, str] = {
    "sagemaker.studio": "aws.sagemaker.{region}.studio",
    "sagemaker.notebook": "aws.sagemaker.{region}.notebook",
}
FLOW_TRAFFIC = "ALL"  # accepted flows show exfiltration, rejected ones show probing: keep both
_SERVICE = re.compile(r"^[a-z0-9]+(?:[.-][a-z0-9]+)*$")


def service_name(region: str, short_name: str) -> str:
    """The endpoint service name of a short service name ("sts" -> "com.amazonaws.<region>.sts")."""
    template = SERVICE_NAME_FORMATS.get(short_name, "com.amazonaws.{region}." + short_name)
    return template.format(region=region)


def subnet_cidrs(vpc_cidr: str, zones: int) -> dict[str, list[str]]:
    """CIDRs of the private, isolated and public subnets, one per zone: the VPC CIDR is cut into 16
    blocks, private ones start at block 0, isolated at 4, public at 8 (room to add zones later)."""
    network = ipaddress.ip_network(vpc_cidr)
    blocks = [str(b) for b in network.subnets(new_prefix=network.prefixlen + 4)]  # 16 blocks
    return {tier: blocks[start:start + zones] for tier, start in (("private", 0), ("isolated", 4),
                                                                  ("public", 8))}


def flow_log_trust_policy(account_id: str, partition: str, region: str) -> str:
    """Only VPC Flow Logs, acting for this account's flow logs, may assume the delivery role."""
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow",
        "Principal": {"Service": "vpc-flow-logs.amazonaws.com"},
        "Action": "sts:AssumeRole",
        "Condition": {
            "StringEquals": {"aws:SourceAccount": account_id},
            "ArnLike": {"aws:SourceArn": f"arn:{partition}:ec2:{region}:{account_id}:vpc-flow-log/*"},
        },
    }]})


def flow_log_role_policy(log_group_arn: str) -> str:
    """Delivery writes streams and events to its own log group only (the group exists: no CreateLogGroup)."""
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "DeliverToOwnLogGroup",
        "Effect": "Allow",
        "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
        "Resource": [log_group_arn, f"{log_group_arn}:*"],
    }]})


@dataclass(frozen=True)
class NetworkArgs:
    prefix: str
    stack: str
    region: str
    vpc_id: str | None  # None: create a VPC
    private_subnet_ids: tuple[str, ...]  # of the existing VPC; empty when creating one
    availability_zone_count: int
    nat_gateway: bool
    log_retention_days: int
    logs_kms_key_arn: pulumi.Input[str] | None
    retain: bool
    interface_endpoints: tuple[str, ...] = ()
    cidr_block: str = DEFAULT_CIDR

    def __post_init__(self) -> None:
        if self.vpc_id is not None:
            if len(self.private_subnet_ids) < 2:
                raise ValueError("an existing VPC needs at least 2 private_subnet_ids in different zones")
            if self.nat_gateway:
                raise ValueError("nat_gateway is only for a VPC the stack creates (vpc_id=None)")
        elif self.private_subnet_ids:
            raise ValueError("private_subnet_ids are only for an existing VPC (vpc_id set)")
        if not 2 <= self.availability_zone_count <= 3:
            raise ValueError(f"availability_zone_count must be 2 or 3, got {self.availability_zone_count}")
        network = ipaddress.ip_network(self.cidr_block)  # raises on host bits or a bad address
        if network.version != 4 or not network.is_private or not 16 <= network.prefixlen <= 22:
            raise ValueError(f"cidr_block must be a private IPv4 /16 to /22, got {self.cidr_block}")
        names = self.interface_endpoints
        bad = [n for n in names if not _SERVICE.match(n) or n in GATEWAY_SERVICES]
        if bad or len(set(names)) != len(names):
            raise ValueError(
                f"interface_endpoints must be unique short service names (not {list(GATEWAY_SERVICES)}: "
                f"the free gateway endpoints serve those), got {list(names)}"
            )

    @classmethod
    def from_settings(
        cls,
        settings: StackSettings,
        logs_kms_key_arn: pulumi.Input[str] | None,
        interface_endpoints: tuple[str, ...] = (),
    ) -> NetworkArgs:
        return cls(
            prefix=settings.prefix, stack=settings.stack, region=settings.region, vpc_id=settings.vpc_id,
            private_subnet_ids=settings.private_subnet_ids,
            availability_zone_count=settings.availability_zone_count, nat_gateway=settings.nat_gateway,
            log_retention_days=settings.log_retention_days, logs_kms_key_arn=logs_kms_key_arn,
            retain=settings.retain_data, interface_endpoints=interface_endpoints,
        )


class Network(pulumi.ComponentResource):
    vpc_id: pulumi.Output[str]
    vpc_cidr: pulumi.Output[str]
    private_subnet_ids: pulumi.Output[list[str]]
    isolated_subnet_ids: pulumi.Output[list[str]]
    endpoint_security_group_id: pulumi.Output[str]
    interface_endpoint_ids: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("chatbot:network:Network", name, None, opts)
        self._name = name
        self._args = args
        self._base = resource_name(args.prefix, args.stack, "vpc")
        if args.vpc_id is None:
            self._create_vpc()
        else:
            self.vpc_id = pulumi.Output.from_input(args.vpc_id)
            vpc = aws.ec2.get_vpc_output(id=args.vpc_id, opts=pulumi.InvokeOptions(parent=self))
            self.vpc_cidr = vpc.cidr_block
            self.private_subnet_ids = pulumi.Output.from_input(list(args.private_subnet_ids))
            self.isolated_subnet_ids = self.private_subnet_ids
        self._interface_endpoints()
        self.register_outputs({
            "vpc_id": self.vpc_id,
            "vpc_cidr": self.vpc_cidr,
            "private_subnet_ids": self.private_subnet_ids,
            "isolated_subnet_ids": self.isolated_subnet_ids,
            "endpoint_security_group_id": self.endpoint_security_group_id,
        })

    def _opts(self, **extra: Any) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self, **extra)

    def _tags(self, role: str) -> dict[str, str]:
        return {"Name": f"{self._base}-{role}"}

    def _create_vpc(self) -> None:
        name, args = self._name, self._args
        vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=args.cidr_block,
            enable_dns_support=True,
            enable_dns_hostnames=True,  # interface endpoints' private DNS needs both
            tags=self._tags("vpc"),
            opts=self._opts(),
        )
        # Adopting the default group with no rules removes AWS's allow-all-within-group rules.
        aws.ec2.DefaultSecurityGroup(f"{name}-default-sg", vpc_id=vpc.id, tags=self._tags("default-locked"),
                                     opts=self._opts())
        self._flow_logs(vpc)

        # Zones that need no opt-in: Local and Wavelength zones lack services the stack uses.
        default_zones = aws.GetAvailabilityZonesFilterArgs(
            name="opt-in-status", values=["opt-in-not-required"]
        )
        zones = aws.get_availability_zones_output(
            state="available",
            filters=[default_zones],
            opts=pulumi.InvokeOptions(parent=self),
        ).names
        count = args.availability_zone_count

        def zone(index: int) -> pulumi.Output[str]:
            def pick(names: list[str]) -> str:
                if len(names) < count:
                    raise ValueError(f"{args.region} offers {len(names)} zones, fewer than the {count} asked")
                return sorted(names)[index]
            return zones.apply(pick)

        cidrs = subnet_cidrs(args.cidr_block, count)
        tiers = ("private", "isolated", "public") if args.nat_gateway else ("private", "isolated")
        subnets: dict[str, list[aws.ec2.Subnet]] = {}
        tables: dict[str, aws.ec2.RouteTable] = {}
        for tier in tiers:
            tables[tier] = aws.ec2.RouteTable(f"{name}-{tier}-routes", vpc_id=vpc.id, tags=self._tags(tier),
                                              opts=self._opts())
            subnets[tier] = []
            for index in range(1 if tier == "public" else count):  # one NAT gateway needs one public subnet
                subnet = aws.ec2.Subnet(
                    f"{name}-{tier}-{index + 1}",
                    vpc_id=vpc.id,
                    cidr_block=cidrs[tier][index],
                    availability_zone=zone(index),
                    map_public_ip_on_launch=False,  # nothing gets a public address implicitly
                    tags=self._tags(f"{tier}-{index + 1}"),
                    opts=self._opts(),
                )
                aws.ec2.RouteTableAssociation(f"{name}-{tier}-{index + 1}-routes", subnet_id=subnet.id,
                                              route_table_id=tables[tier].id, opts=self._opts())
                subnets[tier].append(subnet)
        if args.nat_gateway:
            self._nat_gateway(vpc, subnets["public"][0], tables)
        for service in GATEWAY_SERVICES:
            aws.ec2.VpcEndpoint(
                f"{name}-{service}-gateway",
                vpc_id=vpc.id,
                vpc_endpoint_type="Gateway",
                service_name=service_name(args.region, service),
                route_table_ids=[table.id for table in tables.values()],
                tags=self._tags(f"{service}-gateway"),
                opts=self._opts(),
            )
        self.vpc_id = vpc.id
        self.vpc_cidr = vpc.cidr_block
        self.private_subnet_ids = pulumi.Output.all(*[s.id for s in subnets["private"]])
        self.isolated_subnet_ids = pulumi.Output.all(*[s.id for s in subnets["isolated"]])

    def _nat_gateway(
        self, vpc: aws.ec2.Vpc, public: aws.ec2.Subnet, tables: dict[str, aws.ec2.RouteTable]
    ) -> None:
        """One NAT gateway (not one per zone: each costs money while idle); private subnets route to it."""
        name = self._name
        internet = aws.ec2.InternetGateway(f"{name}-igw", vpc_id=vpc.id, tags=self._tags("igw"),
                                           opts=self._opts())
        aws.ec2.Route(f"{name}-public-default", route_table_id=tables["public"].id,
                      destination_cidr_block="0.0.0.0/0", gateway_id=internet.id, opts=self._opts())
        address = aws.ec2.Eip(f"{name}-nat-ip", domain="vpc", tags=self._tags("nat"), opts=self._opts())
        nat = aws.ec2.NatGateway(f"{name}-nat", subnet_id=public.id, allocation_id=address.id,
                                 connectivity_type="public", tags=self._tags("nat"),
                                 opts=self._opts(depends_on=[internet]))
        aws.ec2.Route(f"{name}-private-default", route_table_id=tables["private"].id,
                      destination_cidr_block="0.0.0.0/0", nat_gateway_id=nat.id, opts=self._opts())

    def _flow_logs(self, vpc: aws.ec2.Vpc) -> None:
        name, args = self._name, self._args
        group_name = f"/aws/vpc/flow-logs/{self._base}"
        group = aws.cloudwatch.LogGroup(
            f"{name}-flow-logs",
            name=group_name,
            retention_in_days=args.log_retention_days,
            kms_key_id=args.logs_kms_key_arn,
            opts=self._opts(protect=args.retain, retain_on_delete=args.retain),
        )
        context = AwsContext.of(self)
        account, partition = context.account_id, context.partition
        role = aws.iam.Role(
            f"{name}-flow-logs-role",
            description="VPC Flow Logs delivery to the stack's flow log group",
            assume_role_policy=pulumi.Output.all(account, partition).apply(
                lambda ap: flow_log_trust_policy(ap[0], ap[1], args.region)),
            opts=self._opts(),
        )
        # Built from known parts (not group.arn) so the policy pack can judge the document at preview.
        group_arn = context.log_group_arn(args.region, group_name)
        policy = aws.iam.RolePolicy(f"{name}-flow-logs-policy", role=role.id,
                                    policy=group_arn.apply(flow_log_role_policy), opts=self._opts())
        aws.ec2.FlowLog(
            f"{name}-flow-log",
            vpc_id=vpc.id,
            traffic_type=FLOW_TRAFFIC,
            log_destination_type="cloud-watch-logs",
            log_destination=group.arn,
            iam_role_arn=role.arn,
            max_aggregation_interval=60,  # a minute, not ten: investigations need timely records
            tags=self._tags("flow-log"),
            opts=self._opts(depends_on=[policy]),
        )

    def _interface_endpoints(self) -> None:
        name, args = self._name, self._args
        group = aws.ec2.SecurityGroup(
            f"{name}-endpoints-sg",
            vpc_id=self.vpc_id,
            description=f"{args.prefix} {args.stack} interface endpoints: HTTPS from the VPC only",
            tags=self._tags("endpoints"),
            opts=self._opts(),  # no egress rules: endpoints answer connections, they never open any
        )
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-endpoints-https",
            security_group_id=group.id,
            description="HTTPS from inside the VPC",
            ip_protocol="tcp", from_port=443, to_port=443,
            cidr_ipv4=self.vpc_cidr,
            opts=self._opts(),
        )
        self.endpoint_security_group_id = group.id
        self.interface_endpoint_ids = {}
        for short in args.interface_endpoints:
            endpoint = aws.ec2.VpcEndpoint(
                f"{name}-{short.replace('.', '-')}-endpoint",
                vpc_id=self.vpc_id,
                vpc_endpoint_type="Interface",
                service_name=service_name(args.region, short),
                private_dns_enabled=True,
                subnet_ids=self.private_subnet_ids,
                security_group_ids=[group.id],
                tags=self._tags(f"{short}-endpoint"),
                opts=self._opts(),
            )
            self.interface_endpoint_ids[short] = endpoint.id
