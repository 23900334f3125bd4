"""Cognito: who gets credentials and who administers (SEC-COGNITO-NO-GUEST, SEC-ADMIN-GROUP).

The user pool's own settings (MFA, sign-up, passwords, threat protection) are in ``cognito.py``.
"""

from __future__ import annotations

from functools import partial

from pulumi_policy import (
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    StackValidationArgs,
)
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError

from ..links import refers_to
from ..metadata import Equivalents, RuleMeta, resource_policy, stack_policy
from ..props import Known, Unknown, check_all, lookup, require_known
from ..settings import current_settings
from .cognito import IDENTITY_POOL, USER_GROUP, USER_POOL

NO_GUEST = RuleMeta(
    name="cognito-identity-pool-no-guest",
    description="Cognito identity pools do not hand out credentials to unauthenticated (guest) identities.",
    severity="high",
    catalogue_level="all",
    catalogue_ids=("SEC-COGNITO-NO-GUEST",),
    resource_types=(IDENTITY_POOL,),
    remediation="Set allow_unauthenticated_identities=False on the aws.cognito.IdentityPool.",
    url="https://docs.aws.amazon.com/cognito/latest/developerguide/identity-pools.html",
    equivalents=Equivalents(
        cdk_nag=("AwsSolutions-COG7",),
        pdk_nag=("AwsPrototyping-CognitoUserPoolNoUnauthenticatedLogins",),
        checkov=("CKV_AWS_366",),
    ),
)

ADMIN_GROUP = RuleMeta(
    name="cognito-admin-group",
    description=(
        "Every Cognito user pool has an administrators group (a name from the pack's adminGroups), the group "
        "the application checks before changing inference configuration, model access or users."
    ),
    severity="medium",
    catalogue_level="all",
    catalogue_ids=("SEC-ADMIN-GROUP",),
    resource_types=(USER_POOL, USER_GROUP),
    remediation=(
        "Create aws.cognito.UserGroup('<pool>-admin', name='admin', user_pool_id=<pool>.id) (or a name "
        "listed in stack-profile adminGroups) and check membership of it server-side."
    ),
    url="https://docs.aws.amazon.com/cognito/latest/developerguide/cognito-user-pools-user-groups.html",
)


def validate_no_guest(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if require_known(args.props, "allowUnauthenticatedIdentities", False) is not False:
        report("allowUnauthenticatedIdentities is true; guests get AWS credentials. Set it to false.", None)


def _belongs_to(group: PolicyResource, pool: PolicyResource) -> bool | None:
    """Is ``group`` in ``pool``? ``None`` while its userPoolId is unknown and not linked by a dependency."""
    return refers_to(group, "userPoolId", pool, ("id", "userPoolId"))


def _check_pool(pool: PolicyResource, groups: list[PolicyResource], report: ReportViolation) -> None:
    admin_names = current_settings().admin_groups
    undecided: list[PolicyResource] = []
    others: list[str] = []
    for group in groups:
        member = _belongs_to(group, pool)
        name = lookup(group.props, "name")
        if member is False:
            continue
        if isinstance(name, Known) and name.value in admin_names:
            if member:
                return
            undecided.append(group)
        elif isinstance(name, Unknown):
            undecided.append(group)
        elif member:
            others.append(str(name.value) if isinstance(name, Known) else group.name)
    if undecided:
        # A group's pool or name is known only after deployment: decide during `pulumi up`.
        raise UnknownValueError(UNKNOWN_STRING_VALUE, [undecided[0].name, "userPoolId"])
    seen = f" (its groups: {', '.join(sorted(others))})" if others else ""
    report(
        f"User pool {pool.name} has no administrators group{seen}; add an aws.cognito.UserGroup named one of "
        f"{list(admin_names)} with user_pool_id=<pool>.id.",
        pool.urn,
    )


def validate_admin_group(args: StackValidationArgs, report: ReportViolation) -> None:
    groups = [r for r in args.resources if r.resource_type == USER_GROUP]
    pools = [r for r in args.resources if r.resource_type == USER_POOL]
    check_all(*(partial(_check_pool, pool, groups, report) for pool in pools))


POLICIES = [
    resource_policy(NO_GUEST, validate_no_guest),
    stack_policy(ADMIN_GROUP, validate_admin_group),
]
