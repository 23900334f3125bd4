"""ChatApi: the chat functions, the REST API (Cognito, validation, WAF) and the push-only WebSocket API.

Two phases, because the website's CSP names the API origins while the API's CORS names the website origin:
the constructor creates only the two APIs (so their origins and URLs are known), then
`connect(ChatApiConnection(...))` creates everything that needs the user pool or the website origin:
functions, authorizers, methods, integrations, stages, the WAF and the logs. Once only.

A chat turn: POST /sessions/{id}/messages (REST, behind the regional WAF with a stricter per-IP rule) reserves
the quota and invokes the `chat_worker` asynchronously; the worker streams the answer to the user's
WebSocket connections. The WebSocket API only connects ($connect authorized by the Cognito token).
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from components.chat_api.args import ChatApiArgs, ChatApiConnection
from components.chat_api.context import BuildContext
from components.chat_api.functions import create_functions
from components.chat_api.rest import build_rest
from components.chat_api.websocket import build_websocket
from components.lambda_function import AppFunction
from components.naming import resource_name


class ChatApi(pulumi.ComponentResource):
    # Known after the constructor.
    rest_api: aws.apigateway.RestApi
    rest_api_id: pulumi.Output[str]
    rest_origin: pulumi.Output[str]
    rest_api_url: pulumi.Output[str]
    websocket_api: aws.apigatewayv2.Api
    websocket_api_id: pulumi.Output[str]
    websocket_origin: pulumi.Output[str]
    websocket_url: pulumi.Output[str]
    stage_name: str
    # Set by connect().
    functions: dict[str, AppFunction]
    function_names: dict[str, pulumi.Output[str]]
    log_group_names: dict[str, pulumi.Output[str]]
    web_acl_arn: pulumi.Output[str]
    rest_api_name: pulumi.Output[str]

    def __init__(self, name: str, args: ChatApiArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("chatbot:api:ChatApi", name, None, opts)
        self._name, self._args = name, args
        self._connected = False
        invoke = pulumi.InvokeOptions(parent=self)
        self._account = aws.get_caller_identity_output(opts=invoke).account_id
        partition = aws.get_partition_output(opts=invoke)
        self._partition = partition.partition
        child = pulumi.ResourceOptions(parent=self)
        self.stage_name = args.stage_name
        self.rest_api = aws.apigateway.RestApi(
            f"{name}-rest", name=resource_name(args.prefix, args.stack, "chat-rest"),
            description=f"{args.prefix} {args.stack}: chat REST API (app/openapi.yaml)",
            endpoint_configuration=aws.apigateway.RestApiEndpointConfigurationArgs(types="REGIONAL"),
            opts=child,
        )
        self.websocket_api = aws.apigatewayv2.Api(
            f"{name}-ws",
            name=resource_name(args.prefix, args.stack, "chat-ws"),
            description=f"{args.prefix} {args.stack}: chat answers streamed to the browser",
            protocol_type="WEBSOCKET",
            route_selection_expression="$request.body.action",
            opts=child,
        )
        # The execute-api host names, from the IDs alone: no stage needed, so the CSP can name them early.
        host = pulumi.Output.concat(".execute-api.", args.region, ".", partition.dns_suffix)
        self.rest_api_id = self.rest_api.id
        self.websocket_api_id = self.websocket_api.id
        self.rest_origin = pulumi.Output.concat("https://", self.rest_api.id, host)
        self.websocket_origin = pulumi.Output.concat("wss://", self.websocket_api.id, host)
        self.rest_api_url = pulumi.Output.concat(self.rest_origin, "/", args.stage_name)
        self.websocket_url = pulumi.Output.concat(self.websocket_origin, "/", args.stage_name)

    @property
    def connected(self) -> bool:
        return self._connected

    def connect(self, connection: ChatApiConnection) -> None:
        """Create everything that needs the user pool or the website origin, then register the outputs."""
        if self._connected:
            raise RuntimeError(f"{self._name}: the API is already connected")
        self._connected = True
        ctx = BuildContext(
            parent=self, name=self._name, args=self._args, connection=connection, account=self._account,
            partition=self._partition, rest_api=self.rest_api, websocket_api=self.websocket_api,
        )
        self.functions = create_functions(ctx)
        self.function_names = {fn: f.function_name for fn, f in self.functions.items()}
        self.log_group_names = {fn: f.log_group.name for fn, f in self.functions.items()}
        rest = build_rest(ctx, self.functions)
        self.log_group_names["rest_access"] = rest.access_log_group_name
        self.log_group_names["ws_access"] = build_websocket(ctx, self.functions)
        self.web_acl_arn = rest.web_acl_arn
        self.rest_api_name = self.rest_api.name
        self.register_outputs({
            "rest_api_url": self.rest_api_url,
            "rest_api_id": self.rest_api_id,
            "rest_origin": self.rest_origin,
            "stage_name": self.stage_name,
            "websocket_url": self.websocket_url,
            "websocket_api_id": self.websocket_api_id,
            "websocket_origin": self.websocket_origin,
            "function_names": self.function_names,
            "web_acl_arn": self.web_acl_arn,
        })
