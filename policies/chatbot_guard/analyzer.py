"""The analyzer servicer with per-stack behaviour, and the gRPC serving loop that uses it.

``pulumi_policy.PolicyPack`` hard-codes its servicer, so ``serve`` replicates its few lines of
serving code with ``StackAwareAnalyzer`` instead. The subclass relies on two private members of
pulumi-policy 1.21.0 (``_PolicyAnalyzerServicer`` and its ``_get_enforcement_level`` hook); a test
pins both.
"""

from __future__ import annotations

import re
import sys
import time
from concurrent import futures
from typing import Any

import grpc
from google.protobuf import json_format
from pulumi.runtime.proto import analyzer_pb2_grpc
from pulumi_policy import EnforcementLevel, Policy
from pulumi_policy.policy import _GRPC_CHANNEL_OPTIONS, _PolicyAnalyzerServicer

from .metadata import meta_of
from .settings import (
    PROFILE_POLICY,
    PackSettings,
    SettingsError,
    current_settings,
    install_settings,
    parse_settings,
)

_PACK_NAME = re.compile(r"^[a-zA-Z0-9-_.]{1,100}$")
# The CLI takes the real version from PulumiPolicy.yaml; PolicyPack sends this placeholder too.
_PLACEHOLDER_VERSION = "0.0.1"


class StackAwareAnalyzer(_PolicyAnalyzerServicer):
    """Reads pack settings on Configure and relaxes 'non-dev' rules on development stacks.

    A 'non-dev' rule's default level is mandatory. On a stack listed in ``devStacks`` a mandatory
    level is downgraded to advisory. The engine sends the reconciled level for every policy, so an
    explicit ``mandatory`` in the config file looks exactly like the default and is downgraded too;
    to enforce 'non-dev' rules on a stack, leave it out of ``devStacks``. Every other configured
    level (advisory, remediate, disabled, or mandatory on a non-dev stack) is honoured as given.
    """

    def Configure(self, request: Any, context: Any) -> Any:  # noqa: N802 - gRPC method name
        response = super().Configure(request, context)
        raw: dict[str, Any] = {}
        if PROFILE_POLICY in request.policyConfig:
            raw = json_format.MessageToDict(request.policyConfig[PROFILE_POLICY].properties)
        try:
            install_settings(parse_settings(raw))
        except SettingsError as error:
            if context is not None:
                context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(error))
            raise
        return response

    def _get_enforcement_level(self, policy: Policy) -> EnforcementLevel:
        level = super()._get_enforcement_level(policy)
        meta = meta_of(policy)
        if (
            level == EnforcementLevel.MANDATORY
            and meta is not None
            and meta.catalogue_level == "non-dev"
            and current_settings().is_dev_stack()
        ):
            return EnforcementLevel.ADVISORY
        return level

    @property
    def settings(self) -> PackSettings:
        return current_settings()


def build_analyzer(
    pack_name: str,
    policies: list[Policy],
    *,
    description: str | None = None,
    initial_config: dict[str, EnforcementLevel | dict[str, Any]] | None = None,
) -> StackAwareAnalyzer:
    """The servicer ``serve`` runs; tests drive the same object in-process."""
    if not _PACK_NAME.match(pack_name):
        raise ValueError(f"invalid policy pack name {pack_name!r}")
    if not policies or not all(isinstance(p, Policy) for p in policies):
        raise ValueError("policies must be a non-empty list of pulumi_policy policies")
    names = [p.name for p in policies]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"duplicate policy names: {duplicates}")
    if PROFILE_POLICY not in names:
        raise ValueError(f"the pack needs the {PROFILE_POLICY!r} policy that carries its settings")
    return StackAwareAnalyzer(
        pack_name,
        _PLACEHOLDER_VERSION,
        policies,
        EnforcementLevel.ADVISORY,
        initial_config,
        description,
    )


def start_server(analyzer: StackAwareAnalyzer, address: str = "127.0.0.1:0") -> tuple[grpc.Server, int]:
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4), options=_GRPC_CHANNEL_OPTIONS)
    analyzer_pb2_grpc.add_AnalyzerServicer_to_server(analyzer, server)
    port = server.add_insecure_port(address=address)
    server.start()
    return server, port


def serve(
    pack_name: str,
    policies: list[Policy],
    *,
    description: str | None = None,
    initial_config: dict[str, EnforcementLevel | dict[str, Any]] | None = None,
) -> None:
    """What ``PolicyPack(...)`` does, with ``StackAwareAnalyzer``: print the port, then serve forever."""
    analyzer = build_analyzer(pack_name, policies, description=description, initial_config=initial_config)
    server, port = start_server(analyzer)
    # The CLI reads the port from the first line of stdout.
    sys.stdout.buffer.write(f"{port}\n".encode())
    sys.stdout.flush()
    try:
        while True:
            time.sleep(24 * 60 * 60)
    except KeyboardInterrupt:
        server.stop(0)
