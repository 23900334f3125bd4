"""Fixtures for rules/devtools.py (SEC-DEV-TOOLS-DEV-ONLY)."""

from ..harness import UNKNOWN
from . import Baseline, Resource, ref

RULE = "sagemaker-studio-dev-only"
DOMAIN = "aws:sagemaker/domain:Domain"
PROFILE = "aws:sagemaker/userProfile:UserProfile"
SPACE = "aws:sagemaker/space:Space"
APP = "aws:sagemaker/app:App"
MODEL = "aws:sagemaker/model:Model"
ROLE_ARN = "arn:aws:iam::123456789012:role/chatbot-studio"


def studio(stack: str) -> tuple[Resource, ...]:
    """A Studio domain, a user profile, a private space and its JupyterLab app (as the RAG reference has)."""
    domain = {"domainId": [ref(DOMAIN, "studio", stack)]}
    return (
        Resource(
            DOMAIN,
            "studio",
            {
                "domainName": "chatbot-dev",
                "authMode": "IAM",
                "appNetworkAccessType": "VpcOnly",
                "vpcId": "vpc-0abc",
                "subnetIds": ["subnet-0abc"],
                "defaultUserSettings": {"executionRole": ROLE_ARN},
            },
        ),
        Resource(
            PROFILE,
            "developer",
            {
                "domainId": UNKNOWN,
                "userProfileName": "developer",
                "userSettings": {"executionRole": ROLE_ARN},
            },
            property_dependencies=domain,
        ),
        Resource(
            SPACE,
            "notebooks",
            {
                "domainId": UNKNOWN,
                "spaceName": "notebooks",
                "ownershipSettings": {"ownerUserProfileName": "developer"},
                "spaceSharingSettings": {"sharingType": "Private"},
            },
            property_dependencies=domain,
        ),
        Resource(
            APP,
            "lab",
            {"domainId": UNKNOWN, "spaceName": "notebooks", "appType": "JupyterLab", "appName": "default"},
            property_dependencies=domain,
        ),
    )


# A prod stack may still host models: only the Studio tooling is restricted.
MODEL_ONLY = Baseline(
    (
        Resource(
            MODEL,
            "embeddings",
            {
                "executionRoleArn": "arn:aws:iam::123456789012:role/chatbot-model",
                "enableNetworkIsolation": True,
                "primaryContainer": {"image": "763104351884.dkr.ecr.eu-west-1.amazonaws.com/tei:2.0"},
            },
        ),
    )
)
DEV = Baseline(studio("dev"), stack="dev")
SANDBOX_IS_DEV = {"stack-profile": {"devStacks": ["dev", "sandbox"]}}

CASES = [
    MODEL_ONLY.case(RULE, "prod without Studio"),
    DEV.case(RULE, "Studio on the dev stack"),
    Baseline(studio("sandbox"), stack="sandbox").case(
        RULE, "Studio on a stack listed in devStacks", config=SANDBOX_IS_DEV
    ),
    Baseline(studio("staging"), stack="staging").case(
        RULE,
        "Studio on a stack not listed in devStacks",
        expect="violation",
        level="mandatory",
        config=SANDBOX_IS_DEV,
        message="deploy it only in dev stacks ['dev', 'sandbox']",
    ),
    # Every Studio token on its own, outside dev (the twin-token bug).
    *(
        MODEL_ONLY.plus(
            RULE,
            f"{resource.type} on prod",
            resource,
            level="mandatory",
            message=f"{resource.name} is development tooling",
        )
        for resource in studio("prod")
    ),
]
