"""S3: every bucket policy denies plain-HTTP requests (SEC-S3-BASELINE, s3-deny-insecure-transport).

A stack policy: the policy can be the bucket's own ``policy`` input or a separate aws.s3.BucketPolicy.
"""

from __future__ import annotations

from fnmatch import fnmatchcase

from pulumi_policy import PolicyResource, ReportViolation
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError

from ..metadata import Equivalents, RuleMeta, stack_policy
from ..policy_documents import Statement, denies_insecure_transport, parse_document
from ..props import is_present, is_unknown_value, known, plain, require_known
from .s3_common import BUCKET_POLICY, BUCKETS, S3_URL, Resources, bucket_names, each_bucket, linked

TLS_META = RuleMeta(
    name="s3-deny-insecure-transport",
    description="Every S3 bucket policy denies requests without TLS (aws:SecureTransport false).",
    severity="high",
    catalogue_level="all",
    catalogue_ids=("SEC-S3-BASELINE",),
    resource_types=(*BUCKETS, BUCKET_POLICY),
    remediation=(
        "Attach an aws.s3.BucketPolicy (or the bucket's policy input) with a statement Effect Deny, "
        'Principal "*", Action "s3:*", Resource [bucket.arn, bucket.arn + "/*"] and Condition '
        '{"Bool": {"aws:SecureTransport": "false"}}; build it with pulumi.Output.json_dumps.'
    ),
    url=f"{S3_URL}/security-best-practices.html",
    equivalents=Equivalents(
        cdk_nag=("AwsSolutions-S10",),
        pdk_nag=("AwsPrototyping-S3BucketSSLRequestsOnly",),
        checkov=("CKV2_AWS_69",),
    ),
)


def _bucket_arn(bucket: PolicyResource) -> str | None:
    arn = known(bucket.props, "arn")
    if arn:
        return str(arn)
    names = sorted(bucket_names(bucket))
    return f"arn:aws:s3:::{names[0]}" if names else None


def _covers(patterns: tuple[str, ...], arn: str | None) -> bool:
    """The statement names the bucket and all its objects (IAM wildcards allowed)."""
    if any(is_unknown_value(p) for p in patterns):
        raise UnknownValueError(UNKNOWN_STRING_VALUE, ["policy", "Resource"])
    if arn is None:
        # The bucket's name is unknown: only a wildcard that matches any bucket can be judged now.
        arn = "arn:aws:s3:::\x00"
        if not any(fnmatchcase(arn, p) and fnmatchcase(f"{arn}/\x00", p) for p in patterns):
            raise UnknownValueError(UNKNOWN_STRING_VALUE, ["arn"])
    return any(fnmatchcase(arn, p) for p in patterns) and any(fnmatchcase(f"{arn}/x", p) for p in patterns)


def _denies_insecure(statement: Statement, arn: str | None) -> bool:
    return denies_insecure_transport(statement, "s3:*") and _covers(statement.resources, arn)


def _check_tls(bucket: PolicyResource, resources: Resources, report: ReportViolation) -> None:
    links = linked(resources, (BUCKET_POLICY,), bucket)
    holders = [(f"{bucket.name}.policy", bucket)] if is_present(bucket.props, "policy") else []
    holders += [(f"{p.name}.policy", p) for p in links.matches]
    problems: list[str] = []
    pending: UnknownValueError | None = None
    for label, holder in holders:
        try:
            statements = parse_document(plain(require_known(holder.props, "policy")))
            verdict = any(_denies_insecure(s, _bucket_arn(bucket)) for s in statements)
        except UnknownValueError as error:
            pending = pending or error
            continue
        except ValueError as error:
            problems.append(f"{label} is not a policy document ({error})")
            continue
        if verdict:
            return
        problems.append(f"{label} has no such Deny statement")
    if pending is not None:
        raise pending
    if not links.matches:
        links.defer("bucket")
    detail = "; ".join(problems) if problems else "no bucket policy refers to it"
    report(
        f"Bucket {bucket.name} accepts plain-HTTP requests: {detail}. A statement must Deny s3:* to "
        'Principal "*" on the bucket and its objects when aws:SecureTransport is "false".',
        bucket.urn,
    )


POLICIES = [stack_policy(TLS_META, each_bucket(_check_tls))]
