"""Customer managed keys at rest (SEC-CMK-AT-REST) for S3, CloudWatch Logs, Kendra and Bedrock.

Stack policies: the catalogue requires CMKs only "when the stack enables customer managed keys", which
``cmk.cmk_required`` decides from pack config or from the stack creating a KMS key. A key ARN computed
from a key in the same stack is unknown at preview but present, which is enough.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial

from pulumi_policy import PolicyResource, ReportViolation, StackValidationArgs
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError

from ..cmk import cmk_required, customer_managed_key_set
from ..metadata import Equivalents, RuleMeta, StackValidate, stack_policy
from ..props import Known, check_all, lookup, require_known
from .s3_common import BUCKETS, ENCRYPTION_CONFIGS, encryption_defaults, is_log_target

KMS_ALGORITHMS = ("aws:kms", "aws:kms:dsse")
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
KENDRA_INDEX = "aws:kendra/index:Index"
# Bedrock resources that take a customer managed key, and where.
BEDROCK_KEYS: Mapping[str, str] = {
    "aws:bedrock/guardrail:Guardrail": "kmsKeyArn",
    "aws:bedrock/customModel:CustomModel": "customModelKmsKeyId",
    "aws:bedrock/agentAgent:AgentAgent": "customerEncryptionKeyArn",
    "aws:bedrock/agentFlow:AgentFlow": "customerEncryptionKeyArn",
    "aws:bedrock/agentPrompt:AgentPrompt": "customerEncryptionKeyArn",
    "aws:bedrock/agentDataSource:AgentDataSource": "serverSideEncryptionConfiguration.kmsKeyArn",
    "aws:bedrock/agentcoreMemory:AgentcoreMemory": "encryptionKeyArn",
}
_CMK_NOTE = "required: the stack creates a KMS key or stack-profile customerManagedKeys is 'required'"
_LEVEL = "non-dev"

Check = Callable[[PolicyResource, list[PolicyResource], ReportViolation], None]


def _when_cmks_required(types: tuple[str, ...], check: Check) -> StackValidate:
    def validate(args: StackValidationArgs, report: ReportViolation) -> None:
        if not cmk_required(args):
            return
        resources = list(args.resources)
        subjects = [r for r in resources if r.resource_type in types]
        check_all(*(partial(check, subject, resources, report) for subject in subjects))

    return validate


def _key_problem(resource: PolicyResource, path: str) -> str | None:
    if customer_managed_key_set(resource.props, path):
        return None
    found = lookup(resource.props, path)
    if isinstance(found, Known) and found.value:
        return f"{path} names the AWS managed key {found.value!r}"
    return f"{path} is not set, so an AWS owned or AWS managed key is used"


# ----- s3-bucket-cmk -----

S3_META = RuleMeta(
    name="s3-bucket-cmk",
    description="S3 buckets default to SSE-KMS with a customer managed key (access-log buckets excepted).",
    severity="medium",
    catalogue_level=_LEVEL,
    catalogue_ids=("SEC-CMK-AT-REST",),
    resource_types=(*BUCKETS, *ENCRYPTION_CONFIGS),
    remediation=(
        "In the bucket's aws.s3.BucketServerSideEncryptionConfiguration set apply_server_side_encryption_"
        "by_default.sse_algorithm='aws:kms' and kms_master_key_id=<aws.kms.Key>.arn (bucket_key_enabled=True "
        "keeps KMS costs down). A server access log destination stays on SSE-S3 ('AES256'): S3 cannot "
        "deliver access logs to an SSE-KMS bucket."
    ),
    url="https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html",
    equivalents=Equivalents(pdk_nag=("AwsPrototyping-S3DefaultEncryptionKMS",), checkov=("CKV_AWS_145",)),
)


def _check_bucket(bucket: PolicyResource, resources: list[PolicyResource], report: ReportViolation) -> None:
    found, links = encryption_defaults(bucket, resources)
    problems: list[str] = []
    pending: UnknownValueError | None = None
    for default in found:
        try:
            algorithm = require_known(default.resource.props, f"{default.path}.sseAlgorithm")
        except UnknownValueError as error:
            pending = pending or error
            continue
        where = f"{default.source}: {default.path}"
        if algorithm not in KMS_ALGORITHMS:
            problems.append(f"{where}.sseAlgorithm is {algorithm!r}, not 'aws:kms'")
            continue
        problem = _key_problem(default.resource, f"{default.path}.kmsMasterKeyId")
        if problem is None:
            return
        problems.append(f"{default.source}: {problem}")
    target = is_log_target(bucket, resources)
    if target:
        return  # S3 server access logs can only be delivered to an SSE-S3 bucket.
    if pending is not None:
        raise pending
    if not found:
        links.defer("bucket")
    if target is None:
        raise UnknownValueError(UNKNOWN_STRING_VALUE, ["targetBucket"])
    detail = "; ".join(problems) or "it declares no default encryption"
    report(f"Bucket {bucket.name} is not encrypted with a customer managed key ({_CMK_NOTE}): {detail}.",
           bucket.urn)


# ----- key properties of other services -----


def _key_property_check(paths: Mapping[str, str], service: str) -> Check:
    def check(resource: PolicyResource, _: list[PolicyResource], report: ReportViolation) -> None:
        problem = _key_problem(resource, paths[resource.resource_type])
        if problem is not None:
            report(f"{service} {resource.name}: {problem}; use a customer managed KMS key ({_CMK_NOTE}).",
                   resource.urn)

    return check


LOG_GROUP_META = RuleMeta(
    name="log-group-cmk",
    description="CloudWatch log groups are encrypted with a customer managed KMS key.",
    severity="medium",
    catalogue_level=_LEVEL,
    catalogue_ids=("SEC-CMK-AT-REST",),
    resource_types=(LOG_GROUP,),
    remediation=(
        "Set kms_key_id=<aws.kms.Key>.arn on the aws.cloudwatch.LogGroup; the key policy must allow "
        "logs.<region>.amazonaws.com to use it for this log group's ARN."
    ),
    url="https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html",
    equivalents=Equivalents(checkov=("CKV_AWS_158",)),
)

KENDRA_META = RuleMeta(
    name="kendra-index-cmk",
    description="Kendra indexes are encrypted with a customer managed KMS key.",
    severity="medium",
    catalogue_level=_LEVEL,
    catalogue_ids=("SEC-CMK-AT-REST",),
    resource_types=(KENDRA_INDEX,),
    remediation=(
        "Set server_side_encryption_configuration=aws.kendra.IndexServerSideEncryptionConfigurationArgs("
        "kms_key_id=<aws.kms.Key>.arn) on the aws.kendra.Index (symmetric keys only; it forces a new index)."
    ),
    url="https://docs.aws.amazon.com/kendra/latest/dg/encryption-at-rest.html",
    equivalents=Equivalents(checkov=("CKV_AWS_262",)),
)

BEDROCK_META = RuleMeta(
    name="bedrock-cmk",
    description="Bedrock guardrails, custom models, agents, flows, prompts, data sources and agent memory "
    "are encrypted with a customer managed KMS key.",
    severity="medium",
    catalogue_level=_LEVEL,
    catalogue_ids=("SEC-CMK-AT-REST",),
    resource_types=tuple(BEDROCK_KEYS),
    remediation=(
        "Pass the customer managed key: kms_key_arn on aws.bedrock.Guardrail, custom_model_kms_key_id on "
        "aws.bedrock.CustomModel, customer_encryption_key_arn on aws.bedrock.AgentAgent / AgentFlow / "
        "AgentPrompt, server_side_encryption_configuration.kms_key_arn on aws.bedrock.AgentDataSource, "
        "encryption_key_arn on aws.bedrock.AgentcoreMemory."
    ),
    url="https://docs.aws.amazon.com/bedrock/latest/userguide/data-encryption.html",
    equivalents=Equivalents(checkov=("CKV_AWS_373",)),
)

POLICIES = [
    stack_policy(S3_META, _when_cmks_required(BUCKETS, _check_bucket)),
    stack_policy(
        LOG_GROUP_META,
        _when_cmks_required((LOG_GROUP,), _key_property_check({LOG_GROUP: "kmsKeyId"}, "Log group")),
    ),
    stack_policy(
        KENDRA_META,
        _when_cmks_required(
            (KENDRA_INDEX,),
            _key_property_check({KENDRA_INDEX: "serverSideEncryptionConfiguration.kmsKeyId"}, "Kendra index"),
        ),
    ),
    stack_policy(
        BEDROCK_META, _when_cmks_required(tuple(BEDROCK_KEYS), _key_property_check(BEDROCK_KEYS, "Bedrock"))
    ),
]
