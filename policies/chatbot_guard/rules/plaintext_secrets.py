"""No secret in plain text (SEC-NO-PLAINTEXT-SECRETS): environments, SSM String parameters, tags.

A value is secret-looking when its key names a secret (password, token, client_secret, ...) or when the
value itself has a known secret format (private key, AKIA.. key pair, hf_/sk- tokens, JWT, URL with a
password). A Pulumi secret is still plain text in the Lambda console, the task definition or the tag,
so it is flagged too. Messages name where the value is and why, never the value. The scanner is in
``plaintext_scan.py``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import ReportViolation, ResourceValidationArgs, StackValidationArgs

from ..links import walk
from ..metadata import Equivalents, RuleMeta, resource_policy, stack_policy
from ..props import Known, Missing, Unknown, check_all, lookup, plain, require_known
from .plaintext_scan import Finding, message, raise_first_unknown, scan, scan_pair, secret_key

# ----- no-secrets-in-environment -----

LAMBDA = "aws:lambda/function:Function"
TASK = "aws:ecs/taskDefinition:TaskDefinition"
MODEL = "aws:sagemaker/model:Model"
BATCH = "aws:batch/jobDefinition:JobDefinition"
# Token -> property paths holding environments ("[]" walks a list); JSON text is parsed.
_ENVIRONMENTS: Mapping[str, tuple[str, ...]] = {
    LAMBDA: ("environment.variables",),
    TASK: ("containerDefinitions",),
    MODEL: ("primaryContainer.environment", "containers[].environment"),
    BATCH: ("containerProperties", "ecsProperties", "nodeProperties", "eksProperties"),
}
_ENV_ADVICE = (
    "A Pulumi secret is stored in plain text here too: keep the value in Secrets Manager (or an SSM "
    "SecureString) and pass its ARN or name, read at run time with the role's permission."
)

ENV_META = RuleMeta(
    name="no-secrets-in-environment",
    description="Lambda, ECS, SageMaker model and Batch environments hold no secret values.",
    severity="critical",
    catalogue_level="all",
    catalogue_ids=("SEC-NO-PLAINTEXT-SECRETS",),
    resource_types=tuple(_ENVIRONMENTS),
    remediation=(
        "Create an aws.secretsmanager.Secret, put only its ARN in the environment (e.g. DB_SECRET_ARN), "
        "grant secretsmanager:GetSecretValue on it and read it at run time; for ECS use the container "
        "definition's 'secrets' with valueFrom. Never put pulumi.Output.unsecret/config.require_secret "
        "values into an environment."
    ),
    url="https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html",
    equivalents=Equivalents(checkov=("CKV_AWS_45",)),
)


def _each_place(props: Any, path: str) -> Iterator[tuple[str, Any]]:
    """(concrete path, value) for each place ``path`` names; raises while a value is unknown."""
    for where, _ in walk(props, path):
        yield where, require_known(props, where)


def validate_environment(args: ResourceValidationArgs, report: ReportViolation) -> None:
    results: list[Finding | Unknown] = []

    def scan_path(path: str) -> None:
        for where, value in _each_place(args.props, path):
            if value is not None:
                results.extend(scan(plain(value), where))

    try:
        check_all(*(lambda p=path: scan_path(p) for path in _ENVIRONMENTS[args.resource_type]))
    finally:
        findings = [r for r in results if isinstance(r, Finding)]
        if findings:
            report(message(findings, _ENV_ADVICE), None)
    raise_first_unknown(results)


# ----- ssm-parameter-no-plaintext-secrets -----

PARAMETER = "aws:ssm/parameter:Parameter"
SSM_META = RuleMeta(
    name="ssm-parameter-no-plaintext-secrets",
    description="SSM String/StringList parameters hold no secret, not even inside a JSON value.",
    severity="critical",
    catalogue_level="all",
    catalogue_ids=("SEC-NO-PLAINTEXT-SECRETS",),
    resource_types=(PARAMETER,),
    remediation=(
        "Store the secret as type='SecureString' (with key_id=<CMK arn>) or in aws.secretsmanager.Secret; "
        "split a configuration document so that the String parameter keeps only non-secret settings and "
        "names the secret's ARN (the reference chatbot stored a federation clientSecret this way)."
    ),
    url="https://docs.aws.amazon.com/systems-manager/latest/userguide/sysman-paramstore-securestring.html",
    equivalents=Equivalents(checkov=("CKV_SECRET_2", "CKV_SECRET_13")),
)


def validate_parameter(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if require_known(args.props, "type") == "SecureString":
        return
    name = lookup(args.props, "name")
    named_secret = isinstance(name, Known) and secret_key(str(name.value))
    results: list[Finding | Unknown] = []
    for prop in ("value", "insecureValue"):
        found = lookup(args.props, prop)
        if isinstance(found, Missing):
            continue
        if isinstance(found, Unknown):
            # A secret-named parameter with any value is a finding; otherwise the value is needed.
            results.append(Finding(prop, "the parameter name says it holds a secret") if named_secret
                           else Unknown((prop,)))
            continue
        results.extend(scan_pair(str(name.value) if named_secret else prop, plain(found.value), prop))
    findings = raise_first_unknown(results)
    if findings:
        advice = "SSM String parameters are readable by anyone with ssm:GetParameter."
        report(message(findings, advice), None)


# ----- no-secrets-in-tags -----

PROVIDER = "pulumi:providers:aws"
ASG = "aws:autoscaling/group:Group"
TAGS_META = RuleMeta(
    name="no-secrets-in-tags",
    description="No resource's tags (nor the AWS provider's defaultTags) hold a secret value.",
    severity="high",
    catalogue_level="all",
    catalogue_ids=("SEC-NO-PLAINTEXT-SECRETS",),
    # The rule reads `tags` of EVERY resource (and pulumi:providers:aws defaultTags, which is no pulumi-aws
    # resource token); listed here is the one token whose tags are a list of {key, value} objects.
    resource_types=(ASG,),
    remediation=(
        "Remove the value from tags (tags are readable through the Resource Groups Tagging API, billing "
        "reports and CloudTrail); keep the secret in Secrets Manager and tag with its name if needed."
    ),
    url="https://docs.aws.amazon.com/tag-editor/latest/userguide/tagging.html",
    equivalents=Equivalents(checkov=("CKV_SECRET_2", "CKV_SECRET_13")),
)


def _tags(resource: Any) -> Iterator[tuple[str, Any]]:
    if resource.resource_type == PROVIDER:
        default = require_known(resource.props, "defaultTags")
        default = json.loads(default) if isinstance(default, str) and default else plain(default)
        yield "defaultTags.tags", (default or {}).get("tags")
        return
    tags = plain(require_known(resource.props, "tags"))
    if resource.resource_type == ASG and isinstance(tags, list):
        tags = {str(t.get("key")): t.get("value") for t in tags if isinstance(t, Mapping)}
    yield "tags", tags


def validate_tags(args: StackValidationArgs, report: ReportViolation) -> None:
    def check(resource: Any) -> None:
        results: list[Finding | Unknown] = []
        for where, tags in _tags(resource):
            if isinstance(tags, Mapping):
                results.extend(scan(tags, where))
        findings = raise_first_unknown(results)
        if findings:
            report(message(findings, "Tags are not secret."), resource.urn)

    check_all(*(lambda r=r: check(r) for r in args.resources))


POLICIES = [
    resource_policy(ENV_META, validate_environment),
    resource_policy(SSM_META, validate_parameter),
    stack_policy(TAGS_META, validate_tags),
]
