"""Cognito pre-token-generation (V2_0) trigger: a federated user's group comes from their identity provider.

The user pool maps the provider's group claim into the custom attribute `custom:chatbot_group`, refreshed at
every federated sign-in. This trigger overrides the `cognito:groups` claim of the ID and access tokens with
exactly one chatbot group taken from that attribute: `admin`, `workspace_manager` or `user`; a missing or
unrecognised value gives `user` (least privilege). The identity provider stays the source of truth: revoking
a group there takes effect at the user's next token, with no membership to clean up in the user pool.

Users created in the pool itself (not federated) keep the groups an administrator gave them. Federation is
recognised by attributes only Cognito writes (`identities`, `cognito:user_status`), never by the custom
attribute, so a native user cannot promote themself by setting it.

Self-contained on purpose: no imports from the rest of chatbot_app, so the trigger stays tiny and fast.
"""

from __future__ import annotations

import json
import logging
from typing import Any

GROUP_ATTRIBUTE = "custom:chatbot_group"
# Most privileged first: when the provider sends several recognised groups, the user gets the strongest.
GROUPS: tuple[str, ...] = ("admin", "workspace_manager", "user")
DEFAULT_GROUP = "user"
EXTERNAL_STATUS = "EXTERNAL_PROVIDER"

log = logging.getLogger(__name__)
log.setLevel(logging.INFO)


def is_federated(attributes: dict[str, Any]) -> bool:
    """True for users who signed in through an external identity provider."""
    if attributes.get("cognito:user_status") == EXTERNAL_STATUS:
        return True
    identities = attributes.get("identities")
    if not identities:
        return False
    try:
        parsed = json.loads(identities) if isinstance(identities, str) else identities
    except ValueError:
        return False
    return isinstance(parsed, list) and len(parsed) > 0


def claim_values(raw: Any) -> list[str]:
    """The group names in a mapped claim: a plain value, a JSON array, or Cognito's `[a, b]` rendering."""
    if raw is None:
        return []
    if isinstance(raw, list):
        items: list[Any] = raw
    else:
        text = str(raw).strip()
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = None
        if isinstance(parsed, list):
            items = parsed
        elif text.startswith("[") and text.endswith("]"):
            items = text[1:-1].split(",")
        else:
            items = text.split(",")
    return [str(item).strip().strip("\"'").strip().lower() for item in items if str(item).strip()]


def group_for(raw: Any) -> str:
    """The one chatbot group a claim value grants: the most privileged recognised name, else `user`."""
    values = set(claim_values(raw))
    return next((group for group in GROUPS if group in values), DEFAULT_GROUP)


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    request = event.get("request") or {}
    attributes = request.get("userAttributes") or {}
    if not is_federated(attributes):
        return event
    raw = attributes.get(GROUP_ATTRIBUTE)
    group = group_for(raw)
    if raw and group == DEFAULT_GROUP and DEFAULT_GROUP not in claim_values(raw):
        # Values only, no user identifiers: enough to spot a misconfigured claim mapping.
        log.warning("unrecognised federated group claim; granting %s", DEFAULT_GROUP)
    response = event.setdefault("response", {})
    details = response.get("claimsAndScopeOverrideDetails") or {}
    details["groupOverrideDetails"] = {"groupsToOverride": [group]}
    response["claimsAndScopeOverrideDetails"] = details
    return event
