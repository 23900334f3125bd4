"""Bedrock guardrails (SEC-BEDROCK-GUARDRAILS).

Two rules carry the ID:

* ``bedrock-guardrails`` (non-dev, stack policy): a stack that can invoke models has a guardrail, and
  every path that invokes a model applies it: each Lambda function whose execution role may invoke a
  model carries the guardrail in its environment (``GUARDRAIL_ID`` and ``GUARDRAIL_VERSION``, the
  convention the application reads), and each Bedrock agent names a guardrail. The guardrail is either
  created by the stack (``aws.bedrock.Guardrail`` plus a published ``aws.bedrock.GuardrailVersion``) or
  an existing one whose id/version the variables hold. A self-hosted model on a SageMaker endpoint
  (``sagemaker:InvokeEndpoint*``) is model use too; since the endpoint cannot apply the guardrail, the
  application calls ``bedrock:ApplyGuardrail`` on the question and the answer, so such a function's role
  must also allow that action.
* ``bedrock-guardrail-condition`` (advisory, resource policy, in ``bedrock_condition.py``): IAM
  statements that allow ``bedrock:InvokeModel*`` / ``bedrock:Converse*`` should require the
  ``bedrock:GuardrailIdentifier`` condition key, so that IAM itself rejects a call made without the
  guardrail. It is a separate, advisory rule because the key also rejects legitimate guardrail-less
  calls on the same actions (embedding and rerank models are invoked through InvokeModel), so whether
  it fits depends on how the role is split; the stack policy above is the enforced part.

Guardrails apply to text generation, not to embedding or rerank models, so a statement whose every
resource is an embedding or rerank foundation model (retrieval's own statement) counts as neither model
use nor a missing condition. A wildcard resource, or any text model beside them, still counts.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import partial

from pulumi_policy import (
    PolicyResource,
    ReportViolation,
    StackValidationArgs,
)
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError

from ..links import refers_to
from ..metadata import Equivalents, RuleMeta, stack_policy
from ..policy_documents import (
    PERMISSION_DOCUMENTS,
    DocumentError,
    Statement,
    action_matches,
    aws_managed_policy_name,
    documents,
    parse_document,
)
from ..props import Known, check_all, is_present, known, lookup

GUARDRAIL = "aws:bedrock/guardrail:Guardrail"
GUARDRAIL_VERSION = "aws:bedrock/guardrailVersion:GuardrailVersion"
AGENT = "aws:bedrock/agentAgent:AgentAgent"
# Resources that make a stack a Bedrock user even without an IAM grant of its own.
BEDROCK_WORKLOADS = (
    AGENT,
    "aws:bedrock/agentKnowledgeBase:AgentKnowledgeBase",
    "aws:bedrock/agentFlow:AgentFlow",
    "aws:bedrock/agentcoreAgentRuntime:AgentcoreAgentRuntime",
    "aws:bedrockmodel/invocationJob:InvocationJob",
)
FUNCTION = "aws:lambda/function:Function"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
POLICY = "aws:iam/policy:Policy"

ENV_ID = "GUARDRAIL_ID"
ENV_VERSION = "GUARDRAIL_VERSION"
# Actions that send content to a model (guarded by the condition key) ...
INVOKE_ACTIONS = (
    "bedrock:InvokeModel",
    "bedrock:InvokeModelWithResponseStream",
    "bedrock:Converse",
    "bedrock:ConverseStream",
)
# Self-hosted models: the application applies the guardrail itself, with APPLY.
ENDPOINT_ACTIONS = (
    "sagemaker:InvokeEndpoint",
    "sagemaker:InvokeEndpointWithResponseStream",
    "sagemaker:InvokeEndpointAsync",
)
APPLY = "bedrock:ApplyGuardrail"
# ... and the ones that also make a stack a model user.
USE_ACTIONS = (
    *INVOKE_ACTIONS,
    *ENDPOINT_ACTIONS,
    APPLY,
    "bedrock:RetrieveAndGenerate",
    "bedrock:InvokeAgent",
)
# AWS managed policies that grant model use, as the actions counted of them (on every resource), so they go
# through the same statement checks as a document. LimitedAccess counts as invocation only (no ApplyGuardrail
# assumed).
MANAGED_INVOKE_POLICIES: dict[str, tuple[str, ...]] = {
    "AmazonBedrockFullAccess": ("bedrock:*",),
    "AmazonBedrockLimitedAccess": INVOKE_ACTIONS,
    "AmazonSageMakerFullAccess": ("sagemaker:*",),
}
# Foundation models that embed or rerank text (no generation, so no guardrail applies to them).
_RETRIEVAL_MODEL = re.compile(
    r"^arn:aws[a-z-]*:bedrock:[a-z0-9-]+::foundation-model/"
    r"(amazon\.titan-embed-|cohere\.embed-|amazon\.nova-[a-z0-9-]*embeddings|amazon\.rerank-|cohere\.rerank-)"
    r"[A-Za-z0-9.:_-]+$"
)


def retrieval_models_only(statement: Statement) -> bool:
    """Every Resource is a known embedding or rerank model ARN (no wildcard, no NotResource)."""
    return bool(statement.resources) and not statement.not_resources and all(
        isinstance(r, str) and _RETRIEVAL_MODEL.match(r) for r in statement.resources)


def grants(statement: Statement, actions: tuple[str, ...]) -> list[str]:
    """The ``actions`` an Allow statement grants (Action patterns, or everything NotAction leaves)."""
    if not statement.allows:
        return []
    if statement.actions:
        return [a for a in actions if any(action_matches(p, a) for p in statement.actions)]
    if statement.not_actions:
        return [a for a in actions if not any(action_matches(p, a) for p in statement.not_actions)]
    return []


class Grants:
    """Whether some documents grant model use (known ones), SageMaker endpoint use and ApplyGuardrail in
    particular, and whether any document is unreadable."""

    def __init__(self) -> None:
        self.granting = False
        self.endpoints = False
        self.apply = False
        self.unknown = False

    def merge(self, other: Grants) -> None:
        self.granting |= other.granting
        self.endpoints |= other.endpoints
        self.apply |= other.apply
        self.unknown |= other.unknown

    def add_documents(self, resource: PolicyResource) -> None:
        for _, found in documents(resource.resource_type, resource.props):
            if not isinstance(found, Known):
                self.unknown = True
                continue
            try:
                statements = parse_document(found.value)
            except DocumentError:
                continue  # an invalid document grants nothing; the IAM rules report it
            self.add_statements(statements)

    def add_statements(self, statements: list[Statement]) -> None:
        self.granting |= any(grants(s, USE_ACTIONS) and not retrieval_models_only(s) for s in statements)
        self.endpoints |= any(grants(s, ENDPOINT_ACTIONS) for s in statements)
        self.apply |= any(grants(s, (APPLY,)) for s in statements)

    def add_managed(self, arns: Iterator[object]) -> None:
        for arn in arns:
            if arn is None:
                self.unknown = True
            elif (actions := MANAGED_INVOKE_POLICIES.get(aws_managed_policy_name(arn) or "")) is not None:
                self.add_statements([Statement("Allow", actions=actions, resources=("*",))])


def _linked(resource: PolicyResource, prop: str, target: PolicyResource, *names: str) -> bool:
    """``resource.prop`` refers to ``target`` for sure (undecided counts as not linked here)."""
    return bool(refers_to(resource, prop, target, names))


def own_grants(resource: PolicyResource) -> Grants:
    """What one resource grants by itself: its documents, or the AWS managed policies it attaches."""
    result = Grants()
    result.add_documents(resource)
    if resource.resource_type == ROLE:
        managed = lookup(resource.props, "managedPolicyArns")
        if isinstance(managed, Known):
            count = len(managed.value)
            result.add_managed(known(resource.props, ("managedPolicyArns", i)) for i in range(count))
    elif resource.resource_type == ATTACHMENT:
        arn = known(resource.props, "policyArn")
        if arn is not None:
            result.add_managed(iter([arn]))
    return result


def role_grants(role: PolicyResource, resources: list[PolicyResource]) -> Grants:
    """What the role's inline, attached and managed policies grant."""
    result = own_grants(role)
    for r in resources:
        if r.resource_type == ROLE_POLICY and _linked(r, "role", role, "name", "id"):
            result.add_documents(r)
        elif r.resource_type == ATTACHMENT and _linked(r, "role", role, "name", "id"):
            policies = [
                p for p in resources if p.resource_type == POLICY and _linked(r, "policyArn", p, "arn")
            ]
            for policy in policies:
                result.add_documents(policy)
            result.merge(own_grants(r))  # an AWS managed policy
            if not policies and known(r.props, "policyArn") is None:
                result.unknown = True  # an unresolved ARN could still name a granting policy
    return result


