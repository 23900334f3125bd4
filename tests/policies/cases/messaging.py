"""Fixtures for rules/messaging.py: the chat request queue, its dead-letter queue and the reply topic, as
`pulumi up` sees them (ARNs and URLs known; propertyDependencies kept)."""

import json
from dataclasses import replace

from ..harness import UNKNOWN
from . import DELETE, Baseline, Resource, ref

KEY = "aws:kms/key:Key"
QUEUE = "aws:sqs/queue:Queue"
QUEUE_POLICY = "aws:sqs/queuePolicy:QueuePolicy"
REDRIVE = "aws:sqs/redrivePolicy:RedrivePolicy"
TOPIC = "aws:sns/topic:Topic"
TOPIC_POLICY = "aws:sns/topicPolicy:TopicPolicy"
MAPPING = "aws:lambda/eventSourceMapping:EventSourceMapping"
ACCOUNT = "arn:aws:sqs:eu-west-1:111122223333"
KEY_ARN = "arn:aws:kms:eu-west-1:111122223333:key/0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e"
URL = "https://sqs.eu-west-1.amazonaws.com/111122223333"
TOPIC_ARN = "arn:aws:sns:eu-west-1:111122223333:chatbot-replies"
ENC, TOPIC_ENC, DLQ, TLS, CMK, SNS_TLS = (
    "sqs-queue-encryption",
    "sns-topic-encryption",
    "sqs-dead-letter-queue",
    "sqs-deny-insecure-transport",
    "messaging-customer-managed-key",
    "sns-deny-insecure-transport",
)


def deny_insecure(arn: str, action: str = "sqs:*", **changes: object) -> str:
    statement = {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": action,
        "Resource": arn,
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        **changes,
    }
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def queue(name: str, stack: str, **props: object) -> Resource:
    known = {
        "name": f"chatbot-{name}",
        "arn": f"{ACCOUNT}:chatbot-{name}",
        "url": f"{URL}/chatbot-{name}",
        "id": f"{URL}/chatbot-{name}",
        "kmsMasterKeyId": KEY_ARN,
        "kmsDataKeyReusePeriodSeconds": 300.0,
    }
    return Resource(
        QUEUE, name, {**known, **props}, property_dependencies={"kmsMasterKeyId": [ref(KEY, "key", stack)]}
    )


def queue_policy(name: str, stack: str) -> Resource:
    return Resource(
        QUEUE_POLICY,
        f"{name}-policy",
        {
            "queueUrl": f"{URL}/chatbot-{name}",
            "policy": deny_insecure(f"{ACCOUNT}:chatbot-{name}"),
        },
        property_dependencies={"queueUrl": [ref(QUEUE, name, stack)]},
    )


def _resources(stack: str) -> tuple[Resource, ...]:
    redrive = json.dumps({"deadLetterTargetArn": f"{ACCOUNT}:chatbot-requests-dlq", "maxReceiveCount": 5})
    requests = queue("requests", stack, redrivePolicy=redrive, visibilityTimeoutSeconds=300.0)
    requests.property_dependencies["redrivePolicy"] = [ref(QUEUE, "requests-dlq", stack)]
    return (
        Resource(KEY, "key", {"enableKeyRotation": True, "arn": KEY_ARN}),
        queue("requests-dlq", stack, messageRetentionSeconds=1209600.0),
        requests,
        queue_policy("requests", stack),
        queue_policy("requests-dlq", stack),
        Resource(
            MAPPING,
            "requests-worker",
            {
                "eventSourceArn": f"{ACCOUNT}:chatbot-requests",
                "functionName": "chatbot-worker",
                "batchSize": 10.0,
            },
            property_dependencies={"eventSourceArn": [ref(QUEUE, "requests", stack)]},
        ),
        Resource(
            TOPIC,
            "replies",
            {"name": "chatbot-replies", "kmsMasterKeyId": KEY_ARN, "arn": TOPIC_ARN, "id": TOPIC_ARN},
        ),
        Resource(
            TOPIC_POLICY,
            "replies-policy",
            {"arn": TOPIC_ARN, "policy": deny_insecure(TOPIC_ARN, "sns:Publish")},
            property_dependencies={"arn": [ref(TOPIC, "replies", stack)]},
        ),
    )


