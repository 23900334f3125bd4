"""The offline preview's report as SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.

One run; `tool.driver` is this preview and carries one rule per policy of every pack (id = policy name;
a name that a later pack repeats keeps the first pack's rule). Each rule has the policy's description,
its remediation steps as help text, its documentation link as `helpUri`, and properties: catalogue IDs,
severity, enforcement level, pack, tags (`security` plus the catalogue IDs, so GitHub files the alerts as
security alerts and can filter on an ID) and GitHub's numeric `security-severity`.

Results, all with the resource's URN as a logical location (kind "resource") and in `properties.urn`:
- a violation: level `error` for mandatory and remediate, `warning` for advisory (GitHub's default
  check fails on `error`).
- a suppressed violation: a result of the level the policy would have, with `suppressions`
  [{kind: "external", status: "accepted", justification: <the written reason>}]. SARIF viewers show it
  as suppressed; GitHub code scanning opens an alert for it unless the upload step dismisses suppressed
  results (e.g. the advanced-security/dismiss-alerts action), so the reason stays visible either way.
- a policy not evaluated at preview (it read a value known only after deploy): a `note` result on the
  resource, with the reason and `properties.notEvaluated: true`. A note is shown on the line in code
  scanning without failing the check; invocation notifications would not be shown at all, and these are
  checks a reviewer must know were deferred to `pulumi up`.

Locations: the program line that registered the resource (the SDK's `sourcePosition`), relative to the
project directory (`%SRCROOT%`), when that file lies inside the project and outside installed packages
(a virtualenv in the project is not the program); otherwise (stack-level findings, resources registered
by library code) line 1 of the project file `Pulumi.yaml`, since code scanning drops results without a
file in the repository. GitHub resolves these URIs against the repository root, so upload from a
project at the root of its repository. Each result has a `partialFingerprints` entry computed from
policy and URN, so two findings on one line stay two alerts and an alert survives edits that move its
line.
"""

from __future__ import annotations

import hashlib
import json
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlparse

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
TOOL_NAME = "pulumi-offline-preview"
INFORMATION_URI = "https://www.pulumi.com/docs/iac/using-pulumi/crossguard/"
SRCROOT = "%SRCROOT%"
_INSTALLED = {"site-packages", "dist-packages"}  # library code, even in a virtualenv inside the project
_LEVELS = {"mandatory": "error", "remediate": "error", "advisory": "warning", "disabled": "none"}
# GitHub's bands: critical >= 9.0, high 7.0-8.9, medium 4.0-6.9, low 0.1-3.9.
_SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0"}


def level_for(enforcement_level: str) -> str:
    return _LEVELS.get(enforcement_level, "warning")


def _rule(policy: dict[str, Any]) -> dict[str, Any]:
    ids = policy["catalogueIds"]
    description = policy["description"] or policy["name"]
    steps = policy.get("remediationSteps")
    id_text = f" Catalogue IDs: {', '.join(ids)}." if ids else ""
    help_text = (steps or description) + id_text
    id_markdown = f"\n\nCatalogue IDs: {', '.join(f'`{i}`' for i in ids)}" if ids else ""
    help_markdown = (steps or description) + id_markdown
    properties: dict[str, Any] = {
        "catalogueIds": ids,
        "severity": policy["severity"],
        "enforcementLevel": policy["enforcementLevel"],
        "pack": policy["pack"],
        "tags": ["security", *ids],
    }
    if policy["severity"] in _SECURITY_SEVERITY:
        properties["security-severity"] = _SECURITY_SEVERITY[policy["severity"]]
    rule: dict[str, Any] = {
        "id": policy["name"],
        "name": policy["name"],
        "shortDescription": {"text": description},
        "fullDescription": {"text": f"{description}{id_text} Policy pack: {policy['pack']}."},
        "help": {"text": help_text, "markdown": help_markdown},
        "defaultConfiguration": {
            "level": level_for(policy["enforcementLevel"]),
            "enabled": policy["enforcementLevel"] != "disabled",
        },
        "properties": properties,
    }
    if policy.get("url"):
        rule["helpUri"] = policy["url"]
    return rule


def _project_file(root: Path) -> str:
    return next((n for n in ("Pulumi.yaml", "Pulumi.yml") if (root / n).exists()), "Pulumi.yaml")


