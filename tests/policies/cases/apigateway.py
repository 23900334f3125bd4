"""Fixtures for rules/apigateway.py: REST methods, HTTP/WebSocket routes and AppSync authorization."""

from __future__ import annotations

from dataclasses import replace

from ..harness import UNKNOWN
from . import DELETE, Baseline, Resource, ref

METHOD = "aws:apigateway/method:Method"
ROUTE = "aws:apigatewayv2/route:Route"
API_V2 = "aws:apigatewayv2/api:Api"
GRAPHQL = "aws:appsync/graphQLApi:GraphQLApi"
EVENT_API = "aws:appsync/api:Api"
AUTH, VALIDATION, ROUTES, APPSYNC = (
    "api-gateway-method-auth",
    "api-gateway-request-validation",
    "api-gateway-v2-route-auth",
    "appsync-auth",
)

_METHOD = {
    "restApi": UNKNOWN,
    "resourceId": UNKNOWN,
    "httpMethod": "POST",
    "authorization": "COGNITO_USER_POOLS",
    "authorizerId": UNKNOWN,
    "requestValidatorId": UNKNOWN,
}
REST = Baseline(
    (
        Resource(METHOD, "chat-post", dict(_METHOD)),
        Resource(METHOD, "chat-options", {**_METHOD, "httpMethod": "OPTIONS", "authorization": "NONE"}),
    )
)
# The CORS preflight carries no credentials and needs no validator.
_PREFLIGHT = {
    k: v for k, v in REST.resources[1].props.items() if k not in ("authorizerId", "requestValidatorId")
}
REST = Baseline((REST.resources[0], replace(REST.resources[1], props=_PREFLIGHT)))


def _route(name: str, api: str, key: str, auth: str = "JWT") -> Resource:
    props = {"apiId": UNKNOWN, "routeKey": key, "authorizationType": auth, "target": UNKNOWN}
    if auth != "NONE":
        props["authorizerId"] = UNKNOWN
    return Resource(ROUTE, name, props, property_dependencies={"apiId": [ref(API_V2, api)]})


V2 = Baseline(
    (
        Resource(API_V2, "http", {"name": "chatbot-http", "protocolType": "HTTP"}),
        Resource(
            API_V2,
            "ws",
            {
                "name": "chatbot-ws",
                "protocolType": "WEBSOCKET",
                "routeSelectionExpression": "$request.body.action",
            },
        ),
        _route("http-chat", "http", "POST /chat"),
        _route("http-preflight", "http", "OPTIONS /{proxy+}", "NONE"),
        _route("ws-connect", "ws", "$connect", "CUSTOM"),
        _route("ws-send", "ws", "sendMessage", "NONE"),
        _route("ws-disconnect", "ws", "$disconnect", "NONE"),
        _route("ws-default", "ws", "$default", "NONE"),
    )
)
APPS = Baseline(
    (
        Resource(
            GRAPHQL,
            "graphql",
            {
                "name": "chatbot-graphql",
                "authenticationType": "AMAZON_COGNITO_USER_POOLS",
                "userPoolConfig": {"userPoolId": UNKNOWN, "defaultAction": "ALLOW", "awsRegion": "eu-west-1"},
                "additionalAuthenticationProviders": [{"authenticationType": "AWS_IAM"}],
            },
        ),
        Resource(
            EVENT_API,
            "events",
            {
                "name": "chatbot-events",
                "eventConfig": {
                    "authProviders": [{"authType": "AMAZON_COGNITO_USER_POOLS", "cognitoConfig": {
                        "userPoolId": UNKNOWN, "awsRegion": "eu-west-1"}}],
                    "connectionAuthModes": [{"authType": "AMAZON_COGNITO_USER_POOLS"}],
                    "defaultPublishAuthModes": [{"authType": "AMAZON_COGNITO_USER_POOLS"}],
                    "defaultSubscribeAuthModes": [{"authType": "AMAZON_COGNITO_USER_POOLS"}],
                },
            },
        ),
    )
)  # fmt: skip
DEV_REST = Baseline(REST.resources, stack="dev")


