"""API authorization (SEC-API-AUTH): REST methods, HTTP/WebSocket routes, AppSync APIs.

CORS preflight (OPTIONS) is exempt everywhere; WebSocket routes other than ``$connect`` cannot take an
authorizer (the connection is authorized once, on ``$connect``), so they are exempt too.
"""

from __future__ import annotations

from functools import partial

from pulumi_policy import PolicyResource, ReportViolation, ResourceValidationArgs, StackValidationArgs
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError

from ..links import dependencies_of_type
from ..metadata import Equivalents, RuleMeta, resource_policy, stack_policy
from ..props import Known, Unknown, check_all, is_present, known, lookup, require_known

METHOD = "aws:apigateway/method:Method"
ROUTE = "aws:apigatewayv2/route:Route"
API_V2 = "aws:apigatewayv2/api:Api"
GRAPHQL = "aws:appsync/graphQLApi:GraphQLApi"
EVENT_API = "aws:appsync/api:Api"
_APIGW_DOCS = "https://docs.aws.amazon.com/apigateway/latest/developerguide/"

METHOD_AUTH = RuleMeta(
    name="api-gateway-method-auth",
    description="API Gateway REST methods require authorization (Cognito, IAM or a custom authorizer), "
    "except OPTIONS (CORS preflight).",
    severity="critical",
    catalogue_level="all",
    catalogue_ids=("SEC-API-AUTH",),
    resource_types=(METHOD,),
    remediation=(
        "Set authorization='COGNITO_USER_POOLS' with authorizer_id=<aws.apigateway.Authorizer>.id (or "
        "'AWS_IAM') on the aws.apigateway.Method."
    ),
    url=f"{_APIGW_DOCS}apigateway-control-access-to-api.html",
    equivalents=Equivalents(cdk_nag=("AwsSolutions-APIG4", "AwsSolutions-COG4"), checkov=("CKV_AWS_59",)),
)


def _preflight(args: ResourceValidationArgs) -> None:
    if str(require_known(args.props, "httpMethod", "")).upper() == "OPTIONS":
        args.not_applicable("OPTIONS (CORS preflight) carries no credentials")


def validate_method_auth(args: ResourceValidationArgs, report: ReportViolation) -> None:
    _preflight(args)
    authorization = require_known(args.props, "authorization", "NONE")
    if str(authorization).upper() == "NONE":
        report("authorization is NONE; use COGNITO_USER_POOLS (with authorizerId), AWS_IAM or CUSTOM.", None)


VALIDATION = RuleMeta(
    name="api-gateway-request-validation",
    description="API Gateway REST methods (except OPTIONS) validate requests with a request validator.",
    severity="medium",
    catalogue_level="all",
    catalogue_ids=("SEC-API-AUTH",),
    resource_types=(METHOD,),
    remediation=(
        "Create an aws.apigateway.RequestValidator(validate_request_body=True, "
        "validate_request_parameters=True) and set request_validator_id=<validator>.id on the method."
    ),
    url=f"{_APIGW_DOCS}api-gateway-method-request-validation.html",
    equivalents=Equivalents(cdk_nag=("AwsSolutions-APIG2",)),
)


def validate_request_validator(args: ResourceValidationArgs, report: ReportViolation) -> None:
    _preflight(args)
    # Presence is enough: the validator's id is computed from a validator created in the same stack.
    if not is_present(args.props, "requestValidatorId"):
        report("requestValidatorId is not set; attach an aws.apigateway.RequestValidator.", None)


ROUTE_AUTH = RuleMeta(
    name="api-gateway-v2-route-auth",
    description=(
        "API Gateway v2 routes require authorization (JWT/Cognito, IAM or a Lambda authorizer), except "
        "OPTIONS preflight routes and WebSocket routes other than $connect; no HTTP API is quick-created "
        "with a target (which makes an unauthenticated $default route)."
    ),
    severity="critical",
    catalogue_level="all",
    catalogue_ids=("SEC-API-AUTH",),
    resource_types=(ROUTE, API_V2),
    remediation=(
        "Set authorization_type='JWT' (Cognito issuer) or 'AWS_IAM' / 'CUSTOM' with authorizer_id on the "
        "aws.apigatewayv2.Route (for WebSocket APIs on the $connect route); define routes explicitly "
        "instead of Api(target=...)."
    ),
    url=f"{_APIGW_DOCS}http-api-access-control.html",
    equivalents=Equivalents(cdk_nag=("AwsSolutions-APIG4",)),
)


