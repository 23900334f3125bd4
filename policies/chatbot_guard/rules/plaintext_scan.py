"""What looks like a plain-text secret: the scanner behind ``plaintext_secrets.py``.

A value is secret-looking when its key names a secret (password, token, client_secret, ...) or when the
value itself has a known secret format (private key, AKIA.. key pair, hf_/sk- tokens, JWT, URL with a
password). Findings name where the value is and why, never the value. No ``POLICIES`` here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError

from ..props import Unknown, is_unknown_value

_SECRET_WORDS = frozenset(
    {"password", "passwd", "passphrase", "secret", "token", "apikey", "credential", "credentials",
     "clientsecret", "privatekey", "accesskey", "secretkey", "hftoken", "authtoken"}
)
_SECRET_PAIRS = frozenset({("api", "key"), ("private", "key"), ("access", "key"), ("secret", "key")})
# A last word that says the value is where the secret lives, or a setting about it, not the secret.
_NOT_A_VALUE = frozenset(
    {"arn", "name", "id", "parameter", "param", "path", "ttl", "length", "expiry", "expires", "expiration",
     "timeout", "enabled", "type", "header", "url", "uri", "endpoint", "prefix", "version", "rotation"}
)
_REFERENCE = re.compile(r"^(arn:aws[a-z-]*:(secretsmanager|ssm|kms):|\{\{resolve:(secretsmanager|ssm))")
_TRIVIAL = frozenset({"", "true", "false", "yes", "no", "none", "null"})
_FORMATS = (
    ("a private key", re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----")),
    ("a Hugging Face token", re.compile(r"\bhf_[A-Za-z0-9]{30,}\b")),
    ("an sk- API key", re.compile(r"\bsk-(?:proj-|ant-)?[A-Za-z0-9_-]{20,}")),
    ("a JSON Web Token", re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")),
    ("a GitHub token", re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{22,})")),
    ("a Slack token", re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}")),
    ("a URL with a password", re.compile(r"\b[a-z][a-z0-9+.-]*://[^/\s:@]+:[^/\s@]+@", re.I)),
)
_ACCESS_KEY_ID = re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")
_SECRET_ACCESS_KEY = re.compile(r"(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])")


def key_words(key: str) -> list[str]:
    """``clientSecret`` / ``CLIENT_SECRET`` / ``client-secret`` -> ``['client', 'secret']``."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", key))
    return [w for w in re.split(r"[^a-z0-9]+", spaced.lower()) if w]


def secret_key(key: str) -> bool:
    words = key_words(key)
    if not words or words[-1] in _NOT_A_VALUE:
        return False
    pairs = zip(words, words[1:], strict=False)
    return bool(_SECRET_WORDS.intersection(words)) or any(p in _SECRET_PAIRS for p in pairs)


def value_format(value: str) -> str | None:
    """What known secret format ``value`` has, if any."""
    for label, pattern in _FORMATS:
        if pattern.search(value):
            return label
    if _ACCESS_KEY_ID.search(value) and _SECRET_ACCESS_KEY.search(value):
        return "an AWS access key pair"
    return None


@dataclass(frozen=True)
class Finding:
    where: str
    why: str

    def __str__(self) -> str:
        return f"{self.where} ({self.why})"


def _json(value: str) -> Any:
    if value.lstrip()[:1] not in ("{", "["):
        return None
    try:
        return json.loads(value)
    except ValueError:
        return None


def scan(node: Any, where: str) -> Iterator[Finding | Unknown]:
    """Findings under a plain (``props.plain``) value; ``Unknown`` where a secret-named value is unknown."""
    if isinstance(node, Mapping):
        pairs: list[tuple[str, Any]] = []
        if set(node) >= {"name", "value"} and isinstance(node["name"], str):
            pairs.append((node["name"], node["value"]))  # ECS / Batch / EKS {name, value} entries
        else:
            pairs += [(str(k), v) for k, v in node.items()]
        yield from _key_pair(node.values(), where)
        for key, value in pairs:
            yield from scan_pair(key, value, f"{where}.{key}")
    elif isinstance(node, list):
        # ECS / Batch environments are lists of {name, value}: the key pair may sit in two entries.
        yield from _key_pair((i.get("value") for i in node if isinstance(i, Mapping)), where)
        for index, item in enumerate(node):
            yield from scan(item, f"{where}[{index}]")
    elif isinstance(node, str) and not is_unknown_value(node):
        parsed = _json(node)
        if parsed is not None:
            yield from scan(parsed, where)  # JSON text: report the exact place inside it
            return
        label = value_format(node)
        if label:
            yield Finding(where, f"the value looks like {label}")


def _key_pair(values: Iterable[Any], where: str) -> Iterator[Finding]:
    strings = [v for v in values if isinstance(v, str)]
    if any(_ACCESS_KEY_ID.search(s) for s in strings) and any(_SECRET_ACCESS_KEY.search(s) for s in strings):
        yield Finding(where, "an AWS access key id with its secret access key")


def scan_pair(key: str, value: Any, where: str) -> Iterator[Finding | Unknown]:
    if isinstance(value, Mapping | list):
        yield from scan(value, where)
        return
    if is_unknown_value(value):
        if secret_key(key):
            yield Unknown((where,))
        return
    text = "" if value is None else str(value).strip()
    if secret_key(key) and text.lower() not in _TRIVIAL and not _REFERENCE.match(text):
        yield Finding(where, "the name says it holds a secret")
    elif isinstance(value, str):
        yield from scan(value, where)


def raise_first_unknown(results: list[Finding | Unknown]) -> list[Finding]:
    findings = [r for r in results if isinstance(r, Finding)]
    unknown = next((r for r in results if isinstance(r, Unknown)), None)
    if unknown is not None and not findings:
        raise UnknownValueError(UNKNOWN_STRING_VALUE, [str(s) for s in unknown.path])
    return findings


def message(findings: list[Finding], advice: str) -> str:
    return f"Plain-text secret in {'; '.join(map(str, findings))}. {advice}"
