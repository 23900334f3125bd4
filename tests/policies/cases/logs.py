"""Fixtures for rules/logs.py: log-group-retention and lambda-log-group."""

from ..harness import UNKNOWN
from . import DELETE, Baseline, Resource, ref

LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
FUNCTION = "aws:lambda/function:Function"
ROLE_ARN = "arn:aws:iam::123456789012:role/chat"

GROUP = Baseline((Resource(LOG_GROUP, "api-logs", {"name": "/chatbot/api", "retentionInDays": 90.0}),))
DEV_GROUP = Baseline(GROUP.resources, stack="dev")


def _function(name: str = "chat", **props: object) -> Resource:
    base = {
        "name": "chatbot-chat",
        "runtime": "python3.13",
        "handler": "app.handler",
        "role": ROLE_ARN,
        "packageType": "Zip",
    }
    return Resource(FUNCTION, name, {**base, **props})


# Linked by name: the group is /aws/lambda/<function name>.
BY_NAME = Baseline(
    (
        Resource(LOG_GROUP, "chat-logs", {"name": "/aws/lambda/chatbot-chat", "retentionInDays": 30.0}),
        _function(),
    )
)
# Linked by loggingConfig.logGroup, with the function name unknown at preview.
BY_CONFIG = Baseline(
    (
        Resource(LOG_GROUP, "chat-logs", {"name": UNKNOWN, "retentionInDays": 30.0}),
        Resource(
            FUNCTION,
            "chat",
            {
                "name": UNKNOWN,
                "runtime": "python3.13",
                "handler": "app.handler",
                "role": ROLE_ARN,
                "loggingConfig": {"logFormat": "JSON", "logGroup": UNKNOWN},
            },
            property_dependencies={"loggingConfig": [ref(LOG_GROUP, "chat-logs")]},
        ),
    )
)
# The group's name is computed from the function's name.
REVERSED = Baseline(
    (
        _function(),
        Resource(
            LOG_GROUP,
            "chat-logs",
            {"name": UNKNOWN, "retentionInDays": 30.0},
            property_dependencies={"name": [ref(FUNCTION, "chat")]},
        ),
    )
)

R = "log-group-retention"
L = "lambda-log-group"
CASES = [
    GROUP.case(R),
    GROUP.mutate(
        R, "retention unset", "api-logs", "retentionInDays", DELETE, message="never expire", level="mandatory"
    ),
    GROUP.mutate(R, "retention zero", "api-logs", "retentionInDays", 0.0),
    GROUP.mutate(R, "below the floor", "api-logs", "retentionInDays", 7.0, message="below the stack floor"),
    DEV_GROUP.mutate(R, "below the floor on dev", "api-logs", "retentionInDays", 7.0, expect="pass"),
    DEV_GROUP.mutate(
        R, "never expire on dev is mandatory", "api-logs", "retentionInDays", DELETE, level="mandatory"
    ),
    GROUP.mutate(R, "retention unknown", "api-logs", "retentionInDays", UNKNOWN, expect="not-evaluated"),
    BY_NAME.case(L, "linked by /aws/lambda/<name>"),
    BY_CONFIG.case(L, "linked by loggingConfig.logGroup with unknown names"),
    REVERSED.case(L, "group name computed from the function"),
    BY_NAME.without(
        L, "no log group", "chat-logs", level="mandatory", message="creates no aws.cloudwatch.LogGroup"
    ),
    BY_NAME.mutate(L, "group with another name", "chat-logs", "name", "/aws/lambda/other"),
    BY_NAME.mutate(
        L, "linked group never expires", "chat-logs", "retentionInDays", DELETE, message="never expire"
    ),
    BY_NAME.mutate(
        L,
        "custom loggingConfig.logGroup that the stack lacks",
        "chat",
        "loggingConfig",
        {"logFormat": "JSON", "logGroup": "/chatbot/elsewhere"},
        message="/chatbot/elsewhere",
    ),
    BY_NAME.mutate(
        L,
        "custom loggingConfig.logGroup the stack has",
        "chat",
        "loggingConfig",
        {"logFormat": "JSON", "logGroup": "/aws/lambda/chatbot-chat"},
        expect="pass",
    ),
    BY_NAME.mutate(
        L, "group name unknown and unlinked", "chat-logs", "name", UNKNOWN, expect="not-evaluated"
    ),
    BY_NAME.mutate(L, "retention unknown is present", "chat-logs", "retentionInDays", UNKNOWN, expect="pass"),
    BY_CONFIG.without(L, "unknown name, no group at all", "chat-logs"),
    Baseline(BY_NAME.resources, stack="dev").without(
        L, "no log group on dev is mandatory", "chat-logs", level="mandatory"
    ),
]