def function_role(function: PolicyResource, resources: list[PolicyResource]) -> PolicyResource | None:
    roles = [r for r in resources if r.resource_type == ROLE and _linked(function, "role", r, "arn")]
    return roles[0] if roles else None


def has_guardrail_env(function: PolicyResource) -> bool:
    env = ("environment", "variables")
    return is_present(function.props, (*env, ENV_ID)) and is_present(function.props, (*env, ENV_VERSION))


META = RuleMeta(
    name="bedrock-guardrails",
    description=(
        "A stack that invokes models (Bedrock, or self-hosted on SageMaker endpoints) has a guardrail, "
        "and every invocation path applies it: Lambda functions allowed to invoke models carry "
        "GUARDRAIL_ID and GUARDRAIL_VERSION in their environment, those allowed to invoke SageMaker "
        "endpoints may also call bedrock:ApplyGuardrail, Bedrock agents name a guardrail, and a "
        "guardrail the stack creates has a published version."
    ),
    severity="high",
    catalogue_level="non-dev",
    catalogue_ids=("SEC-BEDROCK-GUARDRAILS",),
    resource_types=(GUARDRAIL, GUARDRAIL_VERSION, *BEDROCK_WORKLOADS, FUNCTION, *PERMISSION_DOCUMENTS),
    remediation=(
        "Create an aws.bedrock.Guardrail and an aws.bedrock.GuardrailVersion(guardrail_arn=guardrail."
        "guardrail_arn), or take the id and version of an existing guardrail from stack config. Pass "
        "them to every model-invoking Lambda as environment variables GUARDRAIL_ID (id or ARN) and "
        "GUARDRAIL_VERSION (a published version number, not DRAFT); the application applies them on "
        "every InvokeModel/Converse call, and through ApplyGuardrail around every SageMaker endpoint "
        "call, so allow bedrock:ApplyGuardrail on the guardrail to a role that may call "
        "sagemaker:InvokeEndpoint*. Give aws.bedrock.AgentAgent guardrail_configurations."
    ),
    url="https://docs.aws.amazon.com/bedrock/latest/userguide/guardrails.html",
    equivalents=Equivalents(checkov=("CKV_AWS_383",)),
)


