"""Pulumi mock harness: records every registered resource with its inputs and resource options."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pulumi
import pytest
from pulumi.runtime import rpc
from pulumi.runtime.mocks import MockCallArgs, MockMonitor, MockResourceArgs
from pulumi.runtime.settings import set_root_resource

from components.settings import StackSettings, settings_from_config
from tools.preview._synth import deploy_outputs, invoke_result

ACCOUNT_ID = "111122223333"
MOCK_REGION = "us-east-1"
DISTRIBUTION_DOMAIN = "d111111abcdef8.cloudfront.net"
BUCKET_SUFFIX = "-a1b2c3"  # the mock's stand-in for auto-naming: bucket "<logical name>-a1b2c3"

CERTIFICATE_ARN = "arn:aws:acm:us-east-1:111122223333:certificate/0b5c9f0e-1d2a-4c3b-9e8f-7a6b5c4d3e2f"

DEV_CONFIG = {
    "chatbot:environment": "dev",
    "chatbot:owner": "platform-team",
    "chatbot:customerManagedKeys": "false",
    "chatbot:retainData": "false",
    "chatbot:logRetentionDays": "7",
    "chatbot:rateLimitPerIp": "500",
    "aws:region": "us-east-1",
}
PROD_CONFIG = {
    "chatbot:environment": "prod",
    "chatbot:owner": "platform-team",
    "chatbot:customDomain": "chat.example.com",
    "chatbot:certificateArn": CERTIFICATE_ARN,
    "chatbot:minimumTlsVersion": "TLSv1.2_2021",
    "chatbot:geoAllowlist": '["GB", "IE", "DE", "FR", "NL"]',
    "aws:region": "eu-west-1",
}


def dev_settings(**overrides: str) -> StackSettings:
    return settings_from_config({**DEV_CONFIG, **overrides}, stack="dev")


def prod_settings(**overrides: str) -> StackSettings:
    return settings_from_config({**PROD_CONFIG, **overrides}, stack="prod")


INVOKE_RESULTS: dict[str, dict[str, str]] = {
    "aws:index/getCallerIdentity:getCallerIdentity": {
        "accountId": ACCOUNT_ID,
        "arn": f"arn:aws:iam::{ACCOUNT_ID}:user/test",
        "id": ACCOUNT_ID,
        "userId": "AIDAEXAMPLE",
    },
    "aws:index/getPartition:getPartition": {"partition": "aws", "dnsSuffix": "amazonaws.com", "id": "aws"},
    "aws:index/getRegion:getRegion": {"name": MOCK_REGION, "region": MOCK_REGION, "id": MOCK_REGION},
    "aws:index/getAvailabilityZones:getAvailabilityZones": {
        "names": [f"{MOCK_REGION}{zone}" for zone in "abc"],
        "zoneIds": ["use1-az1", "use1-az2", "use1-az4"],
        "id": MOCK_REGION,
    },
}


class UnmockedInvokeError(LookupError):
    """A component called a data source these mocks do not answer: add it to INVOKE_RESULTS."""


@dataclass(frozen=True)
class Recorded:
    urn: str
    type: str
    name: str
    custom: bool
    parent: str
    provider: str
    protect: bool
    retain_on_delete: bool
    inputs: dict[str, Any]


def _computed_outputs(typ: str, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Provider-computed outputs that the components read (the mock returns inputs plus these)."""
    arn = f"arn:aws:mock:{MOCK_REGION}:{ACCOUNT_ID}:{typ.split(':')[-1].lower()}/{name}"
    if typ == "aws:s3/bucket:Bucket":
        bucket = inputs.get("bucket") or f"{name}{BUCKET_SUFFIX}"
        return bucket, {
            "bucket": bucket,
            "arn": f"arn:aws:s3:::{bucket}",
            "bucketRegionalDomainName": f"{bucket}.s3.{MOCK_REGION}.amazonaws.com",
        }
    if typ == "aws:kms/key:Key":
        key_id = f"{name}-key-id"
        return key_id, {"keyId": key_id, "arn": f"arn:aws:kms:{MOCK_REGION}:{ACCOUNT_ID}:key/{key_id}"}
    if typ == "aws:cloudfront/distribution:Distribution":
        return "E2QWRUHEXAMPLE", {
            "arn": f"arn:aws:cloudfront::{ACCOUNT_ID}:distribution/E2QWRUHEXAMPLE",
            "domainName": DISTRIBUTION_DOMAIN,
        }
    if typ == "aws:iam/role:Role":  # IAM's form: principals in resource policies are checked against it
        return f"{name}-id", {"arn": f"arn:aws:iam::{ACCOUNT_ID}:role/{name}"}
    if typ == "aws:cloudwatch/logGroup:LogGroup":
        return inputs.get("name", name), {"arn": f"arn:aws:logs:{MOCK_REGION}:{ACCOUNT_ID}:log-group:{name}"}
    return f"{name}-id", {"arn": arn}


