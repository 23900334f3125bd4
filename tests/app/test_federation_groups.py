"""The pre-token-generation trigger: federated users get exactly one chatbot group from their provider's
claim (unknown values give `user`), native users keep their groups, and a user-set attribute is ignored."""

from __future__ import annotations

import ast
import copy
import json
from pathlib import Path
from typing import Any

import pytest
from chatbot_app.handlers import federation_groups
from chatbot_app.handlers.federation_groups import claim_values, group_for, handler, is_federated

IDENTITIES = json.dumps(
    [{"userId": "abc", "providerName": "Corp", "providerType": "OIDC", "primary": "true"}]
)


def event(attributes: dict[str, Any], groups: list[str] | None = None) -> dict[str, Any]:
    """A V2_0 pre-token-generation event as Cognito sends it."""
    return {
        "version": "2",
        "triggerSource": "TokenGeneration_HostedAuth",
        "region": "eu-west-1",
        "userPoolId": "eu-west-1_TestPool1",
        "userName": "Corp_abc",
        "callerContext": {"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": "spa-client-id"},
        "request": {
            "userAttributes": {"sub": "0f0e", "email": "ana@example.com", **attributes},
            "groupConfiguration": {
                "groupsToOverride": groups or [], "iamRolesToOverride": [], "preferredRole": None,
            },
            "scopes": ["openid", "email", "profile"],
        },
        "response": {"claimsAndScopeOverrideDetails": None},
    }


def federated(group: Any, **extra: str) -> dict[str, Any]:
    attributes = {"identities": IDENTITIES, "cognito:user_status": "EXTERNAL_PROVIDER", **extra}
    if group is not None:
        attributes["custom:chatbot_group"] = group
    return event(attributes)


def groups_granted(result: dict[str, Any]) -> list[str]:
    return result["response"]["claimsAndScopeOverrideDetails"]["groupOverrideDetails"]["groupsToOverride"]


@pytest.mark.parametrize("group", ["admin", "workspace_manager", "user"])
def test_recognised_group_is_granted(group: str) -> None:
    assert groups_granted(handler(federated(group), None)) == [group]


@pytest.mark.parametrize("value", [None, "", "superuser", "Administrators", "admins", "[]", "null"])
def test_missing_or_unknown_group_falls_back_to_user(value: Any) -> None:
    assert groups_granted(handler(federated(value), None)) == ["user"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('["user", "admin"]', "admin"),  # JSON array from an OIDC provider
        ("[user, workspace_manager]", "workspace_manager"),  # Cognito's rendering of a SAML multi-value
        ("sales,workspace_manager", "workspace_manager"),
        (" Admin ", "admin"),
        ('["sales", "finance"]', "user"),
    ],
)
def test_multi_valued_claims_grant_the_strongest_recognised_group(value: str, expected: str) -> None:
    assert group_for(value) == expected
    assert groups_granted(handler(federated(value), None)) == [expected]


def test_exactly_one_group_replaces_whatever_the_pool_holds() -> None:
    incoming = federated("user")
    incoming["request"]["groupConfiguration"]["groupsToOverride"] = ["admin", "user"]
    assert groups_granted(handler(incoming, None)) == ["user"]


def test_native_user_is_left_alone_even_with_the_attribute_set() -> None:
    # A pool user who somehow set custom:chatbot_group must not gain a group from it.
    native = event({"custom:chatbot_group": "admin", "cognito:user_status": "CONFIRMED"}, groups=["user"])
    before = copy.deepcopy(native)
    assert handler(native, None) == before


def test_federation_is_recognised_by_identities_or_status_only() -> None:
    assert is_federated({"identities": IDENTITIES})
    assert is_federated({"cognito:user_status": "EXTERNAL_PROVIDER"})
    assert not is_federated({"cognito:user_status": "CONFIRMED"})
    assert not is_federated({"identities": "[]"})
    assert not is_federated({"identities": "not json"})
    assert not is_federated({"custom:chatbot_group": "admin"})


def test_other_override_details_are_kept() -> None:
    incoming = federated("admin")
    incoming["response"]["claimsAndScopeOverrideDetails"] = {"idTokenGeneration": {"claimsToSuppress": ["x"]}}
    details = handler(incoming, None)["response"]["claimsAndScopeOverrideDetails"]
    assert details["idTokenGeneration"] == {"claimsToSuppress": ["x"]}
    assert details["groupOverrideDetails"] == {"groupsToOverride": ["admin"]}


def test_claim_values_parsing() -> None:
    assert claim_values(None) == []
    assert claim_values("admin") == ["admin"]
    assert claim_values(["Admin", " user "]) == ["admin", "user"]
    assert claim_values('["a","b"]') == ["a", "b"]
    assert claim_values("[a, b]") == ["a", "b"]


def test_unrecognised_claim_is_logged_without_identifiers(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("WARNING", logger=federation_groups.__name__):
        handler(federated("superuser"), None)
    assert "unrecognised" in caplog.text
    assert "superuser" not in caplog.text and "ana@example.com" not in caplog.text


def test_the_trigger_imports_only_the_standard_library() -> None:
    tree = ast.parse(Path(federation_groups.__file__).read_text(encoding="utf-8"))
    modules = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    modules |= {
        "." * node.level + (node.module or "") for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
    }
    assert modules == {"__future__", "json", "logging", "typing"}