def _physical(resource: dict[str, Any] | None, root: Path) -> dict[str, Any]:
    """The program line that registered the resource, or line 1 of Pulumi.yaml when it is outside."""
    position = (resource or {}).get("sourcePosition") or {}
    parsed = urlparse(position.get("uri") or "")
    if parsed.scheme == "file" and position.get("line", 0) >= 1:
        try:
            relative = Path(unquote(parsed.path)).resolve().relative_to(root)
        except ValueError:
            relative = None
        if relative is not None and not _INSTALLED.intersection(relative.parts):
            region: dict[str, Any] = {"startLine": position["line"]}
            if position.get("column", 0) >= 1:  # the SDK sends 0 when it has no column
                region["startColumn"] = position["column"]
            return {
                "artifactLocation": {"uri": quote(relative.as_posix()), "uriBaseId": SRCROOT},
                "region": region,
            }
    return {
        "artifactLocation": {"uri": quote(_project_file(root)), "uriBaseId": SRCROOT},
        "region": {"startLine": 1},
    }


def _fingerprint(policy: str, urn: str) -> str:
    return hashlib.sha256(f"{policy}\0{urn}".encode()).hexdigest()[:32]


class _Results:
    """Builds results against the rule table and the report's resources."""

    def __init__(self, report: dict[str, Any], root: Path, rules: dict[str, int]) -> None:
        self.root = root
        self.rules = rules
        self.policies = {p["name"]: p for p in reversed(report["policies"])}  # first pack wins
        self.resources = {r["urn"]: r for r in report["resources"]}
        self.items: list[dict[str, Any]] = []

    def add(self, policy: str, urn: str, level: str, message: str, **extra: Any) -> dict[str, Any]:
        resource = self.resources.get(urn)
        properties = {"catalogueIds": self.policies.get(policy, {}).get("catalogueIds", []), "urn": urn}
        if resource:
            properties["resourceType"] = resource["type"]
        properties.update(extra.pop("properties", {}))
        logical = {
            "name": resource["name"] if resource else urn.rsplit("::", 1)[-1],
            "fullyQualifiedName": urn,
            "kind": "resource",
        }
        result: dict[str, Any] = {
            "ruleId": policy,
            "level": level,
            "message": {"text": message},
            "locations": [
                {"physicalLocation": _physical(resource, self.root), "logicalLocations": [logical]}
            ],
            "partialFingerprints": {"policyUrnHash/v1": _fingerprint(policy, urn)},
            "properties": properties,
            **extra,
        }
        if policy in self.rules:
            result["ruleIndex"] = self.rules[policy]
        self.items.append(result)
        return result


def build(report: dict[str, Any], project_dir: Path) -> dict[str, Any]:
    """The SARIF log of one preview report; `project_dir` is the Pulumi project's directory."""
    root = project_dir.resolve()
    rules: list[dict[str, Any]] = []
    index: dict[str, int] = {}
    for policy in report["policies"]:
        if policy["name"] not in index:
            index[policy["name"]] = len(rules)
            rules.append(_rule(policy))
    results = _Results(report, root, index)
    for violation in report["violations"]:
        results.add(
            violation["policy"],
            violation["urn"],
            level_for(violation["enforcementLevel"]),
            violation["message"],
            properties={"enforcementLevel": violation["enforcementLevel"], "severity": violation["severity"]},
        )
    for item in report["suppressed"]:
        meta = results.policies.get(item["policy"], {})
        level = meta.get("enforcementLevel", "advisory")
        results.add(
            item["policy"],
            item["urn"],
            level_for(level),
            f"{meta.get('description') or item['policy']}\nSuppressed: {item['reason']}",
            suppressions=[{"kind": "external", "status": "accepted", "justification": item["reason"]}],
            properties={"enforcementLevel": level},
        )
    for item in report["notEvaluated"]:
        results.add(
            item["policy"],
            item["urn"],
            "note",
            f"Not evaluated at preview: {item['reason']}. The policy runs during `pulumi up`; "
            "`--mode deploy` shows how it judges known values.",
            properties={"notEvaluated": True},
        )
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": TOOL_NAME,
                # The preview ships with its repository and has no release of its own: name the SDKs.
                "version": metadata.version("pulumi"),
                "informationUri": INFORMATION_URI,
                "rules": rules,
                "properties": {"pulumiPolicyVersion": metadata.version("pulumi-policy")},
            }
        },
        "automationDetails": {"id": f"{TOOL_NAME}/{report['project']}/{report['stack']}/"},
        "originalUriBaseIds": {SRCROOT: {"uri": root.as_uri() + "/"}},
        "invocations": [
            {
                "executionSuccessful": True,
                "properties": {
                    "stack": report["stack"],
                    "mode": report["mode"],
                    "summary": report["summary"],
                },
            }
        ],
        "results": results.items,
        "columnKind": "unicodeCodePoints",
    }
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def write(path: Path, report: dict[str, Any], project_dir: Path) -> None:
    path.write_text(json.dumps(build(report, project_dir), indent=2) + "\n", encoding="utf-8")
