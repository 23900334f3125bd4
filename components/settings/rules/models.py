"""Rules of the self-hosted model settings."""

from __future__ import annotations

from typing import TYPE_CHECKING

from components.settings.rules.base import Rule

if TYPE_CHECKING:
    from components.settings.model import StackSettings


def _hub_weights_need_egress(s: StackSettings) -> str | None:
    from_hub = [m.name for m in s.self_hosted_models if not m.weights.from_s3]
    if not from_hub or s.nat_gateway or s.vpc_id is not None:
        return None
    return (f"selfHostedModels {', '.join(from_hub)} download their weights from the model hub, which the "
            "private subnets reach only through a NAT gateway: set natGateway to true, or copy the reviewed "
            "weights to S3 and set weightsS3Uri (the container then runs with network isolation)")


RULES = (
    Rule(("self_hosted_models", "nat_gateway"), _hub_weights_need_egress, depends=("vpc_id",)),
)
