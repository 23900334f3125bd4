"""Development tooling: a SageMaker Studio domain with one user profile, in dev stacks only.

Guidance (RAG guidance, "SageMaker AmazonSageMakerFullAccess Policy"; SEC-DEV-TOOLS-DEV-ONLY,
SEC-IAM-NO-MANAGED): the conversational RAG reference gives Studio's execution role the AWS managed
AmazonSageMakerFullAccess policy and warns that this tooling belongs in development and evaluation only.
Here the component refuses to be built outside a dev environment, and the execution role gets no managed
policy at all: a scoped inline policy lets Studio run its own spaces and apps, read its domain and user
profile, and write its app logs. Anything a notebook needs beyond that (a model to invoke, a bucket to
read) is added as explicit, scoped `extra_statements`, and the policy pack checks them like any other.

The domain is `VpcOnly`: Studio's traffic stays in the private subnets, so the network must have the
`STUDIO_INTERFACE_ENDPOINTS` (or a NAT gateway). Studio's security group admits only itself (NFS to the
home volume, traffic between apps) and may reach only HTTPS inside the VPC (the endpoints) and the
prefix lists given (the S3 gateway endpoint). Idle JupyterLab and Code Editor apps shut down by
themselves, so a forgotten notebook does not bill all night.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components.aws_context import AwsContext
from components.naming import resource_name

# What a VpcOnly Studio calls: the SageMaker API and runtime, the Studio UI, STS (the SDK), CloudWatch Logs.
STUDIO_INTERFACE_ENDPOINTS: tuple[str, ...] = (
    "sagemaker.api", "sagemaker.runtime", "sagemaker.studio", "sts", "logs",
)
STUDIO_LOG_GROUP = "/aws/sagemaker/studio"  # where SageMaker writes Studio app logs (account-wide name)
NFS_PORT = 2049
APP_PORTS = (8192, 65535)  # Studio apps talk to each other on these
_PROFILE = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")
_sm = aws.sagemaker  # the SageMaker argument classes have long names
_JupyterIdle = _sm.DomainDefaultUserSettingsJupyterLabAppSettingsAppLifecycleManagementIdleSettingsArgs
_JupyterLifecycle = _sm.DomainDefaultUserSettingsJupyterLabAppSettingsAppLifecycleManagementArgs
_EditorIdle = _sm.DomainDefaultUserSettingsCodeEditorAppSettingsAppLifecycleManagementIdleSettingsArgs
_EditorLifecycle = _sm.DomainDefaultUserSettingsCodeEditorAppSettingsAppLifecycleManagementArgs


def _jupyter_idle(minutes: int) -> _JupyterLifecycle:
    """Idle JupyterLab apps stop after `minutes`, and users cannot raise that."""
    idle = _JupyterIdle(lifecycle_management="ENABLED", idle_timeout_in_minutes=minutes,
                        max_idle_timeout_in_minutes=minutes)
    return _JupyterLifecycle(idle_settings=idle)


def _code_editor_idle(minutes: int) -> _EditorLifecycle:
    idle = _EditorIdle(lifecycle_management="ENABLED", idle_timeout_in_minutes=minutes,
                       max_idle_timeout_in_minutes=minutes)
    return _EditorLifecycle(idle_settings=idle)


def execution_role_policy(
    partition: str, region: str, account_id: str, user_profile: str,
    extra_statements: Sequence[Mapping[str, Any]] = (),
) -> str:
    """The Studio execution role's inline policy (pure: tested without Pulumi)."""
    arn = f"arn:{partition}:sagemaker:{region}:{account_id}"
    logs = f"arn:{partition}:logs:{region}:{account_id}:log-group:{STUDIO_LOG_GROUP}"
    statements: list[dict[str, Any]] = [
        {"Sid": "StudioSpacesAndApps", "Effect": "Allow",
         "Action": ["sagemaker:CreateSpace", "sagemaker:UpdateSpace", "sagemaker:DeleteSpace",
                    "sagemaker:DescribeSpace", "sagemaker:CreateApp", "sagemaker:DeleteApp",
                    "sagemaker:DescribeApp", "sagemaker:AddTags", "sagemaker:ListTags"],
         "Resource": [f"{arn}:space/*", f"{arn}:app/*"]},
        {"Sid": "StudioReadOwnProfile", "Effect": "Allow",
         "Action": ["sagemaker:DescribeDomain", "sagemaker:DescribeUserProfile"],
         "Resource": [f"{arn}:domain/*", f"{arn}:user-profile/*/{user_profile}"]},
        # The List APIs have no resource-level permissions: "*" is the only resource they accept.
        {"Sid": "StudioListings", "Effect": "Allow",
         "Action": ["sagemaker:ListSpaces", "sagemaker:ListApps"], "Resource": "*"},
        {"Sid": "StudioAppLogs", "Effect": "Allow",
         "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
         "Resource": [logs, f"{logs}:*"]},
        *(dict(statement) for statement in extra_statements),
    ]
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


@dataclass(frozen=True)
class DevToolsArgs:
    prefix: str
    stack: str
    region: str
    environment: str  # only "dev" is accepted (SEC-DEV-TOOLS-DEV-ONLY)
    vpc_id: pulumi.Input[str]
    vpc_cidr: pulumi.Input[str]
    subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]]  # private subnets
    # Encrypts the home EFS volume; its key policy must admit elasticfilesystem and sagemaker.
    kms_key_arn: pulumi.Input[str] | None
    retain: bool
    user_profile: str = "developer"
    idle_timeout_minutes: int = 60
    egress_prefix_list_ids: tuple[pulumi.Input[str], ...] = ()  # e.g. the S3 gateway endpoint's list
    extra_statements: tuple[Mapping[str, Any], ...] = ()

    def __post_init__(self) -> None:
        if self.environment != "dev":
            raise ValueError(
                f"SageMaker Studio is development tooling and is built only in dev environments "
                f"(SEC-DEV-TOOLS-DEV-ONLY), not in {self.environment!r}"
            )
        if not _PROFILE.match(self.user_profile):
            raise ValueError(f"user_profile must match {_PROFILE.pattern}, got {self.user_profile!r}")
        if not 60 <= self.idle_timeout_minutes <= 525600:
            raise ValueError(f"idle_timeout_minutes must be 60..525600, got {self.idle_timeout_minutes}")


