"""The retrieval engines beyond pgvector, from the settings: what they create, and what they give the
rag service and the document processor (environment, IAM statements, interface endpoints).

    opensearch  -> OpenSearchVectorCollection (private collection + its VPC endpoint); both functions
                   read and write it, only the rag function deletes indexes (whole workspaces)
    kendra      -> KendraIndex, created and/or attached (attached ones optionally through a
                   cross-account role); the rag function only
    bedrock-kb  -> existing knowledge bases (KnowledgeBaseAccess) and/or one backed by the stack's
                   database (StackKnowledgeBase, built by the caller because it needs the database);
                   the rag function only
    rerank      -> bedrock:Rerank plus InvokeModel on exactly the rerank models; the rag function only

Environment variable names and shapes are the app's contract (app/chatbot_app/rag/engines/registry.py).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi

from components.aws_context import AwsContext
from components.kendra_engine import KendraIndex, KendraIndexArgs
from components.knowledge_base_access import KnowledgeBaseAccess, knowledge_base_arn, retrieve_statement
from components.network import Network
from components.opensearch_engine import OpenSearchVectorCollection, OpenSearchVectorCollectionArgs
from components.settings import StackSettings


def rerank_statements(partition: str, region: str, models: Sequence[str]) -> list[dict[str, Any]]:
    """Rerank (no resource-level permissions, so "*") plus InvokeModel on exactly the rerank models,
    which the Rerank API invokes with the caller's permissions."""
    return [
        {"Sid": "Rerank", "Effect": "Allow", "Action": ["bedrock:Rerank"], "Resource": ["*"]},
        {"Sid": "InvokeRerankModels", "Effect": "Allow", "Action": ["bedrock:InvokeModel"],
         "Resource": [f"arn:{partition}:bedrock:{region}::foundation-model/{m}" for m in models]},
    ]


def interface_endpoints(settings: StackSettings) -> tuple[str, ...]:
    """What the VPC functions need for the enabled engines, besides the retrieval basics."""
    needed: list[str] = []
    if settings.kendra_enabled:
        needed.append("kendra")
        if settings.kendra_role_arn is not None:
            needed.append("sts")  # the cross-account role is assumed from inside the VPC
    if settings.knowledge_bases_enabled or settings.rag_rerank_models:
        needed.append("bedrock-agent-runtime")  # Retrieve and Rerank
    return tuple(needed)


@dataclass
class EngineParts:
    """Environment and statements per function, filled by RetrievalEngines."""

    rag_environment: dict[str, pulumi.Input[str]] = field(default_factory=dict)
    processor_environment: dict[str, pulumi.Input[str]] = field(default_factory=dict)
    rag_statements: list[pulumi.Output[list[dict[str, Any]]]] = field(default_factory=list)
    processor_statements: list[pulumi.Output[list[dict[str, Any]]]] = field(default_factory=list)


@dataclass(frozen=True)
class RetrievalEnginesArgs:
    settings: StackSettings
    network: Network
    client_security_group_id: pulumi.Input[str]  # the functions that call the engines (the rag clients)
    data_kms_key_arn: pulumi.Input[str] | None
    created_knowledge_base_id: pulumi.Input[str] | None = None  # StackKnowledgeBase, when created


