"""Aurora / RDS: encryption, CMKs, IAM auth, non-default identity, backups and no public access.

SEC-AURORA-ENCRYPTION, SEC-AURORA-CMK, SEC-AURORA-IAM-AUTH, SEC-AURORA-NONDEFAULT, SEC-AURORA-PRIVATE
(instances; the security groups in front of a database are checked in ``rds_network.py``) and the RDS half of
SEC-BACKUPS. Every token that creates the thing is checked: Aurora clusters and RDS instances alike
(a known gap of other packs, which check only ``rds.Instance``).
"""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs

from ..cmk import customer_managed_key_set
from ..metadata import Equivalents, RuleMeta, resource_policy
from ..props import check_all, is_present, require_known

CLUSTER = "aws:rds/cluster:Cluster"
INSTANCE = "aws:rds/instance:Instance"
GLOBAL_CLUSTER = "aws:rds/globalCluster:GlobalCluster"
CLUSTER_INSTANCE = "aws:rds/clusterInstance:ClusterInstance"
PROXY = "aws:rds/proxy:Proxy"
PROXY_ENDPOINT = "aws:rds/proxyEndpoint:ProxyEndpoint"

# Engine family -> default port. Engine names are matched by prefix (oracle-ee, sqlserver-se, ...).
DEFAULT_PORTS = (
    ("aurora-postgresql", 5432),
    ("postgres", 5432),
    ("aurora-mysql", 3306),
    ("aurora", 3306),  # legacy name of Aurora MySQL 5.6
    ("mysql", 3306),
    ("mariadb", 3306),
    ("oracle", 1521),
    ("sqlserver", 1433),
)
DEFAULT_USERNAMES = frozenset({"postgres", "admin", "root", "master", "sa"})
IAM_AUTH_ENGINES = frozenset({"aurora-postgresql", "postgres", "aurora-mysql", "aurora", "mysql", "mariadb"})
MIN_BACKUP_DAYS = 7
RDS_DOCS = "https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/"


def _engine(args: ResourceValidationArgs) -> str:
    """The engine, or not-applicable when the resource inherits it (restores and read replicas)."""
    engine = require_known(args.props, "engine")
    if not engine:
        args.not_applicable("engine is inherited from the snapshot or replication source")
    return str(engine)


def _username_path(resource_type: str) -> str:
    return "masterUsername" if resource_type == CLUSTER else "username"


ENCRYPTION = RuleMeta(
    name="rds-storage-encrypted",
    description=(
        "Aurora clusters, global clusters and RDS instances set storageEncrypted: true (an unencrypted "
        "database cannot be encrypted later, and restores or replicas do not change that)."
    ),
    severity="critical",
    catalogue_level="all",
    catalogue_ids=("SEC-AURORA-ENCRYPTION",),
    resource_types=(CLUSTER, INSTANCE, GLOBAL_CLUSTER),
    remediation="Set storageEncrypted=True (with kmsKeyId=<your aws.kms.Key>.arn) on the rds resource.",
    url=f"{RDS_DOCS}Overview.Encryption.html",
    equivalents=Equivalents(
        cdk_nag=("AwsSolutions-RDS2",),
        pdk_nag=("AwsPrototyping-RDSStorageEncrypted",),
        checkov=("CKV_AWS_16", "CKV_AWS_96"),
    ),
)


