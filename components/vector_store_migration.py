"""The migration step of AuroraVectorStore (components/vector_store.py), and its part in a knowledge base.

The step is a VPC function (role db-migrate) that reads only the master secret, and an
aws.lambda_.Invocation that runs it on every `pulumi up`: its triggers hold the migrations' checksums and
the UTC time of the run, so each run replaces (re-invokes) it. The migrations are idempotent, so a run with
nothing new applies nothing. A failing migration is rolled back and makes the function raise: Lambda
returns a function error, the Invocation fails with the function's message (which names the migration
file and the database error) and the deploy stops there.

With a `KnowledgeBaseTable` (components/knowledge_base.py) the same step also prepares the knowledge base's
table and database user and writes that user's credentials into the given secret; the same function then
rotates that secret on the master secret's schedule. The resources are children of the store, so their
names and URNs are the store's.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pulumi
import pulumi_aws as aws

from components.database_access import DATABASE_NAME
from components.iam_statements import key_via_service_statement
from components.lambda_function import AppFunction, AppFunctionArgs, FunctionVpc

if TYPE_CHECKING:
    from components.vector_store import AuroraVectorStoreArgs

KB_DIMENSIONS: tuple[int, ...] = (256, 512, 1024, 1536)  # app/chatbot_app/rag/kb_schema.py DIMENSIONS
MIGRATIONS_DIR = Path(__file__).resolve().parents[1] / "app" / "chatbot_app" / "rag" / "migrations"
MIGRATE_HANDLER = "chatbot_app.handlers.db_migrate.handler"


def migration_checksums(directory: Path = MIGRATIONS_DIR) -> dict[str, str]:
    """File name -> sha256 of its text, as the runner computes it (app/chatbot_app/rag/migrations)."""
    files = sorted(directory.glob("[0-9][0-9][0-9][0-9]_*.sql"))
    if not files:
        raise ValueError(f"no migrations found in {directory}")
    return {f.name: hashlib.sha256(f.read_text(encoding="utf-8").encode()).hexdigest() for f in files}


def migrate_statements(secret_arn: str, kms_key_arn: str | None, region: str) -> list[dict[str, Any]]:
    """The migration role reads the master secret and nothing else (and decrypts it through Secrets
    Manager only, when the secret is under the CMK)."""
    statements: list[dict[str, Any]] = [{
        "Sid": "ReadMasterSecret",
        "Effect": "Allow",
        "Action": ["secretsmanager:GetSecretValue"],
        "Resource": [secret_arn],
    }]
    if kms_key_arn is not None:
        statements.append(key_via_service_statement("DecryptMasterSecret", kms_key_arn, "secretsmanager",
                                                    region, ["kms:Decrypt"]))
    return statements


def knowledge_base_statements(secret_arn: str, kms_key_arn: str | None, region: str) -> list[dict[str, Any]]:
    """The migration role writes (and rotates) the knowledge base's secret, exactly that one."""
    statements: list[dict[str, Any]] = [{
        "Sid": "WriteKnowledgeBaseSecret",
        "Effect": "Allow",
        "Action": ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue",
                   "secretsmanager:PutSecretValue", "secretsmanager:UpdateSecretVersionStage"],
        "Resource": [secret_arn],
    }]
    if kms_key_arn is not None:
        statements.append(key_via_service_statement(
            "EncryptKnowledgeBaseSecret", kms_key_arn, "secretsmanager", region,
            ["kms:Decrypt", "kms:GenerateDataKey"]))
    return statements


@dataclass(frozen=True)
class KnowledgeBaseTable:
    """What the migration step needs to prepare a Bedrock knowledge base's table (see kb_schema.py)."""

    secret_arn: pulumi.Input[str]  # created without a value; the migration function writes it
    dimension: int

    def __post_init__(self) -> None:
        if self.dimension not in KB_DIMENSIONS:
            raise ValueError(f"knowledge_base.dimension must be one of {list(KB_DIMENSIONS)}")


def migration_step(
    store: pulumi.Resource,
    name: str,
    args: AuroraVectorStoreArgs,
    *,
    host: pulumi.Input[str],
    master_secret_arn: pulumi.Output[str],
    client_security_group_id: pulumi.Input[str],
    depends_on: Sequence[pulumi.Resource],
) -> aws.lambda_.Invocation:
    """Creates the migration function and its run (children of `store`); returns the run."""
    key = args.kms_key_arn
    statements = [pulumi.Output.all(master_secret_arn, key).apply(
        lambda sk: migrate_statements(sk[0], sk[1], args.region))]
    kb = args.knowledge_base
    kb_environment: dict[str, pulumi.Input[str]] = {}
    if kb is not None:
        statements.append(pulumi.Output.all(kb.secret_arn, key).apply(
            lambda sk: knowledge_base_statements(sk[0], sk[1], args.region)))
        kb_environment = {"KB_SECRET_ARN": kb.secret_arn, "KB_DIMENSION": str(kb.dimension)}
    function = AppFunction(
        f"{name}-migrate",
        AppFunctionArgs(
            prefix=args.prefix, stack=args.stack, region=args.region, role="db-migrate",
            handler=MIGRATE_HANDLER, code=args.code, log_retention_days=args.log_retention_days,
            logs_kms_key_arn=args.logs_kms_key_arn, retain=args.retain, xray_tracing=args.xray_tracing,
            extra_statements=statements,
            environment={
                "DB_HOST": host, "DB_PORT": str(args.port), "DB_NAME": DATABASE_NAME,
                "MASTER_SECRET_ARN": master_secret_arn, "APP_DB_USER": args.app_user,
                **kb_environment,
            },
            description=f"{args.prefix} {args.stack}: applies the vector database's migrations",
            timeout_seconds=600,  # a paused database resumes first; index builds can take minutes
            vpc=FunctionVpc(args.private_subnet_ids, [client_security_group_id]),
        ),
        opts=pulumi.ResourceOptions(parent=store),
    )
    checksums = migration_checksums(args.migrations_dir)
    migration = aws.lambda_.Invocation(
        f"{name}-migrate-run",
        function_name=function.function_name,
        input=json.dumps({"migrations": checksums}),
        triggers={**checksums, "runAt": args.run_id},  # a new value each run: `pulumi up` re-runs it
        opts=pulumi.ResourceOptions(parent=store, depends_on=[*depends_on, *args.migration_depends_on]),
    )
    if kb is not None:
        _knowledge_base_rotation(store, name, function, kb, args.secret_rotation_days, migration)
    return migration


def _knowledge_base_rotation(store: pulumi.Resource, name: str, function: AppFunction, kb: KnowledgeBaseTable,
                             rotation_days: int, migration: aws.lambda_.Invocation) -> None:
    """Secrets Manager rotates the knowledge base's secret through the migration function (it alone
    reaches the database as the master user), for that secret only, once the first run wrote it."""
    permission = aws.lambda_.Permission(
        f"{name}-kb-rotation-invoke", action="lambda:InvokeFunction", function=function.function_name,
        principal="secretsmanager.amazonaws.com", source_arn=kb.secret_arn,
        opts=pulumi.ResourceOptions(parent=store))
    aws.secretsmanager.SecretRotation(
        f"{name}-kb-rotation", secret_id=kb.secret_arn, rotation_lambda_arn=function.arn,
        rotation_rules=aws.secretsmanager.SecretRotationRotationRulesArgs(
            automatically_after_days=rotation_days),
        rotate_immediately=False,
        opts=pulumi.ResourceOptions(parent=store, depends_on=[permission, migration]))
