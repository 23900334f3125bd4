"""OpenSearchVectorCollection: an OpenSearch Serverless VECTORSEARCH collection, private and least-privilege.

SEC-OPENSEARCH-PRIVATE, all in this component so nothing is forgotten:
- an encryption policy naming only this collection: the CMK when one is given; an AWS owned key is
  accepted only in dev stacks;
- a network policy that allows no public access and no dashboards: the collection endpoint is reachable
  only through the stack's own OpenSearch Serverless VPC endpoint in the private subnets, whose security
  group admits HTTPS from the clients' security group and nothing else;
- a data access policy whose principals are exactly the given role ARNs (no "*", no account root), with
  the index and collection permissions a RAG engine needs and no others.

Idle cost: a collection bills at least 2 OCUs (1 with standby replicas off, dev) around the clock, plus
the VPC endpoint's hours. `retain` protects the collection and keeps its encryption policy on delete.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components.naming import resource_name
from components.settings.fields.engines import ROLE_ARN_PATTERN

HTTPS = 443
COLLECTION_TYPE = "VECTORSEARCH"
# What an engine that creates its indexes, writes and reads documents needs. Deleting an index (a whole
# workspace) is granted separately, to the roles in `index_deleter_role_arns` only.
INDEX_PERMISSIONS: tuple[str, ...] = (
    "aoss:CreateIndex", "aoss:DescribeIndex", "aoss:ReadDocument", "aoss:WriteDocument", "aoss:UpdateIndex",
)
COLLECTION_PERMISSIONS: tuple[str, ...] = ("aoss:DescribeCollectionItems",)
DELETE_PERMISSIONS: tuple[str, ...] = ("aoss:DeleteIndex",)
# OpenSearch Serverless names (collections, policies, VPC endpoints): 3-32 lower-case characters.
_NAME = re.compile(r"^[a-z][a-z0-9-]{2,31}$")
_ROLE_ARN = re.compile(ROLE_ARN_PATTERN)
MAX_ENDPOINT_SUBNETS = 6  # the service's limit per VPC endpoint


def service_name(prefix: str, stack: str, role: str) -> str:
    """`<prefix>-<stack>-<role>` cut to 32 characters; refused when it does not start with a letter."""
    name = resource_name(prefix, stack, role, max_length=32)
    if not _NAME.match(name):
        raise ValueError(f"prefix must start with a letter for OpenSearch Serverless names, got {name!r}")
    return name


def _selects(collection: str) -> list[dict[str, Any]]:
    return [{"ResourceType": "collection", "Resource": [f"collection/{collection}"]}]


def encryption_policy(collection: str, kms_key_arn: str | None) -> str:
    """The collection's encryption policy: the CMK, or (dev only, checked by the args) an AWS owned key."""
    if kms_key_arn is None:
        return json.dumps({"Rules": _selects(collection), "AWSOwnedKey": True})
    return json.dumps({"Rules": _selects(collection), "AWSOwnedKey": False, "KmsARN": kms_key_arn})


def network_policy(collection: str, vpc_endpoint_id: str) -> str:
    """Collection API through the VPC endpoint only. No dashboard rule: dashboards are not reachable."""
    return json.dumps([{
        "Description": f"{collection}: private, through its VPC endpoint",
        "Rules": _selects(collection),
        "AllowFromPublic": False,
        "SourceVPCEs": [vpc_endpoint_id],
    }])


def check_principals(principals: Sequence[str], field: str = "principal_role_arns",
                     required: bool = True) -> list[str]:
    """The principals, refused unless they are unique, named IAM role ARNs."""
    if required and not principals:
        raise ValueError(f"{field} must name at least one IAM role")
    bad = [p for p in principals if not isinstance(p, str) or not _ROLE_ARN.match(p)]
    if bad:
        raise ValueError(f"{field} must be IAM role ARNs (no '*', no root or users), got {bad}")
    if len(set(principals)) != len(principals):
        raise ValueError(f"{field} must be unique, got {list(principals)}")
    return list(principals)


