"""Trusted import (SEC-TRUSTED-IMPORT): the infrastructure's share of "import only what you trust".

The catalogue enforces the import rules themselves (configured file types and sizes, writes under the
caller's workspace prefix, crawling limited to configured domains) in the application, where they are
tested. The policy pack checks the two places where infrastructure can undo them:

* ``upload-cors-origins``: browsers upload straight to S3 with presigned PUT/POST URLs. A CORS rule that
  allows PUT or POST from ``*`` or from a plain-http origin lets any web page (or a network attacker
  injecting script into an http page) drive a user's browser to upload into the bucket. Allowed origins
  must be explicit https origins. ``allowedHeaders: ["*"]`` is not needed either: a presigned POST is a
  form post, and a presigned PUT needs Content-Type plus S3's own ``x-amz-*`` headers (checksums,
  metadata), so only explicit names and ``x-amz-...*`` wildcards are accepted.
* ``import-handler-limits``: the Lambda functions that process imported content get their limits from
  the stack, not from code defaults, through two environment variables the application reads:
  ``IMPORT_ALLOWED_TYPES`` (comma-separated MIME types, no wildcards) and ``IMPORT_MAX_BYTES`` (a
  positive integer). A function "handles imports" when it sets either variable or is the target of an
  S3 bucket notification (it processes uploaded objects); it must then set both.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from pulumi_policy import PolicyResource, ReportViolation, ResourceValidationArgs, StackValidationArgs

from ..links import refers_to, values_at
from ..metadata import RuleMeta, resource_policy, stack_policy
from ..props import Known, Unknown, check_all, lookup, require_known

CORS_CONFIGS = ("aws:s3/bucketCorsConfiguration:BucketCorsConfiguration",
                "aws:s3/bucketCorsConfigurationV2:BucketCorsConfigurationV2")
BUCKETS = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
FUNCTION = "aws:lambda/function:Function"
NOTIFICATION = "aws:s3/bucketNotification:BucketNotification"
WRITE_METHODS = frozenset({"PUT", "POST"})
ENV_TYPES = "IMPORT_ALLOWED_TYPES"
ENV_MAX_BYTES = "IMPORT_MAX_BYTES"

CORS_META = RuleMeta(
    name="upload-cors-origins",
    description=(
        "S3 CORS rules that allow browser uploads (PUT or POST) list explicit https origins (no '*', no "
        "http://) and no wildcard allowedHeaders beyond S3's x-amz-* headers that presigned uploads use."
    ),
    severity="high",
    catalogue_level="all",
    catalogue_ids=("SEC-TRUSTED-IMPORT",),
    resource_types=(*CORS_CONFIGS, *BUCKETS),
    remediation=(
        "In aws.s3.BucketCorsConfiguration cors_rules, set allowed_origins to the site's https origins "
        "(e.g. [f\"https://{domain}\"]) and allowed_headers to the names the upload sends (e.g. "
        "[\"content-type\", \"x-amz-checksum-sha256\"] or \"x-amz-meta-*\")."
    ),
    url="https://docs.aws.amazon.com/AmazonS3/latest/userguide/cors.html",
)


def _rule_problems(props: Any, path: str) -> list[str]:
    methods = {str(m).upper() for m in require_known(props, f"{path}.allowedMethods", []) or []}
    if not methods & WRITE_METHODS:
        return []
    problems: list[str] = []
    for origin in require_known(props, f"{path}.allowedOrigins", []) or []:
        if "*" in str(origin):
            problems.append(f"{path}.allowedOrigins has {origin!r}; list each https origin explicitly")
        elif not str(origin).startswith("https://"):
            problems.append(f"{path}.allowedOrigins has {origin!r}; only https:// origins may upload")
    for header in require_known(props, f"{path}.allowedHeaders", []) or []:
        name = str(header).lower()
        if "*" in name and not (name.startswith("x-amz-") and name.endswith("*") and name.count("*") == 1):
            problems.append(f"{path}.allowedHeaders has {header!r}; name the headers (x-amz-...* at most)")
    return problems


def validate_cors(args: ResourceValidationArgs, report: ReportViolation) -> None:
    rules = require_known(args.props, "corsRules", []) or []

    def check(path: str) -> None:
        for problem in _rule_problems(args.props, path):
            report(f"{problem} (CORS allows {'/'.join(sorted(WRITE_METHODS))} uploads).", None)

    check_all(*(partial(check, f"corsRules[{i}]") for i in range(len(rules))))


HANDLER_META = RuleMeta(
    name="import-handler-limits",
    description=(
        "Lambda functions that process imported content (S3 notification targets, or functions that set "
        "either variable) set IMPORT_ALLOWED_TYPES (comma-separated MIME types, no wildcards) and "
        "IMPORT_MAX_BYTES (positive integer), which the application enforces."
    ),
    severity="high",
    catalogue_level="all",
    catalogue_ids=("SEC-TRUSTED-IMPORT",),
    resource_types=(FUNCTION, NOTIFICATION),
    remediation=(
        "Pass environment=aws.lambda_.FunctionEnvironmentArgs(variables={\"IMPORT_ALLOWED_TYPES\": "
        "\",\".join(settings.import_types), \"IMPORT_MAX_BYTES\": str(settings.import_max_bytes), ...}) to "
        "the import function, from the stack's settings."
    ),
    url="https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html",
)


def _env(function: PolicyResource, name: str) -> Any:
    return lookup(function.props, ("environment", "variables", name))


def _notified(function: PolicyResource, notifications: list[PolicyResource]) -> bool:
    """Does some bucket notification name ``function`` for sure (by dependency or known ARN)?"""
    path = "lambdaFunctions[].lambdaFunctionArn"
    return any(
        refers_to(n, "lambdaFunctions", function, ("arn",), values_at(n.props, path)) for n in notifications
    )


def _check_handler(
    function: PolicyResource, notifications: list[PolicyResource], report: ReportViolation
) -> None:
    types, size = _env(function, ENV_TYPES), _env(function, ENV_MAX_BYTES)
    declared = isinstance(types, Known | Unknown) or isinstance(size, Known | Unknown)
    if not declared and not _notified(function, notifications):
        return
    where = f"Lambda function {function.name} handles imports"
    for name, found in ((ENV_TYPES, types), (ENV_MAX_BYTES, size)):
        if not isinstance(found, Known | Unknown):
            report(f"{where} but environment.variables.{name} is not set.", function.urn)
    def allowed_types() -> None:
        values = require_known(function.props, ("environment", "variables", ENV_TYPES))
        entries = [v.strip() for v in str(values).split(",")] if values is not None else []
        bad = [v for v in entries if not v or "*" in v or "/" not in v]
        if bad:
            report(f"{where}: {ENV_TYPES} has {bad}; list MIME types such as application/pdf.", function.urn)

    def max_bytes() -> None:
        limit = require_known(function.props, ("environment", "variables", ENV_MAX_BYTES))
        if limit is not None and not (str(limit).isdigit() and int(str(limit)) > 0):
            report(f"{where}: {ENV_MAX_BYTES} is {limit!r}; set a positive number of bytes.", function.urn)

    check_all(allowed_types, max_bytes)


def validate_handlers(args: StackValidationArgs, report: ReportViolation) -> None:
    notifications = [r for r in args.resources if r.resource_type == NOTIFICATION]
    functions = [r for r in args.resources if r.resource_type == FUNCTION]
    check_all(*(partial(_check_handler, f, notifications, report) for f in functions))


POLICIES = [resource_policy(CORS_META, validate_cors), stack_policy(HANDLER_META, validate_handlers)]
