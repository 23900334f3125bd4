"""CloudWatch Logs: every log group expires its events (SEC-LOG-RETENTION)."""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs

from ..metadata import Equivalents, RuleMeta, resource_policy
from ..props import require_known
from ..settings import current_settings

LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"

META = RuleMeta(
    name="log-group-retention",
    description="CloudWatch log groups set a retention period no shorter than the stack's floor.",
    severity="medium",
    catalogue_level="all",
    catalogue_ids=("SEC-LOG-RETENTION",),
    resource_types=(LOG_GROUP,),
    remediation=(
        "Set retentionInDays on the aws.cloudwatch.LogGroup from the stack's log retention setting, at "
        "least stack-profile.logRetentionFloorDays (dev stacks may go lower, never 'never expire')."
    ),
    url="https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/Working-with-log-groups-and-streams.html",
    equivalents=Equivalents(checkov=("CKV_AWS_66", "CKV_AWS_338")),
)


def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
    days = require_known(args.props, "retentionInDays", 0)
    if not days:
        report("retentionInDays is not set, so events never expire.", None)
        return
    settings = current_settings()
    floor = settings.log_retention_floor_days
    if days < floor and not settings.is_dev_stack():
        report(f"retentionInDays is {int(days)}, below the stack floor of {floor} days.", None)


POLICIES = [resource_policy(META, validate)]