def data_access_policy(collection: str, principals: Sequence[str], deleters: Sequence[str] = ()) -> str:
    """Index and collection permissions for exactly these roles, on this collection only; index deletion
    for exactly the deleters."""
    indexes = [f"index/{collection}/*"]
    blocks: list[dict[str, Any]] = [{
        "Description": f"{collection}: RAG engine roles",
        "Rules": [
            {"ResourceType": "index", "Resource": indexes, "Permission": list(INDEX_PERMISSIONS)},
            {"ResourceType": "collection", "Resource": [f"collection/{collection}"],
             "Permission": list(COLLECTION_PERMISSIONS)},
        ],
        "Principal": check_principals(principals),
    }]
    if deleters:
        blocks.append({
            "Description": f"{collection}: roles that delete a workspace's index",
            "Rules": [{"ResourceType": "index", "Resource": indexes, "Permission": list(DELETE_PERMISSIONS)}],
            "Principal": check_principals(deleters, "index_deleter_role_arns"),
        })
    return json.dumps(blocks)


def collection_access_statement(collection_arn: str) -> dict[str, Any]:
    """IAM side of data access: AOSS checks the data access policy after this one allows the call."""
    return {"Sid": "OpenSearchCollectionApi", "Effect": "Allow", "Action": ["aoss:APIAccessAll"],
            "Resource": [collection_arn]}


@dataclass(frozen=True)
class OpenSearchVectorCollectionArgs:
    """`kms_key_arn` None means an AWS owned key: refused unless `dev`."""

    prefix: str
    stack: str
    vpc_id: pulumi.Input[str]
    private_subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]]  # where the VPC endpoint lives
    client_security_group_id: pulumi.Input[str]  # the functions that call the collection
    # The roles granted data access (rag, processor); empty: call grant_access once they exist.
    principal_role_arns: Sequence[pulumi.Input[str]]
    kms_key_arn: pulumi.Input[str] | None
    dev: bool
    retain: bool
    standby_replicas: bool = True  # False (dev): half the idle OCUs, no multi-AZ redundancy
    index_deleter_role_arns: Sequence[pulumi.Input[str]] = ()  # may also delete indexes (workspaces)
    role: str = "vectors"  # part of the physical names

    def __post_init__(self) -> None:
        problems: list[str] = []
        if self.kms_key_arn is None and not self.dev:
            problems.append("kms_key_arn is required outside dev stacks (SEC-CMK-AT-REST); an AWS owned key "
                            "is accepted only when dev is true")
        for field, arns in (("principal_role_arns", self.principal_role_arns),
                            ("index_deleter_role_arns", self.index_deleter_role_arns)):
            try:
                check_principals([p for p in arns if isinstance(p, str)], field, required=False)
            except ValueError as error:
                problems.append(str(error))
        subnets = self.private_subnet_ids
        if isinstance(subnets, (list, tuple)) and not 1 <= len(subnets) <= MAX_ENDPOINT_SUBNETS:
            problems.append(
                f"private_subnet_ids must hold 1..{MAX_ENDPOINT_SUBNETS} subnets, got {len(subnets)}")
        for suffix in ("", "-enc", "-net", "-data", "-vpce"):
            try:
                service_name(self.prefix, self.stack, f"{self.role}{suffix}")
            except ValueError as error:
                problems.append(str(error))
                break
        if problems:
            raise ValueError("; ".join(problems))

    def name(self, suffix: str = "") -> str:
        return service_name(self.prefix, self.stack, f"{self.role}{suffix}")


