"""Runs one Pulumi Python program under the SDK's mock engine and records what it registers.

Launched by tools.preview in a child process, with the program's own interpreter, as
`python _host.py SPEC.json OUT.json`. It imports only the standard library, the Pulumi SDK and
its sibling `_synth.py` (loaded by path), so it works inside any program's virtualenv and cannot
collide with a `tools` package of the program under test.

What the engine does and this host imitates:
- the language host's entry point: program dir on sys.path, cwd = program dir, `run_in_stack` over
  `runpy.run_path(main)`; a `pulumi.RunError` is the user's message, anything else a traceback;
- stack and resource transforms: invoked over the SDK's real callback gRPC server before the
  resource is registered, resource transforms first, then the parents' and the stack's;
- preview: new resources have unknown ids and computed outputs, inputs echo back as known;
  deploy: every output is known (computed outputs are synthesised from the provider SDK's types).
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import runpy
import sys
import traceback
from pathlib import Path
from typing import Any

import grpc
import pulumi
import pulumi.runtime
from google.protobuf import json_format
from pulumi.runtime import mocks
from pulumi.runtime.proto import callback_pb2, callback_pb2_grpc, engine_pb2, resource_pb2
from pulumi.runtime.settings import configure
from pulumi.runtime.stack import run_in_stack


def _load_synth():
    path = Path(__file__).with_name("_synth.py")
    spec = importlib.util.spec_from_file_location("_pulumi_offline_preview_synth", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_synth = _load_synth()

_SEVERITY = {
    engine_pb2.DEBUG: "debug",
    engine_pb2.INFO: "info",
    engine_pb2.WARNING: "warning",
    engine_pb2.ERROR: "error",
}


class RecordingEngine:
    """Stands in for the engine's log service: keeps what the program logs."""

    def __init__(self) -> None:
        self.logs: list[dict[str, str]] = []

    def Log(self, request):  # noqa: N802 - gRPC method name
        self.logs.append(
            {
                "severity": _SEVERITY.get(request.severity, "info"),
                "message": request.message,
                "urn": request.urn,
            }
        )


class OfflineMocks(mocks.Mocks):
    def __init__(self, *, preview: bool, region: str) -> None:
        self.preview = preview
        self.region = region

    def new_resource(self, args: mocks.MockResourceArgs):
        if args.typ.startswith("pulumi:providers:"):
            return (f"{args.name}-provider-id", dict(args.inputs))
        if self.preview and not args.resource_id:
            # A create during `pulumi preview`: no id yet, computed outputs unknown.
            return ("", dict(args.inputs))
        return _synth.deploy_outputs(args.typ, args.name, dict(args.inputs), self.region)

    def call(self, args: mocks.MockCallArgs):
        return _synth.invoke_result(args.token, dict(args.args), self.region)


class RecordingMonitor(mocks.MockMonitor):
    """The SDK's mock monitor plus what the engine would know: options, parents, dependencies."""

    def __init__(self, mocks_: OfflineMocks) -> None:
        super().__init__(mocks_)
        self.registrations: list[dict[str, Any]] = []
        self.outputs: dict[str, Any] = {}
        self._stack_transform_callbacks: list[callback_pb2.Callback] = []
        self._resource_transforms: dict[str, list[callback_pb2.Callback]] = {}
        self._parents: dict[str, str] = {}

    def RegisterStackTransform(self, request):  # noqa: N802
        self._stack_transform_callbacks.append(request)
        return super().RegisterStackTransform(request)

    def RegisterResource(self, request):  # noqa: N802
        urn = self.make_urn(request.parent, request.type, request.name)
        self._resource_transforms[urn] = list(request.transforms)
        self._parents[urn] = request.parent
        if request.type != "pulumi:pulumi:Stack":
            request = self._apply_transforms(urn, request)
        response = super().RegisterResource(request)
        self.registrations.append(_registration_record(urn, request, response))
        return response

    def RegisterResourceOutputs(self, request):  # noqa: N802
        self.outputs[request.urn] = json_format.MessageToDict(request.outputs)
        return super().RegisterResourceOutputs(request)

    def _transform_chain(self, urn: str) -> list[callback_pb2.Callback]:
        # The resource's own transforms, then each ancestor's, then the stack's (engine order).
        chain = list(self._resource_transforms.get(urn, []))
        parent = self._parents.get(urn, "")
        while parent:
            if parent.split("::")[-2].endswith("pulumi:pulumi:Stack"):
                break
            chain.extend(self._resource_transforms.get(parent, []))
            parent = self._parents.get(parent, "")
        return chain + self._stack_transform_callbacks

    def _apply_transforms(self, urn: str, request):
        chain = self._transform_chain(urn)
        if not chain:
            return request
        props, options = request.object, _transform_options(request)
        for callback in chain:
            transform_request = resource_pb2.TransformRequest(
                type=request.type,
                name=request.name,
                custom=request.custom,
                parent=request.parent,
                properties=props,
                options=options,
            )
            with grpc.insecure_channel(callback.target) as channel:
                reply = callback_pb2_grpc.CallbacksStub(channel).Invoke(
                    callback_pb2.CallbackInvokeRequest(
                        token=callback.token, request=transform_request.SerializeToString()
                    )
                )
            result = resource_pb2.TransformResponse.FromString(reply.response)
            if result.HasField("properties"):
                props = result.properties
            if result.HasField("options"):
                options = result.options
        updated = resource_pb2.RegisterResourceRequest()
        updated.CopyFrom(request)
        updated.object.CopyFrom(props)
        _apply_transformed_options(updated, options)
        return updated


