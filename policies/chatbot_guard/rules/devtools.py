"""Development tooling: SageMaker Studio exists only in dev stacks (SEC-DEV-TOOLS-DEV-ONLY).

The rule checks the stack itself: on a dev stack it is not applicable, and outside dev every Studio
resource is a violation, whatever its settings.
"""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs

from ..metadata import Equivalents, RuleMeta, resource_policy
from ..settings import current_settings

# Every token that creates a piece of SageMaker Studio.
STUDIO: dict[str, str] = {
    "aws:sagemaker/domain:Domain": "domain",
    "aws:sagemaker/userProfile:UserProfile": "user profile",
    "aws:sagemaker/space:Space": "space",
    "aws:sagemaker/app:App": "app",
}

META = RuleMeta(
    name="sagemaker-studio-dev-only",
    description=(
        "SageMaker Studio domains, user profiles, spaces and apps (development tooling) exist only in dev "
        "stacks. The RAG guidance warns that this tooling comes with the broad AmazonSageMakerFullAccess "
        "managed policy and should not be part of deployments used beyond development and evaluation."
    ),
    severity="high",
    catalogue_level="non-dev",
    catalogue_ids=("SEC-DEV-TOOLS-DEV-ONLY",),
    resource_types=tuple(STUDIO),
    remediation=(
        "Create the aws.sagemaker.Domain / UserProfile / Space / App only when the stack's dev-tooling "
        "setting is on, and turn it on only in stacks listed in stack-profile devStacks."
    ),
    url="https://docs.aws.amazon.com/sagemaker/latest/dg/gs-studio-onboard.html",
    equivalents=Equivalents(pdk_nag=("AwsPrototyping-IAMNoManagedPolicies",)),
)


def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
    settings = current_settings()
    if settings.is_dev_stack():
        args.not_applicable("development tooling is allowed on dev stacks")
    kind = STUDIO[args.resource_type]
    report(
        f"SageMaker Studio {kind} {args.name} is development tooling (it comes with "
        f"AmazonSageMakerFullAccess); deploy it only in dev stacks {list(settings.dev_stacks)}.",
        None,
    )


POLICIES = [resource_policy(META, validate)]