def _unlinked(base: Baseline, name: str) -> Baseline:
    return Baseline(
        tuple(replace(r, property_dependencies={}) if r.name == name else r for r in base.resources)
    )


CASES = [
    # REST methods: authorization
    REST.case(AUTH),
    REST.mutate(
        AUTH,
        "POST without authorization",
        "chat-post",
        "authorization",
        "NONE",
        message="authorization is NONE",
        level="mandatory",
    ),
    REST.mutate(AUTH, "authorization unknown", "chat-post", "authorization", UNKNOWN, expect="not-evaluated"),
    REST.mutate(AUTH, "IAM authorization", "chat-post", "authorization", "AWS_IAM", expect="pass"),
    DEV_REST.mutate(AUTH, "mandatory on dev", "chat-post", "authorization", "NONE", level="mandatory"),
    # REST methods: request validation
    REST.case(VALIDATION, "validator id unknown at preview is enough"),
    REST.mutate(
        VALIDATION,
        "no request validator",
        "chat-post",
        "requestValidatorId",
        DELETE,
        message="requestValidatorId is not set",
        level="mandatory",
    ),
    REST.mutate(
        VALIDATION,
        "known validator id",
        "chat-post",
        "requestValidatorId",
        "a1b2c3",
        expect="pass",
    ),
    # HTTP and WebSocket routes
    V2.case(ROUTES),
    V2.mutate(
        ROUTES,
        "HTTP route without authorization",
        "http-chat",
        "authorizationType",
        "NONE",
        message="Route http-chat (POST /chat) has authorizationType NONE",
        level="mandatory",
    ),
    V2.mutate(ROUTES, "authorization unset defaults to NONE", "http-chat", "authorizationType", DELETE),
    V2.mutate(
        ROUTES,
        "WebSocket $connect without authorization",
        "ws-connect",
        "authorizationType",
        "NONE",
        message="$connect",
    ),
    Baseline(
        V2.mutate(ROUTES, "chat route unauthenticated", "http-chat", "authorizationType", "NONE").resources
    ).mutate(
        ROUTES,
        "HTTP $default route without authorization",
        "http-chat",
        "routeKey",
        "$default",
        message="($default)",
    ),
    V2.mutate(
        ROUTES, "authorization unknown", "http-chat", "authorizationType", UNKNOWN, expect="not-evaluated"
    ),
    _unlinked(V2, "ws-default").case(ROUTES, "$default route of an unknown API", expect="not-evaluated"),
    _unlinked(V2, "ws-send").case(ROUTES, "WebSocket key of an API outside the stack"),
    V2.mutate(
        ROUTES,
        "HTTP API quick create",
        "http",
        "target",
        "arn:aws:lambda:eu-west-1:1:function:chat",
        message="quick create",
    ),
    # AppSync
    APPS.case(APPSYNC),
    APPS.mutate(
        APPSYNC,
        "API key default",
        "graphql",
        "authenticationType",
        "API_KEY",
        message="authenticationType is API_KEY",
        level="mandatory",
    ),
    APPS.mutate(
        APPSYNC,
        "API key as additional provider",
        "graphql",
        "additionalAuthenticationProviders.0.authenticationType",
        "API_KEY",
        message="additionalAuthenticationProviders[0].authenticationType",
    ),
    APPS.mutate(
        APPSYNC,
        "authentication type unknown",
        "graphql",
        "authenticationType",
        UNKNOWN,
        expect="not-evaluated",
    ),
    APPS.mutate(
        APPSYNC,
        "Event API twin with an API key provider",
        "events",
        "eventConfig.authProviders.0",
        {"authType": "API_KEY"},
        message="eventConfig.authProviders[0].authType",
    ),
]
