"""SQS and SNS: encryption, dead-letter queue, TLS-only access (SEC-QUEUE-BASELINE), CMKs (SEC-CMK-AT-REST).

A "processing queue" is one a Lambda consumes (the source of an aws.lambda.EventSourceMapping): without
a dead-letter queue a poison message is retried until it expires. A queue that is itself another
queue's deadLetterTargetArn is exempt (it is the end of the line).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import partial

from pulumi_policy import PolicyResource, ReportViolation, ResourceValidationArgs, StackValidationArgs
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError

from ..cmk import cmk_required, customer_managed_key_set
from ..links import refers_to
from ..metadata import Equivalents, RuleMeta, resource_policy, stack_policy
from ..policy_documents import DocumentError, denies_insecure_transport, parse_document
from ..props import (
    Known,
    Lookup,
    Missing,
    Unknown,
    check_all,
    is_present,
    known,
    lookup,
    require_known,
    unwrap,
)

QUEUE = "aws:sqs/queue:Queue"
QUEUE_POLICY = "aws:sqs/queuePolicy:QueuePolicy"
REDRIVE = "aws:sqs/redrivePolicy:RedrivePolicy"
TOPIC = "aws:sns/topic:Topic"
TOPIC_POLICY = "aws:sns/topicPolicy:TopicPolicy"
EVENT_SOURCE = "aws:lambda/eventSourceMapping:EventSourceMapping"
_SQS_DOCS = "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/"
_QUEUE_IDS = ("url", "id")  # a queue's id is its URL

QUEUE_ENCRYPTION = RuleMeta(
    name="sqs-queue-encryption",
    description="SQS queues keep server-side encryption on (a KMS key, or SSE-SQS left enabled).",
    severity="high",
    catalogue_level="non-dev",
    catalogue_ids=("SEC-QUEUE-BASELINE",),
    resource_types=(QUEUE,),
    remediation="Set kms_master_key_id=<your aws.kms.Key>.arn, or leave sqs_managed_sse_enabled unset/True.",
    url=f"{_SQS_DOCS}sqs-server-side-encryption.html",
    equivalents=Equivalents(cdk_nag=("AwsSolutions-SQS2",), checkov=("CKV_AWS_27",)),
)


def validate_queue_encryption(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if is_present(args.props, "kmsMasterKeyId"):
        return
    # AWS turns SSE-SQS on for new queues unless told not to.
    if require_known(args.props, "sqsManagedSseEnabled", True) is False:
        report("sqsManagedSseEnabled is false and no kmsMasterKeyId is set; the queue is unencrypted.", None)


TOPIC_ENCRYPTION = RuleMeta(
    name="sns-topic-encryption",
    description="SNS topics are encrypted at rest (kmsMasterKeyId is set).",
    severity="high",
    catalogue_level="non-dev",
    catalogue_ids=("SEC-QUEUE-BASELINE",),
    resource_types=(TOPIC,),
    remediation="Set kms_master_key_id=<your aws.kms.Key>.arn (or at least 'alias/aws/sns') on the Topic.",
    url="https://docs.aws.amazon.com/sns/latest/dg/sns-server-side-encryption.html",
    equivalents=Equivalents(cdk_nag=("AwsSolutions-SNS2",), checkov=("CKV_AWS_26",)),
)


def validate_topic_encryption(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if not is_present(args.props, "kmsMasterKeyId"):
        report("kmsMasterKeyId is not set, so messages are stored unencrypted; set it to a KMS key.", None)


DEAD_LETTER = RuleMeta(
    name="sqs-dead-letter-queue",
    description=(
        "Every SQS queue that a Lambda consumes (eventSourceArn of an EventSourceMapping) has a redrive "
        "policy to a dead-letter queue (redrivePolicy, or an aws.sqs.RedrivePolicy). Queues that are "
        "themselves a deadLetterTargetArn are exempt."
    ),
    severity="medium",
    catalogue_level="non-dev",
    catalogue_ids=("SEC-QUEUE-BASELINE",),
    resource_types=(QUEUE, REDRIVE, EVENT_SOURCE),
    remediation=(
        "Create a dead-letter aws.sqs.Queue and set redrive_policy=json.dumps({'deadLetterTargetArn': "
        "dlq.arn, 'maxReceiveCount': 5}) (with pulumi.Output.json_dumps) on the processing queue."
    ),
    url=f"{_SQS_DOCS}sqs-dead-letter-queues.html",
    equivalents=Equivalents(cdk_nag=("AwsSolutions-SQS3",)),
)


def _dlq_target(owner: PolicyResource) -> Lookup:
    """The deadLetterTargetArn of ``owner.redrivePolicy`` (JSON text or an object)."""
    found = lookup(owner.props, "redrivePolicy")
    if not isinstance(found, Known):
        return found
    value = unwrap(found.value)
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            return Known("")
    target = lookup(value, "deadLetterTargetArn")
    return Known("") if isinstance(target, Missing) else target


def validate_dead_letter(args: StackValidationArgs, report: ReportViolation) -> None:
    resources = args.resources
    queues = [r for r in resources if r.resource_type == QUEUE]
    redrives = [r for r in resources if r.resource_type == REDRIVE]
    mappings = [r for r in resources if r.resource_type == EVENT_SOURCE]

    def check(queue: PolicyResource) -> None:
        sources = [refers_to(m, "eventSourceArn", queue, ("arn",))
                   for m in mappings]
        if not any(sources):
            if any(v is None for v in sources) and not is_present(queue.props, "redrivePolicy"):
                raise UnknownValueError(UNKNOWN_STRING_VALUE, [queue.name, "eventSourceArn"])
            return
        own = _dlq_target(queue)
        if isinstance(own, Unknown) or (isinstance(own, Known) and own.value):
            return
        attached = [refers_to(r, "queueUrl", queue, _QUEUE_IDS) for r in redrives]
        if any(attached):
            return
        owners = [q for q in queues if q.urn != queue.urn] + redrives
        is_dlq = [refers_to(o, "redrivePolicy", queue, ("arn",), [_dlq_target(o)]) for o in owners]
        if any(is_dlq):
            return
        if any(v is None for v in attached + is_dlq):
            raise UnknownValueError(UNKNOWN_STRING_VALUE, [queue.name, "redrivePolicy"])
        report(
            f"Queue {queue.name} is consumed by a Lambda event source mapping but has no redrivePolicy "
            "with a deadLetterTargetArn; add a dead-letter queue.",
            queue.urn,
        )

    check_all(*(partial(check, q) for q in queues))


SECURE_TRANSPORT = RuleMeta(
    name="sqs-deny-insecure-transport",
    description=(
        "Every SQS queue has a queue policy (its policy input or an aws.sqs.QueuePolicy) with a Deny "
        "statement for every principal on sqs:* when aws:SecureTransport is false."
    ),
    severity="medium",
    catalogue_level="non-dev",
    catalogue_ids=("SEC-QUEUE-BASELINE",),
    resource_types=(QUEUE, QUEUE_POLICY),
    remediation=(
        "Attach an aws.sqs.QueuePolicy(queue_url=queue.url) with {'Effect': 'Deny', 'Principal': '*', "
        "'Action': 'sqs:*', 'Resource': queue.arn, 'Condition': {'Bool': {'aws:SecureTransport': 'false'}}}."
    ),
    url=f"{_SQS_DOCS}sqs-security-best-practices.html",
    equivalents=Equivalents(cdk_nag=("AwsSolutions-SQS4",)),
)

SNS_SECURE_TRANSPORT = RuleMeta(
    name="sns-deny-insecure-transport",
    description=(
        "Every SNS topic has a topic policy (its policy input or an aws.sns.TopicPolicy) with a Deny "
        "statement for every principal on sns:Publish when aws:SecureTransport is false."
    ),
    severity="medium",
    catalogue_level="non-dev",
    catalogue_ids=("SEC-QUEUE-BASELINE",),
    resource_types=(TOPIC, TOPIC_POLICY),
    remediation=(
        "Attach an aws.sns.TopicPolicy(arn=topic.arn) with {'Effect': 'Deny', 'Principal': '*', "
        "'Action': 'sns:Publish', 'Resource': topic.arn, 'Condition': {'Bool': {'aws:SecureTransport': "
        "'false'}}} (with pulumi.Output.json_dumps), next to the statements that grant publishers."
    ),
    url="https://docs.aws.amazon.com/sns/latest/dg/sns-security-best-practices.html",
    equivalents=Equivalents(cdk_nag=("AwsSolutions-SNS3",)),
)


def _policy_ok(owner: PolicyResource, action: str) -> bool:
    document = require_known(owner.props, "policy")
    if document is None:
        return False
    try:
        return any(denies_insecure_transport(s, action) for s in parse_document(unwrap(document)))
    except DocumentError:
        return False


def _deny_insecure_transport(
    kind: str, owner_type: str, policy_type: str, link: str, attrs: tuple[str, ...], action: str
) -> Callable[[StackValidationArgs, ReportViolation], None]:
    """A stack validation: every ``owner_type`` resource has a policy (inline or a ``policy_type``
    resource whose ``link`` names it) that denies ``action`` without TLS."""
    policy_class = policy_type.rsplit(":", 1)[-1]

    def validate(args: StackValidationArgs, report: ReportViolation) -> None:
        policies = [r for r in args.resources if r.resource_type == policy_type]

        def check(owner: PolicyResource) -> None:
            links = [(p, refers_to(p, link, owner, attrs)) for p in policies]
            pending: UnknownValueError | None = None
            for holder in [owner] + [p for p, linked in links if linked]:
                try:
                    if _policy_ok(holder, action):
                        return
                except UnknownValueError as error:
                    pending = pending or error
            if pending is not None:
                raise pending
            if any(linked is None for _, linked in links):
                raise UnknownValueError(UNKNOWN_STRING_VALUE, [owner.name, link])
            report(
                f"{kind} {owner.name} has no policy that denies {action} to '*' when aws:SecureTransport is "
                f"'false'; add that statement to its {policy_class}.",
                owner.urn,
            )

        check_all(*(partial(check, o) for o in args.resources if o.resource_type == owner_type))

    return validate


CMK = RuleMeta(
    name="messaging-customer-managed-key",
    description=(
        "When the stack uses customer managed keys (see stack-profile customerManagedKeys), SQS queues and "
        "SNS topics are encrypted with one (kmsMasterKeyId), not alias/aws/sqs, alias/aws/sns or SSE-SQS."
    ),
    severity="medium",
    catalogue_level="non-dev",
    catalogue_ids=("SEC-CMK-AT-REST",),
    resource_types=(QUEUE, TOPIC),
    remediation="Set kms_master_key_id=<your aws.kms.Key>.arn on every aws.sqs.Queue and aws.sns.Topic.",
    url=f"{_SQS_DOCS}sqs-key-management.html",
    equivalents=Equivalents(checkov=("CKV_AWS_27", "CKV_AWS_26")),
)


def validate_cmk(args: StackValidationArgs, report: ReportViolation) -> None:
    if not cmk_required(args):
        return
    for resource in args.resources:
        if resource.resource_type not in (QUEUE, TOPIC):
            continue
        if not customer_managed_key_set(resource.props, "kmsMasterKeyId"):
            current = known(resource.props, "kmsMasterKeyId") or "unset"
            report(
                f"{resource.name}: kmsMasterKeyId is {current}; set it to a customer managed key's ARN.",
                resource.urn,
            )


POLICIES = [
    resource_policy(QUEUE_ENCRYPTION, validate_queue_encryption),
    resource_policy(TOPIC_ENCRYPTION, validate_topic_encryption),
    stack_policy(DEAD_LETTER, validate_dead_letter),
    stack_policy(
        SECURE_TRANSPORT,
        _deny_insecure_transport("Queue", QUEUE, QUEUE_POLICY, "queueUrl", _QUEUE_IDS, "sqs:*"),
    ),
    stack_policy(
        SNS_SECURE_TRANSPORT,
        _deny_insecure_transport("Topic", TOPIC, TOPIC_POLICY, "arn", ("arn", "id"), "sns:Publish"),
    ),
    stack_policy(CMK, validate_cmk),
]