class RecordingMocks(pulumi.runtime.Mocks):
    """In preview mode it returns no computed outputs, so they stay unknown as in `pulumi preview`."""

    def __init__(self, preview: bool = False) -> None:
        self.preview = preview
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.transforms: list[Any] = []

    def new_resource(self, args: MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        if self.preview:
            return "", dict(args.inputs)
        resource_id, computed = _computed_outputs(args.typ, args.name, args.inputs)
        # Every other computed output the provider SDK declares (executionArn, rootResourceId, ...), typed
        # placeholders as in the offline preview's deploy mode.
        _, synthesized = deploy_outputs(args.typ, args.name, dict(args.inputs), MOCK_REGION)
        return resource_id, {**synthesized, **args.inputs, **computed}

    def call(self, args: MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        self.calls.append((args.token, dict(args.args)))
        if args.token in INVOKE_RESULTS:
            return dict(INVOKE_RESULTS[args.token]), []
        # Data sources the provider computes locally or predictably (policy documents, prefix lists).
        computed = invoke_result(args.token, dict(args.args), MOCK_REGION)
        if not computed:
            raise UnmockedInvokeError(f"the test mocks do not answer invoke {args.token}")
        return computed, []

    def register_transform(self, transform: Any) -> None:
        self.transforms.append(transform)


class RecordingMonitor(MockMonitor):
    """Sees the whole RegisterResourceRequest, so it records options MockResourceArgs leaves out."""

    def __init__(self, mocks: RecordingMocks) -> None:
        super().__init__(mocks)
        self.records: list[Recorded] = []
        self._lock = threading.Lock()

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 - gRPC method name
        response = super().RegisterResource(request)
        if request.type != "pulumi:pulumi:Stack":
            record = Recorded(
                urn=response.urn,
                type=request.type,
                name=request.name,
                custom=bool(request.custom),
                parent=request.parent,
                provider=request.provider,
                protect=bool(request.protect),
                retain_on_delete=bool(request.retainOnDelete),
                inputs=rpc.deserialize_properties(request.object),
            )
            with self._lock:
                self.records.append(record)
        return response


class Harness:
    def __init__(self, mocks: RecordingMocks, monitor: RecordingMonitor) -> None:
        self.mocks = mocks
        self.monitor = monitor

    def run(self, program: Callable[[], Any]) -> Any:
        """Run `program` under the mocks and wait for every registration; return its resolved value."""
        captured: dict[str, Any] = {}

        @pulumi.runtime.test
        def _run() -> pulumi.Output[Any]:
            result = pulumi.Output.from_input(program())
            return result.apply(lambda value: captured.setdefault("value", value))

        _run()
        return captured.get("value")

    @property
    def resources(self) -> list[Recorded]:
        return list(self.monitor.records)

    def of_type(self, typ: str) -> list[Recorded]:
        return [r for r in self.monitor.records if r.type == typ]

    def one(self, typ: str, name: str | None = None) -> Recorded:
        found = [r for r in self.of_type(typ) if name is None or r.name == name]
        assert len(found) == 1, f"expected one {typ} {name or ''}, found {[r.name for r in found]}"
        return found[0]

    def policy(self, record: Recorded, key: str = "policy") -> dict[str, Any]:
        return json.loads(record.inputs[key])


def _start(stack: str, preview: bool = False) -> Harness:
    mocks = RecordingMocks(preview)
    monitor = RecordingMonitor(mocks)
    set_root_resource(None)  # type: ignore[arg-type]  # a fresh root stack per test
    pulumi.runtime.set_all_config({})
    pulumi.runtime.set_mocks(mocks, project="chatbot", stack=stack, preview=preview, monitor=monitor)
    return Harness(mocks, monitor)


@pytest.fixture
def pulumi_mocks() -> Iterator[Callable[..., Harness]]:
    """Factory: `pulumi_mocks("dev", preview=False)` starts a fresh event loop, root stack and mocks."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        yield _start
    finally:
        pulumi.runtime.set_all_config({})
        loop.close()
        asyncio.set_event_loop(None)
