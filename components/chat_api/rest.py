"""The REST API's phase two: Cognito-authorized, validated methods proxied to the `rest` function, CORS
preflight for the website origin only, a logged and throttled stage behind the regional WAF."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components.aws_context import AwsContext
from components.chat_api.args import ACCESS_LOG_FORMAT, ChatApiArgs
from components.chat_api.context import BuildContext
from components.chat_api.iam import api_gateway_logs_statements
from components.chat_api.routes import slug
from components.firewall import ScopedRateLimit, WebFirewall, WebFirewallArgs
from components.lambda_function import AppFunction
from components.naming import resource_name

WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
CHAT_SEND_SUFFIX = "/messages"  # POST .../messages sends a chat message: the stricter WAF rule guards it
gw = aws.apigateway


@dataclass(frozen=True)
class RestBuild:
    stage: aws.apigateway.Stage
    web_acl_arn: pulumi.Output[str]
    access_log_group_name: pulumi.Output[str]


def chat_rate_limit(args: ChatApiArgs) -> ScopedRateLimit:
    """The stricter per-IP limit on sending chat messages (POST .../messages); on every write when the API
    has no such route. The path may carry the stage (execute-api URL) or not (custom domain)."""
    sends = sorted({r.path for r in args.routes if r.method == "POST" and r.path.endswith(CHAT_SEND_SUFFIX)})
    if not sends:
        return ScopedRateLimit("writes", args.chat_rate_limit_per_ip, WRITE_METHODS)
    paths = "|".join(
        "/".join("[^/]+" if part.startswith("{") else re.escape(part.lower()) for part in path.split("/"))
        for path in sends
    )
    stage = re.escape(args.stage_name.lower())
    return ScopedRateLimit("chat", args.chat_rate_limit_per_ip, ("POST",), f"^(/{stage})?({paths})/?$")


def build_rest(ctx: BuildContext, functions: dict[str, AppFunction]) -> RestBuild:
    name, args, api = ctx.name, ctx.args, ctx.rest_api
    authorizer = gw.Authorizer(
        f"{name}-cognito", name="cognito", rest_api=api.id, type="COGNITO_USER_POOLS",
        provider_arns=[ctx.connection.user_pool_arn], identity_source="method.request.header.Authorization",
        opts=ctx.opts(),
    )
    validator = gw.RequestValidator(
        f"{name}-validator", name="body-and-parameters", rest_api=api.id,
        validate_request_body=True, validate_request_parameters=True, opts=ctx.opts(),
    )
    models = {
        r.model_name: gw.Model(
            f"{name}-model-{r.model_name.lower()}", rest_api=api.id, name=r.model_name,
            content_type="application/json", schema=json.dumps(r.body_schema, sort_keys=True),
            opts=ctx.opts(),
        )
        for r in args.routes if r.model_name and r.body_schema
    }
    resources: dict[str, aws.apigateway.Resource] = {}

    def resource_id(path: str) -> pulumi.Input[str]:
        if path == "/":
            return api.root_resource_id
        if path not in resources:
            parent, _, part = path.rpartition("/")
            resources[path] = gw.Resource(
                f"{name}-res-{slug(path)}", rest_api=api.id, parent_id=resource_id(parent or "/"),
                path_part=part, opts=ctx.opts(),
            )
        return resources[path].id

    parts: list[pulumi.Resource] = []
    rest_fn = functions["rest"]
    for route in args.routes:
        route_slug = f"{route.method.lower()}-{slug(route.path)}"
        model = models.get(route.model_name or "")
        method = gw.Method(
            f"{name}-{route_slug}", rest_api=api.id, resource_id=resource_id(route.path),
            http_method=route.method, authorization="COGNITO_USER_POOLS", authorizer_id=authorizer.id,
            request_validator_id=validator.id, operation_name=route.operation_id,
            request_parameters={f"method.request.path.{p}": True for p in route.path_params} or None,
            request_models={"application/json": model.name} if model else None,
            opts=ctx.opts(),
        )
        integration = gw.Integration(
            f"{name}-{route_slug}-integration", rest_api=api.id, resource_id=method.resource_id,
            http_method=method.http_method, type="AWS_PROXY", integration_http_method="POST",
            uri=rest_fn.invoke_arn, opts=ctx.opts(),
        )
        aws.lambda_.Permission(
            f"{name}-{route_slug}-permission", action="lambda:InvokeFunction", function=rest_fn.function_name,
            principal="apigateway.amazonaws.com",
            source_arn=pulumi.Output.concat(
                api.execution_arn, f"/{args.stage_name}/{route.method}{route.arn_path}"),
            opts=ctx.opts(),
        )
        parts += [method, integration]
    for path in sorted({r.path for r in args.routes}):
        allowed = sorted({r.method for r in args.routes if r.path == path} | {"OPTIONS"})
        parts += _preflight(ctx, resource_id(path), path, allowed, validator)
    origin = pulumi.Output.concat("'", ctx.connection.allowed_origin, "'")
    # Errors API Gateway answers itself (401 from the authorizer, 429) stay readable by the SPA.
    for kind in ("DEFAULT_4XX", "DEFAULT_5XX"):
        parts.append(gw.Response(
            f"{name}-{kind.lower().replace('_', '-')}", rest_api_id=api.id, response_type=kind,
            response_parameters={"gatewayresponse.header.Access-Control-Allow-Origin": origin,
                                 "gatewayresponse.header.Vary": "'Origin'"},
            opts=ctx.opts(),
        ))
    return _stage(ctx, parts)


def _preflight(ctx: BuildContext, resource: Any, path: str, allowed: list[str],
               validator: aws.apigateway.RequestValidator) -> list[pulumi.Resource]:
    """CORS preflight: a MOCK integration answering for the website origin only, without credentials."""
    name, api, prefix = f"{ctx.name}-options-{slug(path)}", ctx.rest_api, "method.response.header."
    header = f"{prefix}Access-Control-Allow-"
    method = gw.Method(
        name, rest_api=api.id, resource_id=resource, http_method="OPTIONS",
        authorization="NONE", request_validator_id=validator.id, opts=ctx.opts(),
    )
    integration = gw.Integration(
        f"{name}-integration", rest_api=api.id, resource_id=resource, http_method="OPTIONS",
        type="MOCK", request_templates={"application/json": '{"statusCode": 200}'},
        opts=ctx.opts(depends_on=[method]),
    )
    response = gw.MethodResponse(
        f"{name}-response", rest_api=api.id, resource_id=resource, http_method="OPTIONS",
        status_code="200",
        response_parameters={f"{header}{h}": True for h in ("Origin", "Methods", "Headers")},
        opts=ctx.opts(depends_on=[method]),
    )
    mapped = gw.IntegrationResponse(
        f"{name}-integration-response", rest_api=api.id, resource_id=resource,
        http_method="OPTIONS", status_code="200",
        response_parameters={
            f"{header}Origin": pulumi.Output.concat("'", ctx.connection.allowed_origin, "'"),
            f"{header}Methods": f"'{','.join(allowed)}'",
            f"{header}Headers": "'Authorization,Content-Type'",
        },
        opts=ctx.opts(depends_on=[integration, response]),
    )
    return [method, integration, response, mapped]


def _stage(ctx: BuildContext, parts: list[pulumi.Resource]) -> RestBuild:
    name, args, api = ctx.name, ctx.args, ctx.rest_api
    routes = [(r.method, r.path, r.operation_id, r.body_schema) for r in args.routes]
    fingerprint = hashlib.sha256(json.dumps(routes, sort_keys=True).encode()).hexdigest()
    account = _api_gateway_account(ctx)
    deployment = gw.Deployment(
        f"{name}-rest-deployment", rest_api=api.id,
        triggers={"routes": fingerprint},  # a new deployment whenever the routes or schemas change
        opts=ctx.opts(depends_on=parts),
    )
    access_name = f"/aws/apigateway/{resource_name(args.prefix, args.stack, 'chat-rest')}"
    access = ctx.log_group("rest-access", access_name)
    # API Gateway writes execution logs to this name; created here so it has retention and the CMK.
    ctx.log_group("rest-execution", pulumi.Output.concat(
        "API-Gateway-Execution-Logs_", api.id, f"/{args.stage_name}"))
    stage = gw.Stage(
        f"{name}-rest-stage", rest_api=api.id, deployment=deployment.id, stage_name=args.stage_name,
        access_log_settings=gw.StageAccessLogSettingsArgs(
            destination_arn=access.arn, format=ACCESS_LOG_FORMAT),
        xray_tracing_enabled=args.xray_tracing,
        opts=ctx.opts(depends_on=account),
    )
    gw.MethodSettings(
        f"{name}-rest-method-settings", rest_api=api.id, stage_name=stage.stage_name, method_path="*/*",
        settings=gw.MethodSettingsSettingsArgs(
            metrics_enabled=True, logging_level="ERROR", data_trace_enabled=False,  # no bodies in logs
            throttling_rate_limit=args.throttle_rate, throttling_burst_limit=args.throttle_burst,
        ),
        opts=ctx.opts(),
    )
    firewall = WebFirewall(
        f"{name}-firewall",
        WebFirewallArgs(
            prefix=args.prefix, stack=args.stack, scope="REGIONAL", rate_limit=args.rate_limit_per_ip,
            window_seconds=args.rate_limit_window_seconds, geo_allowlist=args.geo_allowlist,
            log_retention_days=args.log_retention_days, logs_kms_key_arn=args.logs_kms_key_arn,
            retain=args.retain, scoped_rate_limits=(chat_rate_limit(args),),
        ),
        opts=ctx.opts(),
    )
    aws.wafv2.WebAclAssociation(
        f"{name}-rest-waf", resource_arn=stage.arn, web_acl_arn=firewall.web_acl_arn, opts=ctx.opts())
    return RestBuild(stage, firewall.web_acl_arn, access.name)


def _api_gateway_account(ctx: BuildContext) -> list[pulumi.Resource]:
    """The region's API Gateway logging role (one per account and region), with a written policy."""
    if not ctx.args.manage_api_gateway_account:
        return []
    name = ctx.name
    trust = {"Effect": "Allow", "Principal": {"Service": "apigateway.amazonaws.com"},
             "Action": "sts:AssumeRole",
             "Condition": {"StringEquals": {"aws:SourceAccount": ctx.account}}}
    role = aws.iam.Role(
        f"{name}-apigateway-logs-role",
        description="API Gateway: writes access and execution logs of this region's APIs",
        assume_role_policy=pulumi.Output.json_dumps({"Version": "2012-10-17", "Statement": [trust]}),
        opts=ctx.opts(),
    )
    groups = AwsContext(ctx.account, ctx.partition).log_group_arn(ctx.args.region)
    policy = aws.iam.RolePolicy(
        f"{name}-apigateway-logs-policy", role=role.id,
        policy=groups.apply(lambda prefix: json.dumps(
            {"Version": "2012-10-17", "Statement": api_gateway_logs_statements(prefix)})),
        opts=ctx.opts(),
    )
    account = gw.Account(
        f"{name}-apigateway-account", cloudwatch_role_arn=role.arn, opts=ctx.opts(depends_on=[policy]))
    return [account]
