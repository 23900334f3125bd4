"""Drive the policy pack through the analyzer's gRPC entry points, as the Pulumi engine does.

GetAnalyzerInfo -> config reconciled like the CLI (defaults, initialConfig, then the file config; an
"all" entry sets every level; validated against each policy's schema) -> Configure -> ConfigureStack
-> Analyze / AnalyzeStack / Remediate with protobuf requests built from plain dicts. Unknown values
are the engine's sentinel string (``UNKNOWN``), secrets the engine's signature object (``secret``).
The caller sets PULUMI_STACK/PULUMI_PROJECT/PULUMI_DRY_RUN (the servicer reads them on every call).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from chatbot_guard import PACK_NAME, all_policies
from chatbot_guard.analyzer import StackAwareAnalyzer, build_analyzer
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2 as pb
from pulumi_policy import EnforcementLevel, Policy
from pulumi_policy.deserialize import SPECIAL_SECRET_SIG, SPECIAL_SIG_KEY
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

from tools.preview.pack_config import PackConfigError, reconcile

UNKNOWN = UNKNOWN_STRING_VALUE
PROJECT = "chatbot"


def secret(value: Any) -> dict[str, Any]:
    return {SPECIAL_SIG_KEY: SPECIAL_SECRET_SIG, "value": value}


def urn_for(type_: str, name: str, stack: str, project: str = PROJECT) -> str:
    return f"urn:pulumi:{stack}::{project}::{type_}::{name}"


def struct(props: Mapping[str, Any]) -> struct_pb2.Struct:
    message = struct_pb2.Struct()
    message.update(dict(props))
    return message


# The CLI's reconciliation of pack config, shared with the offline preview (tools/preview/pack_config.py).
ConfigError = PackConfigError


@dataclass(frozen=True)
class Diagnostic:
    policy: str
    message: str
    urn: str
    level: str
    severity: str

    @property
    def cant_run(self) -> bool:
        return self.message.startswith("can't run policy")


@dataclass
class Result:
    diagnostics: list[Diagnostic]
    not_applicable: list[tuple[str, str]]

    def violations(self, policy: str | None = None) -> list[Diagnostic]:
        return [d for d in self.diagnostics if not d.cant_run and policy in (None, d.policy)]

    def cant_run(self, policy: str | None = None) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.cant_run and policy in (None, d.policy)]

    def reasons(self, policy: str) -> list[str]:
        return [reason for name, reason in self.not_applicable if name == policy]


@dataclass
class Resource:
    type: str
    name: str
    props: dict[str, Any]
    protect: bool = False
    parent: str = ""
    dependencies: Sequence[str] = ()
    property_dependencies: Mapping[str, Sequence[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Remediation:
    policy: str
    props: dict[str, Any] | None
    diagnostic: str


class PackHarness:
    def __init__(
        self,
        stack: str,
        config: Mapping[str, Any] | None = None,
        policies: list[Policy] | None = None,
        dry_run: bool = True,
    ) -> None:
        self.stack = stack
        self.policies = policies or all_policies()
        self.analyzer: StackAwareAnalyzer = build_analyzer(PACK_NAME, self.policies)
        self.info = self.analyzer.GetAnalyzerInfo(empty_pb2.Empty(), None)
        self.config = reconcile(self.info, dict(config) if config else None)
        self.analyzer.Configure(pb.ConfigureAnalyzerRequest(policyConfig=self.config), None)
        self.analyzer.ConfigureStack(
            pb.AnalyzerStackConfigureRequest(stack=stack, project=PROJECT, dry_run=dry_run), None
        )

    def levels(self) -> dict[str, EnforcementLevel]:
        """Each policy's effective level, resolved as Analyze does (runtime settings first)."""
        self.analyzer._configure_runtime_settings()
        return {p.name: self.analyzer._get_enforcement_level(p) for p in self.policies}

    def urn(self, type_: str, name: str) -> str:
        return urn_for(type_, name, self.stack)

    def _request(self, type_: str, props: Mapping[str, Any], name: str, protect: bool) -> pb.AnalyzeRequest:
        return pb.AnalyzeRequest(
            type=type_,
            properties=struct(props),
            urn=self.urn(type_, name),
            name=name,
            options=pb.AnalyzerResourceOptions(protect=protect),
        )

    def analyze(
        self, type_: str, props: Mapping[str, Any], name: str = "subject", protect: bool = False
    ) -> Result:
        return _result(self.analyzer.Analyze(self._request(type_, props, name, protect), None))

    def analyze_stack(self, resources: Sequence[Resource]) -> Result:
        request = pb.AnalyzeStackRequest()
        for r in resources:
            request.resources.append(
                pb.AnalyzerResource(
                    type=r.type,
                    properties=struct(r.props),
                    urn=self.urn(r.type, r.name),
                    name=r.name,
                    options=pb.AnalyzerResourceOptions(protect=r.protect, parent=r.parent),
                    parent=r.parent,
                    dependencies=list(r.dependencies),
                    propertyDependencies={
                        key: pb.AnalyzerPropertyDependencies(urns=list(urns))
                        for key, urns in r.property_dependencies.items()
                    },
                )
            )
        return _result(self.analyzer.AnalyzeStack(request, None))

    def remediate(
        self, type_: str, props: Mapping[str, Any], name: str = "subject"
    ) -> tuple[list[Remediation], list[tuple[str, str]]]:
        response = self.analyzer.Remediate(self._request(type_, props, name, False), None)
        remediations = [
            Remediation(
                r.policyName,
                json_format.MessageToDict(r.properties) if r.HasField("properties") else None,
                r.diagnostic,
            )
            for r in response.remediations
        ]
        return remediations, [(n.policy_name, n.reason) for n in response.not_applicable]


def _result(response: pb.AnalyzeResponse) -> Result:
    diagnostics = [
        Diagnostic(
            policy=d.policyName,
            message=d.message,
            urn=d.urn,
            level=pb.EnforcementLevel.Name(d.enforcementLevel).lower(),
            severity=pb.PolicySeverity.Name(d.severity),
        )
        for d in response.diagnostics
    ]
    return Result(diagnostics, [(n.policy_name, n.reason) for n in response.not_applicable])
