"""Fixtures for rules/opensearch.py: encryption, network and data access policies of collections."""

import json
from typing import Any

from ..harness import UNKNOWN
from . import Baseline, Resource

KEY = "aws:kms/key:Key"
COLLECTION = "aws:opensearch/serverlessCollection:ServerlessCollection"
SECURITY_POLICY = "aws:opensearch/serverlessSecurityPolicy:ServerlessSecurityPolicy"
ACCESS_POLICY = "aws:opensearch/serverlessAccessPolicy:ServerlessAccessPolicy"

ENCRYPTION = "opensearch-encryption-policy"
NETWORK = "opensearch-network-policy"
ACCESS = "opensearch-data-access-principals"

KEY_ARN = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
ROLE = "arn:aws:iam::123456789012:role/chatbot-rag-indexer"


def _rules(*patterns: str, kinds: tuple[str, ...] = ("collection",)) -> list[dict[str, Any]]:
    return [{"ResourceType": kind, "Resource": list(patterns)} for kind in kinds]


def encryption(pattern: str = "collection/chatbot-*", **key: Any) -> str:
    return json.dumps({"Rules": _rules(pattern), **(key or {"AWSOwnedKey": False, "KmsARN": KEY_ARN})})


def network(*blocks: dict[str, Any]) -> str:
    private = {"Rules": _rules("collection/chatbot-docs", kinds=("collection", "dashboard")),
               "AllowFromPublic": False, "SourceVPCEs": ["vpce-0a1b2c3d4e5f67890"]}
    return json.dumps([private, *blocks])


def access(*principals: Any) -> str:
    return json.dumps([{
        "Rules": [{"ResourceType": "index", "Resource": ["index/chatbot-docs/*"],
                   "Permission": ["aoss:ReadDocument", "aoss:WriteDocument", "aoss:CreateIndex"]}],
        "Principal": list(principals or [ROLE]),
    }])


RESOURCES = (
    Resource(KEY, "search-key", {"enableKeyRotation": True, "description": "OpenSearch"}),
    Resource(COLLECTION, "docs", {"name": "chatbot-docs", "type": "VECTORSEARCH",
                                  "standbyReplicas": "DISABLED"}),
    Resource(SECURITY_POLICY, "docs-encryption", {"name": "chatbot-docs-enc", "type": "encryption",
                                                  "policy": encryption()}),
    Resource(SECURITY_POLICY, "docs-network", {"name": "chatbot-docs-net", "type": "network",
                                               "policy": network()}),
    Resource(ACCESS_POLICY, "docs-access", {"name": "chatbot-docs-data", "type": "data", "policy": access()}),
)
BASE = Baseline(RESOURCES)
DEV = Baseline(RESOURCES, stack="dev")
NO_KEY = Baseline(RESOURCES[1:])  # no KMS key in the stack: customer managed keys not required ("auto")
INLINE = {"awsOwnedKey": False, "kmsKeyArn": UNKNOWN}
# The collection's own encryptionConfigs is the other way to encrypt it.
INLINE_ONLY = Baseline(tuple(
    Resource(r.type, r.name, {**r.props, "encryptionConfigs": [INLINE]}) if r.type == COLLECTION else r
    for r in RESOURCES if r.name != "docs-encryption"
))
REQUIRED = {"stack-profile": {"customerManagedKeys": "required"}}

