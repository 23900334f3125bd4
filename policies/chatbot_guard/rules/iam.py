"""IAM: no AWS managed policies outside dev (SEC-IAM-NO-MANAGED); least privilege (SEC-IAM-LEAST-PRIVILEGE).

Managed policies are checked by a stack policy so that an ARN unknown at preview can be traced through
``property_dependencies`` to an ``aws.iam.Policy`` created in the same stack (customer managed: fine).
Tokens that only *restrict* permissions (permission boundaries, IAM Roles Anywhere session policies) are
not attachments and are not listed.
"""

from __future__ import annotations

import re
from functools import partial
from typing import Any

from pulumi_policy import PolicyResource, ReportViolation, ResourceValidationArgs, StackValidationArgs
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError

from ..links import walk
from ..metadata import Equivalents, RuleMeta, resource_policy, stack_policy
from ..policy_documents import (
    PERMISSION_DOCUMENTS,
    DocumentError,
    Statement,
    action_matches,
    aws_managed_policy_name,
    documents,
    parse_document,
)
from ..props import Known, Unknown, check_all, is_unknown_value
from ..settings import current_settings

CUSTOMER_POLICY = "aws:iam/policy:Policy"

# Token -> paths of the policy ARNs it attaches; "[]" ends a list of ARNs.
ATTACHMENTS: dict[str, tuple[str, ...]] = {
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": ("policyArn",),
    "aws:iam/userPolicyAttachment:UserPolicyAttachment": ("policyArn",),
    "aws:iam/groupPolicyAttachment:GroupPolicyAttachment": ("policyArn",),
    "aws:iam/policyAttachment:PolicyAttachment": ("policyArn",),
    "aws:iam/role:Role": ("managedPolicyArns[]",),
    "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive": ("policyArns[]",),
    "aws:iam/userPolicyAttachmentsExclusive:UserPolicyAttachmentsExclusive": ("policyArns[]",),
    "aws:iam/groupPolicyAttachmentsExclusive:GroupPolicyAttachmentsExclusive": ("policyArns[]",),
    "aws:ssoadmin/managedPolicyAttachment:ManagedPolicyAttachment": ("managedPolicyArn",),
    "aws:ssoadmin/managedPolicyAttachmentsExclusive:ManagedPolicyAttachmentsExclusive": (
        "managedPolicyArns[]",
    ),
    "aws:quicksight/iamPolicyAssignment:IamPolicyAssignment": ("policyArn",),
    # A budget action attaches its policy to roles, users or groups when the budget trips.
    "aws:budgets/budgetAction:BudgetAction": ("definition.iamActionDefinition.policyArn",),
}
# Optional + computed in the provider: unset, it is unknown at preview with no dependency behind it.
_COMPUTED_WHEN_UNSET = {("aws:iam/role:Role", "managedPolicyArns[]")}

_CALLED_OUT = {
    "AmazonSageMakerFullAccess": (
        "AmazonSageMakerFullAccess is broad; the RAG guidance accepts it only for dev tooling, so keep "
        "SageMaker Studio in dev stacks"
    ),
    "AdministratorAccess": "AdministratorAccess grants every action on every resource",
}

NO_MANAGED = RuleMeta(
    name="iam-no-managed-policies",
    description=(
        "Outside dev stacks no role, user, group or permission set gets an AWS managed policy, through any "
        "token that attaches one. ARNs listed in stack-profile allowedManagedPolicies (each with a reason) "
        "are allowed."
    ),
    severity="high",
    catalogue_level="non-dev",
    catalogue_ids=("SEC-IAM-NO-MANAGED",),
    resource_types=tuple(ATTACHMENTS),
    remediation=(
        "Replace the AWS managed policy with an aws.iam.Policy scoped to the actions and resources the "
        "principal needs, attached by policy_arn=<policy>.arn; or, for a service-role basic with no "
        "customer managed equivalent, add {arn, reason} to stack-profile allowedManagedPolicies."
    ),
    url="https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_managed-vs-inline.html",
    equivalents=Equivalents(
        cdk_nag=("AwsSolutions-IAM4",),
        pdk_nag=("AwsPrototyping-IAMNoManagedPolicies",),
        checkov=("CKV_AWS_274",),
    ),
)

LEAST_PRIVILEGE = RuleMeta(
    name="iam-least-privilege",
    description=(
        "No IAM permission policy document allows '*' actions (or NotAction), 'service:*' actions on "
        "Resource '*', or iam:PassRole on Resource '*'."
    ),
    severity="high",
    catalogue_level="all",
    catalogue_ids=("SEC-IAM-LEAST-PRIVILEGE",),
    resource_types=tuple(PERMISSION_DOCUMENTS),
    remediation=(
        "List the exact actions the principal calls (e.g. 'bedrock:InvokeModel') and the ARNs it calls them "
        "on; pass roles by ARN with an iam:PassedToService condition. Build the document with "
        "aws.iam.get_policy_document or json.dumps of a dict."
    ),
    url="https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#grant-least-privilege",
    equivalents=Equivalents(
        cdk_nag=("AwsSolutions-IAM5",),
        pdk_nag=("AwsPrototyping-IAMNoWildcardPermissions",),
        checkov=("CKV_AWS_62", "CKV_AWS_63", "CKV_AWS_355"),
    ),
)


