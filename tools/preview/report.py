"""The offline preview's report: one plain dict, the JSON contract of DESIGN.md.

Values in `inputs` are shown as the engine would show them to a person: a value not known until
deploy is UNKNOWN, a secret is SECRET (never its plaintext).
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from pulumi.runtime.proto import analyzer_pb2

from ..cost.model import estimate as estimate_cost
from .analyzer import PackRun
from .pack_config import LEVEL_NAMES

UNKNOWN = "<unknown until deploy>"
SECRET = "<secret>"  # a display marker  # noqa: S105  # nosec B105
_UNKNOWN_SENTINEL = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
_SIG_KEY = "4dabf18193072939515e22adb298388d"
_SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"  # the SDK's secret signature  # noqa: S105  # nosec B105
_SEVERITIES = {
    analyzer_pb2.POLICY_SEVERITY_LOW: "low",
    analyzer_pb2.POLICY_SEVERITY_MEDIUM: "medium",
    analyzer_pb2.POLICY_SEVERITY_HIGH: "high",
    analyzer_pb2.POLICY_SEVERITY_CRITICAL: "critical",
}
_CATALOGUE_TAG = re.compile(r"^(?:catalogue:)?([A-Z][A-Z0-9]*(?:-[A-Z0-9]+)+)$")
NOT_EVALUATED_PREFIX = "can't run policy"
SUPPRESSED_PREFIX = "suppressed:"


def readable(value: Any) -> Any:
    """Turns the wire encoding (unknown sentinels, secret and resource envelopes) into report values."""
    if value == _UNKNOWN_SENTINEL:
        return UNKNOWN
    if isinstance(value, dict):
        if value.get(_SIG_KEY) == _SECRET_SIG:
            return SECRET
        if _SIG_KEY in value and "urn" in value:
            return value["urn"]  # a resource reference
        return {k: readable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [readable(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)  # the wire has only doubles; show 7, not 7.0
    return value


def parse_suppressions(reason: str, urn: str) -> list[tuple[str, str]]:
    """Suppressions a pack reports as "not applicable": `suppressed: <reason>` for the analysed resource,
    or, from a stack policy (which can say it only once), `suppressed:` then `<urn>\t<reason>` lines."""
    if not reason.startswith(SUPPRESSED_PREFIX):
        return []
    head, _, rest = reason.partition("\n")
    if head.strip() != SUPPRESSED_PREFIX:
        return [(urn, reason[len(SUPPRESSED_PREFIX) :].strip())]
    return [(line.partition("\t")[0], line.partition("\t")[2].strip()) for line in rest.splitlines() if line]


def catalogue_ids(policy: analyzer_pb2.PolicyInfo) -> list[str]:
    """Catalogue IDs a policy declares in its tags (`SEC-...` or `catalogue:SEC-...`)."""
    return [m.group(1) for m in map(_CATALOGUE_TAG.match, policy.tags) if m]


def build(
    program_name: str,
    stack: str,
    mode: str,
    registrations: list[dict[str, Any]],
    runs: list[PackRun],
    region: str | None = None,
) -> dict[str, Any]:
    """The report; `region` is the stack's `aws:region` (resources without an explicit provider use it)."""
    resources = [
        {
            "urn": r["urn"],
            "type": r["type"],
            "name": r["name"],
            "parent": r["parent"] or None,
            "protect": r["protect"],
            "retainOnDelete": r["retainOnDelete"],
            "custom": r["custom"],
            "dependencies": r["dependencies"],
            "propertyDependencies": r["propertyDependencies"],
            "provider": r["provider"] or None,
            "sourcePosition": r.get("sourcePosition"),
            "inputs": readable(r["inputs"]),
        }
        for r in registrations
    ]
    stack_urn = next((r["urn"] for r in registrations if r["type"] == "pulumi:pulumi:Stack"), "")

    policies: list[dict[str, Any]] = []
    ids_by_policy: dict[str, list[str]] = {}
    violations: list[dict[str, Any]] = []
    not_evaluated: list[dict[str, Any]] = []
    suppressed: list[dict[str, Any]] = []
    remediations: list[dict[str, Any]] = []
    for run in runs:
        for info in run.info.policies:
            ids_by_policy[info.name] = catalogue_ids(info)
            policies.append(
                {
                    "name": info.name,
                    "pack": run.info.name,
                    "description": info.description,
                    "enforcementLevel": run.configured_levels.get(
                        info.name, LEVEL_NAMES.get(info.enforcementLevel, "advisory")
                    ),
                    "severity": _SEVERITIES.get(info.severity, "unspecified"),
                    "catalogueIds": ids_by_policy[info.name],
                    "remediationSteps": info.remediation_steps or None,
                    "url": info.url or None,
                }
            )
        for urn, diag in run.diagnostics:
            if diag.message.startswith(NOT_EVALUATED_PREFIX):
                not_evaluated.append(
                    {
                        "policy": diag.policyName,
                        "urn": urn or stack_urn,
                        "reason": diag.message.split(": ", 1)[-1],
                    }
                )
                continue
            violations.append(
                {
                    "policy": diag.policyName,
                    "pack": diag.policyPackName,
                    "catalogueIds": ids_by_policy.get(diag.policyName, []),
                    "urn": urn or stack_urn,
                    "enforcementLevel": LEVEL_NAMES.get(diag.enforcementLevel, "advisory"),
                    "severity": _SEVERITIES.get(diag.severity, "unspecified"),
                    "message": diag.message,
                }
            )
        for urn, item in run.not_applicable:
            suppressed.extend(
                {"policy": item.policy_name, "urn": record_urn or stack_urn, "reason": reason}
                for record_urn, reason in parse_suppressions(item.reason, urn)
            )
        for urn, remediation in run.remediations:
            remediations.append(
                {"policy": remediation.policyName, "urn": urn, "diagnostic": remediation.diagnostic or None}
            )

    mandatory = sum(v["enforcementLevel"] in ("mandatory", "remediate") for v in violations)
    return {
        "project": program_name,
        "stack": stack,
        "mode": mode,
        "resources": resources,
        "policies": policies,
        "violations": violations,
        "notEvaluated": not_evaluated,
        "suppressed": suppressed,
        "remediations": remediations,
        "cost": estimate_cost(resources, region),
        "summary": {
            "resources": len(resources),
            "resourcesByType": dict(sorted(Counter(r["type"] for r in resources).items())),
            "policies": len(policies),
            "violations": len(violations),
            "mandatory": mandatory,
            "advisory": len(violations) - mandatory,
            "notEvaluated": len(not_evaluated),
            "suppressed": len(suppressed),
            "remediations": len(remediations),
        },
    }