class RetrievalEngines(pulumi.ComponentResource):
    """Builds the engines' resources; `parts` is what Retrieval's functions get, `grant` runs once the
    functions' roles exist (the OpenSearch data access policy names them)."""

    def __init__(self, name: str, args: RetrievalEnginesArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("chatbot:rag:RetrievalEngines", name, None, opts)
        settings = args.settings
        context = AwsContext.of(self)
        partition, account_id = context.partition, context.account_id
        self.settings = settings
        self.parts = EngineParts()
        self.opensearch: OpenSearchVectorCollection | None = None
        self.kendra: list[KendraIndex] = []
        common = {"RAG_ENGINES": ",".join(settings.rag_engines),
                  "RERANK_MODELS": ",".join(settings.rag_rerank_models),
                  "RERANK_REGION": settings.bedrock_region}
        self.parts.rag_environment.update(common)
        self.parts.processor_environment.update(common)
        if settings.opensearch_enabled:
            self._opensearch(args.network, args.client_security_group_id, args.data_kms_key_arn)
        if settings.kendra_enabled:
            self._kendra(args.data_kms_key_arn)
        if settings.knowledge_bases_enabled:
            self._knowledge_bases(partition, account_id, args.created_knowledge_base_id)
        if settings.rag_rerank_models:
            models, region = settings.rag_rerank_models, settings.bedrock_region
            self.parts.rag_statements.append(partition.apply(lambda p: rerank_statements(p, region, models)))
        self.register_outputs({"engines": list(settings.rag_engines)})

    def _opts(self) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self)

    def _opensearch(self, network: Network, clients: pulumi.Input[str],
                    key: pulumi.Input[str] | None) -> None:
        s = self.settings
        collection_args = OpenSearchVectorCollectionArgs(
            prefix=s.prefix, stack=s.stack, vpc_id=network.vpc_id,
            private_subnet_ids=network.private_subnet_ids,
            client_security_group_id=clients, principal_role_arns=[], kms_key_arn=key, dev=s.is_dev,
            retain=s.retain_data, standby_replicas=s.opensearch_standby_replicas)
        self.opensearch = collection = OpenSearchVectorCollection("rag-vectors", collection_args,
                                                                  opts=self._opts())
        env = {"OPENSEARCH_ENDPOINT": collection.collection_endpoint, "OPENSEARCH_REGION": s.region}
        self.parts.rag_environment.update(env)
        self.parts.processor_environment.update(env)
        self.parts.rag_statements.append(collection.client_statements())
        self.parts.processor_statements.append(collection.client_statements())

    def _kendra(self, key: pulumi.Input[str] | None) -> None:
        s = self.settings
        entries: list[pulumi.Output[list[dict[str, Any]]]] = []
        if s.kendra_create_index:
            created = KendraIndex("rag-kendra", KendraIndexArgs(
                prefix=s.prefix, stack=s.stack, region=s.region, dev=s.is_dev, retain=s.retain_data,
                create=True, edition=s.kendra_edition, kms_key_arn=key), opts=self._opts())
            self.kendra.append(created)
            entries.append(created.index_ids.apply(
                lambda ids: [_kendra_entry(i, f"{s.prefix}-{s.stack} index", s.region) for i in ids]))
        if s.kendra_index_ids:
            attached = KendraIndex("rag-kendra-attached", KendraIndexArgs(
                prefix=s.prefix, stack=s.stack, region=s.region, dev=s.is_dev, retain=s.retain_data,
                existing_index_ids=s.kendra_index_ids, cross_account_role_arn=s.kendra_role_arn,
                cross_account_external_id=s.kendra_external_id), opts=self._opts())
            self.kendra.append(attached)
            entries.append(pulumi.Output.from_input([
                _kendra_entry(i, f"Kendra {i[:8]}", s.region, s.kendra_role_arn, s.kendra_external_id)
                for i in s.kendra_index_ids]))
        self.parts.rag_environment["KENDRA_INDEXES"] = pulumi.Output.all(*entries).apply(
            lambda lists: json.dumps([entry for part in lists for entry in part]))
        # One KendraRetrieve over created and attached indexes: IAM refuses a policy with duplicate Sids.
        self.parts.rag_statements.append(pulumi.Output.all(
            *(index.retrieval_statements() for index in self.kendra)).apply(_merge_by_sid))

    def _knowledge_bases(self, partition: pulumi.Input[str], account: pulumi.Input[str],
                         created: pulumi.Input[str] | None) -> None:
        s = self.settings
        region = s.bedrock_region
        ids: list[pulumi.Input[str]] = list(s.knowledge_base_ids)
        if created is not None:
            ids.append(created)
        # The stack's knowledge base lives with its Aurora cluster, in the stack's region.
        regions = [region] * len(s.knowledge_base_ids) + ([s.region] if created is not None else [])
        named = pulumi.Output.all(*ids).apply(lambda known: [
            {"id": i, "name": "Stack knowledge base" if created is not None and n == len(known) - 1
             else f"Knowledge base {i}", "region": r}
            for n, (i, r) in enumerate(zip(known, regions, strict=True))])
        self.parts.rag_environment["KNOWLEDGE_BASES"] = named.apply(json.dumps)
        if s.knowledge_base_ids:
            KnowledgeBaseAccess(s.knowledge_base_ids, region)  # validates the ids and the region
        self.parts.rag_statements.append(pulumi.Output.all(partition, account, *ids).apply(
            lambda pa: [retrieve_statement([knowledge_base_arn(pa[0], r, pa[1], i)
                                            for i, r in zip(pa[2:], regions, strict=True)])]))

    def grant(self, rag_role_arn: pulumi.Input[str], processor_role_arn: pulumi.Input[str]) -> None:
        """Data access to the collection: both functions read and write, only the rag service (which
        deletes workspaces) deletes indexes."""
        if self.opensearch is not None:
            self.opensearch.grant_access([rag_role_arn, processor_role_arn], [rag_role_arn])


def _kendra_entry(index_id: str, name: str, region: str, role_arn: str | None = None,
                  external_id: str | None = None) -> dict[str, Any]:
    return {"id": index_id, "name": name, "region": region, "roleArn": role_arn, "externalId": external_id}


def _merge_by_sid(parts: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Statements of one Sid (same actions) as one statement naming all their resources."""
    merged: dict[str, dict[str, Any]] = {}
    for statement in (s for part in parts for s in part):
        if statement["Sid"] in merged:
            merged[statement["Sid"]]["Resource"].extend(statement["Resource"])
        else:
            merged[statement["Sid"]] = {**statement, "Resource": list(statement["Resource"])}
    return list(merged.values())
