"""Fixtures for rules/observability.py (SEC-OBSERVABILITY, advisory)."""

from ..harness import UNKNOWN
from . import DELETE, Baseline, Resource

REST_STAGE = "aws:apigateway/stage:Stage"
HTTP_STAGE = "aws:apigatewayv2/stage:Stage"
API = "aws:appsync/graphQLApi:GraphQLApi"
SFN = "aws:sfn/stateMachine:StateMachine"
FUNCTION = "aws:lambda/function:Function"
LOGS_ARN = "arn:aws:logs:eu-west-1:123456789012:log-group:/chatbot/access"
FORMAT = '{"requestId":"$context.requestId"}'

STAGES = Baseline(
    (
        Resource(
            REST_STAGE,
            "rest-prod",
            {
                "restApi": "a1b2c3",
                "deployment": "d1",
                "stageName": "prod",
                "xrayTracingEnabled": True,
                "accessLogSettings": {"destinationArn": LOGS_ARN, "format": FORMAT},
            },
        ),
        Resource(
            HTTP_STAGE,
            "http-prod",
            {
                "apiId": "h1",
                "name": "$default",
                "autoDeploy": True,
                "accessLogSettings": {"destinationArn": LOGS_ARN, "format": FORMAT},
            },
        ),
    )
)
APPSYNC = Baseline(
    (
        Resource(
            API,
            "graphql",
            {
                "name": "chatbot",
                "authenticationType": "AMAZON_COGNITO_USER_POOLS",
                "xrayEnabled": True,
                "logConfig": {
                    "cloudwatchLogsRoleArn": "arn:aws:iam::123456789012:role/appsync-logs",
                    "fieldLogLevel": "ERROR",
                    "excludeVerboseContent": True,
                },
            },
        ),
    )
)
STATE_MACHINE = Baseline(
    (
        Resource(
            SFN,
            "ingest",
            {
                "roleArn": "arn:aws:iam::123456789012:role/sfn",
                "definition": '{"StartAt":"A","States":{}}',
                "loggingConfiguration": {
                    "level": "ALL",
                    "includeExecutionData": True,
                    "logDestination": f"{LOGS_ARN}:*",
                },
                "tracingConfiguration": {"enabled": True},
            },
        ),
    )
)
TRACED = Baseline(
    (
        Resource(
            FUNCTION,
            "chat",
            {
                "name": "chatbot-chat",
                "runtime": "python3.13",
                "handler": "app.handler",
                "role": "arn:aws:iam::123456789012:role/chat",
                "tracingConfig": {"mode": "Active"},
            },
        ),
    )
)

S, A, F, T = "api-stage-access-logs", "appsync-request-logging", "step-functions-logging", "lambda-tracing"
CASES = [
    STAGES.case(S),
    STAGES.mutate(
        S,
        "REST stage without access logs",
        "rest-prod",
        "accessLogSettings",
        DELETE,
        level="advisory",
        message="accessLogSettings.destinationArn",
    ),
    STAGES.mutate(
        S, "REST stage without X-Ray", "rest-prod", "xrayTracingEnabled", False, message="xrayTracingEnabled"
    ),
    STAGES.mutate(S, "HTTP stage without access logs (twin token)", "http-prod", "accessLogSettings", DELETE),
    STAGES.mutate(
        S,
        "destination computed at preview is present",
        "rest-prod",
        "accessLogSettings.destinationArn",
        UNKNOWN,
        expect="pass",
    ),
    STAGES.mutate(
        S, "X-Ray flag unknown", "rest-prod", "xrayTracingEnabled", UNKNOWN, expect="not-evaluated"
    ),
    APPSYNC.case(A),
    APPSYNC.mutate(A, "no logConfig", "graphql", "logConfig", DELETE, level="advisory"),
    APPSYNC.mutate(A, "fieldLogLevel NONE", "graphql", "logConfig.fieldLogLevel", "NONE", message="NONE"),
    APPSYNC.mutate(
        A, "fieldLogLevel unknown", "graphql", "logConfig.fieldLogLevel", UNKNOWN, expect="not-evaluated"
    ),
    STATE_MACHINE.case(F),
    STATE_MACHINE.mutate(F, "level ERROR", "ingest", "loggingConfiguration.level", "ERROR", message="ALL"),
    STATE_MACHINE.mutate(
        F, "no execution data", "ingest", "loggingConfiguration.includeExecutionData", False
    ),
    STATE_MACHINE.mutate(F, "no destination", "ingest", "loggingConfiguration.logDestination", DELETE),
    STATE_MACHINE.mutate(F, "no logging at all", "ingest", "loggingConfiguration", DELETE),
    STATE_MACHINE.mutate(F, "no tracing", "ingest", "tracingConfiguration", DELETE, message="tracing"),
    STATE_MACHINE.mutate(
        F, "level unknown", "ingest", "loggingConfiguration.level", UNKNOWN, expect="not-evaluated"
    ),
    TRACED.case(T),
    TRACED.mutate(T, "PassThrough", "chat", "tracingConfig.mode", "PassThrough", level="advisory"),
    TRACED.mutate(T, "no tracingConfig", "chat", "tracingConfig", DELETE),
    TRACED.mutate(T, "mode unknown", "chat", "tracingConfig.mode", UNKNOWN, expect="not-evaluated"),
]