def _protocol(route: PolicyResource, apis: list[PolicyResource]) -> str | None:
    """The route's API protocol (HTTP or WEBSOCKET), None when the API is not in the stack."""
    linked = dependencies_of_type(route, "apiId", (API_V2,))
    ref = lookup(route.props, "apiId")
    if not linked and isinstance(ref, Known):
        linked = [a for a in apis if known(a.props, "id") == ref.value]
    if not linked and isinstance(ref, Unknown):
        raise UnknownValueError(UNKNOWN_STRING_VALUE, [route.name, "apiId"])
    return str(require_known(linked[0].props, "protocolType")).upper() if linked else None


def _check_route(route: PolicyResource, apis: list[PolicyResource], report: ReportViolation) -> None:
    if str(require_known(route.props, "authorizationType", "NONE")).upper() != "NONE":
        return
    key = str(require_known(route.props, "routeKey"))
    if key.upper().startswith("OPTIONS "):
        return
    # HTTP route keys are "METHOD /path" or $default; other keys exist only on WebSocket APIs. Only
    # $default needs the API's protocolType; an API outside the stack is taken as HTTP (the strict reading).
    if " " in key or key != "$default":
        protocol = "HTTP" if " " in key else "WEBSOCKET"
    else:
        protocol = _protocol(route, apis) or "HTTP"
    if protocol == "WEBSOCKET" and key != "$connect":
        return
    report(f"Route {route.name} ({key}) has authorizationType NONE; use JWT, AWS_IAM or CUSTOM.", route.urn)


def _check_quick_create(api: PolicyResource, report: ReportViolation) -> None:
    if is_present(api.props, "target"):
        report(
            f"Api {api.name} sets target (quick create), which adds a $default route with no "
            "authorization; create aws.apigatewayv2.Route resources with an authorizer instead.",
            api.urn,
        )


def validate_routes(args: StackValidationArgs, report: ReportViolation) -> None:
    apis = [r for r in args.resources if r.resource_type == API_V2]
    routes = [r for r in args.resources if r.resource_type == ROUTE]
    check_all(
        *(partial(_check_route, route, apis, report) for route in routes),
        *(partial(_check_quick_create, api, report) for api in apis),
    )


APPSYNC_AUTH = RuleMeta(
    name="appsync-auth",
    description="AppSync GraphQL and Event APIs do not accept API keys (default or additional providers).",
    severity="high",
    catalogue_level="all",
    catalogue_ids=("SEC-API-AUTH",),
    resource_types=(GRAPHQL, EVENT_API),
    remediation=(
        "Set authentication_type='AMAZON_COGNITO_USER_POOLS' (user_pool_config) or 'AWS_IAM', and remove "
        "API_KEY from additional_authentication_providers (Event APIs: event_config.auth_providers)."
    ),
    url="https://docs.aws.amazon.com/appsync/latest/devguide/security-authz.html",
    equivalents=Equivalents(cdk_nag=("AwsSolutions-COG4",)),
)


def validate_appsync(args: ResourceValidationArgs, report: ReportViolation) -> None:
    props = args.props
    if args.resource_type == EVENT_API:
        paths = [
            f"eventConfig.authProviders[{i}].authType"
            for i in range(len(require_known(props, "eventConfig.authProviders", [])))
        ]
    else:
        extra = len(require_known(props, "additionalAuthenticationProviders", []))
        paths = [
            "authenticationType",
            *(f"additionalAuthenticationProviders[{i}].authenticationType" for i in range(extra)),
        ]

    def check(path: str) -> None:
        if require_known(props, path) == "API_KEY":
            report(f"{path} is API_KEY; use AMAZON_COGNITO_USER_POOLS or AWS_IAM.", None)

    check_all(*(partial(check, path) for path in paths))


POLICIES = [
    resource_policy(METHOD_AUTH, validate_method_auth),
    resource_policy(VALIDATION, validate_request_validator),
    stack_policy(ROUTE_AUTH, validate_routes),
    resource_policy(APPSYNC_AUTH, validate_appsync),
]
