"""Secrets Manager: database credentials rotate (SEC-SECRET-ROTATION) and secrets use CMKs (SEC-CMK-AT-REST).

A database credential is rotated by RDS itself when the database sets ``manageMasterUserPassword`` (no
``Secret`` resource in the stack). Any other database credential lives in an ``aws.secretsmanager.Secret``
that needs an ``aws.secretsmanager.SecretRotation``.
"""

from __future__ import annotations

import re
from functools import partial

from pulumi_policy import (
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    StackValidationArgs,
)
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError

from ..cmk import cmk_required, customer_managed_key_set
from ..links import dependency_urns, refers_to, values_at
from ..metadata import Equivalents, RuleMeta, resource_policy, stack_policy
from ..props import check_all, is_present, known, require_known
from .rds import CLUSTER, INSTANCE, PROXY

# Resource tokens, not credentials (ruff S105 and bandit B105 match on the word "secret").
SECRET = "aws:secretsmanager/secret:Secret"  # noqa: S105  # nosec B105
SECRET_VERSION = "aws:secretsmanager/secretVersion:SecretVersion"  # noqa: S105  # nosec B105
ROTATION = "aws:secretsmanager/secretRotation:SecretRotation"
PASSWORDS = {CLUSTER: ("masterPassword", "masterPasswordWo"), INSTANCE: ("password", "passwordWo")}
# A database word as a whole token of a name, description or tag value ("prod-aurora-master", "db/creds").
DB_WORDS = re.compile(
    r"(?i)(?<![a-z])(db|database|rds|aurora|postgres(ql)?|pg|pgvector|mysql|mariadb)(?![a-z])"
)
_SM_DOCS = "https://docs.aws.amazon.com/secretsmanager/latest/userguide/"

MANAGED_PASSWORD = RuleMeta(
    name="rds-managed-master-password",
    description=(
        "Aurora clusters and RDS instances let RDS manage and rotate the master password "
        "(manageMasterUserPassword) instead of taking a static one (masterPassword / password, or their "
        "write-only *Wo variants)."
    ),
    severity="high",
    catalogue_level="non-dev",
    catalogue_ids=("SEC-SECRET-ROTATION",),
    resource_types=(CLUSTER, INSTANCE),
    remediation=(
        "Remove masterPassword / password and set manageMasterUserPassword=True (optionally "
        "masterUserSecretKmsKeyId=<your aws.kms.Key>.arn); read the secret from masterUserSecrets."
    ),
    url="https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/rds-secrets-manager.html",
    equivalents=Equivalents(
        cdk_nag=("AwsSolutions-SMG4",), pdk_nag=("AwsPrototyping-SecretsManagerRotationEnabled",)
    ),
)


def validate_managed_password(args: ResourceValidationArgs, report: ReportViolation) -> None:
    # Presence is all that matters (the value is a secret, often unknown at preview).
    for path in PASSWORDS[args.resource_type]:
        if is_present(args.props, path):
            report(
                f"{path} sets a static master password that never rotates; remove it and set "
                "manageMasterUserPassword to true.",
                None,
            )


ROTATION_META = RuleMeta(
    name="db-secret-rotation",
    description=(
        "Every Secrets Manager secret holding database credentials has an enabled SecretRotation. A "
        "secret counts as a database credential when an RDS proxy authenticates with it "
        "(auths[].secretArn); when a cluster's or instance's password is computed from it, from one of "
        "its SecretVersions, or from the same source (e.g. a random.RandomPassword) as one of its "
        "SecretVersions' secretString; or when its name, namePrefix, description or a tag value names a "
        "database as a whole word (db, database, rds, aurora, postgres(ql), pg, pgvector, mysql, mariadb)."
    ),
    severity="high",
    catalogue_level="non-dev",
    catalogue_ids=("SEC-SECRET-ROTATION",),
    resource_types=(SECRET, SECRET_VERSION, ROTATION, CLUSTER, INSTANCE, PROXY),
    remediation=(
        "Add aws.secretsmanager.SecretRotation(secret_id=<secret>.id, rotation_lambda_arn=<rotation "
        "function>, rotation_rules={'automatically_after_days': 30}), or let RDS own the credential "
        "(manageMasterUserPassword=True)."
    ),
    url=f"{_SM_DOCS}rotate-secrets_turn-on-for-db.html",
    equivalents=Equivalents(
        cdk_nag=("AwsSolutions-SMG4",),
        pdk_nag=("AwsPrototyping-SecretsManagerRotationEnabled",),
        checkov=("CKV2_AWS_57",),
    ),
)