def _check_function(
    function: PolicyResource, resources: list[PolicyResource], report: ReportViolation
) -> None:
    role = function_role(function, resources)
    grant = role_grants(role, resources) if role is not None else Grants()
    if has_guardrail_env(function):
        version = known(function.props, ("environment", "variables", ENV_VERSION))
        if version is not None and str(version).upper() == "DRAFT":
            report(f"Lambda function {function.name} uses the DRAFT guardrail version; pin a published "
                   f"version in {ENV_VERSION}.", function.urn)
        if role is not None and grant.endpoints and not grant.apply:
            if grant.unknown:  # an unreadable policy may be the one that allows it
                raise UnknownValueError(UNKNOWN_STRING_VALUE, [role.name, "policy"])
            report(f"Lambda function {function.name} may invoke SageMaker endpoints (role {role.name}), "
                   f"which cannot apply the guardrail, but its role does not allow {APPLY}.", function.urn)
        return
    if role is None:
        return
    if grant.granting:
        report(
            f"Lambda function {function.name} may invoke models (role {role.name}) but sets no "
            f"guardrail: environment.variables.{ENV_ID} and {ENV_VERSION} are required.",
            function.urn,
        )
    elif grant.unknown:
        raise UnknownValueError(UNKNOWN_STRING_VALUE, [role.name, "policy"])


def _check_agent(agent: PolicyResource, report: ReportViolation) -> None:
    if not is_present(agent.props, "guardrailConfigurations[0].guardrailIdentifier"):
        report(f"Bedrock agent {agent.name} has no guardrailConfigurations; name the stack's guardrail.",
               agent.urn)


def _check_versions(
    guardrail: PolicyResource, versions: list[PolicyResource], report: ReportViolation
) -> None:
    if not any(_linked(v, "guardrailArn", guardrail, "guardrailArn") for v in versions):
        report(f"Guardrail {guardrail.name} has no aws.bedrock.GuardrailVersion; publish one so the app "
               "does not run on the mutable DRAFT.", guardrail.urn)


def validate(args: StackValidationArgs, report: ReportViolation) -> None:
    resources = list(args.resources)
    stack = Grants()
    granting: list[PolicyResource] = []
    for r in resources:
        own = own_grants(r)
        stack.unknown |= own.unknown
        if own.granting:
            granting.append(r)
    granting += [r for r in resources if r.resource_type in BEDROCK_WORKLOADS]
    guardrails = [r for r in resources if r.resource_type == GUARDRAIL]
    versions = [r for r in resources if r.resource_type == GUARDRAIL_VERSION]
    functions = [r for r in resources if r.resource_type == FUNCTION]
    checks = [partial(_check_versions, g, versions, report) for g in guardrails]
    checks += [partial(_check_agent, a, report) for a in resources if a.resource_type == AGENT]
    checks += [partial(_check_function, f, resources, report) for f in functions]
    has_source = bool(guardrails) or any(has_guardrail_env(f) for f in functions)
    if not has_source:
        for r in granting:
            report(f"{r.name} lets the stack invoke models, but the stack has no guardrail "
                   f"(no aws.bedrock.Guardrail, no Lambda with {ENV_ID}/{ENV_VERSION}).", r.urn)
        if not granting and stack.unknown:
            checks.append(partial(_raise_unknown, "policy"))
    check_all(*checks)


def _raise_unknown(path: str) -> None:
    raise UnknownValueError(UNKNOWN_STRING_VALUE, [path])


POLICIES = [stack_policy(META, validate)]
