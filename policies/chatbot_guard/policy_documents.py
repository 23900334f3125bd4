"""IAM policy documents: where each resource token keeps them, and their statements normalised.

IAM accepts a string or a list for Action, Resource and the principal values, and a document may
arrive as JSON text or (from a Pulumi program that passed a dict) as an object. Rules should not care.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

from .links import walk
from .props import Known, Unknown, unwrap

# Token -> paths of permission policy documents ("[]" walks a list). Trust policies are not listed.
PERMISSION_DOCUMENTS: Mapping[str, tuple[str, ...]] = {
    "aws:iam/policy:Policy": ("policy",),
    "aws:iam/rolePolicy:RolePolicy": ("policy",),
    "aws:iam/userPolicy:UserPolicy": ("policy",),
    "aws:iam/groupPolicy:GroupPolicy": ("policy",),
    "aws:iam/role:Role": ("inlinePolicies[].policy",),
    "aws:ssoadmin/permissionSetInlinePolicy:PermissionSetInlinePolicy": ("inlinePolicy",),
}

# arn:aws:iam::aws:policy/[path/]Name: a policy AWS owns (customer managed ones carry an account ID).
_AWS_MANAGED_POLICY = re.compile(r"^arn:aws[a-z-]*:iam::aws:policy/(?:.*/)?([^/]+)$")


class DocumentError(ValueError):
    """A policy document that is not valid JSON / not an IAM document."""


def _as_list(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value)


@dataclass(frozen=True)
class Statement:
    effect: str
    actions: tuple[str, ...] = ()
    not_actions: tuple[str, ...] = ()
    resources: tuple[str, ...] = ()
    not_resources: tuple[str, ...] = ()
    principals: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    conditions: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    sid: str = ""

    @property
    def allows(self) -> bool:
        return self.effect == "Allow"

    def label(self, index: int) -> str:
        return f"statement {self.sid!r}" if self.sid else f"statement #{index + 1}"


def parse_document(document: Any) -> list[Statement]:
    """Statements of a document given as JSON text or as an already-parsed object."""
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except json.JSONDecodeError as exc:
            raise DocumentError(f"not valid JSON: {exc.msg}") from exc
    if not isinstance(document, Mapping):
        raise DocumentError("a policy document must be a JSON object")
    raw = document.get("Statement", [])
    raw = [raw] if isinstance(raw, Mapping) else raw
    statements = []
    for item in raw:
        if not isinstance(item, Mapping):
            raise DocumentError("every Statement must be an object")
        principal = item.get("Principal")
        principals = (
            {"*": ("*",)}
            if principal == "*"
            else {k: _as_list(v) for k, v in principal.items()}
            if isinstance(principal, Mapping)
            else {}
        )
        statements.append(
            Statement(
                effect=str(item.get("Effect", "")),
                actions=_as_list(item.get("Action")),
                not_actions=_as_list(item.get("NotAction")),
                resources=_as_list(item.get("Resource")),
                not_resources=_as_list(item.get("NotResource")),
                principals=principals,
                conditions=dict(item.get("Condition") or {}),
                sid=str(item.get("Sid", "")),
            )
        )
    return statements


def documents(resource_type: str, props: Any) -> Iterator[tuple[str, Known | Unknown]]:
    """Each permission document a resource carries, as (property path, Known(parsed value) | Unknown)."""
    for path in PERMISSION_DOCUMENTS.get(resource_type, ()):
        for concrete, found in walk(props, path):
            if isinstance(found, Known):
                yield concrete, Known(unwrap(found.value))
            elif isinstance(found, Unknown):
                yield concrete, found


def aws_managed_policy_name(arn: object) -> str | None:
    """The name of an AWS managed policy's ARN (``AmazonBedrockFullAccess``); None for any other ARN."""
    match = _AWS_MANAGED_POLICY.match(str(arn))
    return match.group(1) if match else None


def action_matches(pattern: str, action: str) -> bool:
    """IAM's case-insensitive wildcard match of an action pattern (``s3:Get*``) against an action."""
    return fnmatchcase(action.lower(), pattern.lower())


def _insecure_transport_condition(conditions: Mapping[str, Any]) -> bool:
    """A Bool / BoolIfExists condition that aws:SecureTransport is "false" (operator and key any case)."""
    for operator, entries in conditions.items():
        if operator.lower() not in ("bool", "boolifexists") or not isinstance(entries, Mapping):
            continue
        for key, value in entries.items():
            values = value if isinstance(value, list) else [value]
            if key.lower() == "aws:securetransport" and any(str(v).lower() == "false" for v in values):
                return True
    return False


def denies_insecure_transport(statement: Statement, action: str) -> bool:
    """``statement`` denies ``action`` to every principal when the request is not over TLS.

    ``action`` is what the statement's Action must cover (``s3:*``, ``sqs:*``, ``sns:Publish``). Which
    resources it names is the caller's business (S3 wants the bucket and its objects).
    """
    everyone = "*" in statement.principals.get("*", ()) or "*" in statement.principals.get("AWS", ())
    return (
        statement.effect == "Deny"
        and not statement.not_actions
        and not statement.not_resources
        and everyone
        and any(action_matches(pattern, action) for pattern in statement.actions)
        and _insecure_transport_condition(statement.conditions)
    )