class OpenSearchVectorCollection(pulumi.ComponentResource):
    collection: aws.opensearch.ServerlessCollection
    vpc_endpoint: aws.opensearch.ServerlessVpcEndpoint
    collection_name: str
    collection_arn: pulumi.Output[str]
    collection_id: pulumi.Output[str]
    collection_endpoint: pulumi.Output[str]
    vpc_endpoint_id: pulumi.Output[str]
    endpoint_security_group_id: pulumi.Output[str]

    def __init__(
        self, name: str, args: OpenSearchVectorCollectionArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("chatbot:rag:OpenSearchVectorCollection", name, None, opts)
        self._name, self._args = name, args
        self._access_granted = False
        self.collection_name = collection = args.name()
        self._vpc_endpoint()
        encryption = aws.opensearch.ServerlessSecurityPolicy(
            f"{name}-encryption", name=args.name("-enc"), type="encryption",
            description=f"{collection}: encryption at rest",
            policy=pulumi.Output.from_input(args.kms_key_arn).apply(
                lambda key: encryption_policy(collection, key)),
            # A retained collection keeps the policy that says which key encrypts it.
            opts=self._opts(retain_on_delete=args.retain))
        network = aws.opensearch.ServerlessSecurityPolicy(
            f"{name}-network", name=args.name("-net"), type="network",
            description=f"{collection}: VPC endpoint only, no public access, no dashboards",
            policy=self.vpc_endpoint.id.apply(lambda vpce: network_policy(collection, vpce)),
            opts=self._opts())
        if args.principal_role_arns:
            self.grant_access(args.principal_role_arns, args.index_deleter_role_arns)
        # OpenSearch Serverless refuses a collection that no encryption policy covers: policies first.
        self.collection = aws.opensearch.ServerlessCollection(
            f"{name}-collection", name=collection, type=COLLECTION_TYPE,
            description=f"{args.prefix} {args.stack}: RAG vectors",
            standby_replicas="ENABLED" if args.standby_replicas else "DISABLED",
            opts=self._opts(depends_on=[encryption, network], protect=args.retain,
                            retain_on_delete=args.retain))
        self.collection_arn = self.collection.arn
        self.collection_id = self.collection.id
        self.collection_endpoint = self.collection.collection_endpoint
        self.vpc_endpoint_id = self.vpc_endpoint.id
        self.register_outputs({
            "collection_name": self.collection_name,
            "collection_arn": self.collection_arn,
            "collection_id": self.collection_id,
            "collection_endpoint": self.collection_endpoint,
            "vpc_endpoint_id": self.vpc_endpoint_id,
            "endpoint_security_group_id": self.endpoint_security_group_id,
        })

    def _opts(self, **extra: Any) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self, **extra)

    def grant_access(self, principal_role_arns: Sequence[pulumi.Input[str]],
                     index_deleter_role_arns: Sequence[pulumi.Input[str]] = ()) -> None:
        """The data access policy, once: for roles created after the collection (functions whose
        environment names its endpoint)."""
        if self._access_granted:
            raise ValueError("the collection's data access policy is already set")
        if not principal_role_arns:
            raise ValueError("principal_role_arns must name at least one IAM role")
        for field, arns in (("principal_role_arns", principal_role_arns),
                            ("index_deleter_role_arns", index_deleter_role_arns)):
            check_principals([p for p in arns if isinstance(p, str)], field, required=False)
        self._access_granted = True
        collection, args = self.collection_name, self._args
        aws.opensearch.ServerlessAccessPolicy(
            f"{self._name}-data-access", name=args.name("-data"), type="data",
            description=f"{collection}: index read/write for the RAG engine roles",
            policy=pulumi.Output.all(
                pulumi.Output.all(*principal_role_arns),
                pulumi.Output.all(*index_deleter_role_arns),
            ).apply(lambda pd: data_access_policy(collection, pd[0], pd[1])),
            opts=self._opts())

    def _vpc_endpoint(self) -> None:
        name, args = self._name, self._args
        group = aws.ec2.SecurityGroup(
            f"{name}-vpce-sg", vpc_id=args.vpc_id, tags={"Name": args.name("-vpce")},
            description=f"{args.prefix} {args.stack} OpenSearch Serverless endpoint: HTTPS from its clients",
            opts=self._opts())  # no egress rules: the endpoint answers, it opens no connections
        self.endpoint_security_group_id = group.id
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-vpce-from-clients", security_group_id=group.id,
            referenced_security_group_id=args.client_security_group_id, from_port=HTTPS, to_port=HTTPS,
            ip_protocol="tcp", description="HTTPS from the collection's clients", opts=self._opts())
        # Explicit, so the clients reach the endpoint whatever else their group allows.
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-clients-to-vpce", security_group_id=args.client_security_group_id,
            referenced_security_group_id=group.id, from_port=HTTPS, to_port=HTTPS, ip_protocol="tcp",
            description="HTTPS to the OpenSearch Serverless endpoint", opts=self._opts())
        self.vpc_endpoint = aws.opensearch.ServerlessVpcEndpoint(
            f"{name}-vpce", name=args.name("-vpce"), vpc_id=args.vpc_id,
            subnet_ids=args.private_subnet_ids, security_group_ids=[group.id], opts=self._opts())

    def client_statements(self) -> pulumi.Output[list[dict[str, Any]]]:
        """For AppFunctionArgs.extra_statements of the roles in principal_role_arns."""
        return self.collection_arn.apply(lambda arn: [collection_access_statement(arn)])
