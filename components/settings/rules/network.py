"""Rules of the network settings: an existing VPC brings its subnets; a NAT gateway only in our own VPC."""

from __future__ import annotations

from typing import TYPE_CHECKING

from components.settings.rules.base import Rule

if TYPE_CHECKING:
    from components.settings.model import StackSettings


def _subnets_of_existing_vpc(s: StackSettings) -> str | None:
    count = len(s.private_subnet_ids)
    if s.vpc_id is not None and count < 2:
        return (f"vpcId is set, so list at least 2 private subnets of it in different availability zones "
                f"in privateSubnetIds (got {count})")
    if s.vpc_id is None and count:
        return ("privateSubnetIds is only used with vpcId: the stack creates its own VPC and subnets when "
                "vpcId is empty; set vpcId or leave privateSubnetIds empty")
    return None


def _nat_only_in_created_vpc(s: StackSettings) -> str | None:
    if not s.nat_gateway or s.vpc_id is None:
        return None
    return ("natGateway must be false when vpcId is set: the stack adds a NAT gateway only to a VPC it "
            "creates; route the existing VPC's private subnets to the internet yourself if they need it")


RULES = (
    Rule(("private_subnet_ids", "vpc_id"), _subnets_of_existing_vpc),
    Rule(("nat_gateway", "vpc_id"), _nat_only_in_created_vpc),
)
