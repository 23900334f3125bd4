"""A Bedrock knowledge base the stack creates, with the stack's Aurora database as its vector store.

Two components, because the migration function must know the credentials secret before the knowledge
base may exist (its table must be there first):

1. KnowledgeBaseSecret, created before the AuroraVectorStore: a Secrets Manager secret WITHOUT a value
   (no password ever passes through Pulumi state), under the data CMK when given. Pass its `arn` to the
   store as `KnowledgeBaseTable(secret_arn, dimension)` with `data_api=True`: the migration function then
   creates schema bedrock_integration, table bedrock_kb and their indexes, the login role
   bedrock_kb_user, writes {"username", "password"} into this secret (app/chatbot_app/rag/kb_schema.py)
   and rotates it on the store's schedule.
2. StackKnowledgeBase, created after the store with `table_ready=[store.migration]`: the knowledge base's
   role (assumable by Bedrock only, for this account's knowledge bases), its least-privilege policy, the
   aws.bedrock.AgentKnowledgeBase (type VECTOR, storage RDS through the Data API) and an S3 data source on
   the uploads bucket under `knowledge-base/`, encrypting its transient ingestion data with the CMK.

Ingestion is not automatic: whoever uploads under the prefix starts a sync afterwards (bedrock-agent
StartIngestionJob with the knowledge base and data source ids; see `ingestion_statements`). Idle cost: none
beyond the Aurora cluster it lives in (the knowledge base and data source bill nothing while unused;
embedding calls bill per token during ingestion and per query).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws
from pulumi_aws.bedrock import (
    AgentDataSourceVectorIngestionConfigurationChunkingConfigurationFixedSizeChunkingConfigurationArgs as Fixed,  # noqa: E501
)
from pulumi_aws.bedrock import (
    AgentKnowledgeBaseKnowledgeBaseConfigurationVectorKnowledgeBaseConfigurationArgs as VectorConfig,
)
from pulumi_aws.bedrock import (
    AgentKnowledgeBaseKnowledgeBaseConfigurationVectorKnowledgeBaseConfigurationEmbeddingModelConfigurationArgs as Embedding,  # noqa: E501
)
from pulumi_aws.bedrock import (
    AgentKnowledgeBaseKnowledgeBaseConfigurationVectorKnowledgeBaseConfigurationEmbeddingModelConfigurationBedrockEmbeddingModelConfigurationArgs as EmbeddingSize,  # noqa: E501
)
from pulumi_aws.bedrock import (
    AgentKnowledgeBaseStorageConfigurationRdsConfigurationFieldMappingArgs as FieldMapping,
)

from components.aws_context import AwsContext
from components.iam_statements import key_via_service_statement
from components.knowledge_base_access import retrieve_statement
from components.naming import resource_name

# Embedding model -> the vector dimensions it can give (the first is the default).
EMBEDDING_DIMENSIONS: dict[str, tuple[int, ...]] = {
    "amazon.titan-embed-text-v2:0": (1024, 512, 256),
    "cohere.embed-english-v3": (1024,),
}
DATA_PREFIX = "knowledge-base/"  # under the uploads bucket; outside the app's workspaces/ notifications
TABLE = "bedrock_integration.bedrock_kb"  # app/chatbot_app/rag/kb_schema.py
FIELDS = {"primary_key_field": "id", "vector_field": "embedding", "text_field": "chunks",
          "metadata_field": "metadata", "custom_metadata_field": "custom_metadata"}
DATA_API_ACTIONS = ("rds-data:ExecuteStatement", "rds-data:BatchExecuteStatement")
INGESTION_ACTIONS = ("bedrock:StartIngestionJob", "bedrock:GetIngestionJob")


def trust_policy(account_id: str, partition: str, region: str) -> str:
    """Only Bedrock, acting for a knowledge base of this account and region, may assume the role."""
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow",
        "Principal": {"Service": "bedrock.amazonaws.com"},
        "Action": "sts:AssumeRole",
        "Condition": {
            "StringEquals": {"aws:SourceAccount": account_id},
            "ArnLike": {"aws:SourceArn": f"arn:{partition}:bedrock:{region}:{account_id}:knowledge-base/*"},
        },
    }]})


def model_arn(partition: str, region: str, model: str) -> str:
    return f"arn:{partition}:bedrock:{region}::foundation-model/{model}"


def role_statements(*, account_id: str, partition: str, region: str, model: str, cluster_arn: str,
                    secret_arn: str, bucket_arn: str, kms_key_arn: str | None) -> list[dict[str, Any]]:
    """The knowledge base role's permissions: the embedding model, the cluster through the Data API, its
    credentials secret, the data source prefix, and the CMK through those services only."""
    statements: list[dict[str, Any]] = [
        {"Sid": "EmbedWithTheModel", "Effect": "Allow", "Action": ["bedrock:InvokeModel"],
         "Resource": [model_arn(partition, region, model)]},
        {"Sid": "DescribeTheCluster", "Effect": "Allow", "Action": ["rds:DescribeDBClusters"],
         "Resource": [cluster_arn]},
        {"Sid": "QueryThroughDataApi", "Effect": "Allow", "Action": list(DATA_API_ACTIONS),
         "Resource": [cluster_arn]},
        {"Sid": "ReadDatabaseCredentials", "Effect": "Allow", "Action": ["secretsmanager:GetSecretValue"],
         "Resource": [secret_arn]},
        {"Sid": "ListDataSourcePrefix", "Effect": "Allow", "Action": ["s3:ListBucket"],
         "Resource": [bucket_arn],
         "Condition": {"StringLike": {"s3:prefix": [DATA_PREFIX, f"{DATA_PREFIX}*"]},
                       "StringEquals": {"aws:ResourceAccount": account_id}}},
        {"Sid": "ReadDataSourceObjects", "Effect": "Allow", "Action": ["s3:GetObject"],
         "Resource": [f"{bucket_arn}/{DATA_PREFIX}*"],
         "Condition": {"StringEquals": {"aws:ResourceAccount": account_id}}},
    ]
    if kms_key_arn is not None:
        statements += [
            key_via_service_statement("DecryptDataSourceObjects", kms_key_arn, "s3", region, ["kms:Decrypt"]),
            key_via_service_statement("DecryptDatabaseCredentials", kms_key_arn, "secretsmanager", region,
                                      ["kms:Decrypt"]),
            key_via_service_statement("EncryptIngestionData", kms_key_arn, "bedrock", region,
                                      ["kms:Decrypt", "kms:GenerateDataKey"]),
        ]
    return statements


@dataclass(frozen=True)
class KnowledgeBaseSecretArgs:
    prefix: str
    stack: str
    dev: bool
    retain: bool
    kms_key_arn: pulumi.Input[str] | None = None  # None (aws/secretsmanager) only in dev

    def __post_init__(self) -> None:
        if self.kms_key_arn is None and not self.dev:
            raise ValueError("kms_key_arn is required outside dev stacks (SEC-CMK-AT-REST)")


class KnowledgeBaseSecret(pulumi.ComponentResource):
    """The knowledge base's database credentials secret, created empty (see the module docstring)."""

    secret: aws.secretsmanager.Secret
    arn: pulumi.Output[str]

    def __init__(self, name: str, args: KnowledgeBaseSecretArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("chatbot:rag:KnowledgeBaseSecret", name, None, opts)
        self.secret = aws.secretsmanager.Secret(
            f"{name}-secret",
            name=resource_name(args.prefix, args.stack, "kb-db-user"),
            description=(f"{args.prefix} {args.stack}: the Bedrock knowledge base's Aurora database user; "
                         "written and rotated by the db-migrate function"),
            kms_key_id=args.kms_key_arn,
            # Dev: deleted at once, so a re-created stack can take the same name again.
            recovery_window_in_days=30 if args.retain else 0,
            opts=pulumi.ResourceOptions(parent=self, protect=args.retain, retain_on_delete=args.retain))
        self.arn = self.secret.arn
        self.register_outputs({"arn": self.arn})


@dataclass(frozen=True)
class StackKnowledgeBaseArgs:
    prefix: str
    stack: str
    region: str
    dev: bool
    retain: bool
    cluster_arn: pulumi.Input[str]  # AuroraVectorStore.cluster_arn (created with data_api=True)
    database_name: str  # AuroraVectorStore.database_name
    secret_arn: pulumi.Input[str]  # KnowledgeBaseSecret.arn
    uploads_bucket_name: pulumi.Input[str]
    table_ready: Sequence[pulumi.Resource]  # [AuroraVectorStore.migration]: the table exists after it
    kms_key_arn: pulumi.Input[str] | None = None  # the data CMK; None only in dev
    embedding_model: str = "amazon.titan-embed-text-v2:0"
    dimension: int = 1024
    chunk_max_tokens: int = 300
    chunk_overlap_percent: int = 20

    def __post_init__(self) -> None:
        problems = []
        dims = EMBEDDING_DIMENSIONS.get(self.embedding_model)
        if dims is None:
            problems.append(f"embedding_model must be one of {list(EMBEDDING_DIMENSIONS)}, "
                            f"got {self.embedding_model!r}")
        elif self.dimension not in dims:
            problems.append(f"dimension must be one of {list(dims)} for {self.embedding_model}")
        if self.kms_key_arn is None and not self.dev:
            problems.append("kms_key_arn is required outside dev stacks (SEC-CMK-AT-REST)")
        if not 20 <= self.chunk_max_tokens <= 8192:
            problems.append("chunk_max_tokens must be 20..8192")
        if not 1 <= self.chunk_overlap_percent <= 99:
            problems.append("chunk_overlap_percent must be 1..99")
        if not self.table_ready:
            problems.append("table_ready must hold the store's migration (the table must exist first)")
        if problems:
            raise ValueError("; ".join(problems))


class StackKnowledgeBase(pulumi.ComponentResource):
    knowledge_base: aws.bedrock.AgentKnowledgeBase
    data_source: aws.bedrock.AgentDataSource
    knowledge_base_id: pulumi.Output[str]
    knowledge_base_arn: pulumi.Output[str]
    data_source_id: pulumi.Output[str]
    secret_arn: pulumi.Input[str]
    role_arn: pulumi.Output[str]
    ingestion_prefix: str

    def __init__(self, name: str, args: StackKnowledgeBaseArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("chatbot:rag:StackKnowledgeBase", name, None, opts)
        self._name, self._args = name, args
        self._context = context = AwsContext.of(self)
        self._bucket_arn = pulumi.Output.concat("arn:", context.partition, ":s3:::", args.uploads_bucket_name)
        policy = self._role(context)
        self._create(policy)
        self.secret_arn = args.secret_arn
        self.ingestion_prefix = DATA_PREFIX
        self.register_outputs({
            "knowledge_base_id": self.knowledge_base_id,
            "knowledge_base_arn": self.knowledge_base_arn,
            "data_source_id": self.data_source_id,
            "secret_arn": self.secret_arn,
            "role_arn": self.role_arn,
            "ingestion_prefix": self.ingestion_prefix,
        })

    def _opts(self, **extra: Any) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self, **extra)

    def _role(self, context: AwsContext) -> aws.iam.RolePolicy:
        name, args = self._name, self._args
        role = aws.iam.Role(
            f"{name}-role",
            description=f"{args.prefix} {args.stack}: Bedrock knowledge base (Aurora vector store)",
            assume_role_policy=pulumi.Output.all(context.account_id, context.partition).apply(
                lambda ap: trust_policy(ap[0], ap[1], args.region)),
            opts=self._opts())
        self.role_arn = role.arn
        document = pulumi.Output.all(
            context.account_id, context.partition, args.cluster_arn, args.secret_arn, self._bucket_arn,
            args.kms_key_arn,
        ).apply(lambda v: json.dumps({"Version": "2012-10-17", "Statement": role_statements(
            account_id=v[0], partition=v[1], region=args.region, model=args.embedding_model,
            cluster_arn=v[2], secret_arn=v[3], bucket_arn=v[4], kms_key_arn=v[5])}))
        return aws.iam.RolePolicy(f"{name}-policy", role=role.id, policy=document, opts=self._opts())

    def _create(self, policy: aws.iam.RolePolicy) -> None:
        name, args = self._name, self._args
        bedrock = aws.bedrock
        model = self._context.partition.apply(lambda p: model_arn(p, args.region, args.embedding_model))
        # Titan v2 gives several sizes: ask for the table's. Models with one size take no setting.
        sized = len(EMBEDDING_DIMENSIONS[args.embedding_model]) > 1
        self.knowledge_base = bedrock.AgentKnowledgeBase(
            f"{name}-kb",
            name=resource_name(args.prefix, args.stack, "kb", max_length=100),
            description=f"{args.prefix} {args.stack}: documents under {DATA_PREFIX} in the uploads bucket",
            role_arn=self.role_arn,
            knowledge_base_configuration=bedrock.AgentKnowledgeBaseKnowledgeBaseConfigurationArgs(
                type="VECTOR",
                vector_knowledge_base_configuration=VectorConfig(
                    embedding_model_arn=model,
                    embedding_model_configuration=Embedding(bedrock_embedding_model_configuration=EmbeddingSize(
                        dimensions=args.dimension, embedding_data_type="FLOAT32")) if sized else None)),
            storage_configuration=bedrock.AgentKnowledgeBaseStorageConfigurationArgs(
                type="RDS",
                rds_configuration=bedrock.AgentKnowledgeBaseStorageConfigurationRdsConfigurationArgs(
                    credentials_secret_arn=args.secret_arn, database_name=args.database_name,
                    resource_arn=args.cluster_arn, table_name=TABLE,
                    field_mapping=FieldMapping(**FIELDS))),
            # Bedrock checks the role and the table when it creates the knowledge base.
            opts=self._opts(depends_on=[policy, *args.table_ready], protect=args.retain,
                            retain_on_delete=args.retain))
        chunking = bedrock.AgentDataSourceVectorIngestionConfigurationChunkingConfigurationArgs
        self.data_source = bedrock.AgentDataSource(
            f"{name}-source",
            knowledge_base_id=self.knowledge_base.id,
            name=resource_name(args.prefix, args.stack, "kb-uploads", max_length=100),
            description=f"{args.prefix} {args.stack}: s3://<uploads bucket>/{DATA_PREFIX}",
            data_source_configuration=bedrock.AgentDataSourceDataSourceConfigurationArgs(
                type="S3",
                s3_configuration=bedrock.AgentDataSourceDataSourceConfigurationS3ConfigurationArgs(
                    bucket_arn=self._bucket_arn, inclusion_prefixes=[DATA_PREFIX])),
            server_side_encryption_configuration=bedrock.AgentDataSourceServerSideEncryptionConfigurationArgs(
                kms_key_arn=args.kms_key_arn) if args.kms_key_arn is not None else None,
            vector_ingestion_configuration=bedrock.AgentDataSourceVectorIngestionConfigurationArgs(
                chunking_configuration=chunking(
                    chunking_strategy="FIXED_SIZE",
                    fixed_size_chunking_configuration=Fixed(
                        max_tokens=args.chunk_max_tokens, overlap_percentage=args.chunk_overlap_percent))),
            # Retained stacks keep the vectors when the data source goes; dev stacks clean up.
            data_deletion_policy="RETAIN" if args.retain else "DELETE",
            opts=self._opts(protect=args.retain, retain_on_delete=args.retain))
        self.knowledge_base_id = self.knowledge_base.id
        self.knowledge_base_arn = self.knowledge_base.arn
        self.data_source_id = self.data_source.data_source_id

    def app_entry(self, label: str) -> pulumi.Output[dict[str, str]]:
        """One element of the app's KNOWLEDGE_BASES list: {"id", "name", "region"}."""
        return self.knowledge_base_id.apply(lambda kb: {"id": kb, "name": label, "region": self._args.region})

    def retrieve_statements(self) -> pulumi.Output[list[dict[str, Any]]]:
        """The rag function's statement: bedrock:Retrieve on this knowledge base only."""
        return self.knowledge_base_arn.apply(lambda arn: [retrieve_statement([arn])])

    def ingestion_statements(self) -> pulumi.Output[list[dict[str, Any]]]:
        """For whoever uploads under the prefix: put objects there, then start (and follow) a sync."""
        return pulumi.Output.all(self._bucket_arn, self.knowledge_base_arn).apply(lambda v: [
            {"Sid": "UploadKnowledgeBaseDocuments", "Effect": "Allow", "Action": ["s3:PutObject"],
             "Resource": [f"{v[0]}/{DATA_PREFIX}*"]},
            {"Sid": "SyncKnowledgeBase", "Effect": "Allow", "Action": list(INGESTION_ACTIONS),
             "Resource": [v[1]]},
        ])
