"""OpenSearch Serverless: collections are encrypted, private and reachable only by named principals
(SEC-OPENSEARCH-PRIVATE).

Security and access policies are separate resources that select collections by name pattern
(``collection/prefix*``), so these are stack policies that match each collection's name with fnmatch,
as OpenSearch does. A policy whose text is unknown at preview is evaluated during ``pulumi up``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from fnmatch import fnmatchcase
from functools import partial
from typing import Any

from pulumi_policy import PolicyResource, ReportViolation, StackValidationArgs
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError

from ..cmk import cmk_required, customer_managed_key_set
from ..metadata import Equivalents, RuleMeta, stack_policy
from ..props import Known, Unknown, check_all, is_present, lookup, plain, require_known

COLLECTION = "aws:opensearch/serverlessCollection:ServerlessCollection"
SECURITY_POLICY = "aws:opensearch/serverlessSecurityPolicy:ServerlessSecurityPolicy"
ACCESS_POLICY = "aws:opensearch/serverlessAccessPolicy:ServerlessAccessPolicy"
URL = "https://docs.aws.amazon.com/opensearch-service/latest/developerguide/serverless-security.html"
_IDS = ("SEC-OPENSEARCH-PRIVATE",)
_NAMED = (
    re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:(role|user)/[^*]+$"),
    re.compile(r"^saml/\d{12}/[^/*]+/(user|group)/[^*]+$"),
)
INVALID = object()  # a policy text that is not JSON

ENCRYPTION_META = RuleMeta(
    name="opensearch-encryption-policy",
    description=(
        "Every OpenSearch Serverless collection is covered by an encryption policy (or encryptionConfigs), "
        "with a customer managed KMS key when the stack uses CMKs."
    ),
    severity="high",
    catalogue_level="all",
    catalogue_ids=_IDS,
    resource_types=(COLLECTION, SECURITY_POLICY),
    remediation=(
        "Create an aws.opensearch.ServerlessSecurityPolicy with type='encryption' and policy=json.dumps("
        "{'Rules': [{'ResourceType': 'collection', 'Resource': ['collection/<name>']}], 'AWSOwnedKey': "
        "False, 'KmsARN': <key ARN>}) (use pulumi.Output.json_dumps for a computed ARN)."
    ),
    url="https://docs.aws.amazon.com/opensearch-service/latest/developerguide/serverless-encryption.html",
    equivalents=Equivalents(
        # Nearest analogues: these check OpenSearch Service domains; no tool checks Serverless policies.
        cdk_nag=("AwsSolutions-OS8",), pdk_nag=("AwsPrototyping-OpenSearchEncryptedAtRest",),
        checkov=("CKV_AWS_5", "CKV_AWS_247"),
    ),
)

NETWORK_META = RuleMeta(
    name="opensearch-network-policy",
    description=(
        "Every OpenSearch Serverless collection is covered by a network policy, and no network policy "
        "rule that selects it (collection or dashboard) allows public access."
    ),
    severity="critical",
    catalogue_level="all",
    catalogue_ids=_IDS,
    resource_types=(COLLECTION, SECURITY_POLICY),
    remediation=(
        "Create an aws.opensearch.ServerlessSecurityPolicy with type='network' and policy=json.dumps([{"
        "'Rules': [{'ResourceType': 'collection', 'Resource': ['collection/<name>']}], "
        "'AllowFromPublic': False, 'SourceVPCEs': [<aws.opensearch.ServerlessVpcEndpoint id>]}])."
    ),
    url="https://docs.aws.amazon.com/opensearch-service/latest/developerguide/serverless-network.html",
    equivalents=Equivalents(
        cdk_nag=("AwsSolutions-OS1",),
        pdk_nag=("AwsPrototyping-OpenSearchInVPCOnly",),
        checkov=("CKV_AWS_137",),
    ),
)

ACCESS_META = RuleMeta(
    name="opensearch-data-access-principals",
    description=(
        "OpenSearch Serverless data access policies grant access only to named IAM roles or users "
        "(or SAML users/groups): no '*', no wildcard and no account root principal."
    ),
    severity="critical",
    catalogue_level="all",
    catalogue_ids=_IDS,
    resource_types=(ACCESS_POLICY,),
    remediation=(
        "List explicit role ARNs in each rule block's Principal, e.g. "
        "'Principal': [<aws.iam.Role>.arn], built with pulumi.Output.json_dumps."
    ),
    url="https://docs.aws.amazon.com/opensearch-service/latest/developerguide/serverless-data-access.html",
    equivalents=Equivalents(
        cdk_nag=("AwsSolutions-OS5",), pdk_nag=("AwsPrototyping-OpenSearchNoUnsignedOrAnonymousAccess",)
    ),
)


def _unknown(*path: str) -> UnknownValueError:
    return UnknownValueError(UNKNOWN_STRING_VALUE, list(path))


def document(resource: PolicyResource) -> Any:
    """The parsed policy text (``INVALID`` if it is not JSON); raises when it is unknown."""
    text = require_known(resource.props, "policy", "")
    if not isinstance(text, str):
        return plain(text)
    try:
        return json.loads(text)
    except ValueError:
        return INVALID


def _blocks(doc: Any) -> list[dict[str, Any]]:
    items = doc if isinstance(doc, list) else [doc]
    return [item for item in items if isinstance(item, dict)]


def selects(block: dict[str, Any], resource_types: set[str], name: str) -> bool:
    """Does a rule block select ``collection/<name>`` for one of ``resource_types``?"""
    target = f"collection/{name}"
    for rule in block.get("Rules") or []:
        if not isinstance(rule, dict) or rule.get("ResourceType") not in resource_types:
            continue
        patterns = rule.get("Resource") or []
        if any(isinstance(p, str) and fnmatchcase(target, p) for p in patterns):
            return True
    return False


def _security_policies(
    resources: Sequence[PolicyResource], kind: str, report: ReportViolation
) -> tuple[list[tuple[PolicyResource, list[dict[str, Any]]]], list[UnknownValueError]]:
    """Parsed security policies of ``kind``, and the unknowns that hide others."""
    parsed: list[tuple[PolicyResource, list[dict[str, Any]]]] = []
    unknown: list[UnknownValueError] = []
    for policy in (r for r in resources if r.resource_type == SECURITY_POLICY):
        policy_type = lookup(policy.props, "type")
        if isinstance(policy_type, Unknown):
            unknown.append(_unknown(policy.name, "type"))
            continue
        if not isinstance(policy_type, Known) or policy_type.value != kind:
            continue
        try:
            doc = document(policy)
        except UnknownValueError as error:
            unknown.append(error)
            continue
        if doc is INVALID:
            report(f"{kind} policy {policy.name}: policy is not valid JSON, so it covers no collection.",
                   policy.urn)
            continue
        parsed.append((policy, _blocks(doc)))
    return parsed, unknown


def _collection_name(collection: PolicyResource) -> str:
    name = require_known(collection.props, "name")
    if not name:
        # Without a name no policy pattern can be matched; decide once the engine knows it.
        raise _unknown(collection.name, "name")
    return str(name)


def _uses_cmk(block: dict[str, Any]) -> bool:
    return block.get("AWSOwnedKey") is not True and bool(block.get("KmsARN"))


def _check_encryption(
    collection: PolicyResource, policies: list[tuple[PolicyResource, list[dict[str, Any]]]],
    unknown: list[UnknownValueError], cmk: bool, report: ReportViolation,
) -> None:
    name = _collection_name(collection)
    covering = [(p, b) for p, blocks in policies for b in blocks if selects(b, {"collection"}, name)]
    inline = is_present(collection.props, "encryptionConfigs[0]")
    if not covering and not inline:
        if unknown:
            raise unknown[0]
        report(f"Collection {name} ({collection.name}) is covered by no encryption policy: no type="
               f"'encryption' ServerlessSecurityPolicy has a Rules[].Resource matching collection/{name}.",
               collection.urn)
        return
    if not cmk:
        return
    weak = [p.name for p, block in covering if not _uses_cmk(block)]
    if inline:
        owned = require_known(collection.props, "encryptionConfigs[0].awsOwnedKey", False)
        key_set = customer_managed_key_set(collection.props, "encryptionConfigs[0].kmsKeyArn")
        if owned is not False or not key_set:
            weak.append("encryptionConfigs")
    if weak:
        report(f"Collection {name} ({collection.name}) is encrypted with an AWS owned key by "
               f"{', '.join(weak)}; this stack uses customer managed keys: set AWSOwnedKey false and KmsARN.",
               collection.urn)
    if unknown:
        raise unknown[0]


def validate_encryption(args: StackValidationArgs, report: ReportViolation) -> None:
    policies, unknown = _security_policies(args.resources, "encryption", report)
    cmk = cmk_required(args)
    collections = [r for r in args.resources if r.resource_type == COLLECTION]
    check_all(*(partial(_check_encryption, c, policies, unknown, cmk, report) for c in collections))


def _network_problem(block: dict[str, Any]) -> str | None:
    if block.get("AllowFromPublic") is not False:
        return "sets AllowFromPublic to true (or leaves it unset)"
    if not (block.get("SourceVPCEs") or block.get("SourceServices")):
        return "lists neither SourceVPCEs nor SourceServices"
    return None


def _check_network(
    collection: PolicyResource, policies: list[tuple[PolicyResource, list[dict[str, Any]]]],
    unknown: list[UnknownValueError], report: ReportViolation,
) -> None:
    name = _collection_name(collection)
    covering = [(p, i, b) for p, blocks in policies for i, b in enumerate(blocks)
                if selects(b, {"collection", "dashboard"}, name)]
    if not covering and not unknown:
        report(f"Collection {name} ({collection.name}) is covered by no network policy: add a type='network' "
               f"ServerlessSecurityPolicy with AllowFromPublic false and SourceVPCEs for collection/{name}.",
               collection.urn)
    for policy, index, block in covering:
        problem = _network_problem(block)
        if problem:
            report(f"Collection {name} ({collection.name}): network policy {policy.name} rule block "
                   f"[{index}] {problem}; set AllowFromPublic false and list SourceVPCEs.", collection.urn)
    if unknown:
        # An unknown network policy could still open the collection to the internet.
        raise unknown[0]


def validate_network(args: StackValidationArgs, report: ReportViolation) -> None:
    policies, unknown = _security_policies(args.resources, "network", report)
    collections = [r for r in args.resources if r.resource_type == COLLECTION]
    check_all(*(partial(_check_network, c, policies, unknown, report) for c in collections))


def principal_problem(principal: Any) -> str | None:
    """Why a data access policy principal is not an explicit, named identity (``None`` if it is)."""
    if not isinstance(principal, str) or not principal:
        return "is not a string"
    if "*" in principal:
        return "contains a wildcard"
    if re.match(r"^arn:aws[a-z-]*:iam::\d{12}:root$", principal) or re.fullmatch(r"\d{12}", principal):
        return "names a whole account (root)"
    if not any(pattern.match(principal) for pattern in _NAMED):
        return "is not an IAM role/user ARN or a SAML user/group"
    return None


def _check_access(policy: PolicyResource, report: ReportViolation) -> None:
    if require_known(policy.props, "type", "data") != "data":
        return
    doc = document(policy)
    if doc is INVALID:
        report(f"Data access policy {policy.name}: policy is not valid JSON.", policy.urn)
        return
    for index, block in enumerate(_blocks(doc)):
        principals = block.get("Principal") or []
        for principal in [principals] if isinstance(principals, str) else principals:
            problem = principal_problem(principal)
            if problem:
                report(f"Data access policy {policy.name}: rule block [{index}] Principal {principal!r} "
                       f"{problem}; grant access to explicit role ARNs only.", policy.urn)


def validate_access(args: StackValidationArgs, report: ReportViolation) -> None:
    policies = [r for r in args.resources if r.resource_type == ACCESS_POLICY]
    check_all(*(partial(_check_access, p, report) for p in policies))


POLICIES = [
    stack_policy(ENCRYPTION_META, validate_encryption),
    stack_policy(NETWORK_META, validate_network),
    stack_policy(ACCESS_META, validate_access),
]