BASE = Baseline(_resources("prod"))
DEV = Baseline(_resources("dev"), stack="dev")
NO_KEY = Baseline(tuple(r for r in BASE.resources if r.type != KEY))
REQUIRED = {"stack-profile": {"customerManagedKeys": "required"}}
DLQ_ARN = f"{ACCOUNT}:chatbot-requests-dlq"


def edit(base: Baseline, name: str, **props: object) -> Baseline:
    """``base`` with several properties of one resource changed at once (``DELETE`` removes one)."""

    def change(r: Resource) -> Resource:
        merged = {**r.props, **props}
        return replace(r, props={k: v for k, v in merged.items() if v is not DELETE})

    return Baseline(tuple(change(r) if r.name == name else r for r in base.resources), stack=base.stack)


SSE_OFF = edit(BASE, "requests", kmsMasterKeyId=DELETE, sqsManagedSseEnabled=False)
NO_REDRIVE = edit(BASE, "requests", redrivePolicy=DELETE)
SEPARATE_REDRIVE = Resource(
    REDRIVE,
    "requests-redrive",
    {
        "queueUrl": f"{URL}/chatbot-requests",
        "redrivePolicy": json.dumps({"deadLetterTargetArn": DLQ_ARN, "maxReceiveCount": 5}),
    },
    property_dependencies={"queueUrl": [ref(QUEUE, "requests")]},
)
DLQ_WORKER = Resource(
    MAPPING,
    "dlq-replayer",
    {"eventSourceArn": DLQ_ARN, "functionName": "chatbot-replay"},
    property_dependencies={"eventSourceArn": [ref(QUEUE, "requests-dlq")]},
)
# An event source whose ARN is unknown and not linked by a dependency (e.g. read from another stack).
UNLINKED = Baseline(
    tuple(
        replace(r, props={**r.props, "eventSourceArn": UNKNOWN}, property_dependencies={})
        if r.name == "requests-worker"
        else r
        for r in NO_REDRIVE.resources
    )
)
INLINE_POLICY = edit(BASE, "requests", policy=deny_insecure(f"{ACCOUNT}:chatbot-requests"))
INLINE_TOPIC_POLICY = edit(BASE, "replies", policy=deny_insecure(TOPIC_ARN, "sns:Publish"))
UNLINKED_TOPIC_POLICY = Baseline(
    tuple(replace(r, property_dependencies={}) if r.name == "replies-policy" else r for r in BASE.resources)
)


def topic_policy(**changes: object) -> str:
    return deny_insecure(TOPIC_ARN, "sns:Publish", **changes)


