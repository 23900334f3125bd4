"""IAM documents of the self-hosted models: each SageMaker execution role and the idle scheduler's role.

Pure (plain dicts and JSON, no Pulumi calls); components/self_hosted_models.py attaches them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from components.iam_statements import key_via_service_statement
from components.self_hosted_model_spec import S3_PREFIX, SelfHostedModel


def statement(sid: str, actions: list[str], resources: list[str], **extra: Any) -> dict[str, Any]:
    return {"Sid": sid, "Effect": "Allow", "Action": actions, "Resource": resources, **extra}


def execution_statements(model: SelfHostedModel, partition: str, account: str, region: str, log_group: str,
                         weights_key: str | None) -> list[dict[str, Any]]:
    """What the SageMaker execution role of one model needs, each on exactly its resources."""
    repo_account, repo_region, repo = model.repository
    statements = [
        statement("PullImage", ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer",
                                "ecr:BatchCheckLayerAvailability"],
                  [f"arn:{partition}:ecr:{repo_region}:{repo_account}:repository/{repo}"]),
        statement("EcrToken", ["ecr:GetAuthorizationToken"], ["*"]),  # the API accepts only "*"
        statement("OwnLogGroup", ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                  [f"arn:{partition}:logs:{region}:{account}:log-group:{log_group}:*"]),
        statement("AttachToVpc", ["ec2:CreateNetworkInterface", "ec2:CreateNetworkInterfacePermission",
                                  "ec2:DeleteNetworkInterface", "ec2:DeleteNetworkInterfacePermission"],
                  [f"arn:{partition}:ec2:{region}:{account}:*/*"]),
        statement("DescribeVpc", ["ec2:DescribeNetworkInterfaces", "ec2:DescribeVpcs", "ec2:DescribeSubnets",
                                  "ec2:DescribeSecurityGroups", "ec2:DescribeDhcpOptions"], ["*"]),
    ]
    source = S3_PREFIX.match(model.weights.s3_uri or "")
    if source:
        bucket, key = source["bucket"], source["key"]
        statements += [
            statement("ReadWeights", ["s3:GetObject"], [f"arn:{partition}:s3:::{bucket}/{key}*"]),
            statement("ListWeights", ["s3:ListBucket"], [f"arn:{partition}:s3:::{bucket}"],
                      Condition={"StringLike": {"s3:prefix": [f"{key}*"]}}),
        ]
        if weights_key:
            statements.append(key_via_service_statement("DecryptWeights", weights_key, "s3", region,
                                                        ["kms:Decrypt"]))
    return statements


def schedule_statements(endpoints: Sequence[tuple[str, str]], partition: str, account: str, region: str,
                        key: str | None) -> list[dict[str, Any]]:
    """The scheduler deletes and re-creates exactly these (endpoint, endpoint configuration) pairs."""
    arn = f"arn:{partition}:sagemaker:{region}:{account}"
    endpoint_arns = [f"{arn}:endpoint/{name}" for name, _ in endpoints]
    config_arns = [f"{arn}:endpoint-config/{config.lower()}" for _, config in endpoints]
    statements = [
        statement("StopEndpoints", ["sagemaker:DeleteEndpoint"], endpoint_arns),
        statement("StartEndpoints", ["sagemaker:CreateEndpoint", "sagemaker:AddTags"],
                  endpoint_arns + config_arns),
    ]
    if key:  # CreateEndpoint makes a grant on the volume key for the new instances
        statements.append(key_via_service_statement("EndpointVolumeKey", key, "sagemaker", region,
                                                    ["kms:CreateGrant", "kms:DescribeKey"]))
    return statements


def trust_policy(service: str, account: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"aws:SourceAccount": account}}}]})


def document(statements: list[dict[str, Any]]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": statements})
