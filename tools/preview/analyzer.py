"""Runs a policy pack as the Pulumi engine does: its own process, spoken to over gRPC.

The pack is started with `python -u -m pulumi.policy <engine address> .` in its directory, with the
engine's environment (PULUMI_CONFIG, PULUMI_PROJECT, PULUMI_STACK, PULUMI_DRY_RUN,
PULUMI_ORGANIZATION), and reports its port on stdout. Then, per the engine's step generator and
deployment executor: GetAnalyzerInfo, Configure, ConfigureStack, per resource Remediate then
Analyze (checked inputs, unknowns and secrets kept), and AnalyzeStack once over every resource's
outputs. Policy semantics (levels, unknown values, not-applicable) stay in the pack's SDK.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess  # we run the user's own policy pack, as the CLI does  # noqa: S404  # nosec B404
import threading
import time
from collections.abc import Iterator
from concurrent import futures
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import yaml
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc, engine_pb2, engine_pb2_grpc

from .pack_config import LEVEL_NAMES, reconcile
from .project import Program

_START_TIMEOUT_S = 120
_MAX_MESSAGE = 400 * 1024 * 1024


class PackError(Exception):
    """The pack could not be started or answered with an error; the message is for the user."""


class _EngineLog(engine_pb2_grpc.EngineServicer):
    """The engine service a pack logs to (pulumi.log inside policies)."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def Log(self, request, context):  # noqa: N802 - gRPC method name
        self.messages.append(request.message)
        return empty_pb2.Empty()

    def GetRootResource(self, request, context):  # noqa: N802
        return engine_pb2.GetRootResourceResponse()

    def SetRootResource(self, request, context):  # noqa: N802
        return engine_pb2.SetRootResourceResponse()


@dataclass
class PackRun:
    """What one pack said about one program run."""

    pack_dir: Path
    info: analyzer_pb2.AnalyzerInfo
    # (urn or "" for stack-level, diagnostic)
    diagnostics: list[tuple[str, analyzer_pb2.AnalyzeDiagnostic]] = field(default_factory=list)
    not_applicable: list[tuple[str, analyzer_pb2.PolicyNotApplicable]] = field(default_factory=list)
    remediations: list[tuple[str, analyzer_pb2.Remediation]] = field(default_factory=list)
    logs: list[str] = field(default_factory=list)
    configured_levels: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)


def _pack_interpreter(pack_dir: Path) -> tuple[list[str], dict[str, str]]:
    manifest = pack_dir / "PulumiPolicy.yaml"
    if not manifest.is_file():
        raise PackError(f"{pack_dir} is not a policy pack: PulumiPolicy.yaml is missing")
    data = yaml.safe_load(manifest.read_text(encoding="utf-8")) or {}
    runtime = data.get("runtime")
    name = runtime.get("name") if isinstance(runtime, dict) else runtime
    if name != "python":
        raise PackError(f"{manifest}: runtime {name!r} is not supported offline (python packs only)")
    options = runtime.get("options", {}) if isinstance(runtime, dict) else {}
    env = dict(os.environ)
    venv = options.get("virtualenv") if isinstance(options, dict) else None
    if venv:
        venv_dir = (pack_dir / venv).resolve()
        python = venv_dir / "bin" / "python"
        if not python.exists():
            raise PackError(
                f"{manifest}: virtualenv {venv_dir} does not exist; create it and install "
                f"{pack_dir / 'requirements.txt'} into it"
            )
        env["PATH"] = f"{venv_dir / 'bin'}{os.pathsep}{env.get('PATH', '')}"
        return [str(python)], env
    return ["python3"], env