def _unknown_is_customer_managed(resource: PolicyResource, path: str) -> bool:
    """May an ARN unknown at preview pass? Only when it comes from aws.iam.Policy resources of this stack."""
    deps = resource.property_dependencies.get(path.split(".")[0].removesuffix("[]"), [])
    if not deps:
        # Nothing in the program feeds it: an optional, computed property the provider fills in itself.
        return (resource.resource_type, path) in _COMPUTED_WHEN_UNSET
    return all(dep.resource_type == CUSTOMER_POLICY for dep in deps)


def _managed_message(resource: PolicyResource, where: str, arn: str, name: str) -> str:
    why = _CALLED_OUT.get(name, f"{name} is written for every AWS account, not for this workload")
    return (
        f"{resource.name} attaches the AWS managed policy {arn} ({where}): {why}. Attach a customer managed "
        f"aws.iam.Policy instead, or allow the ARN in stack-profile allowedManagedPolicies with a reason."
    )


def _check_attachments(resource: PolicyResource, report: ReportViolation) -> None:
    allowed = {a.arn for a in current_settings().allowed_managed_policies}
    pending: Unknown | None = None
    for path in ATTACHMENTS[resource.resource_type]:
        for where, found in walk(resource.props, path):
            if isinstance(found, Unknown):
                if not _unknown_is_customer_managed(resource, path):
                    pending = pending or found
                continue
            if not isinstance(found, Known):
                continue
            name = aws_managed_policy_name(found.value)
            if name and found.value not in allowed:
                report(_managed_message(resource, where, str(found.value), name), resource.urn)
    if pending is not None:
        raise UnknownValueError(pending.sentinel, [resource.name, *(str(s) for s in pending.path)])


def validate_no_managed(args: StackValidationArgs, report: ReportViolation) -> None:
    attaching = [r for r in args.resources if r.resource_type in ATTACHMENTS]
    check_all(*(partial(_check_attachments, r, report) for r in attaching))


_SERVICE_WILDCARD = re.compile(r"^[A-Za-z0-9-]+:\*$")


def _is_everything(action: str) -> bool:
    return action in ("*", "*:*")


def _problems(statement: Statement) -> list[str]:
    """What this Allow statement grants too broadly, judged on its known parts."""
    everywhere = "*" in statement.resources or bool(statement.not_resources)
    problems: list[str] = []
    if statement.not_actions:
        problems.append(f"NotAction {list(statement.not_actions)} allows every other action")
    for action in statement.actions:
        if _is_everything(action):
            problems.append(f"Action {action!r} allows every action")
        elif everywhere and _SERVICE_WILDCARD.match(action):
            problems.append(f"Action {action!r} on Resource '*' allows the whole service")
        elif everywhere and action_matches(action, "iam:PassRole"):
            problems.append(f"Action {action!r} on Resource '*' can pass any role to any service")
    return problems


def _has_unknowns(statement: Statement) -> bool:
    parts = (statement.effect, *statement.actions, *statement.not_actions, *statement.resources)
    return any(is_unknown_value(part) for part in (*parts, *statement.not_resources))


def _check_document(path: str, document: Any, report: ReportViolation) -> None:
    try:
        statements = parse_document(document)
    except DocumentError as error:
        report(f"{path} is not a valid IAM policy document: {error}.", None)
        return
    pending = False
    for index, statement in enumerate(statements):
        problems = _problems(statement) if statement.allows else []
        if problems:
            report(f"{path}, {statement.label(index)}: {'; '.join(problems)}.", None)
        elif _has_unknowns(statement):
            pending = True  # e.g. a Resource computed from a resource not created yet
    if pending:
        raise UnknownValueError(UNKNOWN_STRING_VALUE, [path])


def validate_least_privilege(args: ResourceValidationArgs, report: ReportViolation) -> None:
    # An unknown document cannot be judged at preview; the known ones still are.
    check_all(
        *(
            partial(_raise_unknown, found)
            if isinstance(found, Unknown)
            else partial(_check_document, path, found.value, report)
            for path, found in documents(args.resource_type, args.props)
        )
    )


def _raise_unknown(found: Unknown) -> None:
    raise UnknownValueError(found.sentinel, [str(s) for s in found.path])


POLICIES = [
    stack_policy(NO_MANAGED, validate_no_managed),
    resource_policy(LEAST_PRIVILEGE, validate_least_privilege),
]