ENCRYPTION_CASES = [
    BASE.case(ENCRYPTION),
    NO_KEY.mutate(ENCRYPTION, "AWS owned key when the stack has no CMK", "docs-encryption", "policy",
                  encryption(AWSOwnedKey=True), expect="pass"),
    BASE.without(ENCRYPTION, "no encryption policy", "docs-encryption", level="mandatory",
                 message="covered by no encryption policy"),
    BASE.mutate(ENCRYPTION, "pattern selects other collections", "docs-encryption", "policy",
                encryption("collection/other-*")),
    BASE.mutate(ENCRYPTION, "pattern names an index, not the collection", "docs-encryption", "policy",
                json.dumps({"Rules": [{"ResourceType": "index", "Resource": ["index/chatbot-docs/*"]}],
                            "AWSOwnedKey": False, "KmsARN": KEY_ARN})),
    BASE.mutate(ENCRYPTION, "AWS owned key while the stack uses CMKs", "docs-encryption", "policy",
                encryption(AWSOwnedKey=True), message="AWS owned key by docs-encryption"),
    NO_KEY.mutate(ENCRYPTION, "AWS owned key when pack config requires CMKs", "docs-encryption", "policy",
                  encryption(AWSOwnedKey=True), config=REQUIRED),
    BASE.mutate(ENCRYPTION, "policy is not JSON", "docs-encryption", "policy", "{Rules: [",
                message="not valid JSON"),
    BASE.mutate(ENCRYPTION, "policy text unknown at preview", "docs-encryption", "policy", UNKNOWN,
                expect="not-evaluated"),
    BASE.plus(ENCRYPTION, "a second encryption policy unknown at preview may weaken the key",
              Resource(SECURITY_POLICY, "late-encryption", {"name": "chatbot-late", "type": "encryption",
                                                            "policy": UNKNOWN}),
              expect="not-evaluated"),
    NO_KEY.plus(ENCRYPTION, "an unknown second policy does not matter when CMKs are optional",
                Resource(SECURITY_POLICY, "late-encryption", {"name": "chatbot-late", "type": "encryption",
                                                              "policy": UNKNOWN}),
                expect="pass"),
    BASE.mutate(ENCRYPTION, "collection name unknown at preview", "docs", "name", UNKNOWN,
                expect="not-evaluated"),
    INLINE_ONLY.case(ENCRYPTION, "encryptionConfigs with a CMK instead of a policy"),
    INLINE_ONLY.mutate(ENCRYPTION, "encryptionConfigs with an AWS owned key while the stack uses CMKs",
                       "docs", "encryptionConfigs.0.awsOwnedKey", True, message="encryptionConfigs"),
    INLINE_ONLY.mutate(ENCRYPTION, "encryptionConfigs owner flag unknown at preview", "docs",
                       "encryptionConfigs.0.awsOwnedKey", UNKNOWN, expect="not-evaluated"),
    DEV.without(ENCRYPTION, "dev stacks are not exempt", "docs-encryption", level="mandatory"),
]

NETWORK_CASES = [
    BASE.case(NETWORK),
    BASE.mutate(NETWORK, "prefix pattern and Bedrock as source service", "docs-network", "policy",
                json.dumps([{"Rules": _rules("collection/chatbot-*"), "AllowFromPublic": False,
                             "SourceServices": ["bedrock.amazonaws.com"]}]), expect="pass"),
    BASE.without(NETWORK, "no network policy", "docs-network", level="mandatory",
                 message="covered by no network policy"),
    BASE.mutate(NETWORK, "public collection", "docs-network", "policy",
                json.dumps([{"Rules": _rules("collection/chatbot-docs"), "AllowFromPublic": True}]),
                message="AllowFromPublic"),
    BASE.mutate(NETWORK, "public dashboards in a second block", "docs-network", "policy",
                network({"Rules": _rules("collection/chatbot-*", kinds=("dashboard",)),
                         "AllowFromPublic": True}),
                message="rule block [1]"),
    BASE.mutate(NETWORK, "private but no source listed", "docs-network", "policy",
                json.dumps([{"Rules": _rules("collection/chatbot-docs"), "AllowFromPublic": False}]),
                message="neither SourceVPCEs"),
    BASE.mutate(NETWORK, "a public block for another collection does not matter", "docs-network", "policy",
                network({"Rules": _rules("collection/demo"), "AllowFromPublic": True}), expect="pass"),
    BASE.mutate(NETWORK, "policy text unknown at preview", "docs-network", "policy", UNKNOWN,
                expect="not-evaluated"),
    DEV.mutate(NETWORK, "dev stacks are not exempt", "docs-network", "policy",
               json.dumps([{"Rules": _rules("collection/chatbot-docs"), "AllowFromPublic": True}]),
               level="mandatory"),
]

ACCESS_CASES = [
    BASE.case(ACCESS),
    BASE.mutate(ACCESS, "SAML group principal", "docs-access", "policy",
                access(ROLE, "saml/123456789012/corp-idp/group/search-admins"), expect="pass"),
    BASE.mutate(ACCESS, "everyone", "docs-access", "policy", access("*"), level="mandatory",
                message="contains a wildcard"),
    BASE.mutate(ACCESS, "account root", "docs-access", "policy", access("arn:aws:iam::123456789012:root"),
                message="whole account"),
    BASE.mutate(ACCESS, "wildcard role", "docs-access", "policy", access("arn:aws:iam::123456789012:role/*")),
    BASE.mutate(ACCESS, "bare account id", "docs-access", "policy", access("123456789012")),
    BASE.mutate(ACCESS, "service principal is not a named identity", "docs-access", "policy",
                access("bedrock.amazonaws.com"), message="not an IAM role/user ARN"),
    BASE.mutate(ACCESS, "policy is not JSON", "docs-access", "policy", "[{", message="not valid JSON"),
    BASE.mutate(ACCESS, "policy text unknown at preview", "docs-access", "policy", UNKNOWN,
                expect="not-evaluated"),
    DEV.mutate(ACCESS, "dev stacks are not exempt", "docs-access", "policy", access("*"), level="mandatory"),
]

CASES = ENCRYPTION_CASES + NETWORK_CASES + ACCESS_CASES
