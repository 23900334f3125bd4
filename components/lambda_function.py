"""AppFunction: one Lambda function of the chat application, with the log group and role it needs, no more.

arm64 + python3.14, JSON logs into a log group the stack owns (retention, logs CMK), and a role whose only
policy is the inline one built here: the caller's least-privilege statements plus writing to its own log
group (instead of the AWS managed AWSLambdaBasicExecutionRole, which may write to every log group).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from components.aws_context import AwsContext
from components.naming import resource_name

RUNTIME = aws.lambda_.Runtime.PYTHON3D14
ARCHITECTURE = "arm64"  # Graviton: cheaper per GB-second, and the archive is built for it
_HANDLER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+$")
_ROLE = re.compile(r"^[a-z][a-z0-9-]{0,23}$")
_RESERVED_ENV = frozenset({"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_LAMBDA_FUNCTION_NAME", "_HANDLER"})

Statement = Mapping[str, Any]  # an IAM policy statement; values may be Inputs (ARNs of other resources)


@dataclass(frozen=True)
class FunctionVpc:
    """Where a function that talks to a database runs: private subnets and its own security group(s)."""

    subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]]
    security_group_ids: pulumi.Input[Sequence[pulumi.Input[str]]]


@dataclass(frozen=True)
class AppFunctionArgs:
    prefix: str
    stack: str
    region: pulumi.Input[str]  # where its log group is: part of the ARN its role may write to
    role: str  # short name of the function's job ("rest", "ws-message"): part of its physical name
    handler: str
    code: pulumi.Input[pulumi.Archive]
    log_retention_days: int
    logs_kms_key_arn: pulumi.Input[str] | None
    retain: bool
    xray_tracing: bool
    statements: Sequence[Statement] = ()
    # Statements only known once other outputs resolve (e.g. built from a computed ARN); checked then.
    extra_statements: Sequence[pulumi.Output[list[dict[str, Any]]]] = ()
    environment: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    description: str = ""
    memory_mb: int = 256
    timeout_seconds: int = 30
    reserved_concurrency: int | None = None
    vpc: FunctionVpc | None = None  # None: outside any VPC (the default; only database clients need one)

    def __post_init__(self) -> None:
        if not _ROLE.match(self.role):
            raise ValueError(f"role must match {_ROLE.pattern}, got {self.role!r}")
        if not _HANDLER.match(self.handler):
            raise ValueError(f"handler must be a dotted module.function path, got {self.handler!r}")
        reserved = sorted(set(self.environment) & _RESERVED_ENV)
        if reserved:
            raise ValueError(f"environment must not set Lambda's reserved variables {reserved}")
        if not 128 <= self.memory_mb <= 10240:
            raise ValueError(f"memory_mb must be 128..10240, got {self.memory_mb}")
        if not 1 <= self.timeout_seconds <= 900:
            raise ValueError(f"timeout_seconds must be 1..900, got {self.timeout_seconds}")
        if self.reserved_concurrency is not None and self.reserved_concurrency < 1:
            # 0 would disable the function; -1 (unreserved) is what None means.
            raise ValueError(f"reserved_concurrency must be >= 1 or None, got {self.reserved_concurrency}")
        for statement in self.statements:
            check_statement(statement)

    @property
    def function_name(self) -> str:
        return resource_name(self.prefix, self.stack, self.role, max_length=64)

    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/{self.function_name}"


def check_statement(statement: Statement) -> None:
    """Refuse the statements least privilege forbids, before anything is deployed."""
    if statement.get("Effect") != "Allow" or "NotAction" in statement or "NotResource" in statement:
        raise ValueError(f"statements must be Allow with Action and Resource lists: {statement.get('Sid')}")
    actions = statement.get("Action") or []
    for action in actions if isinstance(actions, list) else [actions]:
        if not isinstance(action, str) or action in ("*", "*:*") or action.endswith(":*"):
            raise ValueError(f"statement {statement.get('Sid')}: action {action!r} is not a single action")
    if not statement.get("Resource"):
        raise ValueError(f"statement {statement.get('Sid')} names no Resource")


def base_statements(log_group_arn: str, xray_tracing: bool) -> list[dict[str, Any]]:
    """Writing to its own log group (and X-Ray when tracing): what every function needs."""
    statements: list[dict[str, Any]] = [
        {
            "Sid": "OwnLogGroup",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": [f"{log_group_arn}:*"],
        }
    ]
    if xray_tracing:
        # X-Ray's PutTraceSegments/PutTelemetryRecords support no resource-level permissions: "*" is the
        # only Resource IAM accepts for them (the AWS managed AWSXRayDaemonWriteAccess does the same).
        statements.append(
            {
                "Sid": "XRayTraces",
                "Effect": "Allow",
                "Action": ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
                "Resource": ["*"],
            }
        )
    return statements


def vpc_statements(region: str, account: str, partition: str) -> list[dict[str, Any]]:
    """The network-interface permissions Lambda uses to attach a function to its subnets.

    What AWSLambdaVPCAccessExecutionRole grants, scoped to the function's account and region (the Lambda
    guide's own example for DeleteNetworkInterface); the Describe calls accept only Resource "*".
    """
    return [
        {
            "Sid": "AttachToVpc",
            "Effect": "Allow",
            "Action": [
                "ec2:CreateNetworkInterface",
                "ec2:DeleteNetworkInterface",
                "ec2:AssignPrivateIpAddresses",
                "ec2:UnassignPrivateIpAddresses",
            ],
            "Resource": [f"arn:{partition}:ec2:{region}:{account}:*/*"],
        },
        {
            "Sid": "DescribeVpcNetworkInterfaces",
            "Effect": "Allow",
            "Action": ["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"],
            "Resource": ["*"],
        },
    ]


def policy_document(parts: Sequence[Sequence[dict[str, Any]]]) -> str:
    """The role's policy: the parts' statements in order, each checked again once its values are known."""
    statements = [statement for part in parts for statement in part]
    for statement in statements:
        check_statement(statement)
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


def lambda_trust_policy() -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "lambda.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
    )


class AppFunction(pulumi.ComponentResource):
    function: aws.lambda_.Function
    function_name: pulumi.Output[str]
    arn: pulumi.Output[str]
    invoke_arn: pulumi.Output[str]
    role: aws.iam.Role
    log_group: aws.cloudwatch.LogGroup

    def __init__(self, name: str, args: AppFunctionArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("chatbot:lambda:AppFunction", name, None, opts)
        self.log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=args.log_group_name,
            retention_in_days=args.log_retention_days,
            kms_key_id=args.logs_kms_key_arn,
            opts=pulumi.ResourceOptions(parent=self, protect=args.retain, retain_on_delete=args.retain),
        )
        self.role = aws.iam.Role(
            f"{name}-role",
            description=f"{args.prefix} {args.stack}: execution role of {args.function_name}",
            assume_role_policy=lambda_trust_policy(),
            opts=pulumi.ResourceOptions(parent=self),
        )
        # The group ARN is built from known parts (not log_group.arn) so the policy is readable at preview.
        group_arn = AwsContext.of(self).log_group_arn(args.region, args.log_group_name)
        statements = group_arn.apply(lambda arn: base_statements(arn, args.xray_tracing))
        extra = list(args.extra_statements)
        if args.vpc is not None:
            context = AwsContext.of(self)
            extra.append(pulumi.Output.all(args.region, context.account_id, context.partition).apply(
                lambda rap: vpc_statements(rap[0], rap[1], rap[2])))
        document = pulumi.Output.all(
            statements, pulumi.Output.from_input(list(args.statements)), *extra
        ).apply(policy_document)
        policy = aws.iam.RolePolicy(
            f"{name}-policy",
            role=self.role.id,
            policy=document,
            opts=pulumi.ResourceOptions(parent=self),
        )
        tracing = aws.lambda_.FunctionTracingConfigArgs(mode="Active" if args.xray_tracing else "PassThrough")
        variables = dict(args.environment)
        environment = aws.lambda_.FunctionEnvironmentArgs(variables=variables) if variables else None
        self.function = aws.lambda_.Function(
            f"{name}-function",
            name=args.function_name,
            description=args.description or f"{args.prefix} {args.stack}: {args.handler}",
            runtime=RUNTIME,
            architectures=[ARCHITECTURE],
            handler=args.handler,
            code=args.code,
            role=self.role.arn,
            memory_size=args.memory_mb,
            timeout=args.timeout_seconds,
            reserved_concurrent_executions=args.reserved_concurrency,
            environment=environment,
            logging_config=aws.lambda_.FunctionLoggingConfigArgs(
                log_format="JSON", log_group=self.log_group.name
            ),
            tracing_config=tracing,
            vpc_config=aws.lambda_.FunctionVpcConfigArgs(
                subnet_ids=args.vpc.subnet_ids, security_group_ids=args.vpc.security_group_ids
            ) if args.vpc is not None else None,
            # The policy first, so the first invocation can already log and reach its resources.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[policy]),
        )
        self.function_name = self.function.name
        self.arn = self.function.arn
        self.invoke_arn = self.function.invoke_arn
        self.register_outputs(
            {
                "function_name": self.function_name,
                "arn": self.arn,
                "invoke_arn": self.invoke_arn,
                "role_arn": self.role.arn,
                "log_group_name": self.log_group.name,
            }
        )
