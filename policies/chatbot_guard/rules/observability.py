"""Observability (SEC-OBSERVABILITY, advisory): access logs on API stages, AppSync field logs, Step
Functions execution logs with tracing, and X-Ray tracing on Lambda functions.

One rule per service, so a stack can raise or suppress one service's rule without the others.
"""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs

from ..metadata import Equivalents, RuleMeta, resource_policy
from ..props import check_all, is_present, require_known

REST_STAGE = "aws:apigateway/stage:Stage"
HTTP_STAGE = "aws:apigatewayv2/stage:Stage"
GRAPHQL_API = "aws:appsync/graphQLApi:GraphQLApi"
STATE_MACHINE = "aws:sfn/stateMachine:StateMachine"
FUNCTION = "aws:lambda/function:Function"

STAGE_META = RuleMeta(
    name="api-stage-access-logs",
    description=(
        "API Gateway stages (REST, HTTP and WebSocket) write access logs to CloudWatch Logs or Firehose; "
        "REST stages also have X-Ray tracing."
    ),
    severity="medium",
    catalogue_level="advisory",
    catalogue_ids=("SEC-OBSERVABILITY",),
    resource_types=(REST_STAGE, HTTP_STAGE),
    remediation=(
        "Set access_log_settings=aws.apigateway.StageAccessLogSettingsArgs(destination_arn=<log group>.arn, "
        "format=<JSON format>) (aws.apigatewayv2.StageAccessLogSettingsArgs for HTTP/WebSocket APIs), "
        "and xray_tracing_enabled=True on REST stages."
    ),
    url="https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-logging.html",
    equivalents=Equivalents(
        cdk_nag=("AwsSolutions-APIG1", "AwsSolutions-APIG6"),
        pdk_nag=("AwsPrototyping-APIGWAccessLogging",),
        checkov=("CKV_AWS_76", "CKV_AWS_73", "CKV_AWS_95"),
    ),
)


def validate_stage(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if not is_present(args.props, "accessLogSettings.destinationArn"):
        report("accessLogSettings.destinationArn is not set, so requests to this stage are not logged.", None)
    if args.resource_type != REST_STAGE:
        return
    if require_known(args.props, "xrayTracingEnabled", False) is not True:
        report("xrayTracingEnabled is not true; enable X-Ray tracing on the REST stage.", None)


APPSYNC_META = RuleMeta(
    name="appsync-request-logging",
    description=(
        "AppSync GraphQL APIs send request and resolver logs to CloudWatch Logs (field log level not NONE)."
    ),
    severity="medium",
    catalogue_level="advisory",
    catalogue_ids=("SEC-OBSERVABILITY",),
    resource_types=(GRAPHQL_API,),
    remediation=(
        "Set log_config=aws.appsync.GraphQLApiLogConfigArgs(cloudwatch_logs_role_arn=<role>.arn, "
        "field_log_level=\"ERROR\", exclude_verbose_content=True) on the aws.appsync.GraphQLApi (ERROR "
        "or ALL; INFO and DEBUG are also accepted, NONE is not)."
    ),
    url="https://docs.aws.amazon.com/appsync/latest/devguide/monitoring.html",
    equivalents=Equivalents(cdk_nag=("AwsSolutions-ASC3",), checkov=("CKV_AWS_193", "CKV_AWS_194")),
)


def validate_appsync(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if not is_present(args.props, "logConfig"):
        report("logConfig is not set, so requests and resolver errors are not logged.", None)
        return
    level = require_known(args.props, "logConfig.fieldLogLevel", "NONE")
    if str(level).upper() == "NONE":
        report("logConfig.fieldLogLevel is NONE; set ERROR or ALL.", None)


SFN_META = RuleMeta(
    name="step-functions-logging",
    description=(
        "Step Functions state machines log ALL events including execution data to CloudWatch Logs, and "
        "have X-Ray tracing enabled."
    ),
    severity="medium",
    catalogue_level="advisory",
    catalogue_ids=("SEC-OBSERVABILITY",),
    resource_types=(STATE_MACHINE,),
    remediation=(
        "Set logging_configuration=aws.sfn.StateMachineLoggingConfigurationArgs(level=\"ALL\", "
        "include_execution_data=True, log_destination=f\"{log_group.arn}:*\") and "
        "tracing_configuration=aws.sfn.StateMachineTracingConfigurationArgs(enabled=True)."
    ),
    url="https://docs.aws.amazon.com/step-functions/latest/dg/cw-logs.html",
    equivalents=Equivalents(
        cdk_nag=("AwsSolutions-SF1", "AwsSolutions-SF2"),
        checkov=("CKV_AWS_284", "CKV_AWS_285"),
    ),
)


def validate_state_machine(args: ResourceValidationArgs, report: ReportViolation) -> None:
    props = args.props

    def level() -> None:
        value = require_known(props, "loggingConfiguration.level", "OFF")
        if value != "ALL":
            report(f"loggingConfiguration.level is {value}; set it to ALL.", None)

    def execution_data() -> None:
        if require_known(props, "loggingConfiguration.includeExecutionData", False) is not True:
            report("loggingConfiguration.includeExecutionData is not true; set it to true.", None)

    def destination() -> None:
        if not is_present(props, "loggingConfiguration.logDestination"):
            report("loggingConfiguration.logDestination is not set; name a CloudWatch log group ARN.", None)

    def tracing() -> None:
        if require_known(props, "tracingConfiguration.enabled", False) is not True:
            report("tracingConfiguration.enabled is not true; enable X-Ray tracing.", None)

    check_all(level, execution_data, destination, tracing)


TRACING_META = RuleMeta(
    name="lambda-tracing",
    description="Lambda functions have active X-Ray tracing.",
    severity="low",
    catalogue_level="advisory",
    catalogue_ids=("SEC-OBSERVABILITY",),
    resource_types=(FUNCTION,),
    remediation="Set tracing_config=aws.lambda_.FunctionTracingConfigArgs(mode=\"Active\") on the function.",
    url="https://docs.aws.amazon.com/lambda/latest/dg/services-xray.html",
    equivalents=Equivalents(checkov=("CKV_AWS_50",)),
)


def validate_tracing(args: ResourceValidationArgs, report: ReportViolation) -> None:
    mode = require_known(args.props, "tracingConfig.mode", "PassThrough")
    if mode != "Active":
        report(f"tracingConfig.mode is {mode}; set it to Active.", None)


POLICIES = [
    resource_policy(STAGE_META, validate_stage),
    resource_policy(APPSYNC_META, validate_appsync),
    resource_policy(SFN_META, validate_state_machine),
    resource_policy(TRACING_META, validate_tracing),
]
