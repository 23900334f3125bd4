"""Drive the policy pack through the analyzer's gRPC entry points, as the Pulumi engine does.

GetAnalyzerInfo -> config reconciled like the CLI (defaults, initialConfig, then the file config; an
"all" entry sets every level; validated against each policy's schema) -> Configure -> ConfigureStack
-> Analyze / AnalyzeStack / Remediate with protobuf requests built from plain dicts. Unknown values
are the engine's sentinel string (``UNKNOWN``), secrets the engine's signature object (``secret``).
The caller sets PULUMI_STACK/PULUMI_PROJECT/PULUMI_DRY_RUN (the servicer reads them on every call).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import jsonschema
from chatbot_guard import PACK_NAME, all_policies
from chatbot_guard.analyzer import StackAwareAnalyzer, build_analyzer
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2 as pb
from pulumi_policy import EnforcementLevel, Policy
from pulumi_policy.deserialize import SPECIAL_SECRET_SIG, SPECIAL_SIG_KEY
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

UNKNOWN = UNKNOWN_STRING_VALUE
PROJECT = "chatbot"
LEVELS = ("advisory", "mandatory", "remediate", "disabled")
_TO_PROTO = {
    "advisory": pb.ADVISORY,
    "mandatory": pb.MANDATORY,
    "remediate": pb.REMEDIATE,
    "disabled": pb.DISABLED,
}


def secret(value: Any) -> dict[str, Any]:
    return {SPECIAL_SIG_KEY: SPECIAL_SECRET_SIG, "value": value}


def urn_for(type_: str, name: str, stack: str, project: str = PROJECT) -> str:
    return f"urn:pulumi:{stack}::{project}::{type_}::{name}"


def struct(props: Mapping[str, Any]) -> struct_pb2.Struct:
    message = struct_pb2.Struct()
    message.update(dict(props))
    return message


class ConfigError(ValueError):
    pass


@dataclass
class PolicyConfig:
    level: str | None
    properties: dict[str, Any] | None


def parse_pack_config(raw: Mapping[str, Any]) -> dict[str, PolicyConfig]:
    """The --policy-pack-config file format: a level string, or an object with enforcementLevel."""
    parsed: dict[str, PolicyConfig] = {}
    for name, value in raw.items():
        if isinstance(value, str):
            if value not in LEVELS:
                raise ConfigError(f"{name}: {value!r} is not a valid enforcement level")
            parsed[name] = PolicyConfig(value, None)
        elif isinstance(value, Mapping):
            props = dict(value)
            level = props.pop("enforcementLevel", None)
            if level is not None and level not in LEVELS:
                raise ConfigError(f"{name}: {level!r} is not a valid enforcement level")
            if level is not None or props:
                parsed[name] = PolicyConfig(level, props or None)
        else:
            raise ConfigError(f"{name}: must be a string or an object")
    return parsed


def _apply(result: dict[str, PolicyConfig], given: Mapping[str, PolicyConfig]) -> None:
    everything = given.get("all")
    if everything is not None and everything.level is not None:
        for entry in result.values():
            entry.level = everything.level
    for name, entry in given.items():
        # Like the CLI, unknown names (including "all") become entries of their own.
        current = result.setdefault(name, PolicyConfig(None, None))
        if entry.level is not None:
            current.level = entry.level
        if entry.properties:
            current.properties = {**(current.properties or {}), **entry.properties}


def reconcile(info: pb.AnalyzerInfo, config: Mapping[str, Any] | None) -> dict[str, PolicyConfig]:
    result: dict[str, PolicyConfig] = {}
    schemas: dict[str, dict[str, Any]] = {}
    for policy in info.policies:
        properties = json_format.MessageToDict(policy.configSchema.properties)
        defaults = {k: v["default"] for k, v in properties.items() if "default" in v}
        level = pb.EnforcementLevel.Name(policy.enforcementLevel).lower()
        result[policy.name] = PolicyConfig(level, copy.deepcopy(defaults) or None)
        if properties:
            schemas[policy.name] = {"type": "object", "properties": properties}
            if policy.configSchema.required:
                schemas[policy.name]["required"] = list(policy.configSchema.required)
    initial = {
        name: PolicyConfig(
            pb.EnforcementLevel.Name(c.enforcementLevel).lower(),
            json_format.MessageToDict(c.properties) or None,
        )
        for name, c in info.initialConfig.items()
    }
    _apply(result, initial)
    _apply(result, parse_pack_config(config or {}))
    errors = [
        f"{name}: {error.json_path}: {error.message}"
        for name, schema in schemas.items()
        for error in jsonschema.Draft7Validator(schema).iter_errors(result[name].properties or {})
    ]
    if errors:
        raise ConfigError("; ".join(errors))
    return result


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
        self.config = reconcile(self.info, config)
        request = pb.ConfigureAnalyzerRequest()
        for name, entry in self.config.items():
            request.policyConfig[name].CopyFrom(
                pb.PolicyConfig(
                    enforcementLevel=_TO_PROTO[entry.level or "advisory"],
                    properties=struct(entry.properties or {}),
                )
            )
        self.analyzer.Configure(request, None)
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
