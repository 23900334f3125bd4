"""Fixtures for rules/iam.py (SEC-IAM-NO-MANAGED, SEC-IAM-LEAST-PRIVILEGE)."""

import json

from ..harness import UNKNOWN
from . import Baseline, Resource, ref

ROLE = "aws:iam/role:Role"
POLICY = "aws:iam/policy:Policy"
ATTACH = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
NO_MANAGED = "iam-no-managed-policies"
LEAST = "iam-least-privilege"

AWS = "arn:aws:iam::aws:policy/"
SAGEMAKER_FULL = AWS + "AmazonSageMakerFullAccess"
ADMIN = AWS + "AdministratorAccess"
LAMBDA_BASIC = AWS + "service-role/AWSLambdaBasicExecutionRole"
ALLOW_LAMBDA_BASIC = {
    "stack-profile": {
        "allowedManagedPolicies": [
            {"arn": LAMBDA_BASIC, "reason": "CloudWatch Logs basics for every function"}
        ]
    }
}
TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
)
TABLE = "arn:aws:dynamodb:eu-west-1:123456789012:table/chatbot-sessions"
BUCKET = "arn:aws:s3:::chatbot-documents"


def doc(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


SCOPED = doc(
    {
        "Sid": "Sessions",
        "Effect": "Allow",
        "Action": ["dynamodb:GetItem", "dynamodb:PutItem"],
        "Resource": TABLE,
    },
    {"Sid": "Documents", "Effect": "Allow", "Action": "s3:*", "Resource": [BUCKET, f"{BUCKET}/*"]},
    {
        "Sid": "Models",
        "Effect": "Allow",
        "Action": "bedrock:InvokeModel",
        "Resource": "arn:aws:bedrock:eu-west-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0",
    },
    {
        "Sid": "PassToSageMaker",
        "Effect": "Allow",
        "Action": "iam:PassRole",
        "Resource": "arn:aws:iam::123456789012:role/chatbot-sagemaker",
    },
    {"Sid": "NoDeletes", "Effect": "Deny", "Action": "*", "Resource": "*"},
)


def role(name: str = "api", **props: object) -> Resource:
    # managedPolicyArns is optional + computed: unset, it is unknown at preview with no dependency.
    return Resource(
        ROLE,
        name,
        {"name": f"chatbot-{name}", "assumeRolePolicy": TRUST, "managedPolicyArns": UNKNOWN, **props},
    )


def attachment(name: str, arn: str, stack: str = "prod", deps: tuple[str, ...] = ()) -> Resource:
    return Resource(
        ATTACH,
        name,
        {"role": "chatbot-api", "policyArn": arn},
        property_dependencies={"role": [ref(ROLE, "api", stack)], "policyArn": list(deps)},
    )


def baseline(stack: str) -> Baseline:
    return Baseline(
        (
            role(),
            Resource(POLICY, "api-access", {"name": "chatbot-api-access", "policy": SCOPED, "path": "/"}),
            attachment("api-access", UNKNOWN, stack, (ref(POLICY, "api-access", stack),)),
        ),
        stack=stack,
    )


BASE = baseline("prod")
DEV = baseline("dev")


def token(type_: str, name: str, props: dict) -> Resource:
    return Resource(type_, name, props)


# One resource per extra attaching token, each with an AWS managed policy (the twin-token bug).
TWINS = [
    token(
        "aws:iam/policyAttachment:PolicyAttachment",
        "legacy",
        {"name": "legacy", "policyArn": ADMIN, "roles": ["chatbot-api"]},
    ),
    token("aws:iam/groupPolicyAttachment:GroupPolicyAttachment", "ops", {"group": "ops", "policyArn": ADMIN}),
    token("aws:iam/userPolicyAttachment:UserPolicyAttachment", "ci", {"user": "ci", "policyArn": ADMIN}),
    token(
        "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive",
        "api-only",
        {"roleName": "chatbot-api", "policyArns": [ADMIN]},
    ),
    token(
        "aws:iam/groupPolicyAttachmentsExclusive:GroupPolicyAttachmentsExclusive",
        "ops-only",
        {"groupName": "ops", "policyArns": [ADMIN]},
    ),
    token(
        "aws:iam/userPolicyAttachmentsExclusive:UserPolicyAttachmentsExclusive",
        "ci-only",
        {"userName": "ci", "policyArns": [ADMIN]},
    ),
    token(
        "aws:ssoadmin/managedPolicyAttachment:ManagedPolicyAttachment",
        "sso-admin",
        {
            "instanceArn": "arn:aws:sso:::instance/ssoins-1",
            "managedPolicyArn": ADMIN,
            "permissionSetArn": "arn:aws:sso:::permissionSet/ssoins-1/ps-1",
        },
    ),
    token(
        "aws:ssoadmin/managedPolicyAttachmentsExclusive:ManagedPolicyAttachmentsExclusive",
        "sso-only",
        {
            "instanceArn": "arn:aws:sso:::instance/ssoins-1",
            "managedPolicyArns": [ADMIN],
            "permissionSetArn": "arn:aws:sso:::permissionSet/ssoins-1/ps-1",
        },
    ),
    token(
        "aws:quicksight/iamPolicyAssignment:IamPolicyAssignment",
        "bi",
        {"assignmentName": "bi", "assignmentStatus": "ENABLED", "policyArn": ADMIN},
    ),
    token(
        "aws:budgets/budgetAction:BudgetAction",
        "freeze",
        {
            "budgetName": "chatbot",
            "actionType": "APPLY_IAM_POLICY",
            "approvalModel": "AUTOMATIC",
            "definition": {"iamActionDefinition": {"policyArn": ADMIN, "roles": ["chatbot-api"]}},
        },
    ),
]


def documents(*resources: Resource, stack: str = "prod") -> Baseline:
    return Baseline(resources, stack=stack)


def policy(document: object, name: str = "api-access") -> Resource:
    return Resource(POLICY, name, {"name": f"chatbot-{name}", "policy": document})


ANY_ACTION = {"Sid": "Everything", "Effect": "Allow", "Action": "*", "Resource": "*"}
DOCS = documents(
    policy(SCOPED),
    role(inlinePolicies=[{"name": "sessions", "policy": SCOPED}]),
    Resource("aws:iam/rolePolicy:RolePolicy", "api-inline", {"role": "chatbot-api", "policy": SCOPED}),
)

CASES = [
    # SEC-IAM-NO-MANAGED
    BASE.case(NO_MANAGED),
    BASE.plus(
        NO_MANAGED,
        "AmazonSageMakerFullAccess on prod",
        attachment("studio", SAGEMAKER_FULL),
        level="mandatory",
        message="AmazonSageMakerFullAccess is broad",
    ),
    BASE.plus(
        NO_MANAGED,
        "AdministratorAccess",
        attachment("admin", ADMIN),
        message="AdministratorAccess grants every action on every resource",
    ),
    DEV.plus(
        NO_MANAGED,
        "AmazonSageMakerFullAccess on dev is advisory",
        attachment("studio", SAGEMAKER_FULL),
        level="advisory",
    ),
    BASE.mutate(
        NO_MANAGED,
        "managed policy in the role's managedPolicyArns",
        "api",
        "managedPolicyArns",
        [AWS + "ReadOnlyAccess"],
        message="ReadOnlyAccess (managedPolicyArns[0])",
    ),
    BASE.plus(
        NO_MANAGED,
        "another partition",
        attachment("gov", "arn:aws-us-gov:iam::aws:policy/AdministratorAccess"),
        message="arn:aws-us-gov:iam::aws:policy/AdministratorAccess",
    ),
    BASE.plus(
        NO_MANAGED,
        "service-role policy not allowed by config",
        attachment("logs", LAMBDA_BASIC),
        message="AWSLambdaBasicExecutionRole",
    ),
    BASE.plus(
        NO_MANAGED,
        "service-role policy allowed by config, with a reason",
        attachment("logs", LAMBDA_BASIC),
        config=ALLOW_LAMBDA_BASIC,
        expect="pass",
    ),
    BASE.plus(
        NO_MANAGED,
        "customer managed policy by known ARN",
        attachment("known", "arn:aws:iam::123456789012:policy/chatbot-api"),
        expect="pass",
    ),
    BASE.plus(
        NO_MANAGED,
        "ARN unknown and not from an aws.iam.Policy",
        attachment("mystery", UNKNOWN),
        expect="not-evaluated",
    ),
    BASE.plus(
        NO_MANAGED,
        "ARN unknown, computed from a role",
        attachment("odd", UNKNOWN, deps=(ref(ROLE, "api"),)),
        expect="not-evaluated",
    ),
    Baseline(
        (
            Resource(POLICY, "api-access", {"name": "chatbot-api-access", "policy": SCOPED}),
            Resource(
                ROLE,
                "api",
                role().props,
                property_dependencies={"managedPolicyArns": [ref(POLICY, "api-access")]},
            ),
        )
    ).case(NO_MANAGED, "role's managedPolicyArns from an in-stack aws.iam.Policy"),
    Baseline((role(managedPolicyArns=[UNKNOWN, ADMIN]),)).case(
        NO_MANAGED,
        "a known managed ARN next to an unknown one is still reported",
        expect="violation",
        message="AdministratorAccess",
    ),
    *(
        BASE.plus(NO_MANAGED, f"twin token {twin.type}", twin, message=f"{twin.name} attaches")
        for twin in TWINS
    ),
    # SEC-IAM-LEAST-PRIVILEGE
    DOCS.case(LEAST),
    DOCS.mutate(
        LEAST,
        "Action '*'",
        "api-access",
        "policy",
        doc(ANY_ACTION),
        level="mandatory",
        message="policy, statement 'Everything': Action '*' allows every action",
    ),
    documents(policy(doc(ANY_ACTION)), stack="dev").case(
        LEAST, "Action '*' on dev is still mandatory", expect="violation", level="mandatory"
    ),
    DOCS.mutate(
        LEAST,
        "NotAction",
        "api-access",
        "policy",
        doc({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}),
        message="policy, statement #1: NotAction ['iam:*'] allows every other action",
    ),
    DOCS.mutate(
        LEAST,
        "service wildcard on every resource",
        "api-access",
        "policy",
        doc({"Effect": "Allow", "Action": ["s3:GetObject", "s3:*"], "Resource": "*"}),
        message="Action 's3:*' on Resource '*'",
    ),
    DOCS.mutate(
        LEAST,
        "service wildcard with NotResource",
        "api-access",
        "policy",
        doc({"Effect": "Allow", "Action": "dynamodb:*", "NotResource": TABLE}),
        message="Action 'dynamodb:*' on Resource '*'",
    ),
    DOCS.mutate(
        LEAST,
        "iam:PassRole on every role",
        "api-access",
        "policy",
        doc({"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"}),
        message="can pass any role",
    ),
    DOCS.mutate(
        LEAST,
        "iam:Pass* on every role",
        "api-access",
        "policy",
        doc({"Effect": "Allow", "Action": ["iam:Pass*"], "Resource": ["*"]}),
        message="iam:Pass*",
    ),
    DOCS.mutate(
        LEAST,
        "a single statement object, not a list",
        "api-access",
        "policy",
        json.dumps({"Version": "2012-10-17", "Statement": ANY_ACTION}),
        message="Action '*'",
    ),
    DOCS.mutate(
        LEAST,
        "denying '*' is fine",
        "api-access",
        "policy",
        doc({"Effect": "Deny", "NotAction": "s3:GetObject", "Resource": "*"}),
        expect="pass",
    ),
    DOCS.mutate(LEAST, "invalid JSON", "api-access", "policy", '{"Statement": [', message="not valid JSON"),
    DOCS.mutate(
        LEAST, "document unknown at preview", "api-access", "policy", UNKNOWN, expect="not-evaluated"
    ),
    DOCS.mutate(
        LEAST,
        "object document with an unknown resource",
        "api-access",
        "policy",
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": UNKNOWN}]},
        expect="not-evaluated",
    ),
    documents(policy(UNKNOWN), policy(doc(ANY_ACTION), "broad")).case(
        LEAST,
        "a known bad document is reported next to an unknown one",
        expect="violation",
        message="Action '*'",
    ),
    # The same document through every other token that carries one.
    DOCS.mutate(
        LEAST,
        "role inline policy",
        "api",
        "inlinePolicies",
        [{"name": "sessions", "policy": SCOPED}, {"name": "all", "policy": doc(ANY_ACTION)}],
        message="inlinePolicies[1].policy, statement 'Everything'",
    ),
    DOCS.mutate(
        LEAST, "role inline policies unknown", "api", "inlinePolicies", UNKNOWN, expect="not-evaluated"
    ),
    DOCS.mutate(LEAST, "aws.iam.RolePolicy", "api-inline", "policy", doc(ANY_ACTION), message="Action '*'"),
    *(
        documents(Resource(type_, "inline", {key: "x", "policy": doc(ANY_ACTION)})).case(
            LEAST, f"twin token {type_}", expect="violation", message="Action '*'"
        )
        for type_, key in (
            ("aws:iam/userPolicy:UserPolicy", "user"),
            ("aws:iam/groupPolicy:GroupPolicy", "group"),
        )
    ),
    documents(
        Resource(
            "aws:ssoadmin/permissionSetInlinePolicy:PermissionSetInlinePolicy",
            "sso",
            {
                "instanceArn": "arn:aws:sso:::instance/ssoins-1",
                "inlinePolicy": doc(ANY_ACTION),
                "permissionSetArn": "arn:aws:sso:::permissionSet/ssoins-1/ps-1",
            },
        )
    ).case(
        LEAST,
        "twin token ssoadmin permission set inline policy",
        expect="violation",
        message="inlinePolicy, statement 'Everything'",
    ),
]