@contextmanager
def _engine_server() -> Iterator[tuple[str, _EngineLog]]:
    log = _EngineLog()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    engine_pb2_grpc.add_EngineServicer_to_server(log, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        yield f"127.0.0.1:{port}", log
    finally:
        server.stop(0)


def _read_port(process: subprocess.Popen) -> int:
    lines: queue.Queue[bytes] = queue.Queue()
    threading.Thread(target=lambda: lines.put(process.stdout.readline()), daemon=True).start()
    try:
        line = lines.get(timeout=_START_TIMEOUT_S)
    except queue.Empty as exc:
        process.kill()
        raise PackError(f"the policy pack did not report a port within {_START_TIMEOUT_S}s") from exc
    try:
        port = int(line.strip())
    except ValueError:
        process.wait(timeout=10)
        stderr = process.stderr.read().decode(errors="replace").strip()
        raise PackError(
            f"the policy pack failed to start:\n{stderr or line.decode(errors='replace')}"
        ) from None
    if not 0 < port < 65536:
        raise PackError(f"the policy pack reported an invalid port {port}")
    return port


def _struct(data: dict[str, Any]) -> struct_pb2.Struct:
    message = struct_pb2.Struct()
    json_format.ParseDict(data, message)
    return message


class Analysis:
    """Feeds one program's registrations to one running pack."""

    def __init__(self, program: Program, registrations: list[dict[str, Any]], dry_run: bool) -> None:
        self.program = program
        self.registrations = registrations
        self.dry_run = dry_run
        self.by_urn = {r["urn"]: r for r in registrations}

    def _provider(self, reference: str, resource_type: str) -> analyzer_pb2.AnalyzerProviderResource | None:
        if reference:
            urn = reference.rsplit("::", 1)[0]  # a provider reference is "<urn>::<id>"
            provider = self.by_urn.get(urn)
            if provider:
                return analyzer_pb2.AnalyzerProviderResource(
                    type=provider["type"],
                    name=provider["name"],
                    urn=urn,
                    properties=_struct(provider["inputs"]),
                )
        package = resource_type.split(":", 1)[0]
        if package == "pulumi":
            return None
        # The engine's default provider for the package takes that package's stack config as inputs.
        props = {k.split(":", 1)[1]: v for k, v in self.program.config.items() if k.startswith(f"{package}:")}
        urn = f"urn:pulumi:{self.program.stack}::{self.program.name}::pulumi:providers:{package}::default"
        return analyzer_pb2.AnalyzerProviderResource(
            type=f"pulumi:providers:{package}", name="default", urn=urn, properties=_struct(props)
        )

    @staticmethod
    def _options(reg: dict[str, Any]) -> analyzer_pb2.AnalyzerResourceOptions:
        options = analyzer_pb2.AnalyzerResourceOptions(
            protect=reg["protect"],
            ignoreChanges=reg["ignoreChanges"],
            deleteBeforeReplace=bool(reg["deleteBeforeReplace"]),
            deleteBeforeReplaceDefined=bool(reg["deleteBeforeReplace"]),
            additionalSecretOutputs=reg["additionalSecretOutputs"],
            aliases=reg["aliases"],
            parent=reg["parent"],
        )
        options.customTimeouts.SetInParent()
        if reg.get("customTimeouts"):
            json_format.ParseDict(reg["customTimeouts"], options.customTimeouts)
        return options

    def run(self, pack_dir: Path, file_config: dict[str, Any] | None, config_origin: str) -> PackRun:
        command, env = _pack_interpreter(pack_dir)
        env.update(
            {
                "PULUMI_CONFIG": json.dumps(self.program.config),
                "PULUMI_PROJECT": self.program.name,
                "PULUMI_STACK": self.program.stack,
                "PULUMI_DRY_RUN": "true" if self.dry_run else "false",
                "PULUMI_ORGANIZATION": "organization",
            }
        )
        with _engine_server() as (engine_address, engine_log):
            process = subprocess.Popen(  # the user's pack, started like the CLI starts it  # noqa: S603  # nosec B603
                [*command, "-u", "-m", "pulumi.policy", engine_address, "."],
                cwd=pack_dir,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
            try:
                port = _read_port(process)
                with grpc.insecure_channel(
                    f"127.0.0.1:{port}",
                    options=[
                        ("grpc.max_receive_message_length", _MAX_MESSAGE),
                        ("grpc.max_send_message_length", _MAX_MESSAGE),
                    ],
                ) as channel:
                    grpc.channel_ready_future(channel).result(timeout=30)
                    result = self._converse(
                        analyzer_pb2_grpc.AnalyzerStub(channel), pack_dir, file_config, config_origin
                    )
            except grpc.RpcError as exc:
                raise PackError(f"policy pack {pack_dir} failed: {exc.details()}") from exc
            finally:
                process.kill()
                process.wait(timeout=10)
            result.logs = list(engine_log.messages)
        return result

    def _converse(self, stub, pack_dir: Path, file_config, config_origin: str) -> PackRun:
        info = stub.GetAnalyzerInfo(empty_pb2.Empty())
        run = PackRun(pack_dir=pack_dir, info=info)
        configured = reconcile(info, file_config, config_origin, run.warnings)
        stub.Configure(analyzer_pb2.ConfigureAnalyzerRequest(policyConfig=configured))
        run.configured_levels = {name: LEVEL_NAMES[c.enforcementLevel] for name, c in configured.items()}
        try:
            stub.ConfigureStack(
                analyzer_pb2.AnalyzerStackConfigureRequest(
                    stack=self.program.stack,
                    project=self.program.name,
                    organization="organization",
                    dry_run=self.dry_run,
                    config=self.program.config,
                    config_secret_keys=self.program.secret_keys,
                )
            )
        except grpc.RpcError as exc:  # older SDKs do not implement it; the engine ignores that too
            if exc.code() != grpc.StatusCode.UNIMPLEMENTED:
                raise

        started = time.perf_counter()
        for reg in self.registrations:
            inputs = reg["inputs"]
            provider = self._provider(reg["provider"], reg["type"])
            request = analyzer_pb2.AnalyzeRequest(
                type=reg["type"],
                name=reg["name"],
                urn=reg["urn"],
                properties=_struct(inputs),
                options=self._options(reg),
            )
            if provider is not None:
                request.provider.CopyFrom(provider)
            remediated = stub.Remediate(request)
            for remediation in remediated.remediations:
                run.remediations.append((reg["urn"], remediation))
                if remediation.HasField("properties") and not remediation.diagnostic:
                    request.properties.CopyFrom(remediation.properties)
                    reg["inputs"] = json_format.MessageToDict(remediation.properties)
                    reg["outputs"] = {**reg["outputs"], **reg["inputs"]}
            response = stub.Analyze(request)
            run.diagnostics.extend((d.urn or reg["urn"], d) for d in response.diagnostics)
            run.not_applicable.extend((reg["urn"], n) for n in response.not_applicable)
        run.timings["resources"] = time.perf_counter() - started

        started = time.perf_counter()
        stack_request = analyzer_pb2.AnalyzeStackRequest()
        for reg in self.registrations:
            resource = stack_request.resources.add(
                type=reg["type"],
                name=reg["name"],
                urn=reg["urn"],
                parent=reg["parent"],
                dependencies=reg["dependencies"],
                properties=_struct(reg["outputs"]),
                options=self._options(reg),
            )
            provider = self._provider(reg["provider"], reg["type"])
            if provider is not None:
                resource.provider.CopyFrom(provider)
            for key, urns in reg["propertyDependencies"].items():
                if urns:
                    resource.propertyDependencies[key].urns.extend(urns)
        response = stub.AnalyzeStack(stack_request)
        run.diagnostics.extend((d.urn, d) for d in response.diagnostics)
        run.not_applicable.extend(("", n) for n in response.not_applicable)
        run.timings["stack"] = time.perf_counter() - started
        return run
