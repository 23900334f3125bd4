"""The stack's customer managed keys per use, from the settings (none in a dev stack that opts out)."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.keys import Keys, KeysArgs
from components.settings import StackSettings

EDGE_REGION = "us-east-1"  # CloudFront-scope WAF ACLs (and their log groups) live only here


@dataclass(frozen=True)
class StackKeys:
    """Customer managed key ARNs per use; all None when the stack uses AWS managed keys (dev only)."""

    data: pulumi.Output[str] | None = None
    logs: pulumi.Output[str] | None = None
    edge_logs: pulumi.Output[str] | None = None
    bedrock_data: pulumi.Output[str] | None = None  # a data key in the Bedrock region


def stack_keys(settings: StackSettings, edge: aws.Provider, bedrock: aws.Provider | None) -> StackKeys:
    if not settings.customer_managed_keys:
        return StackKeys()

    def keys(name: str, classes: tuple[str, ...], region: str, provider: aws.Provider | None) -> Keys:
        opts = pulumi.ResourceOptions(providers={"aws": provider}) if provider else None
        return Keys(
            name, KeysArgs(settings.prefix, settings.stack, classes, settings.retain_data, region), opts=opts
        )

    main = keys("keys", ("data", "logs"), settings.region, None)
    edge_logs = keys("edge-keys", ("logs",), EDGE_REGION, edge).key_arns["logs"]
    bedrock_data = main.key_arns["data"]
    if bedrock is not None:
        bedrock_data = keys("bedrock-keys", ("data",), settings.bedrock_region, bedrock).key_arns["data"]
    return StackKeys(main.key_arns["data"], main.key_arns["logs"], edge_logs, bedrock_data)
