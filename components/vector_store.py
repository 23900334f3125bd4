"""AuroraVectorStore: the retrieval database (Aurora PostgreSQL Serverless v2 + pgvector) and its migrations.

Secure by nothing-to-switch-off: storage is encrypted (with the CMK when given), TLS is forced by the
parameter group (rds.force_ssl), IAM database authentication is on, the port and master user are not the
defaults, RDS owns the master password (Secrets Manager, rotated on a schedule) and the database sits in
isolated subnets behind a security group that admits only its clients' group on its port. `retain` adds
deletion protection, a final snapshot, kept automated backups and `protect`.

The migration step (components/vector_store_migration.py) runs the migrations on every `pulumi up`.
`data_api` turns on the RDS Data API (enable_http_endpoint), which a Bedrock knowledge base backed by this
database needs; `knowledge_base` makes the migration step prepare its table, user and secret. Give the
knowledge base `depends_on=[store.migration]`: the table must exist before Bedrock checks it.

RDS may apply minor version upgrades in the maintenance window (auto_minor_version_upgrade); set
engine_version to the new version afterwards, or Pulumi would propose going back to the old one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pulumi
import pulumi_aws as aws

from components.database_access import APP_USER, DATABASE_NAME, DatabaseAccess
from components.naming import resource_name
from components.settings.fields.rag import ENGINE_VERSIONS, valid_master_user, valid_min_acu, valid_port
from components.vector_store_migration import MIGRATIONS_DIR, KnowledgeBaseTable, migration_step

if TYPE_CHECKING:
    from components.network import Network
    from components.settings import StackSettings

ENGINE = "aurora-postgresql"
HTTPS = 443
BACKUP_WINDOW = "03:00-04:00"  # UTC; must not overlap the maintenance window
MAINTENANCE_WINDOW = "sun:04:30-sun:05:30"
PERFORMANCE_INSIGHTS_DAYS = 7  # the free retention
# Logging: who connected and when, never statement text (it carries document text and embeddings).
PARAMETERS: dict[str, str] = {
    "rds.force_ssl": "1",
    "log_connections": "1",
    "log_disconnections": "1",
    "log_statement": "none",
    "log_min_duration_statement": "-1",
    "log_min_error_statement": "panic",  # the text of a failing statement is data too
}


def parameter_family(engine_version: str) -> str:
    """aurora-postgresql16 for 16.x: the parameter group family of an engine version."""
    return f"{ENGINE}{engine_version.split('.')[0]}"


def master_secret_arn(secrets: Sequence[Any] | None) -> str:
    # RDS always returns one secret when it manages the password; mocks (offline preview) return none.
    return str(secrets[0].secret_arn) if secrets else ""


@dataclass(frozen=True)
class AuroraVectorStoreArgs:
    """`kms_key_arn` None means AWS managed keys (aws/rds, aws/secretsmanager): dev stacks only."""

    prefix: str
    stack: str
    region: str
    vpc_id: pulumi.Input[str]
    vpc_cidr: pulumi.Input[str]
    isolated_subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]]  # the database
    private_subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]]  # its client functions
    code: pulumi.Input[pulumi.Archive]
    kms_key_arn: pulumi.Input[str] | None
    logs_kms_key_arn: pulumi.Input[str] | None
    log_retention_days: int
    retain: bool
    xray_tracing: bool = False
    engine_version: str = "16.10"
    min_acu: float = 0.0
    max_acu: float = 4.0
    auto_pause_seconds: int = 300
    port: int = 5433
    master_username: str = "chatbot_owner"
    backup_retention_days: int = 7
    secret_rotation_days: int = 30
    app_user: str = APP_USER
    migrations_dir: Path = MIGRATIONS_DIR
    run_id: str = field(default_factory=lambda: datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
    migration_depends_on: Sequence[pulumi.Resource] = ()  # e.g. the network (its secretsmanager endpoint)
    data_api: bool = False
    knowledge_base: KnowledgeBaseTable | None = None

    def __post_init__(self) -> None:
        problems = []
        if self.engine_version not in ENGINE_VERSIONS:
            problems.append(f"engine_version must be one of {list(ENGINE_VERSIONS)}")
        if not valid_min_acu(self.min_acu):
            problems.append("min_acu must be 0 or 0.5..256 in steps of 0.5")
        max_acu = self.max_acu
        if not (1 <= max_acu <= 256 and (max_acu * 2).is_integer() and max_acu >= self.min_acu):
            problems.append("max_acu must be 1..256 in steps of 0.5 and at least min_acu")
        if not 300 <= self.auto_pause_seconds <= 86_400:
            problems.append("auto_pause_seconds must be 300..86400")
        if not valid_port(self.port):
            problems.append("port must be 1150..65535 and not 5432 (SEC-AURORA-NONDEFAULT)")
        if not valid_master_user(self.master_username):
            problems.append(
                "master_username must be 3-16 of [a-z0-9_], not a default name (SEC-AURORA-NONDEFAULT)")
        if not 1 <= self.backup_retention_days <= 35:
            problems.append("backup_retention_days must be 1..35")
        if not 1 <= self.secret_rotation_days <= 365:
            problems.append("secret_rotation_days must be 1..365")
        if self.knowledge_base is not None and not self.data_api:
            problems.append("data_api must be true when knowledge_base is set (Bedrock reaches the table "
                            "through the RDS Data API)")
        if problems:
            raise ValueError("; ".join(problems))

    @classmethod
    def from_settings(
        cls,
        settings: StackSettings,
        *,
        network: Network,
        code: pulumi.Input[pulumi.Archive],
        kms_key_arn: pulumi.Input[str] | None,
        logs_kms_key_arn: pulumi.Input[str] | None,
    ) -> AuroraVectorStoreArgs:
        return cls(
            prefix=settings.prefix, stack=settings.stack, region=settings.region, vpc_id=network.vpc_id,
            vpc_cidr=network.vpc_cidr, isolated_subnet_ids=network.isolated_subnet_ids,
            private_subnet_ids=network.private_subnet_ids, code=code, kms_key_arn=kms_key_arn,
            logs_kms_key_arn=logs_kms_key_arn, log_retention_days=settings.log_retention_days,
            retain=settings.retain_data, xray_tracing=settings.xray_tracing,
            engine_version=settings.rag_db_engine_version, min_acu=settings.rag_db_min_acu,
            max_acu=float(settings.rag_db_max_acu), auto_pause_seconds=settings.rag_db_auto_pause_seconds,
            port=settings.rag_db_port, master_username=settings.rag_db_master_user,
            backup_retention_days=settings.rag_db_backup_retention_days,
            secret_rotation_days=settings.rag_db_secret_rotation_days, migration_depends_on=(network,),
        )

    @property
    def cluster_identifier(self) -> str:
        return resource_name(self.prefix, self.stack, "rag")


class AuroraVectorStore(pulumi.ComponentResource):
    cluster: aws.rds.Cluster
    instance: aws.rds.ClusterInstance
    migration: aws.lambda_.Invocation
    cluster_arn: pulumi.Output[str]
    database_name: str
    cluster_resource_id: pulumi.Output[str]
    endpoint: pulumi.Output[str]
    port: int
    master_secret_arn: pulumi.Output[str]
    client_security_group_id: pulumi.Output[str]
    access: DatabaseAccess

    def __init__(
        self, name: str, args: AuroraVectorStoreArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("chatbot:rag:AuroraVectorStore", name, None, opts)
        self._name, self._args = name, args
        rules = self._security_groups()
        self._cluster()
        self.migration = migration_step(
            self, name, args, host=self.cluster.endpoint, master_secret_arn=self.master_secret_arn,
            client_security_group_id=self.client_security_group_id,
            depends_on=[self.instance, self._rotation, *rules])
        self.cluster_arn = self.cluster.arn
        self.database_name = DATABASE_NAME
        self.cluster_resource_id = self.cluster.cluster_resource_id
        self.endpoint = self.cluster.endpoint
        self.port = args.port
        self.access = DatabaseAccess(
            host=self.endpoint, port=args.port, cluster_resource_id=self.cluster_resource_id,
            client_security_group_id=self.client_security_group_id, subnet_ids=args.private_subnet_ids,
            app_user=args.app_user,
        )
        self.register_outputs({
            "cluster_arn": self.cluster_arn,
            "database_name": self.database_name,
            "cluster_resource_id": self.cluster_resource_id,
            "endpoint": self.endpoint,
            "port": self.port,
            "master_secret_arn": self.master_secret_arn,
            "client_security_group_id": self.client_security_group_id,
        })

    def _opts(self, **extra: Any) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self, **extra)

    def _security_groups(self) -> list[pulumi.Resource]:
        """The database admits its clients' group on its port; the clients reach only the database, the
        interface endpoints (HTTPS in the VPC) and the S3 / DynamoDB gateways. Nothing admits 0.0.0.0/0."""
        name, args = self._name, self._args
        base = args.cluster_identifier
        self._db_group = aws.ec2.SecurityGroup(
            f"{name}-db-sg", vpc_id=args.vpc_id, tags={"Name": f"{base}-db"},
            description=f"{args.prefix} {args.stack} vector database: its clients only, on its port",
            opts=self._opts())  # no egress rules: the database opens no connections
        clients = aws.ec2.SecurityGroup(
            f"{name}-clients-sg", vpc_id=args.vpc_id, tags={"Name": f"{base}-clients"},
            description=f"{args.prefix} {args.stack} vector database clients (functions)",
            opts=self._opts())
        self.client_security_group_id = clients.id
        rules: list[pulumi.Resource] = [
            aws.vpc.SecurityGroupIngressRule(
                f"{name}-db-from-clients", security_group_id=self._db_group.id,
                referenced_security_group_id=clients.id, from_port=args.port, to_port=args.port,
                description="PostgreSQL from the database clients", ip_protocol="tcp", opts=self._opts()),
            aws.vpc.SecurityGroupEgressRule(
                f"{name}-clients-to-db", security_group_id=clients.id,
                referenced_security_group_id=self._db_group.id, from_port=args.port, to_port=args.port,
                description="PostgreSQL to the vector database", ip_protocol="tcp", opts=self._opts()),
            aws.vpc.SecurityGroupEgressRule(
                f"{name}-clients-to-endpoints", security_group_id=clients.id, cidr_ipv4=args.vpc_cidr,
                from_port=HTTPS, to_port=HTTPS, description="HTTPS to the VPC's interface endpoints",
                ip_protocol="tcp", opts=self._opts()),
        ]
        for service in ("s3", "dynamodb"):
            prefix_list = aws.ec2.get_managed_prefix_list_output(
                name=f"com.amazonaws.{args.region}.{service}", opts=pulumi.InvokeOptions(parent=self))
            rules.append(aws.vpc.SecurityGroupEgressRule(
                f"{name}-clients-to-{service}", security_group_id=clients.id,
                prefix_list_id=prefix_list.id, from_port=HTTPS, to_port=HTTPS,
                description=f"HTTPS to the {service} gateway endpoint", ip_protocol="tcp", opts=self._opts()))
        return rules

    def _cluster(self) -> None:
        name, args = self._name, self._args
        identifier = args.cluster_identifier
        subnets = aws.rds.SubnetGroup(
            f"{name}-subnets", subnet_ids=args.isolated_subnet_ids,
            description=f"{args.prefix} {args.stack} vector database: isolated subnets", opts=self._opts())
        parameters = aws.rds.ClusterParameterGroup(
            f"{name}-params", family=parameter_family(args.engine_version),
            description=f"{args.prefix} {args.stack} vector database: TLS only, connection logging",
            parameters=[aws.rds.ClusterParameterGroupParameterArgs(name=k, value=v, apply_method="immediate")
                        for k, v in PARAMETERS.items()],
            opts=self._opts())
        # The group RDS would create for the exported logs never expires: create it first, with retention.
        logs = aws.cloudwatch.LogGroup(
            f"{name}-logs", name=f"/aws/rds/cluster/{identifier}/postgresql",
            retention_in_days=args.log_retention_days, kms_key_id=args.logs_kms_key_arn,
            opts=self._opts(protect=args.retain, retain_on_delete=args.retain))
        pausing = args.min_acu == 0
        self.cluster = aws.rds.Cluster(
            f"{name}-cluster",
            cluster_identifier=identifier,
            engine=ENGINE,
            engine_mode="provisioned",
            engine_version=args.engine_version,
            database_name=DATABASE_NAME,
            port=args.port,
            master_username=args.master_username,
            manage_master_user_password=True,
            master_user_secret_kms_key_id=args.kms_key_arn,
            storage_encrypted=True,
            kms_key_id=args.kms_key_arn,
            iam_database_authentication_enabled=True,
            serverlessv2_scaling_configuration=aws.rds.ClusterServerlessv2ScalingConfigurationArgs(
                min_capacity=args.min_acu, max_capacity=args.max_acu,
                seconds_until_auto_pause=args.auto_pause_seconds if pausing else None),
            db_subnet_group_name=subnets.name,
            db_cluster_parameter_group_name=parameters.name,
            vpc_security_group_ids=[self._db_group.id],
            backup_retention_period=args.backup_retention_days,
            preferred_backup_window=BACKUP_WINDOW,
            preferred_maintenance_window=MAINTENANCE_WINDOW,
            copy_tags_to_snapshot=True,
            deletion_protection=args.retain,
            skip_final_snapshot=not args.retain,
            final_snapshot_identifier=f"{identifier}-final" if args.retain else None,
            delete_automated_backups=not args.retain,
            enabled_cloudwatch_logs_exports=["postgresql"],
            enable_http_endpoint=True if args.data_api else None,
            # The identifier is fixed (the log group is named after it), so a dev replacement must delete
            # first; a retained cluster is protected and never replaced.
            opts=self._opts(protect=args.retain, retain_on_delete=args.retain, depends_on=[logs],
                            delete_before_replace=True),
        )
        self.instance = aws.rds.ClusterInstance(
            f"{name}-instance-1",
            cluster_identifier=self.cluster.id,
            engine=ENGINE,
            engine_version=self.cluster.engine_version,
            instance_class="db.serverless",
            publicly_accessible=False,
            auto_minor_version_upgrade=True,
            copy_tags_to_snapshot=True,
            performance_insights_enabled=True,
            performance_insights_kms_key_id=args.kms_key_arn,
            performance_insights_retention_period=PERFORMANCE_INSIGHTS_DAYS,
            opts=self._opts(),
        )
        self.master_secret_arn = self.cluster.master_user_secrets.apply(master_secret_arn)
        self._rotation = aws.secretsmanager.SecretRotation(
            f"{name}-master-rotation",
            secret_id=self.master_secret_arn,
            # No rotation_lambda_arn: RDS manages this secret and rotates it itself, on this schedule.
            rotation_rules=aws.secretsmanager.SecretRotationRotationRulesArgs(
                automatically_after_days=args.secret_rotation_days),
            rotate_immediately=False,  # not while the first migration reads the password
            opts=self._opts(),
        )
