"""Property access that tells missing, unknown-at-preview and known values apart.

The policy SDK hands rules a proxy that raises ``UnknownValueError`` on *any* read of an unknown
value, and the SDK then downgrades the whole policy to an advisory "can't run during preview"
diagnostic. A rule that only needs to know a property is *set* (for example a KMS key ARN computed
from a key created in the same stack) must not read the value, so this module walks the proxies'
underlying containers instead and reports ``Unknown`` without raising.

Works on the SDK's unknown-checking proxies (Analyze/AnalyzeStack), its secrets-preserving proxies
(Remediate, where unknowns are raw sentinel strings and secrets are ``Secret`` wrappers) and on
plain dicts/lists (unit tests, hand-built values).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from pulumi_policy.proxy import (
    UNKNOWN_ARCHIVE_VALUE,
    UNKNOWN_ARRAY_VALUE,
    UNKNOWN_ASSET_VALUE,
    UNKNOWN_BOOLEAN_VALUE,
    UNKNOWN_NUMBER_VALUE,
    UNKNOWN_OBJECT_VALUE,
    UNKNOWN_STRING_VALUE,
    UnknownValueError,
    _DictProxy,
    _ListProxy,
)
from pulumi_policy.secret import Secret, _DictSecretsProxy, _ListSecretsProxy

UNKNOWN_SENTINELS = frozenset(
    {
        UNKNOWN_BOOLEAN_VALUE,
        UNKNOWN_NUMBER_VALUE,
        UNKNOWN_STRING_VALUE,
        UNKNOWN_ARRAY_VALUE,
        UNKNOWN_ASSET_VALUE,
        UNKNOWN_ARCHIVE_VALUE,
        UNKNOWN_OBJECT_VALUE,
    }
)

_PROXIES = (_DictProxy, _ListProxy, _DictSecretsProxy, _ListSecretsProxy)

Segment = str | int
PathLike = str | Sequence[Segment]


@dataclass(frozen=True)
class Known:
    """A value that is set. Containers stay as the SDK gave them (still unknown-safe)."""

    value: Any


@dataclass(frozen=True)
class Missing:
    """Absent, null, out of range, or below a scalar."""


@dataclass(frozen=True)
class Unknown:
    """Set, but computed from something that only exists after deployment."""

    path: tuple[Segment, ...]
    sentinel: str = UNKNOWN_STRING_VALUE


Lookup = Known | Missing | Unknown

_TOKEN = re.compile(r'\.?([^.\[\]"]+)|\[(\d+)\]|\["((?:[^"\\]|\\.)*)"\]')


@lru_cache(maxsize=512)
def parse_path(path: str) -> tuple[Segment, ...]:
    """``'a.b[0].c'`` -> ``('a', 'b', 0, 'c')``; ``'tags["x.y"]'`` quotes a key containing dots."""
    segments: list[Segment] = []
    pos = 0
    while pos < len(path):
        match = _TOKEN.match(path, pos)
        if match is None or (pos == 0 and path.startswith(".")):
            raise ValueError(f"invalid property path {path!r} at offset {pos}")
        key, index, quoted = match.groups()
        if index is not None:
            segments.append(int(index))
        elif quoted is not None:
            segments.append(re.sub(r"\\(.)", r"\1", quoted))
        else:
            segments.append(key)
        pos = match.end()
    if not segments:
        raise ValueError("empty property path")
    return tuple(segments)


def _segments(path: PathLike) -> tuple[Segment, ...]:
    return parse_path(path) if isinstance(path, str) else tuple(path)


def unwrap(node: Any) -> Any:
    """Strip one layer of SDK proxy or ``Secret`` wrapper, never reading through the unknown check."""
    while True:
        if isinstance(node, _PROXIES):
            node = node["__target"]
        elif isinstance(node, Secret):
            node = node.value
        else:
            return node


def is_unknown_value(value: Any) -> bool:
    return isinstance(value, str) and value in UNKNOWN_SENTINELS


def lookup(props: Any, path: PathLike) -> Lookup:
    """Resolve ``path`` under ``props`` without ever raising ``UnknownValueError``."""
    segments = _segments(path)
    node = unwrap(props)
    for depth, segment in enumerate(segments):
        if is_unknown_value(node):
            # An unknown parent makes everything below it unknown too.
            return Unknown(segments[:depth], node)
        if isinstance(segment, int):
            if not isinstance(node, list) or not -len(node) <= segment < len(node):
                return Missing()
            node = unwrap(node[segment])
        else:
            if not isinstance(node, Mapping) or segment not in node:
                return Missing()
            node = unwrap(node[segment])
    if is_unknown_value(node):
        return Unknown(segments, node)
    if node is None:
        return Missing()
    return Known(_rewrap(props, segments))


def _rewrap(props: Any, segments: tuple[Segment, ...]) -> Any:
    """Read the final value through the caller's own container so proxies keep protecting it."""
    node = props
    for segment in segments:
        if isinstance(node, Secret):
            node = node.value
        node = node[segment]
    return node.value if isinstance(node, Secret) else node


def is_present(props: Any, path: PathLike) -> bool:
    """True when the value is set, known or not: presence is all some checks need at preview."""
    return not isinstance(lookup(props, path), Missing)


def known(props: Any, path: PathLike, default: Any = None) -> Any:
    """The value when it is known, else ``default`` (for missing *and* unknown)."""
    result = lookup(props, path)
    return result.value if isinstance(result, Known) else default


def require_known(props: Any, path: PathLike, default: Any = None) -> Any:
    """The value, ``default`` when missing; raise the SDK's ``UnknownValueError`` when unknown.

    Raising on purpose makes the SDK report "can't run policy ... during preview" (advisory) and the
    check then runs for real during ``pulumi up``, when every input is known.
    """
    result = lookup(props, path)
    if isinstance(result, Unknown):
        raise UnknownValueError(result.sentinel, [str(s) for s in result.path])
    return result.value if isinstance(result, Known) else default


def check_all(*checks: Callable[[], None]) -> None:
    """Run every check, then re-raise the first ``UnknownValueError`` any of them raised.

    Violations found on known values are reported at preview even when another part of the rule
    has to wait for ``pulumi up``; the SDK then adds its advisory "can't run" note for the rest.
    """
    pending: UnknownValueError | None = None
    for check in checks:
        try:
            check()
        except UnknownValueError as error:
            pending = pending or error
    if pending is not None:
        raise pending


def plain(value: Any) -> Any:
    """Deep copy into dicts/lists/scalars, keeping unknown sentinels as they are (for remediation)."""
    value = unwrap(value)
    if isinstance(value, Mapping):
        return {key: plain(value[key]) for key in value}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value
