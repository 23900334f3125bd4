"""Physical names for resources whose name must be set explicitly (WAF ACLs, log groups, KMS aliases).

Most resources use Pulumi auto-naming (a random suffix lets replacements proceed). A few AWS names carry
meaning (the `aws-waf-logs-` prefix) or are looked up by humans, so they are built here, deterministically.
"""

from __future__ import annotations

import hashlib
import re

MAX_LENGTH = 63
_HASH_LENGTH = 8
_INVALID = re.compile(r"[^a-z0-9-]+")
_HYPHENS = re.compile(r"-{2,}")


def _normalise(part: str) -> str:
    cleaned = _INVALID.sub("-", part.lower())
    return _HYPHENS.sub("-", cleaned).strip("-")


def resource_name(prefix: str, stack: str, role: str, *, max_length: int = MAX_LENGTH) -> str:
    """Return `<prefix>-<stack>-<role>` as lower-case letters, digits and single hyphens.

    Names longer than `max_length` are cut and end with a hash of the full name, so two long names that
    share a beginning still differ and the same inputs always give the same name.
    """
    if max_length < _HASH_LENGTH + 2:
        raise ValueError(f"max_length must be at least {_HASH_LENGTH + 2}, got {max_length}")
    parts = [_normalise(p) for p in (prefix, stack, role)]
    if not all(parts):
        raise ValueError(
            f"prefix, stack and role must each contain a letter or digit: {(prefix, stack, role)!r}"
        )
    full = "-".join(parts)
    if len(full) <= max_length:
        return full
    digest = hashlib.sha256(full.encode()).hexdigest()[:_HASH_LENGTH]
    head = full[: max_length - _HASH_LENGTH - 1].rstrip("-")
    return f"{head}-{digest}"