CASES = [
    # SEC-QUEUE-BASELINE: encryption
    BASE.case(ENC),
    BASE.mutate(ENC, "SSE-SQS by default is enough", "requests", "kmsMasterKeyId", DELETE, expect="pass"),
    SSE_OFF.case(
        ENC,
        "SSE switched off without a key",
        expect="violation",
        level="mandatory",
        message="sqsManagedSseEnabled is false",
    ),
    edit(BASE, "requests", kmsMasterKeyId=DELETE, sqsManagedSseEnabled=UNKNOWN).case(
        ENC, "SSE setting unknown at preview", expect="not-evaluated"
    ),
    edit(DEV, "requests", kmsMasterKeyId=DELETE, sqsManagedSseEnabled=False).case(
        ENC, "advisory on dev", expect="violation", level="advisory"
    ),
    BASE.case(TOPIC_ENC),
    BASE.mutate(
        TOPIC_ENC,
        "topic unencrypted",
        "replies",
        "kmsMasterKeyId",
        DELETE,
        level="mandatory",
        message="kmsMasterKeyId is not set",
    ),
    BASE.mutate(
        TOPIC_ENC, "key ARN unknown at preview is enough", "replies", "kmsMasterKeyId", UNKNOWN, expect="pass"
    ),
    DEV.mutate(TOPIC_ENC, "advisory on dev", "replies", "kmsMasterKeyId", DELETE, level="advisory"),
    # SEC-QUEUE-BASELINE: dead-letter queues
    BASE.case(DLQ),
    NO_REDRIVE.case(
        DLQ,
        "consumed queue without a DLQ",
        expect="violation",
        level="mandatory",
        message="Queue requests is consumed",
    ),
    NO_REDRIVE.plus(DLQ, "DLQ set by an aws.sqs.RedrivePolicy", SEPARATE_REDRIVE, expect="pass"),
    BASE.plus(DLQ, "a consumed DLQ is exempt", DLQ_WORKER, expect="pass"),
    NO_REDRIVE.without(DLQ, "unconsumed queues need no DLQ", "requests-worker", expect="pass"),
    BASE.mutate(
        DLQ, "redrive policy unknown at preview", "requests", "redrivePolicy", UNKNOWN, expect="pass"
    ),
    BASE.mutate(
        DLQ,
        "redrive policy without a target",
        "requests",
        "redrivePolicy",
        json.dumps({"maxReceiveCount": 5}),
        message="deadLetterTargetArn",
    ),
    UNLINKED.case(DLQ, "unlinked event source is decided at deploy", expect="not-evaluated"),
    Baseline(tuple(replace(r, property_dependencies={}) for r in NO_REDRIVE.resources)).case(
        DLQ, "linked by known ARN", expect="violation", dry_run=False
    ),
    edit(DEV, "requests", redrivePolicy=DELETE).case(
        DLQ, "advisory on dev", expect="violation", level="advisory"
    ),
    # SEC-QUEUE-BASELINE: TLS only
    BASE.case(TLS),
    BASE.without(
        TLS,
        "queue without a policy",
        "requests-policy",
        level="mandatory",
        message="Queue requests has no policy",
    ),
    INLINE_POLICY.without(TLS, "policy input on the queue", "requests-policy", expect="pass"),
    BASE.mutate(
        TLS,
        "policy only allows",
        "requests-policy",
        "policy",
        deny_insecure(f"{ACCOUNT}:chatbot-requests", Effect="Allow", Principal={"AWS": "111122223333"}),
    ),
    BASE.mutate(
        TLS,
        "denies secure transport instead",
        "requests-policy",
        "policy",
        deny_insecure(f"{ACCOUNT}:chatbot-requests", Condition={"Bool": {"aws:SecureTransport": "true"}}),
    ),
    BASE.mutate(
        TLS,
        "denies one principal only",
        "requests-policy",
        "policy",
        deny_insecure(f"{ACCOUNT}:chatbot-requests", Principal={"AWS": "arn:aws:iam::111122223333:root"}),
    ),
    BASE.mutate(
        TLS,
        "denies one action only",
        "requests-policy",
        "policy",
        deny_insecure(f"{ACCOUNT}:chatbot-requests", Action="sqs:SendMessage"),
    ),
    BASE.mutate(
        TLS,
        "Action * and list values",
        "requests-policy",
        "policy",
        deny_insecure(
            f"{ACCOUNT}:chatbot-requests",
            Action="*",
            Principal={"AWS": ["*"]},
            Condition={"Bool": {"aws:securetransport": ["false"]}},
        ),
        expect="pass",
    ),
    BASE.mutate(
        TLS, "policy unknown at preview", "requests-policy", "policy", UNKNOWN, expect="not-evaluated"
    ),
    DEV.without(TLS, "advisory on dev", "requests-policy", level="advisory"),
    # SEC-CMK-AT-REST (SQS, SNS)
    BASE.case(CMK),
    BASE.mutate(
        CMK,
        "queue on SSE-SQS",
        "requests",
        "kmsMasterKeyId",
        DELETE,
        level="mandatory",
        message="requests: kmsMasterKeyId is unset",
    ),
    BASE.mutate(
        CMK,
        "queue on alias/aws/sqs",
        "requests-dlq",
        "kmsMasterKeyId",
        "alias/aws/sqs",
        message="alias/aws/sqs",
    ),
    BASE.mutate(
        CMK, "topic on alias/aws/sns", "replies", "kmsMasterKeyId", "alias/aws/sns", message="replies"
    ),
    BASE.mutate(
        CMK, "key ARN unknown at preview is enough", "replies", "kmsMasterKeyId", UNKNOWN, expect="pass"
    ),
    NO_KEY.mutate(
        CMK, "no CMK in the stack: not required", "replies", "kmsMasterKeyId", DELETE, expect="pass"
    ),
    NO_KEY.mutate(CMK, "required by pack config", "replies", "kmsMasterKeyId", DELETE, config=REQUIRED),
    DEV.mutate(CMK, "advisory on dev", "replies", "kmsMasterKeyId", "alias/aws/sns", level="advisory"),
    # SEC-QUEUE-BASELINE: TLS only for SNS publishers (cdk-nag AwsSolutions-SNS3)
    BASE.case(SNS_TLS),
    BASE.without(
        SNS_TLS,
        "topic without a policy",
        "replies-policy",
        level="mandatory",
        message="Topic replies has no policy that denies sns:Publish",
    ),
    INLINE_TOPIC_POLICY.without(SNS_TLS, "policy input on the topic", "replies-policy", expect="pass"),
    BASE.mutate(
        SNS_TLS,
        "policy only allows",
        "replies-policy",
        "policy",
        topic_policy(Effect="Allow", Principal={"AWS": "111122223333"}),
    ),
    BASE.mutate(
        SNS_TLS,
        "denies secure transport instead",
        "replies-policy",
        "policy",
        topic_policy(Condition={"Bool": {"aws:SecureTransport": "true"}}),
    ),
    BASE.mutate(
        SNS_TLS,
        "denies one principal only",
        "replies-policy",
        "policy",
        topic_policy(Principal={"AWS": "arn:aws:iam::111122223333:root"}),
    ),
    BASE.mutate(
        SNS_TLS, "denies subscribing only", "replies-policy", "policy", topic_policy(Action="sns:Subscribe")
    ),
    BASE.mutate(SNS_TLS, "sqs policy text on a topic", "replies-policy", "policy", deny_insecure(TOPIC_ARN)),
    BASE.mutate(
        SNS_TLS,
        "sns:* and list values",
        "replies-policy",
        "policy",
        topic_policy(
            Action=["sns:*"], Principal={"AWS": ["*"]}, Condition={"Bool": {"aws:SecureTransport": ["false"]}}
        ),
        expect="pass",
    ),
    BASE.mutate(SNS_TLS, "not a JSON document", "replies-policy", "policy", "{not json"),
    BASE.mutate(
        SNS_TLS, "policy unknown at preview", "replies-policy", "policy", UNKNOWN, expect="not-evaluated"
    ),
    UNLINKED_TOPIC_POLICY.case(SNS_TLS, "topic policy linked by known ARN"),
    UNLINKED_TOPIC_POLICY.mutate(
        SNS_TLS,
        "unlinked topic ARN unknown at preview",
        "replies-policy",
        "arn",
        UNKNOWN,
        expect="not-evaluated",
    ),
    UNLINKED_TOPIC_POLICY.mutate(
        SNS_TLS,
        "policy of another topic",
        "replies-policy",
        "arn",
        "arn:aws:sns:eu-west-1:111122223333:other",
        message="Topic replies",
    ),
    DEV.without(SNS_TLS, "advisory on dev", "replies-policy", level="advisory"),
]
