"""When customer managed keys are required (SEC-CMK-AT-REST), and what counts as one.

The catalogue requires CMKs "when the stack enables customer managed keys". A policy pack cannot read
the program's settings, so by default ("auto") a stack enables CMKs by creating one; pack config
``customerManagedKeys`` can make them required or optional regardless.
"""

from __future__ import annotations

from typing import Any

from pulumi_policy import StackValidationArgs

from .props import Known, Missing, lookup
from .settings import current_settings

KMS_KEY = "aws:kms/key:Key"
KMS_REPLICA_KEYS = (
    "aws:kms/replicaKey:ReplicaKey",
    "aws:kms/externalKey:ExternalKey",
    "aws:kms/replicaExternalKey:ReplicaExternalKey",
)
_AWS_MANAGED_ALIAS = "alias/aws/"


def cmk_required(args: StackValidationArgs) -> bool:
    mode = current_settings().customer_managed_keys
    if mode != "auto":
        return mode == "required"
    return any(r.resource_type in (KMS_KEY, *KMS_REPLICA_KEYS) for r in args.resources)


def customer_managed_key_set(props: Any, path: str) -> bool:
    """True when ``path`` names a key that is not AWS managed. Presence is enough at preview: a key ARN
    computed from a key created in the same stack is unknown then, but it is a customer managed key."""
    found = lookup(props, path)
    if isinstance(found, Missing):
        return False
    if isinstance(found, Known):
        value = str(found.value)
        return bool(value) and _AWS_MANAGED_ALIAS not in value
    return True