class DevTools(pulumi.ComponentResource):
    domain: aws.sagemaker.Domain
    user_profile: aws.sagemaker.UserProfile
    execution_role: aws.iam.Role
    security_group: aws.ec2.SecurityGroup
    domain_id: pulumi.Output[str]
    domain_url: pulumi.Output[str]

    def __init__(self, name: str, args: DevToolsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("chatbot:devtools:DevTools", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        self.security_group = self._security_group(name, args)
        self.execution_role = aws.iam.Role(
            f"{name}-execution-role",
            description="SageMaker Studio (dev tooling): a scoped inline policy, no managed policies",
            assume_role_policy=json.dumps({"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"},
                "Action": "sts:AssumeRole"}]}),
            opts=child,
        )
        context = AwsContext.of(self)
        account, partition = context.account_id, context.partition
        policy = aws.iam.RolePolicy(
            f"{name}-execution-policy",
            role=self.execution_role.id,
            policy=pulumi.Output.all(partition, account).apply(lambda pa: execution_role_policy(
                pa[0], args.region, pa[1], args.user_profile, args.extra_statements)),
            opts=child,
        )
        groups = [self.security_group.id]
        self.domain = aws.sagemaker.Domain(
            f"{name}-domain",
            domain_name=resource_name(args.prefix, args.stack, "studio"),
            auth_mode="IAM",
            vpc_id=args.vpc_id,
            subnet_ids=args.subnet_ids,
            app_network_access_type="VpcOnly",  # no SageMaker-provided internet access
            kms_key_id=args.kms_key_arn,
            default_user_settings=_sm.DomainDefaultUserSettingsArgs(
                execution_role=self.execution_role.arn,
                security_groups=groups,
                studio_web_portal="ENABLED",
                default_landing_uri="studio::",
                sharing_settings=_sm.DomainDefaultUserSettingsSharingSettingsArgs(
                    notebook_output_option="Disabled"  # shared notebooks carry no cell output (data)
                ),
                jupyter_lab_app_settings=_sm.DomainDefaultUserSettingsJupyterLabAppSettingsArgs(
                    app_lifecycle_management=_jupyter_idle(args.idle_timeout_minutes)
                ),
                code_editor_app_settings=_sm.DomainDefaultUserSettingsCodeEditorAppSettingsArgs(
                    app_lifecycle_management=_code_editor_idle(args.idle_timeout_minutes)
                ),
            ),
            default_space_settings=_sm.DomainDefaultSpaceSettingsArgs(
                execution_role=self.execution_role.arn, security_groups=groups
            ),
            domain_settings=_sm.DomainDomainSettingsArgs(
                security_group_ids=groups,
                execution_role_identity_config="USER_PROFILE_NAME",  # CloudTrail names the person
            ),
            retention_policy=_sm.DomainRetentionPolicyArgs(
                home_efs_file_system="Retain" if args.retain else "Delete"
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[policy], protect=args.retain,
                                        retain_on_delete=args.retain),
        )
        self.user_profile = aws.sagemaker.UserProfile(
            f"{name}-user",
            domain_id=self.domain.id,
            user_profile_name=args.user_profile,
            opts=child,
        )
        self.domain_id = self.domain.id
        self.domain_url = self.domain.url
        self.register_outputs({"domain_id": self.domain_id, "domain_url": self.domain_url})

    def _security_group(self, name: str, args: DevToolsArgs) -> aws.ec2.SecurityGroup:
        child = pulumi.ResourceOptions(parent=self)
        group = aws.ec2.SecurityGroup(
            f"{name}-studio-sg",
            vpc_id=args.vpc_id,
            description=f"{args.prefix} {args.stack} SageMaker Studio: within the group and to endpoints",
            opts=child,
        )
        within = (("nfs", NFS_PORT, NFS_PORT), ("apps", *APP_PORTS))
        for role, low, high in within:
            aws.vpc.SecurityGroupIngressRule(
                f"{name}-{role}-in", security_group_id=group.id, description=f"Studio {role} from the group",
                ip_protocol="tcp", from_port=low, to_port=high, referenced_security_group_id=group.id,
                opts=child,
            )
            aws.vpc.SecurityGroupEgressRule(
                f"{name}-{role}-out", security_group_id=group.id, description=f"Studio {role} to the group",
                ip_protocol="tcp", from_port=low, to_port=high, referenced_security_group_id=group.id,
                opts=child,
            )
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-endpoints-out", security_group_id=group.id, description="HTTPS to the VPC's endpoints",
            ip_protocol="tcp", from_port=443, to_port=443, cidr_ipv4=args.vpc_cidr, opts=child,
        )
        for index, prefix_list in enumerate(args.egress_prefix_list_ids):
            aws.vpc.SecurityGroupEgressRule(
                f"{name}-prefix-list-{index}-out", security_group_id=group.id,
                description="HTTPS to a gateway endpoint's service", ip_protocol="tcp", from_port=443,
                to_port=443, prefix_list_id=prefix_list, opts=child,
            )
        return group
