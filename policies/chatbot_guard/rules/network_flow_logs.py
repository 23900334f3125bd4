"""Network: every VPC the stack creates has a flow log recording ALL traffic (SEC-VPC-FLOW-LOGS).

A stack policy: the aws.ec2.FlowLog names its VPC through ``vpcId``.
"""

from __future__ import annotations

from functools import partial

from pulumi_policy import PolicyResource, ReportViolation, StackValidationArgs
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError

from ..links import refers_to
from ..metadata import Equivalents, RuleMeta, stack_policy
from ..props import check_all, require_known

VPC = "aws:ec2/vpc:Vpc"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"

FLOW_LOGS_META = RuleMeta(
    name="vpc-flow-logs",
    description="Every VPC the stack creates has a flow log that records ALL traffic.",
    severity="medium",
    catalogue_level="non-dev",
    catalogue_ids=("SEC-VPC-FLOW-LOGS",),
    resource_types=(VPC, FLOW_LOG),
    remediation=(
        "Create an aws.ec2.FlowLog with vpc_id=<vpc>.id, traffic_type='ALL' and a log_destination "
        "(a CloudWatch log group with retention, or an S3 bucket)."
    ),
    url="https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs.html",
    equivalents=Equivalents(
        cdk_nag=("AwsSolutions-VPC7",),
        checkov=("CKV2_AWS_11",),
    ),
)

# Recording only REJECT (or ACCEPT) misses half of what an investigation needs: accepted flows show
# exfiltration and lateral movement, rejected ones show probing. So only ALL is accepted.
FLOW_TRAFFIC = "ALL"


def _logs_vpc(flow_log: PolicyResource, vpc: PolicyResource) -> bool | None:
    """Does ``flow_log`` record ``vpc``? ``None`` when its vpcId is unknown and not linked."""
    return refers_to(flow_log, "vpcId", vpc, ("id",))


def _check_vpc(vpc: PolicyResource, flow_logs: list[PolicyResource], report: ReportViolation) -> None:
    verdicts = [(log, _logs_vpc(log, vpc)) for log in flow_logs]
    matches = [log for log, verdict in verdicts if verdict]
    problems: list[str] = []
    pending: UnknownValueError | None = None
    for log in matches:
        try:
            traffic = require_known(log.props, "trafficType", "not set")
        except UnknownValueError as error:
            pending = pending or error
            continue
        if traffic == FLOW_TRAFFIC:
            return
        problems.append(f"{log.name} records trafficType {traffic}, not ALL")
    if pending is not None:
        raise pending
    undecided = [log for log, verdict in verdicts if verdict is None]
    if not matches and undecided:
        raise UnknownValueError(UNKNOWN_STRING_VALUE, [undecided[0].name, "vpcId"])
    detail = "; ".join(problems) if problems else "no aws.ec2.FlowLog has vpcId referring to it"
    report(f"VPC {vpc.name} has no flow log recording ALL traffic: {detail}.", vpc.urn)


def validate_flow_logs(args: StackValidationArgs, report: ReportViolation) -> None:
    flow_logs = [r for r in args.resources if r.resource_type == FLOW_LOG]
    vpcs = [r for r in args.resources if r.resource_type == VPC]
    check_all(*(partial(_check_vpc, vpc, flow_logs, report) for vpc in vpcs))


POLICIES = [stack_policy(FLOW_LOGS_META, validate_flow_logs)]
