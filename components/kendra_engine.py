"""KendraIndex: a Kendra index the stack creates, or existing indexes it attaches, for the RAG engine.

Create (`create=True`): an aws.kendra.Index (DEVELOPER_EDITION or ENTERPRISE_EDITION), encrypted with the
CMK when one is given (required outside dev, SEC-CMK-AT-REST), protected when `retain`, with the role
Kendra needs for CloudWatch: metrics in the AWS/Kendra namespace and its own /aws/kendra/* log groups
(the policy in the Kendra guide's "IAM roles for indexes"), assumable only by Kendra for this account's
indexes. Kendra creates the index's log group itself when the index is created, so the stack cannot set
its retention beforehand. An index bills by the hour from creation whether queried or not (the developer
edition is the cheaper one; neither scales to zero).

Attach (`existing_index_ids`): no cloud resources, only the validated ids and their ARNs. Attached
indexes may live in another account: the rag function then assumes `cross_account_role_arn` (with
`cross_account_external_id`), and its own statement is sts:AssumeRole on that role and nothing else.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components.aws_context import AwsContext
from components.naming import resource_name
from components.settings.fields.engines import EXTERNAL_ID_PATTERN, KENDRA_INDEX_ID_PATTERN, ROLE_ARN_PATTERN
from components.settings.setting import REGION_PATTERN

EDITIONS: tuple[str, ...] = ("DEVELOPER_EDITION", "ENTERPRISE_EDITION")
RETRIEVAL_ACTIONS: tuple[str, ...] = ("kendra:Retrieve", "kendra:Query")
# The settings' patterns: what a stack file accepts, the component accepts.
_INDEX_ID = re.compile(KENDRA_INDEX_ID_PATTERN)  # CreateIndex returns a 36-character id
_ROLE_ARN = re.compile(ROLE_ARN_PATTERN)
_EXTERNAL_ID = re.compile(EXTERNAL_ID_PATTERN)  # sts:AssumeRole ExternalId
_REGION = re.compile(REGION_PATTERN)
ISSUER_MAX = 65  # Kendra's limit on a JWT issuer


@dataclass(frozen=True)
class KendraJwtTokens:
    """User token access control: Kendra reads users and groups from the caller's JWT (Cognito)."""

    issuer: pulumi.Input[str]
    jwks_url: pulumi.Input[str]
    user_name_field: str = "cognito:username"
    group_field: str = "cognito:groups"

    def check(self) -> list[str]:
        problems = []
        if isinstance(self.issuer, str) and not 1 <= len(self.issuer) <= ISSUER_MAX:
            problems.append(f"user_tokens.issuer must be 1..{ISSUER_MAX} characters (Kendra's limit)")
        if isinstance(self.jwks_url, str) and not self.jwks_url.startswith("https://"):
            problems.append("user_tokens.jwks_url must be an https:// URL")
        if not (1 <= len(self.user_name_field) <= 100 and 1 <= len(self.group_field) <= 100):
            problems.append("user_tokens.user_name_field and group_field must be 1..100 characters")
        return problems


def index_trust_policy(account_id: str, partition: str, region: str) -> str:
    """Only Kendra, acting for an index of this account and region, may assume the index role."""
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow",
        "Principal": {"Service": "kendra.amazonaws.com"},
        "Action": "sts:AssumeRole",
        "Condition": {
            "StringEquals": {"aws:SourceAccount": account_id},
            "ArnLike": {"aws:SourceArn": f"arn:{partition}:kendra:{region}:{account_id}:index/*"},
        },
    }]})