def validate_encryption(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if require_known(args.props, "storageEncrypted", False) is not True:
        report("storageEncrypted is not true; set it to true (it cannot be turned on after creation).", None)


CMK = RuleMeta(
    name="rds-customer-managed-key",
    description="Aurora clusters and RDS instances encrypt storage with a customer managed KMS key.",
    severity="high",
    catalogue_level="non-dev",
    catalogue_ids=("SEC-AURORA-CMK",),
    resource_types=(CLUSTER, INSTANCE),
    remediation="Set kmsKeyId=<your aws.kms.Key>.arn (not the AWS managed alias/aws/rds key).",
    url=f"{RDS_DOCS}Overview.Encryption.Keys.html",
    equivalents=Equivalents(checkov=("CKV_AWS_327", "CKV_AWS_79")),
)


def validate_cmk(args: ResourceValidationArgs, report: ReportViolation) -> None:
    # Presence is enough at preview: the ARN of a key created in the same stack is unknown then.
    if not customer_managed_key_set(args.props, "kmsKeyId"):
        report("kmsKeyId is not a customer managed key; set it to the ARN of an aws.kms.Key.", None)


IAM_AUTH = RuleMeta(
    name="rds-iam-authentication",
    description=(
        "PostgreSQL, MySQL and MariaDB clusters and instances (Aurora or not) enable IAM database "
        "authentication."
    ),
    severity="medium",
    catalogue_level="non-dev",
    catalogue_ids=("SEC-AURORA-IAM-AUTH",),
    resource_types=(CLUSTER, INSTANCE),
    remediation="Set iamDatabaseAuthenticationEnabled=True and grant rds-db:connect to the app's role.",
    url=f"{RDS_DOCS}UsingWithRDS.IAMDBAuth.html",
    equivalents=Equivalents(
        cdk_nag=("AwsSolutions-RDS6",),
        pdk_nag=("AwsPrototyping-AuroraMySQLPostgresIAMAuth",),
        checkov=("CKV_AWS_161", "CKV_AWS_162"),
    ),
)


def validate_iam_auth(args: ResourceValidationArgs, report: ReportViolation) -> None:
    engine = _engine(args)
    if engine not in IAM_AUTH_ENGINES:
        args.not_applicable(f"engine {engine!r} does not support IAM database authentication")
    if require_known(args.props, "iamDatabaseAuthenticationEnabled", False) is not True:
        report(f"iamDatabaseAuthenticationEnabled is not true on this {engine} database; set it true.", None)


NON_DEFAULT = RuleMeta(
    name="rds-non-default-identity",
    description=(
        "Databases listen on a non-default port and use a non-default master user name (not postgres, "
        "admin, root, master or sa). A port left unset is the engine's default."
    ),
    severity="low",
    catalogue_level="non-dev",
    catalogue_ids=("SEC-AURORA-NONDEFAULT",),
    resource_types=(CLUSTER, INSTANCE),
    remediation=(
        "Set port to a non-default value (e.g. 15432) and masterUsername (cluster) / username (instance) "
        "to an application-specific name."
    ),
    url=f"{RDS_DOCS}CHAP_Limits.html",
    equivalents=Equivalents(cdk_nag=("AwsSolutions-RDS11",)),
)


def _default_port(engine: str) -> int | None:
    return next((port for prefix, port in DEFAULT_PORTS if engine.startswith(prefix)), None)


def validate_non_default(args: ResourceValidationArgs, report: ReportViolation) -> None:
    engine = _engine(args)
    props = args.props

    def port() -> None:
        default = _default_port(engine)
        if default is None or (args.resource_type == INSTANCE and is_present(props, "replicateSourceDb")):
            return  # a read replica listens on its source's port, which is checked on the source
        value = require_known(props, "port")
        if value is None or int(value) == default:
            shown = "unset (the default)" if value is None else str(int(value))
            report(f"port is {shown}; {engine} defaults to {default}, set another port.", None)

    def username() -> None:
        path = _username_path(args.resource_type)
        value = require_known(props, path)
        if isinstance(value, str) and value.lower() in DEFAULT_USERNAMES:
            allowed = ", ".join(sorted(DEFAULT_USERNAMES))
            report(f"{path} is {value!r}, a default name; use one that is not {allowed}.", None)

    check_all(port, username)


PUBLIC = RuleMeta(
    name="rds-not-publicly-accessible",
    description="No RDS instance or Aurora cluster instance is publicly accessible.",
    severity="critical",
    catalogue_level="all",
    catalogue_ids=("SEC-AURORA-PRIVATE",),
    resource_types=(INSTANCE, CLUSTER_INSTANCE),
    remediation="Set publiclyAccessible=False and place the database in private subnets.",
    url=f"{RDS_DOCS}USER_VPC.WorkingWithRDSInstanceinaVPC.html",
    equivalents=Equivalents(
        cdk_nag=("AwsSolutions-RDS8",),
        pdk_nag=("AwsPrototyping-RDSInstancePublicAccess",),
        checkov=("CKV_AWS_17",),
    ),
)


def validate_public(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if require_known(args.props, "publiclyAccessible", False) is True:
        report("publiclyAccessible is true; set it to false (reach the database from the VPC only).", None)


BACKUPS = RuleMeta(
    name="rds-backup-retention",
    description=(
        f"Aurora clusters and RDS instances keep automated backups for at least {MIN_BACKUP_DAYS} days "
        "(backupRetentionPeriod unset means 1 day). Read replicas are exempt: their source is backed up."
    ),
    severity="medium",
    catalogue_level="non-dev",
    catalogue_ids=("SEC-BACKUPS",),
    resource_types=(CLUSTER, INSTANCE),
    remediation=f"Set backupRetentionPeriod to {MIN_BACKUP_DAYS} or more (the chatbot reference uses 35).",
    url=f"{RDS_DOCS}Aurora.Managing.Backups.html",
    equivalents=Equivalents(
        cdk_nag=("AwsSolutions-RDS13",),
        checkov=("CKV_AWS_133",),
    ),
)


def validate_backups(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type == INSTANCE and is_present(args.props, "replicateSourceDb"):
        args.not_applicable("read replicas are restored from their source's backups")
    days = require_known(args.props, "backupRetentionPeriod", 1)
    if days < MIN_BACKUP_DAYS:
        report(f"backupRetentionPeriod is {int(days)} day(s); set it to {MIN_BACKUP_DAYS} or more.", None)


POLICIES = [
    resource_policy(ENCRYPTION, validate_encryption),
    resource_policy(CMK, validate_cmk),
    resource_policy(IAM_AUTH, validate_iam_auth),
    resource_policy(NON_DEFAULT, validate_non_default),
    resource_policy(PUBLIC, validate_public),
    resource_policy(BACKUPS, validate_backups),
]
