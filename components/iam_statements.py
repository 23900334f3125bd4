"""IAM statement builders that several components' roles share (pure: plain dicts, no Pulumi calls)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def key_via_service_statement(sid: str, key_arn: Any, service: str, region: str,
                              actions: Sequence[str]) -> dict[str, Any]:
    """Use of a KMS key only through one AWS service in one region (kms:ViaService), e.g. S3 or SQS
    encrypting and decrypting on the caller's behalf; the key itself is never usable directly."""
    return {
        "Sid": sid,
        "Effect": "Allow",
        "Action": list(actions),
        "Resource": [key_arn],
        "Condition": {"StringEquals": {"kms:ViaService": f"{service}.{region}.amazonaws.com"}},
    }