def _named_for_database(secret: PolicyResource) -> bool:
    texts = [known(secret.props, p) for p in ("name", "namePrefix", "description")]
    tags = known(secret.props, "tags")
    if tags is not None:
        texts += [known(tags, [key]) for key in tags]
    return any(isinstance(t, str) and DB_WORDS.search(t) for t in texts)


def _used_by_database(
    secret: PolicyResource, versions: list[PolicyResource], dbs: list[PolicyResource]
) -> str | None:
    """What makes ``secret`` a database credential, or ``None``."""
    mine = [v for v in versions if refers_to(v, "secretId", secret)]
    for db in dbs:
        if db.resource_type == PROXY:
            if refers_to(db, "auths", secret, values=values_at(db.props, "auths[].secretArn")):
                return f"RDS proxy {db.name} authenticates with it"
            continue
        sources = set().union(*(dependency_urns(db, p) for p in PASSWORDS[db.resource_type]))
        if secret.urn in sources or any(v.urn in sources for v in mine):
            return f"{db.name}'s password is read from it"
        if any(sources & dependency_urns(v, "secretString") for v in mine):
            return f"{db.name}'s password comes from the same source as its value"
    return "its name, description or tags name a database" if _named_for_database(secret) else None


def _rotation_verdict(rotation: PolicyResource, secret: PolicyResource) -> bool | None:
    target = refers_to(rotation, "secretId", secret, ("id", "arn", "name"))
    if not target:
        return target
    return require_known(rotation.props, "rotationEnabled", True) is not False


def validate_rotation(args: StackValidationArgs, report: ReportViolation) -> None:
    resources = args.resources
    versions = [r for r in resources if r.resource_type == SECRET_VERSION]
    rotations = [r for r in resources if r.resource_type == ROTATION]
    dbs = [r for r in resources if r.resource_type in (CLUSTER, INSTANCE, PROXY)]

    def check(secret: PolicyResource) -> None:
        why = _used_by_database(secret, versions, dbs)
        if why is None:
            return
        verdicts = [_rotation_verdict(r, secret) for r in rotations]
        if any(verdicts):
            return
        if any(v is None for v in verdicts):
            raise UnknownValueError(UNKNOWN_STRING_VALUE, [secret.name, "secretId"])
        report(
            f"Secret {secret.name} holds database credentials ({why}) but no enabled "
            "aws.secretsmanager.SecretRotation has secretId pointing at it; add one.",
            secret.urn,
        )

    check_all(*(partial(check, s) for s in resources if s.resource_type == SECRET))


CMK_META = RuleMeta(
    name="secret-customer-managed-key",
    description=(
        "When the stack uses customer managed keys (see stack-profile customerManagedKeys), every Secrets "
        "Manager secret is encrypted with one (kmsKeyId), not the AWS managed aws/secretsmanager key."
    ),
    severity="medium",
    catalogue_level="non-dev",
    catalogue_ids=("SEC-CMK-AT-REST",),
    resource_types=(SECRET,),
    remediation="Set kms_key_id=<your aws.kms.Key>.arn on the aws.secretsmanager.Secret.",
    url=f"{_SM_DOCS}security-encryption.html",
    equivalents=Equivalents(checkov=("CKV_AWS_149",)),
)


def validate_cmk(args: StackValidationArgs, report: ReportViolation) -> None:
    if not cmk_required(args):
        return
    for secret in args.resources:
        if secret.resource_type == SECRET and not customer_managed_key_set(secret.props, "kmsKeyId"):
            report(
                f"Secret {secret.name} has no customer managed kmsKeyId (it uses aws/secretsmanager); "
                "set kmsKeyId to your KMS key's ARN.",
                secret.urn,
            )


POLICIES = [
    resource_policy(MANAGED_PASSWORD, validate_managed_password),
    stack_policy(ROTATION_META, validate_rotation),
    stack_policy(CMK_META, validate_cmk),
]
