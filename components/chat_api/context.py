"""What the phase-two builders share: the component (parent of everything), its inputs and the two APIs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components.chat_api.args import ChatApiArgs, ChatApiConnection


@dataclass(frozen=True)
class BuildContext:
    parent: pulumi.ComponentResource
    name: str
    args: ChatApiArgs
    connection: ChatApiConnection
    account: pulumi.Output[str]
    partition: pulumi.Output[str]
    rest_api: aws.apigateway.RestApi
    websocket_api: aws.apigatewayv2.Api

    def opts(self, **kwargs: Any) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self.parent, **kwargs)

    def log_group(self, role: str, log_name: pulumi.Input[str]) -> aws.cloudwatch.LogGroup:
        """A log group the stack owns: retention, the logs CMK, kept with the data when retain."""
        args = self.args
        return aws.cloudwatch.LogGroup(
            f"{self.name}-{role}-logs", name=log_name, retention_in_days=args.log_retention_days,
            kms_key_id=args.logs_kms_key_arn,
            opts=self.opts(protect=args.retain, retain_on_delete=args.retain),
        )
