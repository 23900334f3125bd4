"""ChatApi: two phases, Cognito on every REST method, validation, CORS for the website only, WAF, logs."""

from __future__ import annotations

import json
import re
from typing import Any

import pulumi
import pytest

from components.chat_api import FUNCTIONS, ChatApi, chat_rate_limit, draft4, load_routes

from .chat_api_harness import (
    FUNCTION,
    LOGS_KEY,
    METHOD,
    ORIGIN,
    REGION,
    USER_POOL_ARN,
    add_computed_outputs,
    args,
    build,
    connection,
)

REST_ORIGIN = f"https://chat-rest-id.execute-api.{REGION}.amazonaws.com"
WS_ORIGIN = f"wss://chat-ws-id.execute-api.{REGION}.amazonaws.com"


def test_the_origins_are_known_before_connect_which_creates_everything_else(pulumi_mocks) -> None:
    harness = pulumi_mocks("prod")
    add_computed_outputs(harness)

    def program() -> Any:
        api = ChatApi("chat", args())
        assert not api.connected
        return pulumi.Output.all(rest_origin=api.rest_origin, ws_origin=api.websocket_origin,
                                 rest=api.rest_api_url, ws=api.websocket_url,
                                 rest_id=api.rest_api_id, ws_id=api.websocket_api_id)

    outputs = harness.run(program)
    assert outputs == {"rest_origin": REST_ORIGIN, "ws_origin": WS_ORIGIN, "rest": f"{REST_ORIGIN}/api",
                       "ws": f"{WS_ORIGIN}/api", "rest_id": "chat-rest-id", "ws_id": "chat-ws-id"}
    custom = sorted(r.type for r in harness.resources if r.custom)
    assert custom == ["aws:apigateway/restApi:RestApi", "aws:apigatewayv2/api:Api"]


def test_connect_once_only_and_only_with_one_https_origin(pulumi_mocks) -> None:
    harness = pulumi_mocks("prod")
    add_computed_outputs(harness)

    def program() -> Any:
        api = ChatApi("chat", args())
        api.connect(connection())
        assert api.connected
        with pytest.raises(RuntimeError, match="already connected"):
            api.connect(connection())
        return api.rest_api_url

    assert harness.run(program) == f"{REST_ORIGIN}/api"
    assert len(harness.of_type(FUNCTION)) == len(FUNCTIONS)
    assert len(harness.of_type("aws:apigateway/stage:Stage")) == 1


@pytest.mark.parametrize("origin", ["*", "http://chat.example.com", "https://chat.example.com/", "https://*.x.com"])
def test_a_connection_refuses_anything_but_one_https_origin(origin: str) -> None:
    with pytest.raises(ValueError, match="allowed_origin"):
        connection(allowed_origin=origin)


def test_connected_outputs_match_the_stages(pulumi_mocks) -> None:
    harness = pulumi_mocks("prod")
    outputs = build(harness)
    assert outputs["rest"] == f"{REST_ORIGIN}/api" and outputs["ws"] == f"{WS_ORIGIN}/api"
    assert outputs["rest_name"] == "chatbot-prod-chat-rest"
    assert outputs["acl"].endswith("chat-firewall-web-acl")
    assert set(outputs["logs"]) == {*FUNCTIONS, "rest_access", "ws_access"}
    rest_stage = harness.one("aws:apigateway/stage:Stage").inputs
    ws_stage = harness.one("aws:apigatewayv2/stage:Stage").inputs
    assert rest_stage["stageName"] == ws_stage["name"] == "api"


def test_preview_with_unknown_outputs_connects(pulumi_mocks) -> None:
    harness = pulumi_mocks("prod", preview=True)

    def program() -> Any:
        ChatApi("chat", args()).connect(connection())
        return "done"

    assert harness.run(program) == "done"
    assert len(harness.of_type(FUNCTION)) == len(FUNCTIONS)