def index_role_policy(account_id: str, partition: str, region: str) -> str:
    """The Kendra guide's index role policy: metrics in AWS/Kendra, logs in /aws/kendra/* only."""
    groups = f"arn:{partition}:logs:{region}:{account_id}:log-group:/aws/kendra/*"
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "KendraMetrics", "Effect": "Allow", "Action": ["cloudwatch:PutMetricData"],
         # PutMetricData has no resource-level permissions; the namespace condition scopes it.
         "Resource": ["*"], "Condition": {"StringEquals": {"cloudwatch:namespace": "AWS/Kendra"}}},
        {"Sid": "FindLogGroups", "Effect": "Allow", "Action": ["logs:DescribeLogGroups"],
         "Resource": ["*"]},  # a list call: IAM accepts only "*"
        {"Sid": "CreateKendraLogGroup", "Effect": "Allow", "Action": ["logs:CreateLogGroup"],
         "Resource": [groups]},
        {"Sid": "WriteKendraLogs", "Effect": "Allow",
         "Action": ["logs:DescribeLogStreams", "logs:CreateLogStream", "logs:PutLogEvents"],
         "Resource": [f"{groups}:log-stream:*"]},
    ]})


def index_arn(partition: str, region: str, account_id: str, index_id: str) -> str:
    return f"arn:{partition}:kendra:{region}:{account_id}:index/{index_id}"


def retrieval_statement(index_arns: Sequence[str]) -> dict[str, Any]:
    return {"Sid": "KendraRetrieve", "Effect": "Allow", "Action": list(RETRIEVAL_ACTIONS),
            "Resource": list(index_arns)}


def assume_role_statement(role_arn: str) -> dict[str, Any]:
    return {"Sid": "AssumeKendraCrossAccountRole", "Effect": "Allow", "Action": ["sts:AssumeRole"],
            "Resource": [role_arn]}


@dataclass(frozen=True)
class KendraIndexArgs:
    """Either `create` or `existing_index_ids`; `kms_key_arn` None (AWS owned key) only when `dev`."""

    prefix: str
    stack: str
    region: str
    dev: bool
    retain: bool
    create: bool = False
    edition: str = "DEVELOPER_EDITION"
    kms_key_arn: pulumi.Input[str] | None = None
    user_tokens: KendraJwtTokens | None = None
    existing_index_ids: tuple[str, ...] = ()
    index_region: str | None = None  # of the attached indexes; None: `region`
    cross_account_role_arn: str | None = None
    cross_account_external_id: str | None = None

    def __post_init__(self) -> None:
        problems = self._create_problems() if self.create else self._attach_problems()
        if problems:
            raise ValueError("; ".join(problems))

    def _create_problems(self) -> list[str]:
        problems = []
        if self.existing_index_ids:
            problems.append("existing_index_ids must be empty when create is true (one mode at a time)")
        if self.edition not in EDITIONS:
            problems.append(f"edition must be one of {list(EDITIONS)}, got {self.edition!r}")
        if self.kms_key_arn is None and not self.dev:
            problems.append("kms_key_arn is required outside dev stacks (SEC-CMK-AT-REST)")
        if self.cross_account_role_arn or self.cross_account_external_id or self.index_region:
            problems.append("cross_account_role_arn, cross_account_external_id and index_region are only for "
                            "attached indexes (create false)")
        if self.user_tokens is not None:
            problems.extend(self.user_tokens.check())
        return problems

    def _attach_problems(self) -> list[str]:
        problems = []
        ids = self.existing_index_ids
        if not ids:
            problems.append("existing_index_ids must name at least one index when create is false")
        bad = [i for i in ids if not _INDEX_ID.match(i)]
        if bad:
            problems.append(f"existing_index_ids must be 36-character Kendra index ids, got {bad}")
        if len(set(ids)) != len(ids):
            problems.append(f"existing_index_ids must be unique, got {list(ids)}")
        if self.kms_key_arn is not None or self.user_tokens is not None:
            problems.append("kms_key_arn and user_tokens are only for an index the stack creates")
        if self.index_region is not None and not _REGION.match(self.index_region):
            problems.append(f"index_region must be an AWS region name, got {self.index_region!r}")
        role, external = self.cross_account_role_arn, self.cross_account_external_id
        if (role is None) != (external is None):
            problems.append("cross_account_role_arn and cross_account_external_id go together")
        if role is not None and not _ROLE_ARN.match(role):
            problems.append(f"cross_account_role_arn must be an IAM role ARN, got {role!r}")
        if external is not None and not _EXTERNAL_ID.match(external):
            problems.append("cross_account_external_id must be 2..1224 of [A-Za-z0-9+=,.@:/_-]")
        return problems

    @property
    def index_account(self) -> str | None:
        """The attached indexes' account when they are reached through a cross-account role."""
        role = self.cross_account_role_arn
        return role.split(":")[4] if role and _ROLE_ARN.match(role) else None