def _transform_options(request) -> resource_pb2.TransformResourceOptions:
    opts = resource_pb2.TransformResourceOptions(
        depends_on=list(request.dependencies),
        ignore_changes=list(request.ignoreChanges),
        replace_on_changes=list(request.replaceOnChanges),
        version=request.version,
        provider=request.provider,
        plugin_download_url=request.pluginDownloadURL,
        deleted_with=request.deletedWith,
        additional_secret_outputs=list(request.additionalSecretOutputs),
    )
    if request.HasField("protect"):
        opts.protect = request.protect
    if request.HasField("retainOnDelete"):
        opts.retain_on_delete = request.retainOnDelete
    if request.deleteBeforeReplaceDefined:
        opts.delete_before_replace = request.deleteBeforeReplace
    if request.HasField("customTimeouts"):
        opts.custom_timeouts.CopyFrom(request.customTimeouts)
    return opts


def _apply_transformed_options(request, opts: resource_pb2.TransformResourceOptions) -> None:
    request.ClearField("protect")
    if opts.HasField("protect"):
        request.protect = opts.protect
    request.ClearField("retainOnDelete")
    if opts.HasField("retain_on_delete"):
        request.retainOnDelete = opts.retain_on_delete
    del request.ignoreChanges[:]
    request.ignoreChanges.extend(opts.ignore_changes)
    del request.additionalSecretOutputs[:]
    request.additionalSecretOutputs.extend(opts.additional_secret_outputs)
    if opts.provider:
        request.provider = opts.provider
    if opts.HasField("delete_before_replace"):
        request.deleteBeforeReplaceDefined = True
        request.deleteBeforeReplace = opts.delete_before_replace
    known = set(request.dependencies)
    request.dependencies.extend(d for d in opts.depends_on if d not in known)


def _registration_record(urn: str, request, response) -> dict[str, Any]:
    position = None
    if request.HasField("sourcePosition") and request.sourcePosition.uri:
        position = {
            "uri": request.sourcePosition.uri,
            "line": request.sourcePosition.line,
            "column": request.sourcePosition.column,
        }
    return {
        "urn": urn,
        "type": request.type,
        "name": request.name,
        "custom": request.custom,
        "parent": request.parent,
        "protect": request.protect if request.HasField("protect") else False,
        "retainOnDelete": request.retainOnDelete if request.HasField("retainOnDelete") else False,
        "deleteBeforeReplace": request.deleteBeforeReplace,
        "ignoreChanges": list(request.ignoreChanges),
        "additionalSecretOutputs": list(request.additionalSecretOutputs),
        "aliases": [a.urn for a in request.aliases if a.urn],
        "customTimeouts": json_format.MessageToDict(request.customTimeouts)
        if request.HasField("customTimeouts")
        else None,
        "dependencies": list(request.dependencies),
        "propertyDependencies": {k: list(v.urns) for k, v in request.propertyDependencies.items()},
        "provider": request.provider,
        "providers": dict(request.providers),
        "importId": request.importId,
        "sourcePosition": position,
        # Kept as the wire encoding (unknown sentinels and secret envelopes intact) so the analyzer
        # receives exactly what the engine would send it.
        "inputs": json_format.MessageToDict(request.object),
        "id": response.id,
        "outputs": json_format.MessageToDict(response.object),
    }


def _user_frames(exc: BaseException, program_dir: str) -> str:
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.startswith(program_dir)]
    shown = frames or traceback.extract_tb(exc.__traceback__)
    return "".join(traceback.format_list(shown)) + "".join(traceback.format_exception_only(exc))


def main(spec_path: str, out_path: str) -> int:
    spec = json.loads(Path(spec_path).read_text(encoding="utf-8"))
    program_dir = spec["programDir"]
    preview = spec["mode"] == "preview"
    os.chdir(program_dir)
    sys.path.insert(0, program_dir)
    sys.argv = [spec["main"]]

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    monitor = RecordingMonitor(OfflineMocks(preview=preview, region=spec.get("region") or ""))
    engine = RecordingEngine()
    configure(
        mocks.MockSettings(
            monitor=monitor,
            monitor_features=set(monitor.GetDeploymentInfo(None).supportedFeatures),
            engine=engine,
            project=spec["project"],
            stack=spec["stack"],
            dry_run=preview,
            organization=spec.get("organization", "organization"),
            callbacks=None,
        )
    )
    pulumi.runtime.set_all_config(spec["config"], spec["secretKeys"])

    result: dict[str, Any] = {"status": "ok"}
    try:
        loop.run_until_complete(run_in_stack(lambda: runpy.run_path(spec["main"], run_name="__main__")))
    except pulumi.RunError as exc:
        result = {"status": "error", "kind": "RunError", "message": str(exc)}
    except Exception as exc:  # noqa: BLE001 - any program failure is the user's error to show
        result = {
            "status": "error",
            "kind": type(exc).__name__,
            "message": str(exc),
            "traceback": _user_frames(exc, program_dir),
        }
    result["registrations"] = monitor.registrations
    result["stackOutputs"] = next(
        (v for k, v in monitor.outputs.items() if "::pulumi:pulumi:Stack::" in k), {}
    )
    result["logs"] = engine.logs
    Path(out_path).write_text(json.dumps(result), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