def test_every_route_of_the_openapi_document_has_a_cognito_method(pulumi_mocks) -> None:
    harness = pulumi_mocks("prod")
    build(harness)
    methods = harness.of_type(METHOD)
    routes = load_routes()
    authorized = [m for m in methods if m.inputs["httpMethod"] != "OPTIONS"]
    assert {(m.inputs["httpMethod"], m.inputs["operationName"]) for m in authorized} == {
        (r.method, r.operation_id) for r in routes
    }
    for method in methods:
        assert method.inputs["requestValidatorId"]  # every method, preflight included
        if method.inputs["httpMethod"] == "OPTIONS":
            assert method.inputs["authorization"] == "NONE"
        else:
            assert method.inputs["authorization"] == "COGNITO_USER_POOLS" and method.inputs["authorizerId"]
    authorizer = harness.one("aws:apigateway/authorizer:Authorizer").inputs
    assert authorizer["type"] == "COGNITO_USER_POOLS"
    assert authorizer["providerArns"] == [USER_POOL_ARN]
    validator = harness.one("aws:apigateway/requestValidator:RequestValidator").inputs
    assert validator["validateRequestBody"] and validator["validateRequestParameters"]
    api = harness.one("aws:apigateway/restApi:RestApi").inputs
    assert api["endpointConfiguration"]["types"] == "REGIONAL"


def test_path_parameters_are_required_and_bodies_have_models(pulumi_mocks) -> None:
    harness = pulumi_mocks("prod")
    build(harness)
    update = next(m for m in harness.of_type(METHOD) if m.inputs.get("operationName") == "updateSession")
    assert update.inputs["requestParameters"] == {"method.request.path.sessionId": True}
    assert update.inputs["requestModels"] == {"application/json": "UpdateSessionRequest"}
    models = {m.inputs["name"]: json.loads(m.inputs["schema"])
              for m in harness.of_type("aws:apigateway/model:Model")}
    schema = models["UpdateSessionRequest"]
    assert schema["additionalProperties"] is False and schema["minProperties"] == 1
    assert "required" not in schema
    upload = models["UploadRequest"]  # API Gateway refuses a body outside the upload contract
    assert upload["additionalProperties"] is False
    assert set(upload["required"]) == {"fileName", "contentType", "size"}
    assert schema["$schema"] == "http://json-schema.org/draft-04/schema#"
    for integration in harness.of_type("aws:apigateway/integration:Integration"):
        kind = integration.inputs["type"]
        assert kind == ("MOCK" if integration.inputs["httpMethod"] == "OPTIONS" else "AWS_PROXY")


def test_draft4_inlines_refs_and_turns_nullable_into_a_type() -> None:
    components = {"Inner": {"type": "string", "title": "T", "nullable": True, "maxLength": 5}}
    converted = draft4({"type": "object", "properties": {"a": {"$ref": "#/components/schemas/Inner"}}},
                       components)
    assert converted == {"type": "object", "properties": {"a": {"type": ["string", "null"], "maxLength": 5}}}


def test_cors_answers_the_website_origin_only(pulumi_mocks) -> None:
    harness = pulumi_mocks("prod")
    build(harness)
    responses = harness.of_type("aws:apigateway/integrationResponse:IntegrationResponse")
    assert responses
    for response in responses:
        params = response.inputs["responseParameters"]
        assert params["method.response.header.Access-Control-Allow-Origin"] == f"'{ORIGIN}'"
        assert "OPTIONS" in params["method.response.header.Access-Control-Allow-Methods"]
    for gateway in harness.of_type("aws:apigateway/response:Response"):
        assert gateway.inputs["responseParameters"][
            "gatewayresponse.header.Access-Control-Allow-Origin"] == f"'{ORIGIN}'"
    rest = harness.one(FUNCTION, "chat-rest-function").inputs["environment"]["variables"]
    assert rest["ALLOWED_ORIGIN"] == ORIGIN


