"""Network settings: a new VPC (the default) or an existing one with its private subnets."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import BaseModel, Field, field_validator

from components.settings.setting import Setting, between, check_items, matches

VPC_ID_PATTERN = r"^vpc-[0-9a-f]{8,17}$"
SUBNET_ID_PATTERN = r"^subnet-[0-9a-f]{8,17}$"
_SUBNET_ID = re.compile(SUBNET_ID_PATTERN)


class NetworkFields(BaseModel):
    vpc_id: Annotated[str | None, Setting(
        "string", f"empty (the stack creates a VPC), or a VPC ID (`{VPC_ID_PATTERN}`)",
        matches(VPC_ID_PATTERN),
        effect=(
            "empty: the stack creates and logs its own VPC; an existing VPC keeps its owner's routes, "
            "NAT and flow logs, which this stack cannot check"
        ),
    )] = Field(None, alias="vpcId", description=(
        "Existing VPC to deploy into; empty creates a VPC with private subnets and flow logs."))
    private_subnet_ids: Annotated[tuple[str, ...], Setting(
        "array", f"subnet IDs (`{SUBNET_ID_PATTERN}`), no duplicates; at least 2 when vpcId is set, none "
        "otherwise",
    )] = Field((), alias="privateSubnetIds", description=(
        "Private subnets of the existing VPC (vpcId) for functions, databases and endpoints."))
    availability_zone_count: Annotated[int, Setting(
        "integer", "an integer from 2 to 3", between(2, 3),
        effect=(
            "3 survives the loss of a zone better than 2; every interface endpoint (dev tools) bills "
            "per zone, about $7 a month each"
        ),
    )] = Field(2, alias="availabilityZoneCount", description=(
        "Availability zones the created VPC spans (used only when vpcId is empty)."))
    nat_gateway: Annotated[bool, Setting(
        "boolean", "true or false; true only when vpcId is empty (the stack owns the VPC)",
        effect=(
            "true: one NAT gateway, about $33 a month while idle plus a per-GB charge, and functions "
            "gain a route to the internet (a wider path for exfiltration); false: AWS services are "
            "reached through VPC endpoints only"
        ),
    )] = Field(False, alias="natGateway", description=(
        "Give the created VPC a NAT gateway for outbound internet access. Off by default: it costs money "
        "while idle and VPC endpoints cover the AWS services the stack uses."))

    @field_validator("private_subnet_ids")
    @classmethod
    def _check_subnets(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        check_items(value, lambda item: _SUBNET_ID.fullmatch(item) is not None, "subnet IDs",
                    f"subnet IDs such as subnet-0a1b2c3d4e5f67890 (`{SUBNET_ID_PATTERN}`)")
        return value

    @property
    def creates_vpc(self) -> bool:
        return self.vpc_id is None
