"""AuroraVectorStore: encryption, IAM auth, non-default identity, a rotated RDS-managed secret, closed
security groups, retention outside dev, auto-pause in dev, and the migration step run on every deploy."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pulumi
import pytest

from components.knowledge_base import (
    KnowledgeBaseSecret,
    KnowledgeBaseSecretArgs,
    StackKnowledgeBase,
    StackKnowledgeBaseArgs,
)
from components.vector_store import AuroraVectorStore, AuroraVectorStoreArgs
from components.vector_store_migration import KnowledgeBaseTable, migration_checksums

from . import conftest as infra
from .conftest import ACCOUNT_ID, Harness, prod_settings

CLUSTER = "aws:rds/cluster:Cluster"
INSTANCE = "aws:rds/clusterInstance:ClusterInstance"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
GROUP = "aws:ec2/securityGroup:SecurityGroup"
INVOCATION = "aws:lambda/invocation:Invocation"
ROTATION = "aws:secretsmanager/secretRotation:SecretRotation"
REGION = "eu-west-1"
KMS = f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/data"
LOGS_KMS = f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/logs"
SECRET = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT_ID}:secret:rds!cluster-1234-AbCdEf"
PREFIX_LISTS = {
    f"com.amazonaws.{REGION}.s3": "pl-6ea54007",
    f"com.amazonaws.{REGION}.dynamodb": "pl-b3a742da",
}
PREFIX_LIST_INVOKE = "aws:ec2/getManagedPrefixList:getManagedPrefixList"
RUN = "2030-01-02T03:04:05Z"


@pytest.fixture
def mocks(pulumi_mocks, monkeypatch: pytest.MonkeyPatch):
    """The shared harness, plus what RDS and EC2 answer here: the managed secret, prefix lists, and each
    registration's dependencies (URNs)."""
    computed, call = infra._computed_outputs, infra.RecordingMocks.call
    register = infra.RecordingMonitor.RegisterResource
    dependencies: dict[str, list[str]] = {}

    def with_secret(typ: str, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        resource_id, outputs = computed(typ, name, inputs)
        if typ == CLUSTER:
            outputs = {**outputs, "masterUserSecrets": [{"secretArn": SECRET, "kmsKeyId": KMS}]}
        return resource_id, outputs

    def prefix_list(self: Any, args: Any) -> Any:
        if args.token == PREFIX_LIST_INVOKE:
            return {"id": PREFIX_LISTS[args.args["name"]], "name": args.args["name"]}, []
        return call(self, args)

    def recording(self: Any, request: Any) -> Any:
        response = register(self, request)
        dependencies[request.name] = list(request.dependencies)
        return response

    monkeypatch.setattr(infra, "_computed_outputs", with_secret)
    monkeypatch.setattr(infra.RecordingMocks, "call", prefix_list)
    monkeypatch.setattr(infra.RecordingMonitor, "RegisterResource", recording)

    def start(stack: str, preview: bool = False) -> tuple[Harness, dict[str, list[str]]]:
        return pulumi_mocks(stack, preview=preview), dependencies

    return start


def args(**overrides: Any) -> AuroraVectorStoreArgs:
    values: dict[str, Any] = {
        "prefix": "chatbot", "stack": "prod", "region": REGION, "vpc_id": "vpc-0123456789abcdef0",
        "vpc_cidr": "10.0.0.0/16", "isolated_subnet_ids": ["subnet-i1", "subnet-i2"],
        "private_subnet_ids": ["subnet-p1", "subnet-p2"], "code": pulumi.AssetArchive({}),
        "kms_key_arn": KMS, "logs_kms_key_arn": LOGS_KMS, "log_retention_days": 365, "retain": True,
        "min_acu": 0.5, "run_id": RUN,
    }
    return AuroraVectorStoreArgs(**{**values, **overrides})


def dev_args(**overrides: Any) -> AuroraVectorStoreArgs:
    return args(**{"stack": "dev", "kms_key_arn": None, "logs_kms_key_arn": None, "log_retention_days": 7,
                   "retain": False, "min_acu": 0.0, **overrides})


def build(harness: Harness, store_args: AuroraVectorStoreArgs) -> dict[str, Any]:
    def program() -> pulumi.Output[dict[str, Any]]:
        store = AuroraVectorStore("rag-db", store_args)
        access = store.access
        return pulumi.Output.all(
            endpoint=store.endpoint, secret=store.master_secret_arn, clients=store.client_security_group_id,
            resource_id=store.cluster_resource_id, arn=store.cluster_arn, env=access.environment(),
            connect=access.connect_arn("aws", REGION, ACCOUNT_ID), port=store.port,
        )

    return harness.run(program)


def group_ids(harness: Harness) -> dict[str, str]:
    return {g.name.removeprefix("rag-db-"): f"{g.name}-id" for g in harness.of_type(GROUP)}


def test_storage_is_encrypted_with_the_cmk_and_logins_use_iam(mocks) -> None:
    harness, _ = mocks("prod")
    build(harness, args())
    cluster = harness.one(CLUSTER).inputs
    assert cluster["engine"] == "aurora-postgresql" and cluster["engineMode"] == "provisioned"
    assert cluster["storageEncrypted"] is True and cluster["kmsKeyId"] == KMS
    assert cluster["iamDatabaseAuthenticationEnabled"] is True
    assert cluster["databaseName"] == "chatbot"
    assert cluster["enabledCloudwatchLogsExports"] == ["postgresql"]
    assert cluster["backupRetentionPeriod"] == 7 and cluster["copyTagsToSnapshot"] is True
    instance = harness.one(INSTANCE).inputs
    assert instance["instanceClass"] == "db.serverless" and instance["publiclyAccessible"] is False
    assert instance["performanceInsightsEnabled"] is True and instance["performanceInsightsKmsKeyId"] == KMS
    assert instance["autoMinorVersionUpgrade"] is True
    assert instance["clusterIdentifier"] == "rag-db-cluster-id"  # the cluster's id: a real dependency


def test_tls_is_forced_and_statement_text_is_never_logged(mocks) -> None:
    harness, _ = mocks("prod")
    build(harness, args(engine_version="17.4"))
    group = harness.one("aws:rds/clusterParameterGroup:ClusterParameterGroup").inputs
    assert group["family"] == "aurora-postgresql17"
    parameters = {p["name"]: p["value"] for p in group["parameters"]}
    assert parameters["rds.force_ssl"] == "1"
    assert parameters["log_connections"] == parameters["log_disconnections"] == "1"
    assert parameters["log_statement"] == "none" and parameters["log_min_duration_statement"] == "-1"
    assert parameters["log_min_error_statement"] == "panic"
    logs = harness.one("aws:cloudwatch/logGroup:LogGroup", "rag-db-logs")
    assert logs.inputs["name"] == "/aws/rds/cluster/chatbot-prod-rag/postgresql"
    assert logs.inputs["retentionInDays"] == 365 and logs.inputs["kmsKeyId"] == LOGS_KMS
    assert harness.one(CLUSTER).inputs["clusterIdentifier"] == "chatbot-prod-rag"


def test_port_and_master_user_are_not_defaults_and_rds_owns_the_rotated_password(mocks) -> None:
    harness, _ = mocks("prod")
    out = build(harness, args(port=6543, master_username="vector_owner", secret_rotation_days=14))
    cluster = harness.one(CLUSTER).inputs
    assert cluster["port"] == 6543 and cluster["masterUsername"] == "vector_owner"
    assert cluster["manageMasterUserPassword"] is True and cluster["masterUserSecretKmsKeyId"] == KMS
    assert not {"masterPassword", "masterPasswordWo"} & set(cluster)
    rotation = harness.one(ROTATION).inputs
    assert rotation["secretId"] == SECRET == out["secret"]
    assert rotation["rotationRules"] == {"automaticallyAfterDays": 14}
    assert "rotationLambdaArn" not in rotation  # RDS rotates its own secret
    assert rotation["rotateImmediately"] is False


def test_only_the_clients_group_reaches_the_database(mocks) -> None:
    harness, _ = mocks("prod")
    out = build(harness, args())
    ids = group_ids(harness)
    assert set(ids) == {"db-sg", "clients-sg"} and out["clients"] == ids["clients-sg"]
    for group in harness.of_type(GROUP):
        assert "ingress" not in group.inputs and "egress" not in group.inputs  # rules are separate resources
    assert harness.one(CLUSTER).inputs["vpcSecurityGroupIds"] == [ids["db-sg"]]
    (ingress,) = [r.inputs for r in harness.of_type(INGRESS)]
    assert ingress["securityGroupId"] == ids["db-sg"]
    assert ingress["referencedSecurityGroupId"] == ids["clients-sg"]
    assert (ingress["ipProtocol"], ingress["fromPort"], ingress["toPort"]) == ("tcp", 5433, 5433)
    assert "cidrIpv4" not in ingress and "cidrIpv6" not in ingress
    egress = {r.name.removeprefix("rag-db-"): r.inputs for r in harness.of_type(EGRESS)}
    # The database opens nothing: every egress rule belongs to the clients' group.
    assert {e["securityGroupId"] for e in egress.values()} == {ids["clients-sg"]}
    assert egress["clients-to-db"]["referencedSecurityGroupId"] == ids["db-sg"]
    assert egress["clients-to-db"]["fromPort"] == 5433
    assert egress["clients-to-endpoints"]["cidrIpv4"] == "10.0.0.0/16"
    gateways = {egress[f"clients-to-{s}"]["prefixListId"] for s in ("s3", "dynamodb")}
    assert gateways == set(PREFIX_LISTS.values())
    for rule in (*egress.values(), ingress):
        assert rule.get("cidrIpv4") not in ("0.0.0.0/0",) and "cidrIpv6" not in rule
    for name in ("clients-to-endpoints", "clients-to-s3", "clients-to-dynamodb"):
        assert (egress[name]["fromPort"], egress[name]["toPort"]) == (443, 443)
    assert harness.one("aws:rds/subnetGroup:SubnetGroup").inputs["subnetIds"] == ["subnet-i1", "subnet-i2"]


def test_outside_dev_the_database_survives_deletion(mocks) -> None:
    harness, _ = mocks("prod")
    build(harness, args())
    record = harness.one(CLUSTER)
    cluster = record.inputs
    assert record.protect and record.retain_on_delete
    assert cluster["deletionProtection"] is True and cluster["skipFinalSnapshot"] is False
    assert cluster["finalSnapshotIdentifier"] == "chatbot-prod-rag-final"
    assert cluster["deleteAutomatedBackups"] is False
    assert cluster["serverlessv2ScalingConfiguration"] == {"minCapacity": 0.5, "maxCapacity": 4}
    assert harness.one("aws:cloudwatch/logGroup:LogGroup", "rag-db-logs").protect


def test_dev_pauses_when_idle_and_is_not_protected(mocks) -> None:
    harness, _ = mocks("dev")
    build(harness, dev_args(auto_pause_seconds=900))
    record = harness.one(CLUSTER)
    cluster = record.inputs
    assert cluster["serverlessv2ScalingConfiguration"] == {
        "minCapacity": 0, "maxCapacity": 4, "secondsUntilAutoPause": 900}
    assert not record.protect and not record.retain_on_delete
    assert cluster["deletionProtection"] is False and cluster["skipFinalSnapshot"] is True
    assert "finalSnapshotIdentifier" not in cluster
    # Still encrypted (AWS managed key), still IAM-authenticated and TLS-only: dev relaxes nothing else.
    assert cluster["storageEncrypted"] is True and "kmsKeyId" not in cluster
    assert cluster["iamDatabaseAuthenticationEnabled"] is True
    assert "masterUserSecretKmsKeyId" not in cluster
    assert "performanceInsightsKmsKeyId" not in harness.one(INSTANCE).inputs


def test_the_migration_runs_on_every_deploy_after_the_database_is_up(mocks) -> None:
    harness, dependencies = mocks("prod")
    build(harness, args())
    invocation = harness.one(INVOCATION)
    checksums = migration_checksums()
    assert set(checksums) >= {"0001_schema.sql", "0002_hnsw.sql", "0003_row_level_security.sql"}
    assert json.loads(invocation.inputs["input"]) == {"migrations": checksums}
    assert invocation.inputs["triggers"] == {**checksums, "runAt": RUN}
    assert invocation.inputs["functionName"] == "chatbot-prod-db-migrate"
    urns = {r.name: r.urn for r in harness.resources}
    needed = ["rag-db-instance-1", "rag-db-master-rotation", "rag-db-db-from-clients", "rag-db-clients-to-db"]
    assert {urns[n] for n in needed} <= set(dependencies["rag-db-migrate-run"])


def test_each_run_stamps_its_own_time_so_the_invocation_is_replaced(mocks) -> None:
    harness, _ = mocks("prod")
    values = vars(args()) | {"run_id": None}
    del values["run_id"]
    before = datetime.now(UTC).replace(microsecond=0)
    build(harness, AuroraVectorStoreArgs(**values))
    stamped = datetime.strptime(harness.one(INVOCATION).inputs["triggers"]["runAt"], "%Y-%m-%dT%H:%M:%SZ")
    assert before <= stamped.replace(tzinfo=UTC) <= datetime.now(UTC)


def test_the_migration_function_may_read_only_the_master_secret(mocks) -> None:
    harness, _ = mocks("prod")
    out = build(harness, args())
    function = harness.one("aws:lambda/function:Function").inputs
    assert function["handler"] == "chatbot_app.handlers.db_migrate.handler"
    assert function["environment"]["variables"] == {
        "DB_HOST": out["endpoint"], "DB_PORT": "5433", "DB_NAME": "chatbot", "MASTER_SECRET_ARN": SECRET,
        "APP_DB_USER": "chatbot_app"}
    assert function["vpcConfig"] == {"subnetIds": ["subnet-p1", "subnet-p2"],
                                     "securityGroupIds": [out["clients"]]}
    policy = json.loads(harness.one("aws:iam/rolePolicy:RolePolicy").inputs["policy"])
    statements = {s["Sid"]: s for s in policy["Statement"]}
    assert set(statements) == {"OwnLogGroup", "ReadMasterSecret", "DecryptMasterSecret", "AttachToVpc",
                               "DescribeVpcNetworkInterfaces"}
    assert statements["ReadMasterSecret"]["Action"] == ["secretsmanager:GetSecretValue"]
    assert statements["ReadMasterSecret"]["Resource"] == [SECRET]
    assert statements["DecryptMasterSecret"] == {
        "Sid": "DecryptMasterSecret", "Effect": "Allow", "Action": ["kms:Decrypt"], "Resource": [KMS],
        "Condition": {"StringEquals": {"kms:ViaService": f"secretsmanager.{REGION}.amazonaws.com"}}}


def test_without_a_cmk_the_role_needs_no_key_permission(mocks) -> None:
    harness, _ = mocks("dev")
    build(harness, dev_args())
    policy = json.loads(harness.one("aws:iam/rolePolicy:RolePolicy").inputs["policy"])
    sids = {s["Sid"] for s in policy["Statement"]}
    assert "ReadMasterSecret" in sids and "DecryptMasterSecret" not in sids


def test_clients_get_what_they_need_to_connect(mocks) -> None:
    harness, _ = mocks("prod")
    out = build(harness, args())
    assert out["env"] == {"DB_HOST": out["endpoint"], "DB_PORT": "5433", "DB_NAME": "chatbot",
                          "DB_USER": "chatbot_app"}
    assert out["connect"] == (f"arn:aws:rds-db:{REGION}:{ACCOUNT_ID}:dbuser:{out['resource_id']}/chatbot_app")
    assert out["port"] == 5433 and out["arn"].endswith("rag-db-cluster")


def test_preview_with_unknown_outputs_builds(mocks) -> None:
    harness, _ = mocks("prod", preview=True)
    build(harness, args())
    assert harness.one(INVOCATION).inputs["triggers"]["runAt"] == RUN
    assert harness.one(CLUSTER).inputs["kmsKeyId"] == KMS  # known inputs stay known for the policy pack


@pytest.mark.parametrize(("overrides", "fragment"), [
    ({"port": 5432}, "port must be"),
    ({"master_username": "postgres"}, "master_username must be"),
    ({"master_username": "Admin"}, "master_username must be"),
    ({"min_acu": 0.25}, "min_acu must be"),
    ({"min_acu": 8.0, "max_acu": 4.0}, "max_acu must be"),
    ({"engine_version": "15.4"}, "engine_version must be"),
    ({"auto_pause_seconds": 60}, "auto_pause_seconds must be"),
    ({"backup_retention_days": 0}, "backup_retention_days must be"),
    ({"secret_rotation_days": 0}, "secret_rotation_days must be"),
])
def test_insecure_or_impossible_arguments_are_refused(overrides: dict[str, Any], fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        args(**overrides)


def test_arguments_come_from_the_settings() -> None:
    settings = prod_settings(**{
        "chatbot:ragEnabled": "true", "chatbot:ragDbMinAcu": "1.5", "chatbot:ragDbMaxAcu": "16",
        "chatbot:ragDbPort": "6000", "chatbot:ragDbMasterUser": "rag_admin",
        "chatbot:ragDbEngineVersion": "17.4",
        "chatbot:ragDbBackupRetentionDays": "14", "chatbot:ragDbSecretRotationDays": "60",
    })
    network = SimpleNamespace(vpc_id="vpc-1", vpc_cidr="10.1.0.0/16", isolated_subnet_ids=["i"],
                              private_subnet_ids=["p"])
    made = AuroraVectorStoreArgs.from_settings(settings, network=network, code=pulumi.AssetArchive({}),
                                               kms_key_arn=KMS, logs_kms_key_arn=LOGS_KMS)
    assert (made.min_acu, made.max_acu, made.port, made.master_username) == (1.5, 16.0, 6000, "rag_admin")
    assert (made.engine_version, made.backup_retention_days, made.secret_rotation_days) == ("17.4", 14, 60)
    assert (made.retain, made.region, made.log_retention_days) == (True, "eu-west-1", 365)
    assert made.isolated_subnet_ids == ["i"] and made.private_subnet_ids == ["p"]
    assert made.migration_depends_on == (network,)


KB_SECRET = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT_ID}:secret:chatbot-prod-kb-db-user-AbCdEf"


def kb_table(dimension: int = 1024) -> KnowledgeBaseTable:
    return KnowledgeBaseTable(secret_arn=KB_SECRET, dimension=dimension)


def test_the_data_api_is_off_unless_asked(mocks) -> None:
    harness, _ = mocks("prod")
    build(harness, args())
    assert "enableHttpEndpoint" not in harness.one(CLUSTER).inputs


def test_a_knowledge_base_table_is_prepared_by_the_migration_with_its_secret_only(mocks) -> None:
    harness, dependencies = mocks("prod")
    build(harness, args(data_api=True, knowledge_base=kb_table(512), secret_rotation_days=21))
    assert harness.one(CLUSTER).inputs["enableHttpEndpoint"] is True
    variables = harness.one("aws:lambda/function:Function").inputs["environment"]["variables"]
    assert variables["KB_SECRET_ARN"] == KB_SECRET and variables["KB_DIMENSION"] == "512"
    policy = json.loads(harness.one("aws:iam/rolePolicy:RolePolicy").inputs["policy"])
    statements = {s["Sid"]: s for s in policy["Statement"]}
    assert statements["WriteKnowledgeBaseSecret"]["Resource"] == [KB_SECRET]
    assert statements["WriteKnowledgeBaseSecret"]["Action"] == [
        "secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue",
        "secretsmanager:UpdateSecretVersionStage"]
    assert statements["EncryptKnowledgeBaseSecret"]["Resource"] == [KMS]
    assert statements["EncryptKnowledgeBaseSecret"]["Condition"] == {
        "StringEquals": {"kms:ViaService": f"secretsmanager.{REGION}.amazonaws.com"}}
    assert statements["ReadMasterSecret"]["Resource"] == [SECRET]  # the master secret stays read-only
    # Secrets Manager rotates that secret (and no other) through the migration function, after its first run.
    permission = harness.one("aws:lambda/permission:Permission").inputs
    assert permission["principal"] == "secretsmanager.amazonaws.com" and permission["sourceArn"] == KB_SECRET
    assert permission["function"] == "chatbot-prod-db-migrate"
    rotation = next(r for r in harness.of_type(ROTATION) if r.name == "rag-db-kb-rotation").inputs
    function_arn = harness.one("aws:lambda/function:Function").urn  # the mock's ARN is named after it
    assert rotation["secretId"] == KB_SECRET
    assert rotation["rotationLambdaArn"].endswith("function/rag-db-migrate-function") and function_arn
    assert rotation["rotationRules"] == {"automaticallyAfterDays": 21}
    assert rotation["rotateImmediately"] is False
    urns = {r.name: r.urn for r in harness.resources}
    assert urns["rag-db-migrate-run"] in dependencies["rag-db-kb-rotation"]


def test_the_knowledge_base_waits_for_the_migration(mocks) -> None:
    harness, dependencies = mocks("prod")

    def program() -> pulumi.Output[str]:
        secret = KnowledgeBaseSecret("kb-secret", KnowledgeBaseSecretArgs(
            prefix="chatbot", stack="prod", dev=False, retain=True, kms_key_arn=KMS))
        store = AuroraVectorStore("rag-db", args(data_api=True, knowledge_base=KnowledgeBaseTable(
            secret_arn=secret.arn, dimension=1024)))
        kb = StackKnowledgeBase("kb", StackKnowledgeBaseArgs(
            prefix="chatbot", stack="prod", region=REGION, dev=False, retain=True,
            cluster_arn=store.cluster_arn, database_name=store.database_name, secret_arn=secret.arn,
            uploads_bucket_name="chatbot-prod-uploads", table_ready=[store.migration], kms_key_arn=KMS))
        return kb.knowledge_base_id

    harness.run(program)
    urns = {r.name: r.urn for r in harness.resources}
    assert urns["rag-db-migrate-run"] in dependencies["kb-kb"]
    secret_arn = harness.one("aws:secretsmanager/secret:Secret").inputs
    variables = harness.one("aws:lambda/function:Function").inputs["environment"]["variables"]
    rds = harness.one("aws:bedrock/agentKnowledgeBase:AgentKnowledgeBase").inputs["storageConfiguration"]
    assert variables["KB_SECRET_ARN"] == rds["rdsConfiguration"]["credentialsSecretArn"]
    assert rds["rdsConfiguration"]["resourceArn"].endswith("rag-db-cluster")
    assert rds["rdsConfiguration"]["databaseName"] == "chatbot" and secret_arn["kmsKeyId"] == KMS


@pytest.mark.parametrize(("overrides", "fragment"), [
    ({"knowledge_base": KnowledgeBaseTable(secret_arn=KB_SECRET, dimension=1024)}, "data_api must be true"),
])
def test_a_knowledge_base_without_the_data_api_is_refused(overrides: dict[str, Any], fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        args(**overrides)


def test_an_unsupported_knowledge_base_dimension_is_refused() -> None:
    with pytest.raises(ValueError, match="knowledge_base.dimension must be one of"):
        kb_table(768)