class KendraIndex(pulumi.ComponentResource):
    index: aws.kendra.Index | None
    index_ids: pulumi.Output[list[str]]
    index_arns: pulumi.Output[list[str]]
    cross_account_role_arn: str | None
    cross_account_external_id: str | None

    def __init__(self, name: str, args: KendraIndexArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("chatbot:rag:KendraIndex", name, None, opts)
        self._name, self._args = name, args
        context = AwsContext.of(self)
        self._account, self._partition = context.account_id, context.partition
        self.cross_account_role_arn = args.cross_account_role_arn
        self.cross_account_external_id = args.cross_account_external_id
        self.index = None
        if args.create:
            self.index = self._create()
            self.index_ids = self.index.id.apply(lambda index_id: [index_id])
            self.index_arns = self.index.arn.apply(lambda arn: [arn])
        else:
            region = args.index_region or args.region
            account = args.index_account or self._account
            self.index_ids = pulumi.Output.from_input(list(args.existing_index_ids))
            self.index_arns = pulumi.Output.all(self._partition, account).apply(
                lambda pa: [index_arn(pa[0], region, pa[1], i) for i in args.existing_index_ids])
        self.register_outputs({
            "index_ids": self.index_ids,
            "index_arns": self.index_arns,
            "cross_account_role_arn": self.cross_account_role_arn,
        })

    def _create(self) -> aws.kendra.Index:
        name, args = self._name, self._args
        ap = pulumi.Output.all(self._account, self._partition)
        role = aws.iam.Role(
            f"{name}-index-role",
            description=f"{args.prefix} {args.stack}: Kendra index role (CloudWatch metrics and logs)",
            assume_role_policy=ap.apply(lambda v: index_trust_policy(v[0], v[1], args.region)),
            opts=pulumi.ResourceOptions(parent=self))
        policy = aws.iam.RolePolicy(
            f"{name}-index-policy", role=role.id,
            policy=ap.apply(lambda v: index_role_policy(v[0], v[1], args.region)),
            opts=pulumi.ResourceOptions(parent=self))
        tokens = args.user_tokens
        jwt = aws.kendra.IndexUserTokenConfigurationsJwtTokenTypeConfigurationArgs
        encryption = None
        if args.kms_key_arn is not None:
            encryption = aws.kendra.IndexServerSideEncryptionConfigurationArgs(kms_key_id=args.kms_key_arn)
        return aws.kendra.Index(
            f"{name}-index",
            name=resource_name(args.prefix, args.stack, "kendra", max_length=1000),
            description=f"{args.prefix} {args.stack}: RAG documents",
            edition=args.edition,
            role_arn=role.arn,
            server_side_encryption_configuration=encryption,
            user_context_policy="USER_TOKEN" if tokens else "ATTRIBUTE_FILTER",
            user_token_configurations=aws.kendra.IndexUserTokenConfigurationsArgs(
                jwt_token_type_configuration=jwt(
                    key_location="URL", url=tokens.jwks_url, issuer=tokens.issuer,
                    user_name_attribute_field=tokens.user_name_field,
                    group_attribute_field=tokens.group_field,
                )) if tokens else None,
            # Kendra checks the role when the index is created: its policy must be in place first.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[policy], protect=args.retain,
                                        retain_on_delete=args.retain))

    def retrieval_statements(self) -> pulumi.Output[list[dict[str, Any]]]:
        """The rag function's statements: Retrieve/Query on the indexes, or (cross-account) assuming the
        role that holds those permissions in the indexes' account."""
        role = self.cross_account_role_arn
        if role is not None:
            return pulumi.Output.from_input([assume_role_statement(role)])
        return self.index_arns.apply(lambda arns: [retrieval_statement(arns)])
