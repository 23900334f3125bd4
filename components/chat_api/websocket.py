"""The WebSocket API's phase two: a push-only channel ($connect authorized by the Cognito token through a
REQUEST authorizer, $disconnect), with a logged, throttled stage."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from components.chat_api.args import ACCESS_LOG_FORMAT, WS_ROUTES
from components.chat_api.context import BuildContext
from components.lambda_function import AppFunction
from components.naming import resource_name

v2 = aws.apigatewayv2


def build_websocket(ctx: BuildContext, functions: dict[str, AppFunction]) -> pulumi.Output[str]:
    """Routes, authorizer and stage; returns the access log group's name."""
    name, args, api = ctx.name, ctx.args, ctx.websocket_api
    authorizer_fn = functions["ws_authorizer"]
    authorizer = v2.Authorizer(
        f"{name}-ws-authorizer", api_id=api.id, name="cognito-token", authorizer_type="REQUEST",
        authorizer_uri=authorizer_fn.invoke_arn, identity_sources=["route.request.querystring.token"],
        opts=ctx.opts(),
    )
    aws.lambda_.Permission(
        f"{name}-ws-authorizer-permission", action="lambda:InvokeFunction",
        function=authorizer_fn.function_name, principal="apigateway.amazonaws.com",
        source_arn=pulumi.Output.concat(api.execution_arn, "/authorizers/", authorizer.id),
        opts=ctx.opts(),
    )
    routes: list[pulumi.Resource] = []
    for key, fn in WS_ROUTES.items():
        slug = key.strip("$").lower()
        target = functions[fn]
        integration = v2.Integration(
            f"{name}-ws-{slug}-integration", api_id=api.id, integration_type="AWS_PROXY",
            integration_method="POST", integration_uri=target.invoke_arn, opts=ctx.opts(),
        )
        connect = key == "$connect"  # the only route that may carry an authorizer on WebSocket APIs
        routes.append(v2.Route(
            f"{name}-ws-{slug}", api_id=api.id, route_key=key,
            target=pulumi.Output.concat("integrations/", integration.id),
            authorization_type="CUSTOM" if connect else "NONE",
            authorizer_id=authorizer.id if connect else None, opts=ctx.opts(),
        ))
        aws.lambda_.Permission(
            f"{name}-ws-{slug}-permission", action="lambda:InvokeFunction", function=target.function_name,
            principal="apigateway.amazonaws.com",
            source_arn=pulumi.Output.concat(api.execution_arn, f"/{args.stage_name}/{key}"),
            opts=ctx.opts(),
        )
    deployment = v2.Deployment(
        f"{name}-ws-deployment", api_id=api.id, triggers={"routes": ",".join(sorted(WS_ROUTES))},
        opts=ctx.opts(depends_on=routes),
    )
    access_name = f"/aws/apigateway/{resource_name(args.prefix, args.stack, 'chat-ws')}"
    access = ctx.log_group("ws-access", access_name)
    # API Gateway's execution log group of a WebSocket stage, owned here for retention and the CMK.
    ctx.log_group("ws-execution", pulumi.Output.concat("/aws/apigateway/", api.id, f"/{args.stage_name}"))
    v2.Stage(
        f"{name}-ws-stage", api_id=api.id, name=args.stage_name, deployment_id=deployment.id,
        access_log_settings=v2.StageAccessLogSettingsArgs(
            destination_arn=access.arn, format=ACCESS_LOG_FORMAT),
        default_route_settings=v2.StageDefaultRouteSettingsArgs(
            throttling_rate_limit=args.throttle_rate, throttling_burst_limit=args.throttle_burst,
            data_trace_enabled=False, logging_level="ERROR", detailed_metrics_enabled=True,
        ),
        opts=ctx.opts(depends_on=routes),
    )
    return access.name