def test_stages_log_to_owned_encrypted_groups_and_are_throttled(pulumi_mocks) -> None:
    harness = pulumi_mocks("prod")
    build(harness)
    groups = {g.name: g for g in harness.of_type("aws:cloudwatch/logGroup:LogGroup")}
    for group in groups.values():
        assert group.inputs["retentionInDays"] == 365 and group.inputs["kmsKeyId"] == LOGS_KEY
        assert group.protect and group.retain_on_delete
    stage = harness.one("aws:apigateway/stage:Stage").inputs
    assert stage["xrayTracingEnabled"] is True
    assert stage["accessLogSettings"]["destinationArn"].endswith("chat-rest-access-logs")
    log_format = json.loads(stage["accessLogSettings"]["format"])
    assert "$context.identity.sourceIp" in log_format.values()
    assert not any("header" in value or "querystring" in value.lower() for value in log_format.values())
    settings = harness.one("aws:apigateway/methodSettings:MethodSettings").inputs
    assert settings["methodPath"] == "*/*"
    assert settings["settings"]["dataTraceEnabled"] is False and settings["settings"]["metricsEnabled"]
    assert settings["settings"]["throttlingRateLimit"] == 50 and settings["settings"]["throttlingBurstLimit"]
    ws_stage = harness.one("aws:apigatewayv2/stage:Stage").inputs
    assert ws_stage["accessLogSettings"]["destinationArn"].endswith("chat-ws-access-logs")
    assert ws_stage["defaultRouteSettings"]["throttlingRateLimit"] == 50
    assert ws_stage["defaultRouteSettings"]["dataTraceEnabled"] is False


def test_regional_waf_with_a_stricter_rule_on_chat_sends_guards_the_stage(pulumi_mocks) -> None:
    harness = pulumi_mocks("prod")
    build(harness)
    acl = harness.one("aws:wafv2/webAcl:WebAcl").inputs
    assert acl["scope"] == "REGIONAL"
    rules = {r["name"]: r for r in acl["rules"]}
    assert rules["rate-limit-per-ip"]["statement"]["rateBasedStatement"]["limit"] == 1000
    chat = rules["rate-limit-chat"]["statement"]["rateBasedStatement"]
    assert chat["limit"] == 100 and rules["rate-limit-chat"]["action"] == {"block": {}}
    method, path = chat["scopeDownStatement"]["andStatement"]["statements"]
    assert method["regexMatchStatement"]["regexString"] == "^(POST)$"
    pattern = re.compile(path["regexMatchStatement"]["regexString"])
    assert pattern.match("/api/sessions/0123abcd/messages") and pattern.match("/sessions/x/messages/")
    assert not pattern.match("/sessions/x/messages/y/feedback") and not pattern.match("/sessions")
    assert "geo-allowlist" in rules
    association = harness.one("aws:wafv2/webAclAssociation:WebAclAssociation").inputs
    assert association["webAclArn"].endswith("chat-firewall-web-acl")
    assert association["resourceArn"].endswith("chat-rest-stage")


def test_chat_rate_limit_falls_back_to_every_write_without_a_send_route() -> None:
    routes = tuple(r for r in load_routes() if not r.path.endswith("/messages"))
    scoped = chat_rate_limit(args(routes=routes))
    assert scoped.methods == ("POST", "PUT", "PATCH", "DELETE") and scoped.path_pattern is None


def test_websocket_connect_is_authorized_by_the_token_authorizer(pulumi_mocks) -> None:
    harness = pulumi_mocks("prod")
    outputs = build(harness)
    api = harness.one("aws:apigatewayv2/api:Api").inputs
    assert api["protocolType"] == "WEBSOCKET" and api["routeSelectionExpression"] == "$request.body.action"
    authorizer = harness.one("aws:apigatewayv2/authorizer:Authorizer").inputs
    assert authorizer["authorizerType"] == "REQUEST"
    assert authorizer["identitySources"] == ["route.request.querystring.token"]
    routes = {r.inputs["routeKey"]: r.inputs for r in harness.of_type("aws:apigatewayv2/route:Route")}
    assert set(routes) == {"$connect", "$disconnect"}
    assert routes["$connect"]["authorizationType"] == "CUSTOM" and routes["$connect"]["authorizerId"]
    for integration in harness.of_type("aws:apigatewayv2/integration:Integration"):
        assert integration.inputs["integrationType"] == "AWS_PROXY"
    assert set(outputs["names"]) == set(FUNCTIONS)
