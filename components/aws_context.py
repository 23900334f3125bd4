"""Where a component is deployed: the caller's account and partition, and ARNs built from them.

ARNs built from known parts (not a resource's computed `arn`) let the policy pack judge IAM statements
at preview, so several components need the same two data sources; they ask here.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws


@dataclass(frozen=True)
class AwsContext:
    account_id: pulumi.Output[str]
    partition: pulumi.Output[str]

    @classmethod
    def of(cls, parent: pulumi.Resource) -> AwsContext:
        """The account and partition, looked up with the parent's provider (so its region too)."""
        invoke = pulumi.InvokeOptions(parent=parent)
        return cls(
            aws.get_caller_identity_output(opts=invoke).account_id,
            aws.get_partition_output(opts=invoke).partition,
        )

    def log_group_arn(self, region: pulumi.Input[str], name: pulumi.Input[str] = "") -> pulumi.Output[str]:
        """arn:<partition>:logs:<region>:<account>:log-group:<name> (an empty name gives the prefix)."""
        return pulumi.Output.concat(
            "arn:", self.partition, ":logs:", region, ":", self.account_id, ":log-group:", name
        )

    def function_arn(self, region: pulumi.Input[str], name: pulumi.Input[str]) -> pulumi.Output[str]:
        """arn:<partition>:lambda:<region>:<account>:function:<name>."""
        return pulumi.Output.concat(
            "arn:", self.partition, ":lambda:", region, ":", self.account_id, ":function:", name
        )
